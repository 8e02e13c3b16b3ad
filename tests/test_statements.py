"""Distribution statements: the CSV and XML readers, the writers, and what bad input gets."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.codes import lookup
from gateway.formats.csv import CsvLimits, read_statement_csv, write_statement_csv
from gateway.formats.csv import statement as reader
from gateway.formats.csv.statement import REQUIRED_COLUMNS
from gateway.formats.xml.distribution import read_statement_xml, write_statement_xml
from gateway.formats.xml.schemas import lxml_schema
from gateway.formats.xml.secure import XmlLimits, secure_parser
from gateway.identifiers import (
    ipi_base_number_check_digit,
    ipi_name_number_check_digits,
    iswc_check_digit,
)
from gateway.model import (
    DEDUCTION_TYPES,
    StatementHeader,
    StatementIssue,
    StatementLine,
    StatementRefused,
    StatementTotals,
    sum_totals,
    typed_deductions,
)

CSV_EXAMPLE = FIXTURES / "statements" / "distribution-example.csv"
XML_EXAMPLE = FIXTURES / "xml" / "distribution-example.xml"
NOW = datetime(2026, 3, 16, 13, 20, tzinfo=UTC)


def _split(items: list[object]) -> tuple[list[StatementHeader], list[StatementLine], list[object]]:
    headers = [i for i in items if isinstance(i, StatementHeader)]
    lines = [i for i in items if isinstance(i, StatementLine)]
    others = [i for i in items if not isinstance(i, (StatementHeader, StatementLine))]
    return headers, lines, others


def _read_csv(data: bytes | str, **kwargs: object) -> list[object]:
    stream = io.BytesIO(data) if isinstance(data, bytes) else io.StringIO(data, newline="")
    return list(read_statement_csv(stream, **kwargs))  # type: ignore[arg-type]  # limits only


def _read_xml(data: bytes, **kwargs: object) -> list[object]:
    return list(read_statement_xml(io.BytesIO(data), **kwargs))  # type: ignore[arg-type]  # limits only


def _statement(items: list[object]) -> tuple[StatementHeader, list[StatementLine]]:
    headers, lines, _ = _split(items)
    assert len(headers) == 1
    return headers[0], lines


def _issues(items: list[object]) -> list[StatementIssue]:
    return [i for i in items if isinstance(i, StatementIssue)]


def _example_rows() -> list[list[str]]:
    with CSV_EXAMPLE.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _schema_valid(data: bytes) -> bool:
    return bool(
        lxml_schema("distribution").validate(etree.parse(io.BytesIO(data), secure_parser()))
    )


# --- the examples ------------------------------------------------------------------------------


def test_csv_and_xml_examples_give_the_same_statement() -> None:
    """The CSV fixture and the XML fixture read to the same header facts and the same lines."""
    csv_headers, csv_lines, csv_rest = _split(_read_csv(CSV_EXAMPLE.read_bytes()))
    xml_headers, xml_lines, xml_rest = _split(_read_xml(XML_EXAMPLE.read_bytes()))
    assert len(csv_lines) == 6
    assert csv_lines == xml_lines
    assert csv_rest == []
    assert [type(i) for i in xml_rest] == [StatementTotals]
    assert [replace(h, created=None, format_version="") for h in csv_headers] == [
        replace(h, created=None, format_version="") for h in xml_headers
    ]
    assert xml_rest[0] == sum_totals(xml_lines)


def test_example_values_read_as_the_model_holds_them() -> None:
    """Shares become hundredths, amounts exact decimals, line periods and ISRC lists kept."""
    header, *lines, totals = _read_xml(XML_EXAMPLE.read_bytes())
    assert isinstance(header, StatementHeader)
    assert (header.sender_society, header.recipient_society, header.currency) == (
        "035",
        "052",
        "EUR",
    )
    assert header.created == datetime(2026, 3, 16, 13, 20, tzinfo=UTC)
    fifth = lines[4]
    assert isinstance(fifth, StatementLine)
    assert fifth.share == 3333
    assert (fifth.period_start, fifth.period_end) == (date(2025, 3, 1), date(2025, 3, 31))
    assert fifth.deductions == Decimal("90.20")
    assert isinstance(lines[3], StatementLine)
    assert lines[3].isrcs == ("GBAYE2500123", "GBUM72504418")
    assert isinstance(totals, StatementTotals)
    assert totals.line_count == 6
    assert totals.deduction_items == (
        ("AdministrationFee", Decimal("443.83")),
        ("SocialCultural", Decimal("369.87")),
    )


def test_lines_carry_where_they_were_read() -> None:
    """CSV lines know their file line and XML lines the line of their Line element."""
    _, csv_lines, _ = _split(_read_csv(CSV_EXAMPLE.read_bytes()))
    _, xml_lines, _ = _split(_read_xml(XML_EXAMPLE.read_bytes()))
    assert [line.source_line for line in csv_lines] == [2, 3, 4, 5, 6, 7]
    text = XML_EXAMPLE.read_text().splitlines()
    assert all(text[(line.source_line or 0) - 1].strip() == "<Line>" for line in xml_lines)


# --- CSV: every kind of bad value, located -----------------------------------------------------

BAD_CSV_VALUES = [
    ("share", "101.00", "more than 100.00 %"),
    ("share", "50.001", "percentage with up to two decimals"),
    ("iswc", "T0713498249", "not a valid ISWC"),
    ("ip_ipi_name_number", "00284756132", "not a valid IPI name number"),
    ("territory", "9999", "not a known TIS territory"),
    ("sender_society", "999", "not a known CISAC society"),
    ("period_start", "2025-13-01", "not a calendar date"),
    ("period_end", "30.06.2025", "YYYY-MM-DD"),
    ("right_type", "XXX", "not a right type"),
    ("currency", "XAU", "no minor units"),
    ("currency", "ZZZ", "not an ISO 4217 currency"),
    ("gross_amount", "1234.567", "more decimals than EUR's 2"),
    ("net_amount", "1e3", "not a decimal amount"),
    ("ip_role", "ZZ", "not a writer designation or publisher type"),
    ("use_type", "Perform In Public", "must not contain spaces"),
    ("work_title", "  ", "required and empty"),
    ("work_title", "X" * 151, "at most 150"),
    ("ip_name", "BAD\x01NAME", "U+0001"),
    ("isrcs", "GBAYE2500123;GBAYE25001", "not a valid ISRC"),
    ("line_number", "0", "not a positive whole number"),
    ("deductions", "271.60", "not the sum of the typed deduction columns"),
    ("use_period_end", "2025-02-28", "before use_period_start"),
    ("distribution_id", "GEMA PER", "must not contain spaces"),
]


@pytest.mark.parametrize(("column", "value", "message"), BAD_CSV_VALUES)
def test_csv_bad_value_is_located_and_its_line_skipped(
    column: str, value: str, message: str
) -> None:
    """A bad value on the 5th data line is one issue at its line, column and name; the rest read."""
    rows = _example_rows()
    index = rows[0].index(column)
    rows[5][index] = value
    _, lines, rest = _split(_read_csv(_csv_text(rows)))
    assert [line.line_number for line in lines] == [1, 2, 3, 4, 6]
    [issue] = _issues(rest)
    assert (issue.line, issue.column, issue.field, issue.value) == (6, index + 1, column, value)
    assert message in issue.message
    assert f"line 6, column {index + 1}, {column}" in str(issue)


def test_csv_header_fact_changing_is_an_issue() -> None:
    """A row whose header fact differs from the first row's is reported and skipped."""
    rows = _example_rows()
    rows[3][rows[0].index("currency")] = "GBP"
    headers, lines, rest = _split(_read_csv(_csv_text(rows)))
    assert len(headers) == 1
    assert headers[0].currency == "EUR"
    assert len(lines) == 5
    [issue] = _issues(rest)
    assert (issue.line, issue.field, issue.value) == (4, "currency", "GBP")
    assert "differs from EUR on line 2" in issue.message


