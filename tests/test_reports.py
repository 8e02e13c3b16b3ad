"""Tests of gateway.reports: the plain-text and HTML renderings of a hand-built report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from gateway.model import Issue
from gateway.reports import render_html, render_text
from gateway.validation.report import (
    ACCEPTED,
    REJECTED,
    Report,
    TransactionLog,
    TransactionSummary,
)

HOSTILE_TITLE = "MY <script>alert(1)</script> SONG"
HDR = "HDRPB123456789ACME MUSIC <b>&amp;</b>"
# A made-up NWR layout: title 20-79, submitter work number 80-93, ISWC 94-104.
NWR = "NWR0000000000000000" + HOSTILE_TITLE.ljust(60) + "SW0001".ljust(14) + "T1234567890"
NWR2 = "NWR0000000100000000" + "SECOND SONG".ljust(60) + "SW0002".ljust(14)
ISWC_COLUMN, ISWC_WIDTH = 94, 11

VOID = {"meta", "input", "br", "hr", "img", "link", "col", "wbr", "source", "area", "base"}


def _report() -> Report:
    report = Report(
        source="/inbox/CW250001ABC_000.V21",
        version="2.1",
        sender="PB 123456789",
        header={"sender_name": "ACME MUSIC"},
        records=8,
        groups=1,
    )
    report.messages += [
        Issue(
            edit="HDR F 003",
            level="F",
            rejection="FR",
            record_type="HDR",
            text="Sender name <not> valid",
            line=1,
            field="sender_name",
            column=15,
            width=10,
            value="ACME MUSIC",
        ),
        Issue(
            edit="NWR F 018",
            level="F",
            rejection="FR",
            record_type="NWR",
            text="ISWC check digit is wrong",
            line=3,
            group=1,
            transaction=0,
            field="iswc",
            column=ISWC_COLUMN,
            width=ISWC_WIDTH,
            value="T1234567890",
        ),
        Issue(
            edit="NWR T 011",
            level="T",
            rejection="TR",
            record_type="NWR",
            text="Ownership shares do not add up to 100 %",
            line=5,
            group=1,
            transaction=1,
            value="90.00 % \x1b[31mred",
        ),
    ]
    report.lines = {1: HDR, 3: NWR, 5: NWR2}
    report.add_transaction(
        TransactionSummary(
            group=1,
            sequence=0,
            type="NWR",
            submitter_work_id="SW0001",
            title=HOSTILE_TITLE,
            status=ACCEPTED,
            messages=(1,),
            line=3,
        )
    )
    report.add_transaction(
        TransactionSummary(
            group=1,
            sequence=1,
            type="NWR",
            submitter_work_id="SW0002",
            title="SECOND SONG",
            status=REJECTED,
            messages=(2,),
            line=5,
        )
    )
    return report


def _many(count: int, spill_after: int = 50_000) -> Report:
    report = Report(source="big.V21", version="2.1", groups=1)
    report.transactions = TransactionLog(spill_after=spill_after)
    for sequence in range(count):
        report.add_transaction(
            TransactionSummary(
                group=1,
                sequence=sequence,
                type="NWR",
                submitter_work_id=f"W{sequence}",
                title=f"SONG {sequence}",
                status=ACCEPTED,
                messages=(),
                line=sequence + 3,
            )
        )
    return report


class _Checker(HTMLParser):
    """Fails on any end tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002 - HTMLParser's signature
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        assert self.open, f"</{tag}> with nothing open"
        assert self.open.pop() == tag, f"</{tag}> closes the wrong element"


def _tree(page: str) -> ET.Element:
    return ET.fromstring(page)  # noqa: S314 - our own output, parsed to prove it is well-formed


def _text(element: ET.Element) -> str:
    return "".join(element.itertext())


def test_text_report_has_status_counts_and_every_code() -> None:
    """The text report states the file's status, its counts and every message's code."""
    text = render_text(_report())
    assert "PARTIALLY ACCEPTED" in text
    assert "transactions 2" in text
    assert "rejected 1" in text
    for code in ("HDR F 003", "NWR F 018", "NWR T 011"):
        assert code in text


def test_text_report_lists_envelope_messages_first_then_transactions() -> None:
    """File-level messages come before transaction headings, each message on its own line."""
    text = render_text(_report())
    assert (
        text.index("HDR F 003")
        < text.index("Group 1 \u00b7 transaction 0")
        < text.index("NWR F 018")
    )
    line = next(row for row in text.splitlines() if "NWR F 018" in row)
    assert line.split() == [
        "line", "3", "NWR", "iswc", "[NWR", "F", "018", "F/FR]",
        "ISWC", "check", "digit", "is", "wrong", "(T1234567890)",
    ]  # fmt: skip


def test_text_report_neutralises_terminal_escapes() -> None:
    """An escape character from the file is shown as a picture, never sent to the terminal."""
    text = render_text(_report())
    assert "\x1b" not in text
    assert "\u241b[31mred" in text


def test_html_is_consumed_by_html_parser_with_balanced_tags() -> None:
    """The page parses with html.parser and every element it opens is closed in order."""
    checker = _Checker()
    checker.feed(render_html(_report()))
    checker.close()
    assert checker.open == []


def test_html_is_well_formed_xml() -> None:
    """The page is well-formed XML, so strict tools can read it too."""
    root = _tree(render_html(_report()))
    assert root.tag == "html"


