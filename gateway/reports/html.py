"""The validation report as one standalone HTML page for the people who fix registrations.

Header and status badge, summary tiles, file- and group-level messages, a table of the
transactions, then every transaction's messages, each beside its record with the offending
field marked. Everything from the file goes through ``html.escape`` (after control characters
become visible), the page loads nothing from anywhere, and its markup is well-formed XML, so
the tests can parse it strictly.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from gateway.reports.style import escape as _e
from gateway.reports.style import page
from gateway.reports.text import (
    COUNT_LABEL,
    REJECTION_MEANING,
    STATUS_LABEL,
    Sections,
    in_line_order,
    sections,
    visible,
)

if TYPE_CHECKING:
    from gateway.model import Issue
    from gateway.validation.report import Report, TransactionSummary

MAX_TABLE_ROWS = 5_000  # rows of the transaction table; a browser stays quick
MAX_DETAILED_TRANSACTIONS = 2_000  # transactions whose messages are shown in full
RECORD_WINDOW = 100  # characters of a record shown around the field; records are up to ~500
MAX_RECORD_SHOWN = 1_000  # characters of a record shown when no field is marked
MAX_COLUMN = 10_000  # a column or width past this is not drawn (records are far shorter)

_DOT = " \u00b7 "
LEVEL_MEANING = {"E": "file", "G": "group", "T": "transaction", "R": "record", "F": "field"}
_STATUS_CLASS = {
    "accepted": "ok",
    "partially_accepted": "warn",
    "rejected": "bad",
    "no_participation": "np",
}
_TILE_CLASS = {"accepted": "ok", "rejected": "bad", "no_participation": "np"}
_HEADER_FIELDS = (
    ("sender_name", "Sender name"),
    ("creation_date", "Created"),
    ("transmission_date", "Transmitted"),
    ("character_set", "Character set"),
    ("software_package", "Software"),
)


_CSS = """
h3 { font-size: 16px; margin: 0; }
a { color: var(--fr); }
.path { margin: 0 0 8px; color: var(--muted); font-size: 13px; word-break: break-all; }
.meta dd { margin: 0; font-weight: 600; }
.ok { background: var(--ok); }
.warn { background: var(--warn); }
.bad { background: var(--bad); }
.np { background: var(--np); }
.tiles { display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; margin: 24px 0 8px; }
.tile { border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px;
  background: var(--soft); border-top: 4px solid var(--line); }