def test_csv_header_comes_from_the_first_row_with_good_facts() -> None:
    """When the first row's header facts are bad, the next good row sets them."""
    rows = _example_rows()
    rows[1][rows[0].index("right_type")] = "PRR"
    items = _read_csv(_csv_text(rows))
    assert isinstance(items[0], StatementIssue)
    assert items[0].line == 2
    assert isinstance(items[1], StatementHeader)
    assert items[1].right_type == "PER"
    assert len(_split(items)[1]) == 5


def test_csv_several_bad_values_on_one_line_are_all_reported() -> None:
    """Every bad value of a row is an issue, in column order."""
    rows = _example_rows()
    rows[2][rows[0].index("share")] = "x"
    rows[2][rows[0].index("iswc")] = "T1"
    found = _issues(_read_csv(_csv_text(rows)))
    assert sorted(i.field for i in found) == ["iswc", "share"]
    assert {i.line for i in found} == {3}


def test_csv_short_row_and_broken_quoting_are_issues() -> None:
    """A row with fewer fields than the header, and a stray quote, are located issues."""
    rows = _example_rows()
    text = _csv_text(rows).splitlines(keepends=True)
    text[2] = "GEMA-PER-2025H1-052,035\n"
    text[3] = text[3].replace(",SALT AND CINDERS,", ',"SALT" AND CINDERS,', 1)
    items = _read_csv("".join(text))
    found = _issues(items)
    assert [i.line for i in found] == [3, 4]
    assert "the row has 2 fields; the columns read need 27" in found[0].message
    assert '"' in found[1].message or "quote" in found[1].message.lower()
    assert len(_split(items)[1]) == 4


