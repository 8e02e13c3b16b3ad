"""A reconciliation as a spreadsheet (CSV) and as one standalone HTML page for a finance team.

Both lay out the facts of :meth:`Reconciliation.to_dict` (the contract) and add nothing. The
CSV has one row per discrepancy; its text cells are guarded against formula injection. The
page puts the totals and the reconciled status first, then two inline SVG charts (paid against
expected per sending society and period; the largest discrepancies), the discrepancies per
kind, the remittance check, each statement's facts and every discrepancy. Text from the
statements is escaped (controls made visible first), the page loads nothing and needs no
script, and its markup is well-formed XML.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from gateway.codes import society
from gateway.reconcile.claims import spreadsheet_cell
from gateway.reconcile.fx import Rate
from gateway.reconcile.money import Money, from_minor, sum_money
from gateway.reconcile.result import KINDS, Discrepancy, Reconciliation, StatementResult
from gateway.reports.style import escape as _e
from gateway.reports.style import page

CSV_COLUMNS = (
    "kind",
    "direction",
    "distribution_id",
    "sender_society",
    "lines",
    "work",
    "title",
    "party",
    "amount",
    "currency",
    "amount_home",
    "home_currency",
    "rate",
    "rate_date",
    "rate_source",
    "message",
    "evidence",
)
MAX_TABLE_ROWS = 5_000  # rows of the full discrepancy table; a browser stays quick
MAX_CHART_GROUPS = 60  # (society, period) groups drawn; more make an unreadable chart
TOP_DISCREPANCIES = 10
MAX_ISSUES_SHOWN = 10  # unreadable lines listed per statement

_NUMERIC_COLUMNS = frozenset({"amount", "amount_home", "rate"})  # ours, never from the input
_LABEL_CHARS = 40  # chart labels are cut here; the full text is in the bar's tooltip
# Of the full discrepancy table, in %: the free text gets the room, a long word wraps.
_COLUMN_WIDTHS = (13, 8, 5, 8, 9, 9, 8, 8, 20, 12)
_DIRECTION_LABEL = {
    "underpaid": "underpaid (claim)",
    "overpaid": "overpaid (give back or hold)",
    "unallocated": "unallocated (find the owner)",
}


def render_reconciliation_csv(result: Reconciliation) -> str:
    """One row per discrepancy, header row first (RFC 4180, CRLF); amounts as exact decimals."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in result.discrepancies:
        rate = item.rate
        cells = {
            "kind": item.kind,
            "direction": item.direction,
            "distribution_id": item.distribution_id,
            "sender_society": item.sender_society,
            "lines": ";".join(str(line) for line in item.lines),
            "work": item.work,
            "title": item.title,
            "party": item.party,
            "amount": str(item.amount.amount),
            "currency": item.amount.currency,
            "amount_home": str(item.amount_home.amount),
            "home_currency": item.amount_home.currency,
            "rate": "" if rate is None else f"{rate.rate:f}",
            "rate_date": "" if rate is None else rate.date.isoformat(),
            "rate_source": "" if rate is None else rate.source,
            "message": item.message,
            "evidence": "; ".join(f"{key}={value}" for key, value in item.evidence),
        }
        writer.writerow(
            value if name in _NUMERIC_COLUMNS else spreadsheet_cell(value)
            for name, value in cells.items()
        )
    return out.getvalue()


def render_reconciliation_html(result: Reconciliation, *, max_rows: int = MAX_TABLE_ROWS) -> str:
    """The whole reconciliation as one self-contained HTML page (inline CSS and SVG)."""
    status = "Reconciled" if result.reconciled else "Not reconciled"
    body = [
        *_header(result, status),
        *_tiles(result),
        *_society_chart(result),
        *_top_chart(result),
        *_kinds(result),
        *_remittance(result),
        *_statements(result),
        *_discrepancies(result, max_rows),
        "<footer>Society Exchange Gateway \u00b7 royalty reconciliation</footer>",
    ]
    ids = _listed(s.header.distribution_id for s in result.statements)
    return page(f"{ids} \u00b7 {status}", _CSS, "\n".join(line for line in body if line))


