"""The renderings of a reconciliation: the CSV, the HTML page with its charts, the claims files.

Every reconciliation here is real: the works are written as a CWR file and registered from it,
the statements are CSV text read by the statement reader, and the engine reconciles them.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import lxml.html
import pytest
from reconcile_data import (
    CINDERS_ISWC,
    FERRY_ISWC,
    GEMA,
    HOLLOWAY_IPI,
    NORTHBANK_IPI,
    OKAFOR_IPI,
    PRS,
    SACEM,
    registry_of,
)

from gateway.codes import society
from gateway.formats.csv import read_statement_csv
from gateway.reconcile.claims import (
    CLAIM_COLUMNS,
    claims_by_society,
    spreadsheet_cell,
    write_claims,
)
from gateway.reconcile.engine import ReconcileOptions, Reconciler
from gateway.reconcile.fx import Rate, RateTable
from gateway.reconcile.money import money, sum_money
from gateway.reconcile.remittance import Remittance
from gateway.reconcile.result import Discrepancy, Reconciliation
from gateway.reports.reconciliation import (
    CSV_COLUMNS,
    render_reconciliation_csv,
    render_reconciliation_html,
)

HOSTILE_TITLE = "<script>alert('x')</script> & SONS"
FORMULA_PARTY = '=HYPERLINK("http://evil.example","CLICK")'
COLUMNS = (
    "distribution_id,sender_society,recipient_society,period_start,period_end,right_type,"
    "currency,line_number,work_title,iswc,sender_work_id,submitter_work_id,ip_name,"
    "ip_ipi_name_number,ip_role,share,territory,use_type,gross_amount,deductions,net_amount"
)

# (title, iswc, party, ipi, role, share, territory, use, net) of the lines paying our works.
FERRY_HOLLOWAY = ("MIDNIGHT FERRY", FERRY_ISWC, "HOLLOWAY JAMES", HOLLOWAY_IPI, "CA")
FERRY_NORTHBANK = ("MIDNIGHT FERRY", FERRY_ISWC, "NORTHBANK MUSIC LTD", NORTHBANK_IPI, "E")
CINDERS_OKAFOR = ("SALT AND CINDERS", CINDERS_ISWC, "OKAFOR ADAEZE", OKAFOR_IPI, "CA")
UNKNOWN = (HOSTILE_TITLE, "", "PRICE EVELYN", "", "C")
STRANGER = ("SALT AND CINDERS", CINDERS_ISWC, FORMULA_PARTY, "", "CA")


def statement(
    distribution: str,
    sender: str,
    lines: list[tuple[tuple[str, str, str, str, str], str, str, str, str]],
    *,
    period: tuple[str, str] = ("2025-01-01", "2025-06-30"),
    currency: str = "EUR",
) -> str:
    """A CSV statement from ``sender`` to PRS: each line is (party, share, territory, use, net)."""
    rows = [COLUMNS]
    for number, (party, share, territory, use, net) in enumerate(lines, start=1):
        title, iswc, name, ipi, role = party
        cells = [distribution, sender, PRS, *period, "PER", currency, str(number), title, iswc,
                 "", "", name, ipi, role, share, territory, use, net, "0.00", net]  # fmt: skip
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(cells)
        rows.append(out.getvalue())
    return "\r\n".join(rows) + "\r\n"


def reconcile(
    *statements: str,
    remittance: Remittance | None = None,
    rates: RateTable | None = None,
    home: str | None = None,
) -> Reconciliation:
    reconciler = Reconciler(registry_of(), rates=rates, options=ReconcileOptions(home=home))
    for text in statements:
        reconciler.add_statement(read_statement_csv(io.BytesIO(text.encode()), source="s.csv"))
    return reconciler.result(remittance)


GEMA_H1 = statement(
    "GEMA-2025H1",
    GEMA,
    [
        (FERRY_HOLLOWAY, "50.00", "0276", "PerformInPublic", "100.00"),
        (FERRY_NORTHBANK, "25.00", "0276", "PerformInPublic", "50.00"),  # underpaid 50.00
        (UNKNOWN, "50.00", "0276", "Broadcast", "30.00"),  # unmatched: a query
        (CINDERS_OKAFOR, "100.00", "0276", "Broadcast", "40.00"),
        (STRANGER, "100.00", "0276", "Broadcast", "12.34"),  # unregistered party: a query
        (FERRY_HOLLOWAY, "50.00", "0250", "PerformInPublic", "60.00"),  # NORTHBANK missing
        (FERRY_HOLLOWAY, "50.00", "0276", "Radio", "-10.01"),
        (FERRY_HOLLOWAY, "50.00", "0276", "Radio", "-10.01"),  # a reversal twice: underpaid
    ],
)
GEMA_H2 = statement(
    "GEMA-2024H2",
    GEMA,
    [(CINDERS_OKAFOR, "100.00", "0276", "Broadcast", "20.00")],
    period=("2024-07-01", "2024-12-31"),
)
SACEM_H1 = statement(
    "SACEM-2025H1",
    SACEM,
    [
        (FERRY_HOLLOWAY, "75.00", "0250", "PerformInPublic", "75.00"),  # overpaid 25.00
        (FERRY_NORTHBANK, "50.00", "0250", "PerformInPublic", "50.00"),
    ],
)


@pytest.fixture(scope="module")
def result() -> Reconciliation:
    return reconcile(GEMA_H1, GEMA_H2, SACEM_H1)


def kinds(result: Reconciliation) -> Counter[str]:
    return Counter(item.kind for item in result.discrepancies)


def test_the_scenario_finds_one_of_each_kind_a_statement_can_show(result: Reconciliation) -> None:
    """The engine's findings the tests below rely on (the renderings add nothing to them)."""
    assert kinds(result) == {
        "underpaid_share": 1,
        "unmatched_line": 1,
        "unregistered_party": 1,
        "missing_party": 1,
        "duplicate_line": 1,
        "overpaid_share": 1,
    }
    assert {d.direction for d in result.discrepancies if d.sender_society == SACEM} == {"overpaid"}


