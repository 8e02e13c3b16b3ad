"""Which catalogued CISAC edits the gateway implements, and where (reader, field table, rule)."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.formats.cwr.edits import CISAC_READER_EDITS, field_edit_ids, for_version
from gateway.validation.catalogue import catalogue
from gateway.validation.registry import implemented


@dataclass(frozen=True, slots=True)
class EditCoverage:
    """One catalogue edit and how the gateway checks it ('' when it does not)."""

    edit: str
    society: str
    rejection: str
    text: str
    implemented_by: str  # reader | field table | rule | ""


def coverage(family: str) -> list[EditCoverage]:
    """Every edit of the family's catalogue, in catalogue order, with its implementation."""
    major = int(family[0])
    reader = {for_version(e, major) for e in CISAC_READER_EDITS}
    fields = field_edit_ids() if major == 2 else set()
    rules = set(implemented(str(major)))
    rows = []
    for edit_id, entries in catalogue(family).items():
        key = str(edit_id)
        by = (
            "rule"
            if key in rules
            else "reader"
            if key in reader
            else "field table"
            if key in fields
            else ""
        )
        first = entries[0]
        rows.append(EditCoverage(key, first.society or "", first.rejection, first.text, by))
    return rows