# -- pieces of text ------------------------------------------------------------------------------


def _amount(value: Money) -> str:
    """``1,234.56 EUR``: grouped for reading, every minor unit kept."""
    return f"{value.amount:,f}\u00a0{value.currency}"


def _number(value: Money) -> str:
    return f"{value.amount:,f}"


def _society_name(code: str) -> str:
    known = society(code)
    return f"{known.name} ({code})" if known is not None else code


def _period(result: StatementResult) -> str:
    header = result.header
    return f"{header.period_start.isoformat()} \u2013 {header.period_end.isoformat()}"


def _listed(values: Iterable[str], limit: int = 4) -> str:
    """Distinct values, the first few of them: a run over many statements keeps a short head."""
    distinct = list(dict.fromkeys(values))
    more = f" and {len(distinct) - limit:,} more" if len(distinct) > limit else ""
    return ", ".join(distinct[:limit]) + more


def _cut(text: str, limit: int = _LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _rate(rate: Rate) -> str:
    text = f"1 {rate.from_currency} = {rate.rate:f} {rate.to_currency} on {rate.date.isoformat()}"
    text += f", {rate.source}"
    if rate.inverse_of is not None:
        published = rate.inverse_of
        text += f" (inverse of the published 1 {published.from_currency} = {published.rate:f} "
        text += f"{published.to_currency})"
    return text


def _difference_class(value: Money) -> str:
    """Red when we are owed money, amber when paid too much, green when even."""
    if value.amount > 0:
        return "bad"
    return "warn" if value.amount < 0 else "ok"


# -- sections ------------------------------------------------------------------------------------


def _header(result: Reconciliation, status: str) -> list[str]:
    statements = result.statements
    senders = (_society_name(s.header.sender_society) for s in statements)
    issues = sum(s.issue_count for s in statements)
    meta: list[tuple[str, object]] = [
        ("Statements", len(statements)),
        ("Sent by", _listed(senders)),
        ("Periods", _listed(_period(s) for s in statements)),
        ("Home currency", result.home),
        ("Registered works", result.registry.get("works", "")),
        ("Match threshold", f"{result.threshold:.2f}"),
    ]
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in meta if v not in (None, ""))
    summary = f"{len(result.discrepancies):,} discrepancies \u00b7 {issues:,} unreadable lines"
    badge = "ok" if result.reconciled else "bad"
    ids = _listed(s.header.distribution_id for s in statements)
    return [
        '<header class="top">',
        "<div>",
        '<p class="kicker">Royalty reconciliation</p>',
        f"<h1>{_e(ids)}</h1>",
        f'<dl class="meta">{rows}</dl>',
        "</div>",
        f'<div class="status"><span id="status" class="badge big {badge}">{_e(status)}</span>',
        f'<p class="sub">{summary}</p></div>',
        "</header>",
    ]


def _tiles(result: Reconciliation) -> list[str]:
    totals = result.totals_home
    tiles = [
        ("paid", "paid", totals.paid, ""),
        ("matched", "matched to our works", totals.matched, ""),
        ("suspense", "in suspense (unmatched)", totals.suspense,
         "warn" if totals.suspense.minor else ""),
        ("expected", "expected from our registrations", totals.expected, ""),
        ("difference", "difference (expected \u2212 matched)", totals.difference,
         _difference_class(totals.difference)),
    ]  # fmt: skip
    out = [f'<section class="tiles" aria-label="Totals in {_e(result.home)}">']
    out += [
        f'<div class="tile {css}" id="total-{key}"><b>{_e(_amount(value))}</b>'
        f"<span>{_e(label)}</span></div>"
        for key, label, value, css in tiles
    ]
    out.append("</section>")
    return out