# --- CSV: header row, encodings, limits --------------------------------------------------------


def test_csv_byte_order_mark_is_dropped() -> None:
    """A UTF-8 BOM (bytes, or U+FEFF in text) does not hide the first column's name."""
    plain = _split(_read_csv(CSV_EXAMPLE.read_bytes()))
    assert _split(_read_csv(b"\xef\xbb\xbf" + CSV_EXAMPLE.read_bytes())) == plain
    assert _split(_read_csv("\ufeff" + CSV_EXAMPLE.read_text(encoding="utf-8"))) == plain


def test_csv_extra_columns_are_ignored_and_order_is_free() -> None:
    """Unknown columns are ignored; columns may come in any order and any case."""
    rows = _example_rows()
    reordered = [[*reversed(row), f"note {n}"] for n, row in enumerate(rows)]
    reordered[0][-1] = "Comment"
    reordered[0] = [name.upper() for name in reordered[0]]
    assert _split(_read_csv(_csv_text(reordered)))[1] == _split(_read_csv(_csv_text(rows)))[1]


def test_csv_without_optional_columns_reads_untyped_deductions() -> None:
    """Only the documented required columns: lines are numbered in order, deductions untyped."""
    rows = _example_rows()
    keep = [rows[0].index(name) for name in REQUIRED_COLUMNS]
    narrow = [[row[i] for i in keep] for row in rows]
    _, lines, rest = _split(_read_csv(_csv_text(narrow)))
    assert rest == []
    assert [line.line_number for line in lines] == [1, 2, 3, 4, 5, 6]
    assert lines[0].deductions == Decimal("271.61")
    assert lines[0].deduction_items == ()
    assert typed_deductions(lines[0]) == (("Other", Decimal("271.61")),)


@pytest.mark.parametrize("missing", ["share", "net_amount", "distribution_id"])
def test_csv_missing_required_column_is_refused(missing: str) -> None:
    """A header row without a required column is refused, naming the column."""
    rows = _example_rows()
    index = rows[0].index(missing)
    narrow = [row[:index] + row[index + 1 :] for row in rows]
    with pytest.raises(
        StatementRefused, match=f"required columns are missing: {missing}"
    ) as refused:
        _read_csv(_csv_text(narrow))
    assert refused.value.code == "header"
    assert refused.value.issue.line == 1


def test_csv_duplicate_column_and_empty_file_are_refused() -> None:
    """A column named twice, and a file with no header row, are refused with a reason."""
    rows = _example_rows()
    rows[0][-1] = "share"
    with pytest.raises(StatementRefused, match="'share' appears twice"):
        _read_csv(_csv_text(rows))
    with pytest.raises(StatementRefused, match="empty") as refused:
        _read_csv(b"")
    assert refused.value.code == "empty"


