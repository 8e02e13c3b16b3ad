"""The field-edit table names real fields, real checks and catalogued CISAC edits."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from importlib import resources

import pytest
from builders import agreement, cwr_bytes, publisher, work, writer

from gateway import codes
from gateway.formats.cwr.edits import EDIT_FAMILY, NON_ROMAN_RECORDS
from gateway.formats.cwr.events import TransactionRead
from gateway.formats.cwr.fields import decoder_for
from gateway.formats.cwr.layouts import layout_set
from gateway.formats.cwr.reader import read_cwr
from gateway.formats.edi.layout import Field
from gateway.model import AlternateTitle, Issue, Publisher, TransactionRecord
from gateway.validation.catalogue import EditId, catalogue
from gateway.validation.engine import validate

CHECKS = frozenset({"case", "numeric", "date", "time", "mandatory", "lookup"})
COLUMNS = ["record", "field", "check", "edit", "rejection"]
LAYOUTS = [layout_set("2.1"), layout_set("2.2")]
# Rows for checks the reader makes in its own code rather than from the layout (the character
# set is matched to a codec when the header is read).
READER_CHECKED = {("HDR", "character_set", "lookup")}


def _table(name: str) -> tuple[list[str], list[dict[str, str]]]:
    """The columns and rows of a tab-separated table in the CWR data folder."""
    text = resources.files("gateway.formats.cwr").joinpath("data", name).read_text("utf-8")
    reader = csv.DictReader(
        (line for line in text.splitlines() if line and not line.startswith("#")),
        delimiter="\t",
    )
    rows = list(reader)
    return list(reader.fieldnames or []), rows


COLUMN_NAMES, ROWS = _table("field_edits.tsv")
IDS = [f"{r['record']}.{r['field']}.{r['check']}" for r in ROWS]


def _fields(record: str, name: str) -> list[Field]:
    """The field ``name`` of ``record`` in every 2.x layout that holds it."""
    found = []
    for layouts in LAYOUTS:
        layout = layouts.layouts.get(record)
        if layout is not None and any(f.name == name for f in layout.fields):
            found.append(layout.field(name))
    return found


def _has_lookup(field: Field) -> bool:
    """Whether the reader checks the field against a code table, inline list or flag values."""
    if not field.lookup:
        return field.fmt in ("F", "B")
    if field.lookup.startswith("="):
        return True
    try:
        return bool(codes.lookup(field.lookup))
    except KeyError:  # a table the code lists do not ship: the reader does not check it
        return False


def _can_fail(record: str, field: Field, check: str) -> bool:
    """Whether the reader can report ``check`` on this field at all."""
    can = {
        "mandatory": field.required == "M",
        "numeric": field.fmt == "N",
        "date": field.kind == "date",
        "time": field.kind == "time",
        "case": field.kind == "str" and record not in NON_ROMAN_RECORDS,
        "lookup": _has_lookup(field),
    }
    return can[check]


def test_table_keeps_its_columns() -> None:
    """The table's header names the five columns the reader loads."""
    assert COLUMN_NAMES == COLUMNS


def test_rows_are_unique() -> None:
    """No record, field and check is mapped twice."""
    keys = [(r["record"], r["field"], r["check"]) for r in ROWS]
    assert len(keys) == len(set(keys))


def test_rows_follow_layout_order() -> None:
    """Rows are grouped by record type in the order of the 2.x layout table."""
    order = list(dict.fromkeys(r["records"].split()[0] for r in _table("cwr2x.tsv")[1]))
    positions = [order.index(r["record"]) for r in ROWS]
    assert positions == sorted(positions)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_row_names_a_field_of_its_record(row: dict[str, str]) -> None:
    """The row's record type and field exist in the 2.1 or 2.2 layouts."""
    assert any(row["record"] in layouts.layouts for layouts in LAYOUTS)
    assert _fields(row["record"], row["field"]), f"{row['record']} has no {row['field']}"


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_row_is_on_the_record_type_edits_are_filed_under(row: dict[str, str]) -> None:
    """Rows name the record type the error tables file edits under, never a family member."""
    assert row["record"] not in EDIT_FAMILY


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_row_check_is_one_the_reader_makes_of_the_field(row: dict[str, str]) -> None:
    """The check is one of the six and the reader can report it for this field."""
    assert row["check"] in CHECKS
    if (row["record"], row["field"], row["check"]) in READER_CHECKED:
        return
    fields = _fields(row["record"], row["field"])
    assert any(_can_fail(row["record"], f, row["check"]) for f in fields)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_row_edit_is_catalogued_with_its_rejection(row: dict[str, str]) -> None:
    """The edit is a field edit of the same record type, at its generic catalogue rejection."""
    edit_id = EditId.parse(row["edit"])
    assert str(edit_id) == row["edit"]
    assert (edit_id.record_type, edit_id.level) == (row["record"], "F")
    entries = catalogue("2")[edit_id]
    generic = [e for e in entries if e.generic]
    assert generic, f"{row['edit']} is society-specific"
    assert generic[0].rejection == row["rejection"]


# -- end to end ------------------------------------------------------------------------------


def _messages(record: TransactionRecord, version: str) -> list[Issue]:
    """The report messages of a file holding this one transaction."""
    return list(validate(io.BytesIO(cwr_bytes([record], version))).messages)


def _only_field_message(messages: list[Issue], field: str) -> Issue:
    """The one message about ``field``."""
    (message,) = [m for m in messages if m.field == field]
    return message