@dataclass(slots=True)
class _Group:
    """Statements of one sending society over one period, summed in the home currency."""

    society: str
    period: str
    paid: Money
    suspense: Money
    expected: Money
    matched: Money


def _groups(result: Reconciliation) -> list[_Group]:
    found: dict[tuple[str, str], _Group] = {}
    for statement in result.statements:
        key = (statement.header.sender_society, _period(statement))
        totals = statement.totals_home
        group = found.get(key)
        if group is None:
            zero = from_minor(0, result.home)
            group = found[key] = _Group(key[0], key[1], zero, zero, zero, zero)
        group.paid += totals.paid
        group.suspense += totals.suspense
        group.expected += totals.expected
        group.matched += totals.matched
    return [found[key] for key in sorted(found)]


def _width(value: Money, top: Decimal, span: int) -> Decimal:
    """The length of a bar for ``value`` on a scale where ``top`` fills ``span`` pixels."""
    if top <= 0 or value.amount <= 0:
        return Decimal(0)
    return (value.amount / top * span).quantize(Decimal("0.1"))


_LABEL_X, _BAR_X, _BAR_SPAN, _CHART_WIDTH = 8, 300, 420, 1100
_VALUE_X = _BAR_X + _BAR_SPAN + 8


def _svg(chart_id: str, label: str, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" role="img" '
        f'aria-label="{_e(label)}" viewBox="0 0 {_CHART_WIDTH} {height}" width="100%">'
    )


def _bar(css: str, x: Decimal | int, y: int, width: Decimal, tooltip: str) -> str:
    """One bar; its tooltip (an SVG title) names what it measures, as no script is needed."""
    return (
        f'<rect class="bar {css}" x="{x}" y="{y}" width="{width:f}" height="18">'
        f"<title>{_e(tooltip)}</title></rect>"
    )


def _text(css: str, x: int, y: int, text: str) -> str:
    return f'<text class="{css}" x="{x}" y="{y}">{_e(text)}</text>'


def _society_chart(result: Reconciliation) -> list[str]:
    groups = _groups(result)
    out = [
        '<section id="by-society">',
        f"<h2>Paid against expected per sending society and period ({_e(result.home)})</h2>",
    ]
    if not groups:
        return [*out, '<p class="none">No statement.</p>', "</section>"]
    if len(groups) > MAX_CHART_GROUPS:
        out.append(
            f'<p class="note">The chart shows the first {MAX_CHART_GROUPS} of {len(groups)} '
            "society and period groups; the statements table lists them all.</p>"
        )
        groups = groups[:MAX_CHART_GROUPS]
    top = max(max(g.paid.amount, g.expected.amount) for g in groups)
    row = 52
    out += [
        _svg("chart-societies", "paid against expected", 30 + row * len(groups)),
        '<g class="key"><rect class="paid" x="300" y="6" width="12" height="12" />',
        _text("", 318, 16, "paid (matched + suspense)"),
        '<rect class="suspense" x="500" y="6" width="12" height="12" />',
        _text("", 518, 16, "of which in suspense"),
        '<rect class="expected" x="680" y="6" width="12" height="12" />',
        _text("", 698, 16, "expected"),
        "</g>",
    ]
    for index, group in enumerate(groups):
        out += _society_row(group, 30 + row * index, top)
    out += ["</svg>", "</section>"]
    return out