def test_csv_not_utf8_is_located_in_its_column() -> None:
    """A Latin-1 byte is an issue at its line and column; the other lines still read."""
    data = CSV_EXAMPLE.read_bytes().replace(b"NORTHBANK", b"N\xd6RTHBANK", 1)
    _, lines, rest = _split(_read_csv(data))
    assert len(lines) == 5
    [issue] = _issues(rest)
    column = _example_rows()[0].index("ip_name") + 1
    assert (issue.line, issue.column, issue.field) == (3, column, "ip_name")
    assert "not UTF-8: byte 0xD6 at byte" in issue.message


def test_csv_not_utf8_header_is_refused() -> None:
    """A header row that is not UTF-8 cannot name the columns: refused at line 1."""
    data = CSV_EXAMPLE.read_bytes().replace(b"distribution_id", b"distribution_\xffid", 1)
    with pytest.raises(StatementRefused, match="not UTF-8") as refused:
        _read_csv(data)
    assert refused.value.issue.line == 1


def test_csv_line_length_limit_at_n_and_n_plus_one() -> None:
    """A line of exactly the limit reads; one byte more is skipped as a located issue."""
    data = CSV_EXAMPLE.read_bytes()
    longest = max(len(line) for line in data.split(b"\n"))
    at_limit = _read_csv(data, limits=CsvLimits(max_line_length=longest))
    assert len(_split(at_limit)[1]) == 6
    assert _issues(at_limit) == []
    header_length = len(data.split(b"\n")[0])
    rows = data.split(b"\n")
    rows[2] = rows[2].replace(b"NORTHBANK MUSIC LTD", b"NORTHBANK MUSIC LTD" + b"X" * longest)
    over = _read_csv(
        b"\n".join(rows), limits=CsvLimits(max_line_length=max(longest, header_length))
    )
    [issue] = _issues(over)
    assert issue.line == 3
    assert "longer than" in issue.message
    assert len(_split(over)[1]) == 5


def test_csv_blank_lines_are_skipped() -> None:
    """Blank lines between rows carry nothing and say nothing."""
    data = CSV_EXAMPLE.read_bytes().replace(b"\n", b"\n\n")
    items = _read_csv(data)
    assert _issues(items) == []
    assert len(_split(items)[1]) == 6


# --- XML: bad values and structure, located ----------------------------------------------------


def _xml_variant(old: str, new: str, count: int = 1) -> bytes:
    text = XML_EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, count).encode()


def _line_of(data: bytes, needle: str, occurrence: int = 1) -> int:
    text = data.decode()
    position = -1
    for _ in range(occurrence):
        position = text.index(needle, position + 1)
    return text.count("\n", 0, position) + 1


XML_SCHEMA_VIOLATIONS = [
    ("<Share>100.00</Share>", "<Share>100.50</Share>", "Line/InterestedParty/Share", "100.50"),
    ("<Gross>842.10</Gross>", "<Gross>842.1O</Gross>", "Line/Gross", "842.1O"),
    (
        "<Role>CA</Role>\n      <Share>100.00",
        "<Role>XX</Role>\n      <Share>100.00",
        "Line/InterestedParty/Role",
        "XX",
    ),
    (
        '<Deduction Type="SocialCultural">84.21',
        '<Deduction Type="Social">84.21',
        "Line/Deductions/Deduction/@Type",
        "Social",
    ),
    ("<Net>656.84</Net>", "", "Line/Net", ""),
    (
        "<UseType>Broadcast</UseType>\n    <Gross>842.10",
        "<Gross>842.10</Gross><UseType>Broadcast</UseType>\n    <Gross>842.10",
        "Line/UseType",
        "",
    ),
    (
        "<Title>SALT AND CINDERS</Title>",
        "<Title>SALT AND CINDERS</Title><Note>x</Note>",
        "Line/Work/Note",
        "",
    ),
    (
        "<Isrc>GBAYE2500123</Isrc>\n    </Work>",
        "<Isrc>gb-aye</Isrc>\n    </Work>",
        "Line/Work/Isrc",
        "gb-aye",
    ),
]


