"""The look the gateway's HTML pages share: the page shell, escaping, palette, type, tables, badges.

Each page adds its own rules after these (``BASE_CSS + page_css``), so a page-specific rule wins.
"""

from __future__ import annotations

import html
from string import Template

from gateway.reports.text import visible

_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>$title</title>
<style>$css</style>
</head>
<body>
$body
$script</body>
</html>
""")


def escape(value: object) -> str:
    """Text made safe for HTML and XML: controls made visible, then escaped (quotes too)."""
    return html.escape(visible(str(value)), quote=True)


def page(title: str, css: str, body: str, script: str = "") -> str:
    """A whole self-contained page: ``title`` escaped here, ``css`` after the shared rules."""
    return _PAGE.substitute(
        title=escape(title),
        css=BASE_CSS + css,
        body=body,
        script=f"<script>{script}</script>\n" if script else "",
    )


BASE_CSS = """
:root { --ok: #1a7f37; --warn: #b35900; --bad: #c62828; --np: #5f6b7a; --line: #d8dde3;
  --soft: #f5f7f9; --ink: #1d232a; --muted: #5f6b7a; --fr: #1f5fbf; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; color: var(--ink); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 26px; margin: 2px 0 6px; word-break: break-all; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px;
  border-bottom: 2px solid var(--line); }
.top { display: flex; gap: 24px; justify-content: space-between; align-items: flex-start; }
.kicker { margin: 0; color: var(--muted); text-transform: uppercase; letter-spacing: .08em;
  font-size: 12px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
.meta dt { color: var(--muted); }
.badge { display: inline-block; border-radius: 999px; padding: 1px 10px; color: #fff;
  font-size: 13px; font-weight: 600; white-space: nowrap; background: var(--np);
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.badge.big { font-size: 22px; padding: 10px 26px; border-radius: 12px; text-transform: uppercase;
  letter-spacing: .04em; }
.tile span { color: var(--muted); font-size: 13px; }
.legend { color: var(--muted); font-size: 13px; }
.note { background: #fff8e1; border: 1px solid #f0d48a; border-radius: 8px; padding: 8px 12px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
thead th { position: sticky; top: 0; background: #eef1f4; }
tbody tr:nth-child(even) { background: var(--soft); }
.none { color: var(--muted); font-style: italic; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
"""