def _society_row(group: _Group, y: int, top: Decimal) -> list[str]:
    name = _society_name(group.society)
    what = f"{name} {group.period}"
    paid = _width(group.paid, top, _BAR_SPAN)
    # Suspense is drawn over the end of the paid bar: the part of it no work took.
    suspense = min(_width(group.suspense, top, _BAR_SPAN), paid)
    difference = group.expected - group.matched
    return [
        f'<g class="group" data-society="{_e(group.society)}" data-period="{_e(group.period)}">',
        _text("label", _LABEL_X, y + 16, _cut(name)),
        _text("label sub", _LABEL_X, y + 34, group.period),
        _bar("paid", _BAR_X, y + 4, paid, f"{what}: paid {_amount(group.paid)}"),
        _bar(
            "suspense",
            _BAR_X + paid - suspense,
            y + 4,
            suspense,
            f"{what}: in suspense {_amount(group.suspense)}",
        ),
        _bar(
            "expected",
            _BAR_X,
            y + 25,
            _width(group.expected, top, _BAR_SPAN),
            f"{what}: expected {_amount(group.expected)}",
        ),
        _text("value", _VALUE_X, y + 18, f"paid {_number(group.paid)}"),
        (
            f'<text class="value" x="{_VALUE_X}" y="{y + 39}">'
            f"expected {_e(_number(group.expected))}"
            f'<tspan class="{_difference_class(difference)}-text"> \u00b7 difference '
            f"{_e(_number(difference))}</tspan></text>"
        ),
        "</g>",
    ]


def _top_chart(result: Reconciliation) -> list[str]:
    at_stake = [d for d in result.discrepancies if d.amount_home.minor > 0]
    top = sorted(at_stake, key=lambda d: (-d.amount_home.amount, d.sort_key()))
    top = top[:TOP_DISCREPANCIES]
    out = [
        '<section id="top">',
        f"<h2>The {TOP_DISCREPANCIES} largest discrepancies ({_e(result.home)})</h2>",
    ]
    if not top:
        return [*out, '<p class="none">No discrepancy puts any money at stake.</p>', "</section>"]
    largest = top[0].amount_home.amount
    row = 26
    out.append(_svg("chart-top", "largest discrepancies", row * len(top)))
    for index, item in enumerate(top):
        y = row * index
        what = " \u00b7 ".join(p for p in (item.kind, item.work, item.title) if p)
        width = _width(item.amount_home, largest, _BAR_SPAN)
        out += [
            f'<g class="item d-{_e(item.direction)}">',
            _text("label", _LABEL_X, y + 17, _cut(what)),
            _bar(item.direction, _BAR_X, y + 4, width, item.message),
            _text(
                "value", _VALUE_X, y + 17, f"{_amount(item.amount_home)} \u00b7 {item.direction}"
            ),
            "</g>",
        ]
    out += ["</svg>", "</section>"]
    return out


def _kinds(result: Reconciliation) -> list[str]:
    home = result.home
    rows = []
    for kind, count in result.counts().items():
        mine = [d.amount_home for d in result.discrepancies if d.kind == kind]
        css = "" if count else ' class="zero"'
        rows.append(
            f'<tr{css} data-kind="{_e(kind)}"><td><code>{_e(kind)}</code></td>'
            f'<td>{_e(KINDS[kind])}</td><td class="n">{count:,}</td>'
            f'<td class="n">{_e(_amount(sum_money(mine, home)))}</td></tr>'
        )
    for direction, label in _DIRECTION_LABEL.items():
        mine = [d.amount_home for d in result.discrepancies if d.direction == direction]
        rows.append(
            f'<tr class="sum" data-direction="{direction}"><td colspan="2">All {_e(label)}</td>'
            f'<td class="n">{len(mine):,}</td>'
            f'<td class="n">{_e(_amount(sum_money(mine, home)))}</td></tr>'
        )
    return [
        '<section id="kinds">',
        "<h2>Discrepancies per kind</h2>",
        (
            '<table><thead><tr><th>Kind</th><th>Meaning</th><th class="n">Count</th>'
            f'<th class="n">At stake ({_e(home)})</th></tr></thead>'
        ),
        "<tbody>",
        *rows,
        "</tbody></table>",
        "</section>",
    ]