@pytest.mark.parametrize(("old", "new", "field", "value"), XML_SCHEMA_VIOLATIONS)
def test_xml_schema_violation_in_a_line_is_located(
    old: str, new: str, field: str, value: str
) -> None:
    """Each violation is an issue at the line of its element; libxml2 agrees it is invalid."""
    data = _xml_variant(old, new)
    assert not _schema_valid(data)
    _, lines, rest = _split(_read_xml(data))
    assert len(lines) == 5
    found = _issues(rest)
    assert found
    if field:
        assert found[0].field == field
        assert found[0].value == value
    needle = new.split("\n", maxsplit=1)[0] if new else "<LineNumber>3</LineNumber>"
    if field.endswith("Net"):
        needle = "<Line>"  # a missing element is reported at its parent
        assert found[0].line == _line_of(data, needle, 3)
    elif field == "Line/UseType":
        assert found[0].line == _line_of(data, "<UseType>Broadcast</UseType>", 1)
    else:
        assert found[0].line == _line_of(data, needle)


XML_RULE_VIOLATIONS = [
    ("<Iswc>T2805174697</Iswc>", "<Iswc>T2805174698</Iswc>", "Line/Work/Iswc", "not a valid ISWC"),
    (
        "<IpiNameNumber>00167209465",
        "<IpiNameNumber>00167209466",
        "Line/InterestedParty/IpiNameNumber",
        "not a valid IPI name number",
    ),
    ("<Gross>842.10</Gross>", "<Gross>842.105</Gross>", "Line/Gross", "more decimals than EUR"),
    ("<Territory>0276</Territory>", "<Territory>0001</Territory>", "Line/Territory", "TIS"),
    (
        '<Deduction Type="SocialCultural">84.21',
        '<Deduction Type="AdministrationFee">84.21',
        "Line/Deductions/Deduction/@Type",
        "more than once",
    ),
]


@pytest.mark.parametrize(("old", "new", "field", "message"), XML_RULE_VIOLATIONS)
def test_xml_rule_violation_in_a_line_is_located(
    old: str, new: str, field: str, message: str
) -> None:
    """Check digits, minor units, known codes and unique deduction types are checked too."""
    data = _xml_variant(old, new)
    _, lines, rest = _split(_read_xml(data))
    assert len(lines) == 5
    [issue] = _issues(rest)
    assert issue.field == field
    assert message in issue.message
    assert issue.line == _line_of(data, new.split("\n", maxsplit=1)[0])


def test_xml_bad_header_yields_its_issues_then_refuses() -> None:
    """A header value that is wrong cannot be read past: its issues, then a refusal."""
    data = _xml_variant("<Currency>EUR</Currency>", "<Currency>XAU</Currency>")
    items: list[object] = []
    with pytest.raises(StatementRefused, match="Currency") as refused:
        items.extend(read_statement_xml(io.BytesIO(data)))
    assert refused.value.code == "header"
    assert refused.value.issue.line == _line_of(data, "<Currency>")
    assert "no minor units" in refused.value.issue.message


def test_xml_missing_header_element_and_totals() -> None:
    """A missing RightType refuses the header; missing Totals is an issue at the root."""
    with pytest.raises(StatementRefused, match="RightType: is missing"):
        _read_xml(_xml_variant("<RightType>PER</RightType>", ""))
    start = XML_EXAMPLE.read_text().index("  <Totals>")
    end = XML_EXAMPLE.read_text().index("</Totals>") + len("</Totals>")
    text = XML_EXAMPLE.read_text()
    data = (text[:start] + text[end:]).encode()
    _, lines, rest = _split(_read_xml(data))
    assert len(lines) == 6
    [issue] = _issues(rest)
    assert (issue.field, issue.message) == ("Totals", "is missing")


def test_xml_element_out_of_place_at_the_top() -> None:
    """A header element after the lines is out of order."""
    data = _xml_variant("  <Totals>", "  <RightType>PER</RightType>\n  <Totals>")
    [issue] = _issues(_read_xml(data))
    assert issue.field == "RightType"
    assert "out of order" in issue.message