.tile b { display: block; font-size: 26px; font-variant-numeric: tabular-nums; }
.tile.ok { border-top-color: var(--ok); background: var(--soft); }
.tile.bad { border-top-color: var(--bad); background: var(--soft); }
.tile.np { border-top-color: var(--np); background: var(--soft); }
.legend b { color: var(--ink); }
.filter { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; margin: 0 0 10px; }
.filter input[type=search] { padding: 5px 8px; min-width: 260px; border: 1px solid var(--line);
  border-radius: 6px; font: inherit; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.tx { border: 1px solid var(--line); border-radius: 10px; margin: 14px 0; padding: 12px 14px; }
.txhead { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; margin-bottom: 6px; }
.txhead .sub { color: var(--muted); font-size: 13px; }
.up { margin-left: auto; font-size: 13px; }
.msg { border-left: 4px solid var(--np); padding: 6px 0 6px 12px; margin: 10px 0; }
.msg.r-ER, .msg.r-GR, .msg.r-TR { border-left-color: var(--bad); }
.msg.r-RR { border-left-color: var(--warn); }
.msg.r-FR { border-left-color: var(--fr); }
.mhead { display: flex; gap: 8px; flex-wrap: wrap; align-items: baseline; font-size: 13px; }
.code { font: 600 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: #eef1f4; border-radius: 4px; padding: 0 6px; }
.rej { font-weight: 600; }
.r-ER .rej, .r-GR .rej, .r-TR .rej { color: var(--bad); }
.r-RR .rej { color: var(--warn); }
.r-FR .rej { color: var(--fr); }
.where { color: var(--muted); }
.mtext { margin: 4px 0; font-size: 15px; }
.mval { margin: 2px 0; font-size: 13px; color: var(--muted); }
.mval code { color: var(--ink); background: #fff3cd; padding: 0 4px; white-space: pre-wrap; }
.window { margin: 6px 0 0; font-size: 12px; color: var(--muted); }
pre.rec { margin: 2px 0 0; padding: 8px 10px; background: #1f252c; color: #e6edf3;
  border-radius: 6px; overflow-x: auto; font: 13px/1.35 ui-monospace, SFMono-Regular, Menlo,
  Consolas, monospace; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
pre.rec .ruler { color: #7d8a99; }
pre.rec .caret { color: #ffb74d; }
pre.rec mark { background: #ffb74d; color: #1d232a; border-radius: 2px; }
@media (max-width: 800px) { .tiles { grid-template-columns: repeat(3, 1fr); }
  .top { flex-direction: column; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .filter, .up, script { display: none !important; }
  thead th { position: static; }
  thead { display: table-header-group; }
  tr, .msg { break-inside: avoid; }
  .tx { break-inside: auto; border: none; border-top: 1px solid var(--line); border-radius: 0; }
  pre.rec { overflow: visible; background: #fff; color: #000; border: 1px solid #999; }
  pre.rec .ruler { color: #666; } pre.rec .caret { color: #000; }
  pre.rec mark { background: #ffe08a; outline: 1px solid #000; }
  a { color: inherit; text-decoration: none; }
}
"""

# Filtering is a convenience: without script the controls stay hidden and every row shows.
# (No "<" or "&" inside, so the page stays well-formed XML.)
_SCRIPT = """
(function () {
  var bar = document.getElementById("filter");
  if (!bar) { return; }
  bar.hidden = false;
  var rows = document.querySelectorAll("#tx tbody tr");
  var box = document.getElementById("q");
  function apply() {
    var q = box.value.toLowerCase();
    var show = document.querySelector("input[name=show]:checked").value;
    rows.forEach(function (row) {
      var ok = row.textContent.toLowerCase().indexOf(q) !== -1;
      if (show === "rejected") { if (row.dataset.status !== "rejected") { ok = false; } }
      if (show === "messages") { if (row.dataset.messages === "0") { ok = false; } }
      row.hidden = !ok;
    });
  }
  box.addEventListener("input", apply);
  bar.addEventListener("change", apply);
})();
"""


def render_html(
    report: Report,
    *,
    max_rows: int = MAX_TABLE_ROWS,
    max_detailed: int = MAX_DETAILED_TRANSACTIONS,
    record_window: int = RECORD_WINDOW,
) -> str:
    """The whole report as one self-contained HTML page."""
    parts = sections(report, max_transactions=max_detailed, head=max_rows)
    detailed = {(t.group, t.sequence) for t in parts.transactions}
    body = [
        *_header(report),
        *_tiles(report),
        _legend(),
        *_envelope(report, in_line_order(report, parts.envelope), record_window),
        *_table(report, parts.head, detailed),
        *_details(report, parts, record_window),
        "<footer>Society Exchange Gateway \u00b7 CWR validation report</footer>",
    ]
    title = f"{_name(report.source)} \u00b7 {STATUS_LABEL.get(report.status, report.status)}"
    return page(title, _CSS, "\n".join(body), _SCRIPT)


def _name(source: str) -> str:
    return re.split(r"[\\/]", source)[-1] or source


def _badge(status: str, *, big: bool = False) -> str:
    css = _STATUS_CLASS.get(status, "np") + (" big" if big else "")
    return f'<span class="badge {css}">{_e(STATUS_LABEL.get(status, status))}</span>'


def _header(report: Report) -> list[str]:
    version = f"{report.format.upper()} {report.version}".strip()
    meta: list[tuple[str, object]] = [("Version", version), ("Sender", report.sender)]
    meta += [(label, report.header.get(key)) for key, label in _HEADER_FIELDS]
    meta.append(("Rule pack", report.pack))
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in meta if v not in (None, ""))
    path = _name(report.source)
    return [
        '<header class="top">',
        "<div>",
        '<p class="kicker">CWR validation report</p>',
        f"<h1>{_e(path)}</h1>",
        f'<p class="path">{_e(report.source)}</p>' if path != report.source else "",
        f'<dl class="meta">{rows}</dl>',
        "</div>",
        f'<div class="status">{_badge(report.status, big=True)}</div>',
        "</header>",
    ]


def _tiles(report: Report) -> list[str]:
    tiles = [
        f'<div class="tile {_TILE_CLASS.get(key, "")}"><b>{value:,}</b>'
        f"<span>{_e(COUNT_LABEL[key])}</span></div>"
        for key, value in report.counts.items()
    ]
    return ['<section class="tiles" aria-label="Summary">', *tiles, "</section>"]


def _legend() -> str:
    words = " \u00b7 ".join(f"<b>{code}</b> {_e(text)}" for code, text in REJECTION_MEANING.items())
    return f'<p class="legend">Rejection codes: {words}.</p>'


def _envelope(report: Report, issues: list[Issue], window: int) -> list[str]:
    out = ['<section id="envelope">', "<h2>File and group messages</h2>"]
    if report.file_rejected:
        out.append('<p class="note">The entire file is rejected, and every transaction in it.</p>')
    if report.rejected_groups:
        groups = ", ".join(str(g) for g in sorted(report.rejected_groups))
        out.append(f'<p class="note">Rejected groups, with all their transactions: {groups}.</p>')
    if not issues:
        out.append('<p class="none">None.</p>')
    out += [_message(report, issue, window) for issue in issues]
    out.append("</section>")
    return out


def _table(
    report: Report, rows: list[TransactionSummary], detailed: set[tuple[int, int]]
) -> list[str]:
    total = len(report.transactions)
    out = ['<section id="transactions">', f"<h2>Transactions ({total:,})</h2>"]
    if not total:
        return [*out, '<p class="none">The file has no transactions.</p>', "</section>"]
    if total > len(rows):
        out.append(
            f'<p class="note">The table shows the first {len(rows):,} of {total:,} transactions; '
            "the JSON report (<code>--format json</code>) lists them all.</p>"
        )
    out += [
        '<form id="filter" class="filter" hidden="hidden" action="#">',
        (
            '<input id="q" type="search" aria-label="Filter"'
            ' placeholder="Filter by title, work #, type\u2026" />'
        ),
        '<label><input type="radio" name="show" value="all" checked="checked" /> all</label>',
        '<label><input type="radio" name="show" value="rejected" /> rejected</label>',
        '<label><input type="radio" name="show" value="messages" /> with messages</label>',
        "</form>",
        (
            '<table id="tx"><thead><tr>'
            '<th class="n">Group</th><th class="n">Seq</th><th>Type</th><th>Submitter work #</th>'
            '<th>Title</th><th>Status</th><th class="n">Messages</th>'
            "</tr></thead>"
        ),
        "<tbody>",
    ]
    out += [_row(report, summary, detailed) for summary in rows]
    out += ["</tbody></table>", "</section>"]
    return out


def _row(report: Report, summary: TransactionSummary, detailed: set[tuple[int, int]]) -> str:
    status = report.effective_status(summary)
    count = len(summary.messages)
    if count and (summary.group, summary.sequence) in detailed:
        messages = f'<a href="#{_anchor(summary)}">{count}</a>'
    else:
        messages = str(count)
    return (
        f'<tr data-status="{_e(status)}" data-messages="{count}">'
        f'<td class="n">{int(summary.group)}</td><td class="n">{int(summary.sequence)}</td>'
        f"<td>{_e(summary.type)}</td><td>{_e(summary.submitter_work_id.strip())}</td>"
        f"<td>{_e(summary.title.strip())}</td><td>{_badge(status)}</td>"
        f'<td class="n">{messages}</td></tr>'
    )


def _anchor(summary: TransactionSummary) -> str:
    return f"t-{int(summary.group)}-{int(summary.sequence)}"


def _details(report: Report, parts: Sections, window: int) -> list[str]:
    transactions, omitted = parts.transactions, parts.omitted_transactions
    out = ['<section id="messages">', "<h2>Messages by transaction</h2>"]
    if not transactions:
        out.append('<p class="none">No transaction has a message.</p>')
    if omitted:
        out.append(
            f'<p class="note">Messages are shown for the first {len(transactions):,} transactions '
            f"that have any; {omitted:,} more are in the JSON report.</p>"
        )
    for summary in transactions:
        status = report.effective_status(summary)
        sub = [f"group {int(summary.group)}", f"transaction {int(summary.sequence)}"]
        if summary.submitter_work_id.strip():
            sub.append(f"work # {summary.submitter_work_id.strip()}")
        sub.append(f"line {summary.line}")
        out += [
            f'<section class="tx" id="{_anchor(summary)}">',
            '<div class="txhead">',
            f"<h3>{_e(summary.type)} \u00b7 {_e(summary.title.strip() or '(no title)')}</h3>",
            _badge(status),
            f'<span class="sub">{_e(_DOT.join(sub))}</span>',
            '<a class="up" href="#transactions">\u2191 table</a>',
            "</div>",
            *(_message(report, i, window) for i in in_line_order(report, summary.messages)),
            "</section>",
        ]
    out.append("</section>")
    return out


def _message(report: Report, issue: Issue, window: int) -> str:
    rejection = REJECTION_MEANING.get(issue.rejection, "")
    level = LEVEL_MEANING.get(issue.level, "")
    where = [f"line {issue.line}" if issue.line is not None else "", issue.record_type]
    if issue.field:
        where.append(f"field {issue.field.replace('_', ' ')}")
    rejection_text = f"{issue.rejection} \u00b7 {rejection}" if rejection else issue.rejection
    level_text = f"level {issue.level} ({level})" if level else f"level {issue.level}"
    head = [
        f'<span class="code">{_e(issue.edit)}</span>',
        f'<span class="rej" title="{_e(rejection)}">{_e(rejection_text)}</span>',
        f'<span class="lvl">{_e(level_text)}</span>',
        f'<span class="where">{_e(_DOT.join(w for w in where if w))}</span>',
    ]
    out = [
        f'<div class="msg r-{_e(issue.rejection)}">',
        f'<div class="mhead">{"".join(head)}</div>',
        f'<p class="mtext">{_e(issue.text)}</p>',
    ]
    if issue.value is not None and issue.value != "":
        out.append(f'<p class="mval">Value: <code>{_e(issue.value)}</code></p>')
    if issue.line is not None:
        out.append(_record(report.lines.get(issue.line), issue.column, issue.width, window))
    out.append("</div>")
    return "".join(out)


def _record(text: str | None, column: int | None, width: int | None, window: int) -> str:
    """The record in a monospace block, the field marked, with a column ruler and a caret line."""
    if text is None:
        return '<p class="window none">The record\u2019s text is not kept in this report.</p>'
    text = visible(text.rstrip("\r\n"))
    if column is None or width is None or not _drawable(column, width):
        return _whole(text, window)
    first, last = column - 1, column - 1 + width  # the field, as a slice
    text = text.ljust(last)  # a short record still shows where the field would be
    start, end = _window(len(text), first, last, window)
    where = f"column {column}" if width == 1 else f"columns {column}\u2013{last}"
    caret = " " * (first - start) + "^" * width + "  " + where
    line = (
        html.escape(text[start:first])
        + f"<mark>{html.escape(text[first:last])}</mark>"
        + html.escape(text[last:end])
    )
    return _window_note(start, end, len(text)) + (
        f'<pre class="rec">{_ruler(start, end)}\n{line}\n<span class="caret">{caret}</span></pre>'
    )


def _whole(text: str, window: int) -> str:
    """A record with no field to mark: all of it, folded into rows of the window's width."""
    shown = text[:MAX_RECORD_SHOWN]
    rows = [
        f"{_ruler(start, min(start + window, len(shown)))}\n"
        + html.escape(shown[start : start + window])
        for start in range(0, max(len(shown), 1), window)
    ]
    note = ""
    if len(text) > len(shown):
        note = f'<p class="window">The first {len(shown):,} of {len(text):,} characters</p>'
    return note + '<pre class="rec">' + "\n".join(rows) + "</pre>"


def _drawable(column: int, width: int) -> bool:
    return 1 <= column <= MAX_COLUMN and 1 <= width <= MAX_COLUMN


def _window(length: int, first: int, last: int, window: int) -> tuple[int, int]:
    """Which part of a record to show: all of it, or a window with the field in the middle."""
    if length <= window:
        return 0, length
    if last - first >= window:
        return first, last
    start = max(0, first - (window - (last - first)) // 2)
    end = min(length, start + window)
    return max(0, end - window), end


def _window_note(start: int, end: int, length: int) -> str:
    if start == 0 and end == length:
        return ""
    return f'<p class="window">Columns {start + 1}\u2013{end} of {length}</p>'


def _ruler(start: int, end: int) -> str:
    """Two lines over a record: column numbers every ten, and ticks every five."""
    numbers = [" "] * (end - start)
    ticks = []
    for index in range(end - start):
        column = start + index + 1
        ticks.append("|" if column % 10 == 0 else ":" if column % 5 == 0 else ".")
        if column % 10 == 0:
            label = str(column)
            first = index - len(label) + 1
            if first >= 0 and all(c == " " for c in numbers[max(0, first - 1) : index + 1]):
                numbers[first : index + 1] = label
    return f'<span class="ruler">{"".join(numbers).rstrip()}\n{"".join(ticks)}</span>'