def _remittance(result: Reconciliation) -> list[str]:
    check = result.remittance
    out = ['<section id="remittance">', "<h2>Remittance</h2>"]
    if check is None:
        return [*out, '<p class="none">No remittance was given to check.</p>', "</section>"]
    facts = [
        ("Received", _amount(check.received)),
        ("Bank charges", _amount(check.bank_charges)),
        ("Received + charges", _amount(check.received + check.bank_charges)),
        ("Expected (the statements\u2019 net)", _amount(check.expected)),
        ("Difference (expected \u2212 received \u2212 charges)", _amount(check.difference)),
        ("Date", check.on),
    ]
    if check.implied_rate:
        facts.append(("Rate implied by the money received", check.implied_rate))
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    out.append(f'<dl class="meta facts">{rows}</dl>')
    if check.rates:
        out += ["<p>Rates used:</p>", "<ul>", *(f"<li>{_e(_rate(r))}</li>" for r in check.rates)]
        out.append("</ul>")
    out.append("</section>")
    return out


def _statements(result: Reconciliation) -> list[str]:
    out = [
        '<section id="statements">',
        "<h2>Statements</h2>",
        (
            "<table><thead><tr><th>Distribution</th><th>Sent by</th><th>Right</th><th>Period</th>"
            '<th class="n">Lines</th><th class="n">Matched</th><th class="n">Suspense</th>'
            '<th>Match methods</th><th class="n">Unreadable</th><th class="n">Paid</th>'
            '<th class="n">Expected</th><th class="n">Difference</th><th>Rate to home</th></tr>'
            "</thead>"
        ),
        "<tbody>",
    ]
    for statement in result.statements:
        header, totals = statement.header, statement.totals
        methods = ", ".join(f"{method} {count:,}" for method, count in statement.methods)
        rate = "" if statement.rate is None else _rate(statement.rate)
        out.append(
            f"<tr><td>{_e(header.distribution_id)}</td>"
            f"<td>{_e(_society_name(header.sender_society))}</td><td>{_e(header.right_type)}</td>"
            f'<td class="nw">{_e(_period(statement))}</td><td class="n">{statement.lines:,}</td>'
            f'<td class="n">{statement.matched_lines:,}</td>'
            f'<td class="n">{statement.suspense_lines:,}</td><td>{_e(methods)}</td>'
            f'<td class="n">{statement.issue_count:,}</td>'
            f'<td class="n">{_e(_amount(totals.paid))}</td>'
            f'<td class="n">{_e(_amount(totals.expected))}</td>'
            f'<td class="n">{_e(_amount(totals.difference))}</td><td>{_e(rate)}</td></tr>'
        )
    out.append("</tbody></table>")
    for statement in result.statements:
        if statement.issue_count:
            out += _issues(statement)
    out.append("</section>")
    return out


def _issues(statement: StatementResult) -> list[str]:
    shown = statement.issues[:MAX_ISSUES_SHOWN]
    more = statement.issue_count - len(shown)
    out = [
        (
            f"<h3>{_e(statement.header.distribution_id)}: {statement.issue_count:,} unreadable "
            "lines</h3>"
        ),
        '<ul class="issues">',
        *(f"<li>{_e(issue)}</li>" for issue in shown),
        "</ul>",
    ]
    if more:
        out.append(f'<p class="legend">{more:,} more are in the JSON report.</p>')
    return out


def _discrepancies(result: Reconciliation, max_rows: int) -> list[str]:
    total = len(result.discrepancies)
    out = ['<section id="discrepancies">', f"<h2>Every discrepancy ({total:,})</h2>"]
    if not total:
        return [*out, '<p class="none">No discrepancy was found.</p>', "</section>"]
    shown = result.discrepancies[:max_rows]
    if total > len(shown):
        out.append(
            f'<p class="note" id="more">The table shows the first {len(shown):,} of {total:,} '
            f"discrepancies; {total - len(shown):,} more are in the JSON and CSV reports.</p>"
        )
    out += [
        (
            '<div class="wide"><table id="all">'
            + "".join(f'<col style="width: {width}%" />' for width in _COLUMN_WIDTHS)
            + "<thead><tr><th>Kind</th><th>Direction</th>"
            "<th>Lines</th><th>Work</th>"
            '<th>Title</th><th>Party</th><th class="n">Amount</th><th class="n">Home amount</th>'
            "<th>Message</th><th>Evidence</th></tr></thead>"
        ),
        "<tbody>",
        *(_row(item) for item in shown),
        "</tbody></table></div>",
        "</section>",
    ]
    return out