def test_xml_deduction_description_is_kept() -> None:
    """A Deduction's Description travels with the line and is written back."""
    data = _xml_variant(
        '<Deduction Type="SocialCultural">84.21',
        '<Deduction Type="SocialCultural" Description="GEMA social fund">84.21',
    )
    items = _read_xml(data)
    header, lines = _statement(items)
    assert lines[2].deduction_notes == (("SocialCultural", "GEMA social fund"),)
    totals = items[-1]
    assert isinstance(totals, StatementTotals)
    out = io.BytesIO()
    write_statement_xml(header, lines, totals, out)
    assert _schema_valid(out.getvalue())
    assert _split(_read_xml(out.getvalue()))[1] == lines


# --- XML: refusals ------------------------------------------------------------------------------


def test_xml_hostile_documents_are_refused(tmp_path: Path) -> None:
    """Entities and DTDs are refused before anything is expanded or fetched; nothing leaks."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    body = XML_EXAMPLE.read_text().split("?>", 1)[1]
    attacks = {
        "xxe": f'<!DOCTYPE d [<!ENTITY x SYSTEM "{secret.as_uri()}">]>',
        "laughs": '<!DOCTYPE d [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    }
    for name, doctype in attacks.items():
        entity = "&x;" if name == "xxe" else "&b;"
        data = f'<?xml version="1.0"?>{doctype}{body.replace("GEMA", entity, 1)}'
        with pytest.raises(StatementRefused) as refused:
            _read_xml(data.encode())
        assert refused.value.code == "dtd"
        assert "TOP-SECRET" not in str(refused.value)


def test_xml_not_a_statement_or_not_well_formed_is_refused() -> None:
    """Another root, a document cut short and one nested too deep are refused with a reason."""
    with pytest.raises(StatementRefused, match="not DistributionStatement") as refused:
        _read_xml(b"<Acknowledgement xmlns='urn:society-exchange-gateway:ack:1.0'/>")
    assert refused.value.code == "not_distribution"
    cut = XML_EXAMPLE.read_bytes()[:2000]
    with pytest.raises(StatementRefused) as refused:
        _read_xml(cut)
    assert refused.value.code == "not_well_formed"
    assert refused.value.issue.line is not None
    with pytest.raises(StatementRefused) as refused:
        _read_xml(XML_EXAMPLE.read_bytes(), limits=XmlLimits(max_depth=3))
    assert refused.value.code == "too_deep"


# --- writing and round trips -------------------------------------------------------------------


def test_example_written_as_xml_validates_and_reads_back() -> None:
    """CSV example -> XML: schema-valid, same lines, totals equal to the XML example's."""
    header, lines = _statement(_read_csv(CSV_EXAMPLE.read_bytes()))
    out = io.BytesIO()
    totals = write_statement_xml(header, lines, None, out, now=NOW)
    assert _schema_valid(out.getvalue())
    assert _schema_valid(XML_EXAMPLE.read_bytes())
    again = _read_xml(out.getvalue())
    assert _split(again)[1] == lines
    assert again[-1] == totals == _read_xml(XML_EXAMPLE.read_bytes())[-1]
    assert isinstance(again[0], StatementHeader)
    assert again[0].created == NOW


def test_untyped_deductions_are_written_as_other() -> None:
    """A CSV line with only a deductions total becomes one Other deduction in XML."""
    rows = _example_rows()
    keep = [rows[0].index(name) for name in REQUIRED_COLUMNS]
    header, lines = _statement(_read_csv(_csv_text([[row[i] for i in keep] for row in rows])))
    out = io.BytesIO()
    write_statement_xml(header, lines, None, out, now=NOW)
    assert _schema_valid(out.getvalue())
    assert b'<Deduction Type="Other">271.61</Deduction>' in out.getvalue()
    back = _split(_read_xml(out.getvalue()))[1]
    assert back == [replace(line, deduction_items=typed_deductions(line)) for line in lines]


CURRENCIES = {"EUR": 2, "JPY": 0, "BHD": 3, "GBP": 2}
_TEXT = (
    st.text(
        alphabet=st.sampled_from("ABCXYZ abcéßü0129,;\"'&<>-/."),
        min_size=1,
        max_size=30,
    )
    .map(lambda t: " ".join(t.split()))
    .filter(bool)
)
_DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def _periods(draw: st.DrawFn) -> tuple[date, date]:
    start = draw(_DATES)
    return start, start + timedelta(days=draw(st.integers(0, 400)))