def test_mark_wraps_exactly_the_offending_field() -> None:
    """A message with a column and width marks exactly that field's characters in its record."""
    root = _tree(render_html(_report()))
    field = NWR[ISWC_COLUMN - 1 : ISWC_COLUMN - 1 + ISWC_WIDTH]
    marks = [m.text for m in root.iter("mark")]
    assert field in marks
    caret = next(c for c in root.iter("span") if c.get("class") == "caret" and "94" in _text(c))
    assert _text(caret).strip().startswith("^" * ISWC_WIDTH + "  columns 94\u2013104")


def test_mark_sits_under_the_right_ruler_column() -> None:
    """In a window of a long record, the mark, caret and ruler agree on the field's columns."""
    root = _tree(render_html(_report(), record_window=50))
    pre = next(p for p in root.iter("pre") if "T1234567890" in _text(p))
    numbers, ticks, record, caret = _text(pre).split("\n")
    first = caret.index("^")
    assert record[first : first + ISWC_WIDTH] == "T1234567890"
    to_100 = first + 100 - ISWC_COLUMN  # where column 100 is drawn
    assert ticks[to_100] == "|"
    assert numbers[to_100 - 2 : to_100 + 1] == "100"
    assert record == NWR[len(NWR) - 50 :]
    assert any(_text(p) == "Columns 55\u2013104 of 104" for p in root.iter("p"))


def test_short_record_marks_where_the_field_would_be() -> None:
    """A field past the end of a short record is still marked, as blanks of its width."""
    report = _report()
    report.lines[5] = "NWR00000001"
    report.messages[2] = Issue(
        edit="NWR F 001",
        level="F",
        rejection="FR",
        record_type="NWR",
        text="missing",
        line=5,
        column=20,
        width=5,
    )
    marks = [m.text for m in _tree(render_html(report)).iter("mark")]
    assert " " * 5 in marks


def test_html_escapes_hostile_record_text_and_title() -> None:
    """A script in a title and in a record's text comes out as text, never as a tag."""
    page = render_html(_report())
    assert page.count("<script") == 1  # the page's own filter script
    assert "MUSIC <b>" not in page
    assert "</mark> &lt;b&gt;&amp;amp;&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    cells = [_text(td) for td in _tree(page).iter("td")]
    assert HOSTILE_TITLE in cells
    assert any(HOSTILE_TITLE in _text(pre) for pre in _tree(page).iter("pre"))


def test_html_shows_the_big_status_badge() -> None:
    """The header carries the file's status as a large badge with the status's colour."""
    root = _tree(render_html(_report()))
    badge = next(s for s in root.iter("span") if "big" in (s.get("class") or ""))
    assert badge.text == "partially accepted"
    assert "warn" in (badge.get("class") or "")


def test_html_explains_rejection_codes_in_words() -> None:
    """Each message's rejection code comes with what it means."""
    root = _tree(render_html(_report()))
    rejections = {_text(s) for s in root.iter("span") if s.get("class") == "rej"}
    assert rejections == {"FR \u00b7 field replaced by default", "TR \u00b7 transaction rejected"}


def test_envelope_messages_come_before_the_transaction_table() -> None:
    """File- and group-level messages are in their own section above the table."""
    page = render_html(_report())
    assert page.index('id="envelope"') < page.index("HDR F 003") < page.index('id="tx"')
    assert page.index('id="tx"') < page.index("NWR F 018")


@pytest.mark.parametrize(("count", "capped"), [(10, False), (11, True)])
def test_transaction_table_is_capped(count: int, capped: bool) -> None:
    """The table holds at most max_rows transactions and says when it leaves some out."""
    report = _many(count)
    root = _tree(render_html(report, max_rows=10))
    table = next(t for t in root.iter("table") if t.get("id") == "tx")
    rows = table.findall("./tbody/tr")
    assert len(rows) == 10
    notes = [_text(p) for p in root.iter("p") if p.get("class") == "note"]
    assert any(f"first 10 of {count}" in n for n in notes) is capped


def test_detailed_messages_are_capped() -> None:
    """Past max_detailed transactions with messages, the rest are counted, not shown."""
    report = _report()
    root = _tree(render_html(report, max_detailed=1))
    sections = [s.get("id") for s in root.iter("section") if s.get("class") == "tx"]
    assert sections == ["t-1-0"]
    assert any("1 more" in _text(p) for p in root.iter("p"))


def test_record_not_kept_is_said_so() -> None:
    """A message whose record text the report did not keep says so instead of a block."""
    report = _report()
    del report.lines[5]
    page = render_html(report)
    assert "text is not kept" in page


def test_rendering_a_spilled_log_leaves_it_whole() -> None:
    """A transaction log spilled to disk renders, and still takes and yields every transaction."""
    report = _many(6, spill_after=2)
    try:
        root = _tree(render_html(report, max_rows=3))
        assert (
            len(next(t for t in root.iter("table") if t.get("id") == "tx").findall("./tbody/tr"))
            == 3
        )
        assert "transactions 6" in render_text(report)
        report.add_transaction(next(iter(_many(1).transactions)))
        assert [t.sequence for t in report.transactions] == [0, 1, 2, 3, 4, 5, 0]
    finally:
        report.transactions.close()
