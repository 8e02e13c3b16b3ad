"""The edits the reader applies while it reads, with their identities.

CISAC identities (``FIL F 009``) where the error tables define the check; the gateway's own
(``GW ...``) for what the tables leave unnamed, such as a field's format in general. The
validation layer looks each identity up in the catalogue and the receiver's rule pack.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from typing import NamedTuple


class ReaderEdit(NamedTuple):
    """An edit's level, default rejection and text."""

    level: str
    rejection: str
    text: str


# Edits the gateway defines for checks the CISAC tables do not number.
GATEWAY_EDITS: dict[str, ReaderEdit] = {
    "GW F 001": ReaderEdit("F", "FR", "contains lower-case letters; CWR text is upper case"),
    "GW F 002": ReaderEdit("F", "FR", "is not numeric - replaced with zeros"),
    "GW F 003": ReaderEdit("F", "FR", "is not a valid date (YYYYMMDD) - replaced with zeros"),
    "GW F 004": ReaderEdit("F", "FR", "is not a valid time (HHMMSS) - replaced with zeros"),
    "GW F 005": ReaderEdit("F", "TR", "is mandatory but was not entered"),
    "GW F 006": ReaderEdit("F", "FR", "is not a value of its code table"),
    "GW R 001": ReaderEdit(
        "R", "RR", "the line holds bytes that are not text (NUL or control characters)"
    ),
    "GW R 002": ReaderEdit(
        "R", "RR", "the line is longer than the reader's limit; the rest was skipped"
    ),
    "GW R 003": ReaderEdit("R", "RR", "the record's prefix sequence numbers are not numeric"),
    "GW R 004": ReaderEdit("R", "RR", "the record type is not defined in this CWR version"),
    "GW R 005": ReaderEdit(
        "R",
        "FR",
        "the line is not valid in the file's character set; undecodable bytes were replaced",
    ),
    "GW E 001": ReaderEdit("E", "ER", "the file is empty"),
    "GW E 002": ReaderEdit(
        "E", "ER", "the file ends inside a transaction or group: no GRT/TRL closes it"
    ),
    "GW E 003": ReaderEdit("E", "ER", "the CWR version could not be determined from the header"),
    "GW E 004": ReaderEdit(
        "E", "ER", "too many messages; the rest of the file was read but not reported"
    ),
    "GW F 007": ReaderEdit("F", "TR", "the XML element's value cannot be read as its field"),
    "GW E 005": ReaderEdit("E", "ER", "the XML document is not well-formed"),
    "GW E 006": ReaderEdit("E", "ER", "the XML document declares a DTD or entities (refused)"),
    "GW E 007": ReaderEdit("E", "ER", "the XML document exceeds a size or depth limit"),
    "GW E 008": ReaderEdit("E", "ER", "the XML document is not of a gateway format"),
    "GW E 009": ReaderEdit("E", "ER", "the XML document breaks its schema outside any transaction"),
    "GW G 001": ReaderEdit("G", "GR", "the XML group header breaks the works schema"),
    "GW T 003": ReaderEdit("T", "TR", "the transaction's XML breaks the works schema"),
    "GW T 001": ReaderEdit("T", "TR", "a detail record appears outside any transaction"),
    "GW T 002": ReaderEdit(
        "T", "RR", "record is not allowed here: no parent record precedes it in the transaction"
    ),
}

# Which edit reports each kind of field failure.
FIELD_EDITS: dict[str, tuple[str, str]] = {
    check: (edit, GATEWAY_EDITS[edit].text)
    for check, edit in (
        ("case", "GW F 001"),
        ("numeric", "GW F 002"),
        ("date", "GW F 003"),
        ("time", "GW F 004"),
        ("mandatory", "GW F 005"),
        ("lookup", "GW F 006"),
    )
}

