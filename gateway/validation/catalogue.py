"""The CISAC edit catalogues: every edit with its rejection level, society and message text.

An edit is named by (record type, message level, validation number), written ``"NWR T 030"``.
Each catalogue is a CSV file of our own making in ``gateway/validation/data/`` (built from the
CISAC error-message tables by ``tools/build_edits.py``), with the columns
``record_type,level,number,society,rejection,text,source``. One edit id may have several rows,
one per society: ``NWR T 040`` has one for each Brazilian society, and a number can be reused by
two societies for different edits.

Families:

* ``"2"``: CWR 2.1 and 2.2 (CWR08-2493, with the repairs listed in ``tools/build_edits.py``).
* ``"3"``: CWR 3.0 and 3.1. There is no separate 3.0 error table; 3.0 uses the 3.1 table
  (CWR22-0146), whose record types and numbering 3.0 shares.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, total_ordering
from importlib.resources import files
from types import MappingProxyType

__all__ = [
    "FAMILIES",
    "LEVELS",
    "REJECTIONS",
    "Edit",
    "EditId",
    "catalogue",
    "edit",
    "family_of",
]

LEVELS = ("E", "G", "T", "R", "F")
"""Message levels, widest first: entire file, group, transaction, record, field."""

REJECTIONS = ("ER", "GR", "TR", "RR", "FR")
"""Rejection levels: file, group, transaction, record rejected; field replaced by a default."""

FAMILIES = ("2", "3")

_FILES = {"2": "edits_2x.csv", "3": "edits_31.csv"}
_DEFAULT_SOURCE = {"2": "CWR08-2493", "3": "CWR22-0146"}
_VERSIONS = {
    "2": "2",
    "2.1": "2",
    "2.2": "2",
    "02.10": "2",
    "02.20": "2",
    "3": "3",
    "3.0": "3",
    "3.1": "3",
}
_ID = re.compile(r"([A-Z]{3})\s*([EGTRF])\s*([0-9]{3})")
_RECORD_TYPE = re.compile(r"[A-Z]{3}")
_NUMBER = re.compile(r"[0-9]{3}")
_COLUMNS = ["record_type", "level", "number", "society", "rejection", "text", "source"]


def family_of(version: str) -> str:
    """The catalogue family of a CWR version: ``"2"`` for 2.1/2.2, ``"3"`` for 3.0/3.1."""
    family = _VERSIONS.get(version.strip())
    if family is None:
        known = ", ".join(repr(v) for v in _VERSIONS)
        raise ValueError(f"unknown CWR version or family {version!r}; use one of {known}")
    return family


@total_ordering
@dataclass(frozen=True, slots=True)
class EditId:
    """The identity of a CISAC edit: record type, message level and validation number.

    Edit ids sort in catalogue order: record type, then level E, G, T, R, F, then number.
    """

    record_type: str
    level: str
    number: str

    def __post_init__(self) -> None:
        if not (
            _RECORD_TYPE.fullmatch(self.record_type)
            and self.level in LEVELS
            and _NUMBER.fullmatch(self.number)
        ):
            raise ValueError(
                f"not an edit id: {self.record_type!r} {self.level!r} {self.number!r} "
                "(want a 3-letter record type, a level E/G/T/R/F and a 3-digit number)"
            )

    def __str__(self) -> str:
        return f"{self.record_type} {self.level} {self.number}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, EditId):
            return NotImplemented
        return self._sort_key() < other._sort_key()

    def _sort_key(self) -> tuple[str, int, str]:
        return (self.record_type, LEVELS.index(self.level), self.number)

    @classmethod
    def parse(cls, text: str) -> EditId:
        """Read ``"NWR T 030"`` (or the MSG-record form ``"NWRT030"``)."""
        match = _ID.fullmatch(text.strip().upper())
        if match is None:
            raise ValueError(f"not an edit id: {text!r} (want e.g. 'NWR T 030')")
        return cls(match.group(1), match.group(2), match.group(3))

    @classmethod
    def of(cls, value: EditId | str) -> EditId:
        """``value`` itself if it is an ``EditId``, else ``parse(value)``."""
        return value if isinstance(value, EditId) else cls.parse(value)


@dataclass(frozen=True, slots=True)
class Edit:
    """One catalogue row: an edit as it applies to one society, or to every receiver."""

    id: EditId
    society: str | None
    """Three-digit society code for a society-specific edit; ``None`` when generic."""
    rejection: str
    """ER, GR, TR, RR or FR."""
    text: str
    source: str
    """Where the row comes from: the CISAC table, or the specification section it was taken
    from or repaired with."""

    @property
    def generic(self) -> bool:
        """True when the edit applies to every receiver."""
        return self.society is None


def catalogue(family: str) -> Mapping[EditId, tuple[Edit, ...]]:
    """Every edit of a family (``"2"`` or ``"3"``; versions such as ``"2.2"`` are accepted).

    Keys are in catalogue order (record type, level E-G-T-R-F, number); each value holds the
    edit's rows, generic row first, then by society code. The mapping is read-only and loaded
    once per family.
    """
    return _load(family_of(family))


@cache
def _load(family: str) -> Mapping[EditId, tuple[Edit, ...]]:
    name = _FILES[family]
    text = files("gateway").joinpath("validation", "data", name).read_text(encoding="utf-8")
    rows: dict[EditId, list[Edit]] = {}
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != _COLUMNS:
        raise ValueError(f"{name}: expected columns {_COLUMNS}, found {reader.fieldnames}")
    for line, record in enumerate(reader, start=2):
        try:
            edit_id = EditId(record["record_type"], record["level"], record["number"])
        except ValueError as error:
            raise ValueError(f"{name} line {line}: {error}") from None
        rejection = record["rejection"]
        if rejection not in REJECTIONS:
            raise ValueError(f"{name} line {line}: bad rejection level {rejection!r}")
        society = record["society"] or None
        rows.setdefault(edit_id, []).append(
            Edit(
                id=edit_id,
                society=society,
                rejection=rejection,
                text=record["text"],
                source=record["source"] or _DEFAULT_SOURCE[family],
            )
        )
    ordered = sorted(rows)
    return MappingProxyType(
        {
            i: tuple(sorted(rows[i], key=lambda e: (e.society is not None, e.society or "")))
            for i in ordered
        }
    )


def edit(family: str, edit_id: EditId | str) -> Edit:
    """The generic row of an edit, or its first society row when it has no generic one."""
    key = EditId.of(edit_id)
    rows = catalogue(family).get(key)
    if not rows:
        raise KeyError(f"{key} is not in the CWR {family_of(family)}.x edit catalogue")
    return rows[0]