def _digits(count: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=count, max_size=count)


@st.composite
def _headers(draw: st.DrawFn) -> StatementHeader:
    start, end = draw(_periods())
    return StatementHeader(
        distribution_id=draw(st.text(alphabet="ABC-123_.", min_size=1, max_size=64)),
        sender_society=draw(st.sampled_from(["035", "052", "058", "119"])),
        recipient_society=draw(st.sampled_from(["035", "052", "010"])),
        period_start=start,
        period_end=end,
        right_type=draw(st.sampled_from(sorted(lookup("right_type")))),
        currency=draw(st.sampled_from(sorted(CURRENCIES))),
        message_id=draw(st.text(alphabet="ABC-123", min_size=1, max_size=64)),
    )


def _amounts(currency: str) -> st.SearchStrategy[Decimal]:
    places = CURRENCIES[currency]
    return st.integers(-(10**12), 10**12).map(lambda n: Decimal(n).scaleb(-places))


@st.composite
def _lines(draw: st.DrawFn, currency: str, number: int) -> StatementLine:
    amounts = _amounts(currency)
    period = draw(st.none() | _periods())
    kinds = draw(st.lists(st.sampled_from(DEDUCTION_TYPES), unique=True, max_size=3))
    items = tuple((kind, draw(amounts)) for kind in DEDUCTION_TYPES if kind in kinds)
    zero = Decimal(0).scaleb(-CURRENCIES[currency])
    deductions = sum((a for _, a in items), zero) if items else draw(amounts)
    iswc = draw(st.none() | _digits(9))
    ipi = draw(st.none() | _digits(9))
    base = draw(st.none() | _digits(9))
    return StatementLine(
        line_number=number,
        work_title=draw(_TEXT),
        iswc=f"T{iswc}{iswc_check_digit(iswc)}" if iswc else "",
        sender_work_id=draw(st.text(alphabet="0123456789AB", max_size=20)),
        submitter_work_id=draw(st.text(alphabet="NBM0123", max_size=20)),
        isrcs=tuple(draw(st.lists(_digits(7).map(lambda d: f"GBAYE{d}"), max_size=3))),
        ip_name=draw(_TEXT),
        ip_ipi_name_number=f"{ipi}{ipi_name_number_check_digits(ipi)}" if ipi else "",
        ip_ipi_base_number=f"I-{base}-{ipi_base_number_check_digit(base)}" if base else "",
        ip_role=draw(
            st.sampled_from(sorted(lookup("writer_designation") | lookup("publisher_type")))
        ),
        share=draw(st.integers(0, 10000)),
        territory=draw(st.sampled_from(["0276", "0826", "2136", "0250"])),
        use_type=draw(st.sampled_from(["PerformInPublic", "Broadcast", "OnDemandStream", "X-1"])),
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        gross=draw(amounts),
        deductions=deductions,
        deduction_items=items,
        net=draw(amounts),
        currency=currency,
    )


@st.composite
def _statements(draw: st.DrawFn) -> tuple[StatementHeader, list[StatementLine]]:
    header = draw(_headers())
    count = draw(st.integers(0, 5))
    return header, [draw(_lines(header.currency, n)) for n in range(1, count + 1)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_statements())
def test_csv_to_xml_to_model_round_trip(
    statement: tuple[StatementHeader, list[StatementLine]],
) -> None:
    """Generated lines survive model -> CSV -> model -> XML (schema-valid) -> model unchanged."""
    header, lines = statement
    text = io.StringIO(newline="")
    write_statement_csv(header, lines, text)
    read = _read_csv(text.getvalue())
    headers, from_csv, rest = _split(read)
    assert rest == []
    assert from_csv == lines
    assert headers == ([header] if lines else [])
    out = io.BytesIO()
    totals = write_statement_xml(header, from_csv, None, out, now=NOW)
    assert _schema_valid(out.getvalue())
    xml_header, *xml_lines, xml_totals = _read_xml(out.getvalue())
    assert xml_header == replace(header, created=NOW, format_version="1.0")
    assert xml_lines == [replace(line, deduction_items=typed_deductions(line)) for line in lines]
    assert xml_totals == totals == sum_totals(lines)