def _row(item: Discrepancy) -> str:
    evidence = "".join(f"<li>{_e(key)}: {_e(value)}</li>" for key, value in item.evidence)
    return (
        f'<tr class="d-{_e(item.direction)}"><td><code>{_e(item.kind)}</code></td>'
        f"<td>{_e(item.direction)}</td><td>{_e(', '.join(map(str, item.lines)))}</td>"
        f"<td>{_e(item.work)}</td><td>{_e(item.title)}</td><td>{_e(item.party)}</td>"
        f'<td class="n">{_e(_amount(item.amount))}</td>'
        f'<td class="n">{_e(_amount(item.amount_home))}</td><td>{_e(item.message)}</td>'
        f'<td><ul class="ev">{evidence}</ul></td></tr>'
    )


# The palette and layout of the validation report (gateway.reports.html), plus the charts.
_CSS = """
h3 { font-size: 16px; margin: 16px 0 4px; }
.sub { color: var(--muted); font-size: 13px; }
.meta dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.facts { max-width: 560px; }
.facts dd { text-align: right; }
.badge.ok { background: var(--ok); }
.badge.bad { background: var(--bad); }
.tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin: 24px 0 8px; }
.tile { border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px;
  background: var(--soft); border-top: 4px solid var(--line); text-align: right; }
.tile b { display: block; font-size: 21px; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.tile.ok { border-top-color: var(--ok); }
.tile.warn { border-top-color: var(--warn); }
.tile.bad { border-top-color: var(--bad); }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.zero { color: var(--muted); }
#all { font-size: 13px; table-layout: fixed; min-width: 900px; }
#all th, #all td { padding: 4px 5px; overflow-wrap: anywhere; }
#all th { overflow-wrap: normal; }
#all td.n { white-space: normal; }
#all code { font-size: 12px; background: none; padding: 0; }
.wide { overflow-x: auto; }
.nw { white-space: nowrap; }
tr.sum td { font-weight: 600; border-top: 2px solid var(--line); }
tr.d-underpaid td:first-child { border-left: 4px solid var(--bad); }
tr.d-overpaid td:first-child { border-left: 4px solid var(--warn); }
tr.d-unallocated td:first-child { border-left: 4px solid var(--np); }
ul.ev, ul.issues { margin: 0; padding-left: 16px; font-size: 13px; }
ul.ev { color: var(--muted); }
code { font: 600 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: #eef1f4; border-radius: 4px; padding: 0 6px; }
svg.chart { display: block; font-size: 13px; }
svg.chart text { fill: var(--ink); }
svg.chart text.sub { fill: var(--muted); font-size: 12px; }
svg.chart text.value { font-variant-numeric: tabular-nums; }
svg.chart .paid { fill: #1f5fbf; }
svg.chart .suspense { fill: #8fb0e3; }
svg.chart .expected { fill: #9aa5b1; }
svg.chart .d-underpaid rect { fill: var(--bad); }
svg.chart .d-overpaid rect { fill: var(--warn); }
svg.chart .d-unallocated rect { fill: var(--np); }
svg.chart .bad-text { fill: var(--bad); font-weight: 600; }
svg.chart .warn-text { fill: var(--warn); font-weight: 600; }
svg.chart .ok-text { fill: var(--ok); }
@media (max-width: 800px) { .tiles { grid-template-columns: repeat(2, 1fr); }
  .top { flex-direction: column; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  thead th { position: static; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  svg.chart, .tile { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