# -- CSV -----------------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_discrepancy_with_exact_amounts(result: Reconciliation) -> None:
    """Parsed back, the CSV's rows are the discrepancies, cell for cell, in their order."""
    rows = list(csv.reader(io.StringIO(render_reconciliation_csv(result), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + len(result.discrepancies)
    for row, item in zip(rows[1:], result.discrepancies, strict=True):
        cells = dict(zip(CSV_COLUMNS, row, strict=True))
        assert cells["kind"] == item.kind
        assert cells["direction"] == item.direction
        assert cells["distribution_id"] == item.distribution_id
        assert cells["sender_society"] == item.sender_society
        assert cells["lines"] == ";".join(map(str, item.lines))
        assert cells["work"] == item.work
        assert cells["title"] == spreadsheet_cell(item.title)
        assert cells["party"] == spreadsheet_cell(item.party)
        assert cells["amount"] == str(item.amount.amount)
        assert cells["currency"] == item.amount.currency
        assert cells["amount_home"] == str(item.amount_home.amount)
        assert cells["message"] == spreadsheet_cell(item.message)
        assert cells["evidence"] == "; ".join(f"{k}={v}" for k, v in item.evidence)
        assert (cells["rate"], cells["rate_date"], cells["rate_source"]) == ("", "", "")
    amounts = {row[0]: row[8] for row in rows[1:]}
    assert amounts["underpaid_share"] == "50.00"
    assert amounts["duplicate_line"] == "10.01"


def test_the_csv_is_rfc_4180_with_crlf_and_quoted_commas(result: Reconciliation) -> None:
    """Rows end in CRLF; a cell with quotes and commas is quoted, its quotes doubled."""
    text = render_reconciliation_csv(result)
    assert text.endswith("\r\n")
    assert text.count("\r\n") == 1 + len(result.discrepancies)
    assert ',"\'=HYPERLINK(""http://evil.example"",""CLICK"") is not a party of work' in text


def test_a_cell_a_spreadsheet_would_run_is_kept_as_text(result: Reconciliation) -> None:
    """A party like =HYPERLINK(...) gets a leading apostrophe; the amounts never do."""
    assert spreadsheet_cell("=1+2") == "'=1+2"
    assert spreadsheet_cell("+44 20") == "'+44 20"
    assert spreadsheet_cell("-x") == "'-x"
    assert spreadsheet_cell("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_cell("\t=1") == "'\t=1"
    assert spreadsheet_cell("SALT = PEPPER") == "SALT = PEPPER"
    rows = list(csv.DictReader(io.StringIO(render_reconciliation_csv(result), newline="")))
    stranger = next(row for row in rows if row["kind"] == "unregistered_party")
    assert stranger["party"] == "'" + FORMULA_PARTY
    assert stranger["amount"] == "12.34"
    assert all(not row[name].startswith("'") for row in rows for name in ("amount", "rate"))


def test_the_csv_of_a_conversion_names_the_rate() -> None:
    """A discrepancy converted to the home currency carries its rate, date and source."""
    gbp = statement(
        "PRS-GBP", GEMA, [(FERRY_NORTHBANK, "25.00", "0276", "PerformInPublic", "10.00")],
        currency="GBP",
    )  # fmt: skip
    rates = RateTable([Rate(date(2025, 6, 30), "GBP", "EUR", Decimal("1.1700"), "ECB")])
    converted = reconcile(gbp, rates=rates, home="EUR")
    rows = csv.DictReader(io.StringIO(render_reconciliation_csv(converted), newline=""))
    row = next(row for row in rows if row["kind"] == "underpaid_share")
    assert (row["amount"], row["currency"]) == ("10.00", "GBP")
    assert (row["amount_home"], row["home_currency"]) == ("11.70", "EUR")
    assert (row["rate"], row["rate_date"], row["rate_source"]) == ("1.1700", "2025-06-30", "ECB")


# -- HTML ----------------------------------------------------------------------------------------


def page(result: Reconciliation, **options: int) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(render_reconciliation_html(result, **options))


def text_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def test_the_page_shows_the_totals_and_the_status_first(result: Reconciliation) -> None:
    """Paid, matched, suspense, expected and difference in EUR, and the status badge."""
    doc = page(result)
    totals = result.totals_home
    shown = {
        key: text_of(doc.get_element_by_id(f"total-{key}")).split(" ")[0]
        for key in ("paid", "matched", "suspense", "expected", "difference")
    }
    assert shown == {
        "paid": f"{totals.paid.amount:,f}",
        "matched": f"{totals.matched.amount:,f}",
        "suspense": f"{totals.suspense.amount:,f}",
        "expected": f"{totals.expected.amount:,f}",
        "difference": f"{totals.difference.amount:,f}",
    }
    assert shown["paid"] == "417.32"  # 100 + 50 + 30 + 40 + 12.34 + 60 - 20.02 + 20 + 75 + 50
    assert shown["difference"] == "82.67"
    assert "EUR" in text_of(doc.get_element_by_id("total-paid"))
    assert text_of(doc.get_element_by_id("status")) == "Not reconciled"


def test_the_page_lists_every_discrepancy_with_its_message(result: Reconciliation) -> None:
    """The full table has a row per discrepancy, its message and amounts, in order."""
    doc = page(result)
    rows = doc.xpath('//table[@id="all"]/tbody/tr')
    assert len(rows) == len(result.discrepancies)
    for row, item in zip(rows, result.discrepancies, strict=True):
        cells = [text_of(cell) for cell in row.xpath("./td")]
        assert cells[0] == item.kind
        assert cells[8] == " ".join(item.message.split())
        assert cells[6] == f"{item.amount.amount:,f} {item.amount.currency}"
    assert not doc.xpath('//*[@id="more"]')


def test_the_kinds_table_counts_and_sums_each_kind(result: Reconciliation) -> None:
    """Every kind has its count and its home amount; the direction rows sum them."""
    doc = page(result)
    for kind, count in result.counts().items():
        row = doc.xpath(f'//tr[@data-kind="{kind}"]')[0]
        cells = [text_of(cell) for cell in row.xpath("./td")]
        total = sum_money((d.amount_home for d in result.discrepancies if d.kind == kind), "EUR")
        assert cells[2:] == [str(count), f"{total.amount:,f} EUR"]
    underpaid = doc.xpath('//tr[@data-direction="underpaid"]/td')
    assert text_of(underpaid[-1]) == "120.01 EUR"  # 50.00 share + 60.00 missing + 10.01 twice


def test_the_society_chart_has_a_pair_of_bars_per_society_and_period(
    result: Reconciliation,
) -> None:
    """One group per (sender, period), labelled with the society's name, scaled to the largest."""
    doc = page(result)
    groups = doc.xpath('//svg[@id="chart-societies"]/g[@class="group"]')
    keys = [(g.get("data-society"), g.get("data-period")) for g in groups]
    assert keys == [
        (GEMA, "2024-07-01 \u2013 2024-12-31"),
        (GEMA, "2025-01-01 \u2013 2025-06-30"),
        (SACEM, "2025-01-01 \u2013 2025-06-30"),
    ]
    for group in groups:
        assert len(group.xpath('./rect[contains(@class, "paid")]')) == 1
        assert len(group.xpath('./rect[contains(@class, "expected")]')) == 1
    names = {code: known.name for code in (GEMA, SACEM) if (known := society(code)) is not None}
    labels = [text_of(g.xpath("./text")[0]) for g in groups]
    assert labels == [f"{names[GEMA]} (035)", f"{names[GEMA]} (035)", f"{names[SACEM]} (058)"]
    assert [text_of(g.xpath("./text")[1]) for g in groups] == [period for _, period in keys]
    gema_h1 = groups[1]
    paid = gema_h1.xpath('./rect[contains(@class, "paid")]')[0]
    expected = gema_h1.xpath('./rect[contains(@class, "expected")]')[0]
    # 349.99 EUR expected (100 + 100 + 40 + 60 + 60 missing - 10.01) is the largest figure.
    assert expected.get("width") == "420.0"
    assert paid.get("width") == "326.8"  # 272.32 / 349.99 of it
    assert "paid 272.32 EUR" in text_of(paid)
    assert "expected 349.99 · difference 107.67" in text_of(gema_h1)


def test_the_top_chart_draws_the_largest_discrepancies_largest_first(
    result: Reconciliation,
) -> None:
    """Up to ten bars, by home amount, the largest full width."""
    doc = page(result)
    bars = doc.xpath('//svg[@id="chart-top"]//rect')
    at_stake = sorted((d.amount_home.amount for d in result.discrepancies), reverse=True)
    assert len(bars) == min(10, len([a for a in at_stake if a]))
    assert bars[0].get("width") == "420.0"
    assert [Decimal(b.get("width")) for b in bars] == sorted(
        (Decimal(b.get("width")) for b in bars), reverse=True
    )


def test_hostile_text_from_a_statement_is_escaped(result: Reconciliation) -> None:
    """A title holding <script> is shown as text and runs nowhere; the page has no script."""
    html = render_reconciliation_html(result)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; SONS" in html
    doc = lxml.html.fromstring(html)
    assert not doc.xpath("//script")
    assert HOSTILE_TITLE in text_of(doc.get_element_by_id("all"))
    assert not doc.xpath("//*[@src or @href]")  # nothing is loaded from anywhere
    strict = ET.fromstring(html)  # noqa: S314 - our own output, parsed to prove it well-formed
    assert strict.tag == "html"


def test_a_clean_reconciliation_renders_as_reconciled() -> None:
    """No discrepancies: the badge says so, the tables say none, the charts still draw."""
    clean = reconcile(
        statement("CLEAN", GEMA, [(CINDERS_OKAFOR, "100.00", "0276", "Broadcast", "40.00")])
    )
    assert clean.reconciled
    doc = page(clean)
    assert text_of(doc.get_element_by_id("status")) == "Reconciled"
    assert "No discrepancy was found." in text_of(doc.get_element_by_id("discrepancies"))
    assert "No discrepancy puts any money at stake." in text_of(doc.get_element_by_id("top"))
    assert len(doc.xpath('//svg[@id="chart-societies"]/g[@class="group"]')) == 1
    assert not doc.xpath('//table[@id="all"]')


def test_a_large_reconciliation_shows_the_first_rows_and_says_how_many_more() -> None:
    """10,000 discrepancies: the table stops at 5,000 and the note counts the rest."""
    many = [(UNKNOWN, "50.00", "0276", "Broadcast", f"{n}.00") for n in range(1, 10_001)]
    large = reconcile(statement("BIG", GEMA, many))
    assert len(large.discrepancies) == 10_000
    doc = page(large)
    assert len(doc.xpath('//table[@id="all"]/tbody/tr')) == 5_000
    note = text_of(doc.get_element_by_id("more"))
    assert "first 5,000 of 10,000" in note
    assert "5,000 more are in the JSON and CSV" in note
    assert len(doc.xpath('//svg[@id="chart-top"]//rect')) == 10
    assert render_reconciliation_csv(large).count("\r\n") == 10_001


def test_the_remittance_section_shows_the_money_and_the_rates() -> None:
    """Received, charges, expected and difference, with each rate's date and source."""
    gbp = statement(
        "PRS-GBP", GEMA, [(CINDERS_OKAFOR, "100.00", "0276", "Broadcast", "1000.00")],
        currency="GBP",
    )  # fmt: skip
    rates = RateTable([Rate(date(2025, 7, 1), "GBP", "EUR", Decimal("1.1700"), "ECB")])
    paid = Remittance(
        money("1150.00", "EUR"), on=date(2025, 7, 2), bank_charges=money("2.00", "EUR")
    )
    converted = reconcile(gbp, rates=rates, home="EUR", remittance=paid)
    assert kinds(converted) == {"fx_inconsistent": 1}
    text = text_of(page(converted).get_element_by_id("remittance"))
    for shown in ("1,150.00 EUR", "2.00 EUR", "1,170.00 EUR", "18.00 EUR", "2025-07-02"):
        assert shown in text
    assert "1 GBP = 1.1700 EUR on 2025-07-01, ECB" in text


# -- claims --------------------------------------------------------------------------------------


def claim_rows(text: str) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == CLAIM_COLUMNS
    return [dict(zip(CLAIM_COLUMNS, row, strict=True)) for row in rows[1:]]


def facts(item: Discrepancy) -> tuple[str, str, str, str]:
    lines = ";".join(map(str, item.lines))
    return item.kind, lines, str(item.amount.amount), spreadsheet_cell(item.message)


def test_claims_hold_the_underpaid_findings_and_total_to_the_cent(
    result: Reconciliation,
) -> None:
    """GEMA's file: a claim per underpaid finding, a query per unallocated one, and totals."""
    files = claims_by_society(result)
    assert list(files) == [GEMA]  # SACEM only overpaid: nothing to claim or query
    rows = claim_rows(files[GEMA])
    claims = [r for r in rows if r["type"] == "claim"]
    queries = [r for r in rows if r["type"] == "query"]
    totals = [r for r in rows if r["type"] == "total"]
    assert len(rows) == len(claims) + len(queries) + len(totals)
    assert rows[: len(claims)] == claims  # claims first, then queries, then totals
    assert rows[-len(totals) :] == totals
    mine = [d for d in result.discrepancies if d.sender_society == GEMA]
    expected_claims = [facts(d) for d in mine if d.direction == "underpaid"]
    expected_queries = [facts(d) for d in mine if d.direction == "unallocated"]
    assert [(r["kind"], r["lines"], r["amount"], r["reason"]) for r in claims] == expected_claims
    assert [(r["kind"], r["lines"], r["amount"], r["reason"]) for r in queries] == expected_queries
    assert {r["kind"] for r in claims} == {"underpaid_share", "missing_party", "duplicate_line"}
    assert {r["kind"] for r in queries} == {"unmatched_line", "unregistered_party"}
    claimed = [t for t in totals if t["kind"] == "claim"]
    queried = [t for t in totals if t["kind"] == "query"]
    assert [(t["amount"], t["currency"], t["amount_home"]) for t in claimed] == [
        ("120.01", "EUR", "120.01")
    ]
    assert sum(Decimal(r["amount"]) for r in claims) == Decimal(claimed[0]["amount"])
    assert [t["amount"] for t in queried] == ["42.34"]


def test_each_claim_says_where_when_and_for_what(result: Reconciliation) -> None:
    """Claim numbers, period, right, work, territory and use come with each row."""
    rows = claim_rows(claims_by_society(result)[GEMA])
    numbers = [r["claim_number"] for r in rows if r["type"] != "total"]
    assert numbers == [
        f"{GEMA}-GEMA-2025H1-{n:04d}" for n in range(1, len(numbers) + 1)
    ]  # all from one statement
    missing = next(r for r in rows if r["kind"] == "missing_party")
    assert missing["period"] == "2025-01-01..2025-06-30"
    assert missing["right_type"] == "PER"
    assert (missing["work"], missing["title"], missing["party"]) == (
        "NBM000214", "MIDNIGHT FERRY", "NORTHBANK MUSIC LTD",
    )  # fmt: skip
    assert (missing["territory"], missing["use_type"]) == ("0250", "PerformInPublic")
    assert (missing["amount"], missing["currency"], missing["home_currency"]) == (
        "60.00", "EUR", "EUR",
    )  # fmt: skip
    stranger = next(r for r in rows if r["kind"] == "unregistered_party")
    assert stranger["party"] == "'" + FORMULA_PARTY  # the formula guard holds here too
    assert claims_by_society(result) == claims_by_society(result)


def test_a_remittance_short_is_claimed_from_its_one_society() -> None:
    """Money received short on one society's statement is a remittance claim in its file."""
    paid = Remittance(money("15.00", "EUR"), on=date(2025, 7, 2), bank_charges=money("1.50", "EUR"))
    short = reconcile(GEMA_H2, remittance=paid)
    rows = claim_rows(claims_by_society(short)[GEMA])
    assert [(r["type"], r["kind"], r["amount"]) for r in rows] == [
        ("claim", "remittance_mismatch", "3.50"),  # 20.00 paid, 15.00 + 1.50 received
        ("total", "claim", "3.50"),
    ]
    over = Remittance(money("30.00", "EUR"), on=date(2025, 7, 2))
    assert claims_by_society(reconcile(GEMA_H2, remittance=over)) == {}  # overpaid: no claim


def test_a_remittance_over_several_societies_is_a_query_with_each() -> None:
    """Nobody can be sent the whole of a shortfall two societies' statements share."""
    paid = Remittance(money("100.00", "EUR"), on=date(2025, 7, 2))
    shared = reconcile(GEMA_H2, SACEM_H1, remittance=paid)
    files = claims_by_society(shared)
    assert list(files) == [GEMA, SACEM]
    for code in (GEMA, SACEM):
        rows = [r for r in claim_rows(files[code]) if r["kind"] == "remittance_mismatch"]
        assert [(r["type"], r["amount"]) for r in rows] == [("query", "45.00")]


def test_write_claims_writes_one_file_per_society_atomically(
    result: Reconciliation, tmp_path: Path
) -> None:
    """The directory is made, each file holds its text, and no temporary file is left."""
    target = tmp_path / "out" / "claims"
    paths = write_claims(result, target)
    assert paths == [target / f"claims-{GEMA}.csv"]
    assert paths[0].read_bytes().decode() == claims_by_society(result)[GEMA]
    assert sorted(p.name for p in target.iterdir()) == [f"claims-{GEMA}.csv"]
    again = write_claims(result, target)  # a rerun replaces the file whole
    assert again == paths
    assert sorted(p.name for p in target.iterdir()) == [f"claims-{GEMA}.csv"]


def test_unreadable_lines_are_counted_and_the_first_shown() -> None:
    """A statement's unreadable lines: the count, and each issue with its line and column."""
    good = (CINDERS_OKAFOR, "100.00", "0276", "Broadcast", "40.00")
    bad = (CINDERS_OKAFOR, "100.00", "0276", "Broadcast", "1,234.50")
    broken = reconcile(statement("BROKEN", GEMA, [good, *[bad] * 12]))
    assert not broken.discrepancies
    assert broken.statements[0].issue_count >= 12  # gross and net of each bad line
    doc = page(broken)
    assert text_of(doc.get_element_by_id("status")) == "Not reconciled"
    section = doc.get_element_by_id("statements")
    items = section.xpath('.//ul[@class="issues"]/li')
    assert len(items) == 10
    assert text_of(items[0]).startswith("line 3, column 19, gross_amount: '1,234.50' is not")
    more = broken.statements[0].issue_count - 10
    assert f"{more:,} more are in the JSON report." in text_of(section)