# --- streaming ----------------------------------------------------------------------------------


def test_large_csv_streams_without_holding_the_file(tmp_path: Path) -> None:
    """200,000 generated lines: the first arrives after a sliver of the file; all read clean."""
    header_row, *rows = _example_rows()
    number = header_row.index("line_number")
    count = 200_000
    path = tmp_path / "large.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header_row)
        for n in range(count):
            row = rows[n % 6]
            row[number] = str(n + 1)
            writer.writerow(row)
    size = path.stat().st_size
    read = 0
    net = Decimal(0)
    with path.open("rb") as f:
        for item in read_statement_csv(f):
            if isinstance(item, StatementLine):
                if read == 0:
                    assert f.tell() < size // 100  # read lazily, not slurped
                read += 1
                net += item.net
            else:
                assert isinstance(item, StatementHeader), item
    assert read == count
    per_six = sum(Decimal(row[header_row.index("net_amount")]) for row in rows)
    assert net == per_six * (count // 6) + sum(
        Decimal(row[header_row.index("net_amount")]) for row in rows[: count % 6]
    )


def _resident_bytes() -> int:
    """The process's resident memory now (Linux), which counts libxml2's own allocations."""
    statm = Path("/proc/self/statm")
    if not statm.exists():
        pytest.skip("needs /proc/self/statm to see libxml2's memory")
    return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_large_xml_keeps_memory_flat(tmp_path: Path) -> None:
    """Lines are cleared as they are read: 20,000 lines add almost nothing to resident memory.

    Kept in the tree, they would add about 100 MB; the bound leaves room for noise.
    """
    header, lines = _statement(_read_csv(CSV_EXAMPLE.read_bytes()))
    count = 20_000
    path = tmp_path / "large.xml"
    with path.open("wb") as out:
        many = (replace(lines[n % 6], line_number=n + 1) for n in range(count))
        write_statement_xml(header, many, None, out, now=NOW)
    seen = 0
    start = end = 0
    with path.open("rb") as f:
        for item in read_statement_xml(f):
            if isinstance(item, StatementLine):
                seen += 1
                if seen == 100:
                    start = _resident_bytes()
                elif seen == count:
                    end = _resident_bytes()
    assert seen == count
    assert end - start < 25_000_000, end - start


# --- the quick reading of good rows -------------------------------------------------------------

# Cell texts a real file may hold where a value is expected: good, padded, odd or bad.
_ODD_CELLS = st.sampled_from(
    [
        "",
        " ",
        "0",
        "00",
        "007",
        "12",
        " 12 ",
        "12.3",
        "12.34",
        "12.340",
        "12.345",
        "-0.00",
        "-5.00",
        "1e3",
        "\uff11\uff12",
        "\u0663",
        "12.34.5",
        "99999999999999.99",
        "999999999999999.99",
        "2025-01-01",
        "2025-02-30",
        "2024-12-31",
        "T0000000012",
        "T-000.000.001-0",
        "CA",
        "E",
        "PerformInPublic",
        "X-1",
        "2136",
        "0276",
        "33.33",
        "100.00",
        "100.01",
        "I-000000229-7",
        "00014107338",
        "Title",
        "\x00",
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    currency=st.sampled_from(["EUR", "JPY", "BHD"]),
    changes=st.lists(st.tuples(st.integers(0, 200), _ODD_CELLS), max_size=6),
)
def test_quick_row_reading_agrees_with_the_full_reading(
    currency: str, changes: list[tuple[int, str]]
) -> None:
    """The quick path builds exactly the line the full reading builds, or leaves the row to it."""
    header_row, row, *_ = _example_rows()
    columns = {name: index for index, name in enumerate(header_row)}
    row = list(row)
    row[columns["currency"]] = currency
    for at, text in changes:
        row[at % len(row)] = text
    full = reader._line(reader._Cells(row, 7, columns), currency, 3)
    quick = reader._LineBuilder(columns, currency).line(list(row), 7, 3)
    if quick is not None:
        assert full is not None
        assert repr(quick) == repr(full)  # the same values, the same Decimal exponents
    elif not changes and currency == "EUR":  # the example's amounts, written plainly
        pytest.fail("a good row left the quick path")