def _with_tis(party: Publisher, tis: str) -> Publisher:
    """The publisher with its first territory's TIS code replaced."""
    return replace(party, territories=(replace(party.territories[0], tis_code=tis),))


@pytest.mark.parametrize("version", ["2.1", "2.2"])
def test_unknown_publisher_society_is_spu_f_012(version: str) -> None:
    """A publisher's PR society missing from the Society Code table is reported as SPU F 012."""
    record = work(publishers=(publisher(pr_society="999"),))
    message = _only_field_message(_messages(record, version), "pr_society")
    assert (message.edit, message.record_type, message.rejection) == ("SPU F 012", "SPU", "TR")
    assert message.value == "999"


@pytest.mark.parametrize("record_type", ["SWR", "OWR"])
def test_unknown_writer_designation_is_swr_f_008(record_type: str) -> None:
    """An unknown writer designation is SWR F 008, on SWR and on OWR alike."""
    party = writer(designation="XX", record_type=record_type)
    if record_type == "OWR":
        party = replace(party, territories=(), publishers=())
    message = _only_field_message(_messages(work(writers=(party,)), "2.1"), "designation")
    assert (message.edit, message.record_type, message.rejection) == (
        "SWR F 008",
        record_type,
        "TR",
    )


def test_unknown_tis_code_is_spt_f_009() -> None:
    """An SPT territory missing from the TIS table is reported as SPT F 009."""
    record = work(publishers=(_with_tis(publisher(), "9999"),))
    message = _only_field_message(_messages(record, "2.1"), "tis_code")
    assert (message.edit, message.record_type, message.rejection) == ("SPT F 009", "SPT", "TR")


def test_unknown_assignor_society_is_ipa_f_005() -> None:
    """An agreement party's unknown PR society is reported as IPA F 005, not the generic edit."""
    base = agreement()
    record = replace(base, parties=(replace(base.parties[0], pr_society="999"),))
    messages = _messages(record, "2.1")
    message = _only_field_message(messages, "pr_society")
    assert (message.edit, message.record_type, message.rejection) == ("IPA F 005", "IPA", "TR")
    assert not [m for m in messages if m.edit.startswith("GW ")]


# -- records decoded once per text -----------------------------------------------------------


def test_a_record_repeated_from_work_to_work_reports_its_problem_each_time() -> None:
    """The decoder remembers a record's text; each record still gets its own message."""
    bad = publisher(pr_society="999")
    records = [work(publishers=(bad,)), work(publishers=(bad,)), work(publishers=(bad,))]
    messages = [
        m
        for m in validate(io.BytesIO(cwr_bytes(records, "2.1"))).messages
        if m.field == "pr_society"
    ]
    assert [(m.edit, m.transaction) for m in messages] == [
        ("SPU F 012", 0),
        ("SPU F 012", 1),
        ("SPU F 012", 2),
    ]
    assert len({m.line for m in messages}) == 3


def test_decoded_values_are_shared_and_building_leaves_them_as_decoded() -> None:
    """A text is decoded once; building its records (in every transaction) copies the values."""
    records = [work(), work(number="SW0002")]
    read = [e for e in read_cwr(io.BytesIO(cwr_bytes(records))) if isinstance(e, TransactionRead)]
    text = next(r.text for r in read[1].records if r.record_type == "SPU")
    decoder = decoder_for(layout_set("2.1").layouts["SPU"])
    values, problems = decoder.decode(text)
    assert "territories" not in values  # the builder's additions went to its own copy
    assert (values["record_type"], values["pr_society"], problems) == ("SPU", "052", ())
    assert read[1].transaction.record.publishers[0].territories  # which it built
    assert decoder.decode("SPU" + "00000042" + "00000007" + text[19:])[0] is values
    assert decoder.decode(text + "  EXTRA")[0]["extra"] == "  EXTRA"


def test_records_repeated_within_and_across_transactions_keep_their_own_places() -> None:
    """A record the file repeats is built once per text, yet each occurrence has its line.

    Two equal alternate titles in each of two works: every ALT of a transaction is a record
    of its own (its own position), and the second work's are those of the first, as read.
    """
    same = AlternateTitle(record_type="ALT", title="THE SAME", title_type="AT")
    records = [
        work(alternate_titles=(same, same)),
        work(number="SW0002", alternate_titles=(same, same)),
    ]
    read = [e for e in read_cwr(io.BytesIO(cwr_bytes(records))) if isinstance(e, TransactionRead)]
    assert len(read) == 2
    for transaction in read:
        titles = transaction.transaction.record.alternate_titles
        assert titles == (same, same)
        places = [transaction.positions[id(title)] for title in titles]
        assert len(set(places)) == 2
        assert [transaction.records[at].record_type for at in places] == ["ALT", "ALT"]
    first, second = (t.transaction.record.alternate_titles for t in read)
    assert any(title is second[0] for title in first)  # built once, used again


def test_a_territory_repeated_from_work_to_work_reports_its_problem_on_each_line() -> None:
    bad = _with_tis(publisher(), "9999")
    records = [work(publishers=(bad,)), work(number="SW0002", publishers=(bad,))]
    messages = [
        m for m in validate(io.BytesIO(cwr_bytes(records))).messages if m.field == "tis_code"
    ]
    assert len(messages) == 2
    assert len({m.line for m in messages}) == 2
    assert {m.transaction for m in messages} == {0, 1}