# CISAC's own file, group and sequence edits (CWR08-2493 "FIL", "HDR", "GRH", "GRT", "TRL").
CISAC_READER_EDITS: dict[str, ReaderEdit] = {
    "FIL E 001": ReaderEdit("E", "ER", "The file could not be read"),
    "FIL E 002": ReaderEdit("E", "ER", "The first record on the file was not record type HDR"),
    "FIL E 003": ReaderEdit("E", "ER", "The second record on the file was not record type GRH"),
    "FIL E 004": ReaderEdit("E", "ER", "A GRH record in the file was not preceded by a GRT"),
    "FIL E 005": ReaderEdit("E", "ER", "The last record on the file was not record type TRL"),
    "FIL E 006": ReaderEdit(
        "E", "ER", "Record type GRH was not followed by a transaction header record type"
    ),
    "FIL E 007": ReaderEdit(
        "E", "ER", "Record type GRT was not followed by a record type GRH or TRL"
    ),
    "FIL E 008": ReaderEdit("E", "ER", "The file contained more than one record type HDR or TRL"),
    "FIL F 001": ReaderEdit(
        "F", "ER", "Record Type was neither a valid transaction type nor a valid detail record type"
    ),
    "FIL F 002": ReaderEdit(
        "F",
        "ER",
        "The first transaction header in the group had a Transaction Sequence Number other than 0",
    ),
    "FIL F 003": ReaderEdit(
        "F", "TR", "A transaction header was out of sequence or incorrectly incremented"
    ),
    "FIL F 004": ReaderEdit(
        "F", "TR", "A detail record had a Transaction Sequence Number which was out of sequence"
    ),
    "FIL F 005": ReaderEdit(
        "F", "ER", "A transaction header record had a Record Sequence Number other than zero"
    ),
    "FIL F 006": ReaderEdit(
        "F", "ER", "A detail record had a Record Sequence Number incorrectly incremented"
    ),
    "FIL F 009": ReaderEdit("F", "ER", "Record length did not match the record length specified"),
    "HDR F 002": ReaderEdit(
        "F",
        "ER",
        "Sender Type was not one of PB, SO, WR or AA (or 2 leading digits of an IPI name number)",
    ),
    "HDR F 009": ReaderEdit("F", "ER", "EDI Standard Version Number was not equal to '01.10'"),
    "HDR F 010": ReaderEdit("F", "ER", "Creation Date was not valid"),
    "HDR F 011": ReaderEdit("F", "ER", "Transmission Date was not valid"),
    "HDR F 014": ReaderEdit(
        "F", "ER", "The Character Set entered was not found in the Character Set table"
    ),
    "GRH F 001": ReaderEdit(
        "F", "GR", "Transaction Type was not entered or not found in the Transaction Type table"
    ),
    "GRH F 002": ReaderEdit(
        "F",
        "GR",
        "Group ID was not entered or did not start at 1, or was not correctly incremented",
    ),
    "GRH F 003": ReaderEdit(
        "F", "ER", "GRH record did not follow either a GRT record or an HDR record"
    ),
    "GRH F 004": ReaderEdit(
        "F",
        "GR",
        "The version number was not valid or did not correspond to the format used in this file",
    ),
    "GRH G 001": ReaderEdit(
        "G",
        "GR",
        "Transactions having a different transaction code from the GRH were found in this group",
    ),
    "GRT F 001": ReaderEdit(
        "F", "GR", "Group ID did not equal the Group ID presented on the previous GRH record"
    ),
    "GRT F 002": ReaderEdit(
        "F",
        "GR",
        "Transaction count was not equal to the total number of transactions within this group",
    ),
    "GRT F 003": ReaderEdit(
        "F", "GR", "Record count was not equal to the total number of physical records"
    ),
    "TRL F 001": ReaderEdit(
        "F", "ER", "Group Count was not equal to the number of groups within the entire file"
    ),
    "TRL F 002": ReaderEdit(
        "F",
        "ER",
        "Transaction count was not equal to the number of transactions within the entire file",
    ),
    "TRL F 003": ReaderEdit(
        "F", "ER", "Record count was not equal to the number of physical records"
    ),
}

READER_EDITS: dict[str, ReaderEdit] = {**CISAC_READER_EDITS, **GATEWAY_EDITS}

# Records holding non-Roman text: the upper-case rule does not apply to them.
NON_ROMAN_RECORDS = frozenset(
    {"NAT", "NPN", "NWN", "NPR", "NET", "NCT", "NVT", "NOW", "NPA", "NOT", "NRC"}
)

# Record types whose edits the error tables file under another type's name.
EDIT_FAMILY = {
    "REV": "NWR",
    "ISW": "NWR",
    "EXC": "NWR",
    "WRK": "NWR",
    "OPU": "SPU",
    "OWR": "SWR",
    "OPT": "SPT",
    "OWT": "SWT",
    "NCT": "NET",
    "NVT": "NET",
}
_GENERIC_CHECK = {edit: check for check, (edit, _) in FIELD_EDITS.items()}


@cache
def _field_edit_table() -> dict[tuple[str, str, str], tuple[str, str]]:
    text = (
        resources.files("gateway.formats.cwr")
        .joinpath("data", "field_edits.tsv")
        .read_text("utf-8")
    )
    rows = csv.DictReader(
        (line for line in text.splitlines() if not line.startswith("#")), delimiter="\t"
    )
    return {(r["record"], r["field"], r["check"]): (r["edit"], r["rejection"]) for r in rows}


# CWR22-0146 renumbered the file edits for 3.x: FIL F 001-009 became FIL F 011-019.
EDITS_3X = {f"FIL F {n:03d}": f"FIL F {n + 10:03d}" for n in range(1, 10)}


def for_version(edit: str, major: int) -> str:
    """The identity an edit of the reader carries in a file of this major version."""
    return EDITS_3X.get(edit, edit) if major == 3 else edit


def field_edit(record_type: str, field: str, generic_edit: str, major: int = 2) -> tuple[str, str]:
    """The edit (and its rejection) that reports a field failure of this record type."""
    if major == 3:  # the table names 2.x edits; 3.x failures keep the gateway's own identity
        return generic_edit, GATEWAY_EDITS[generic_edit].rejection
    check = _GENERIC_CHECK[generic_edit]
    family = EDIT_FAMILY.get(record_type, record_type)
    found = _field_edit_table().get((family, field, check))
    return found if found is not None else (generic_edit, GATEWAY_EDITS[generic_edit].rejection)


def field_edit_ids() -> set[str]:
    """The CISAC edits the field table maps field failures to."""
    return {edit for edit, _ in _field_edit_table().values()}
