"""A validation finding: what is wrong, where, and what CISAC says happens because of it."""

from __future__ import annotations

from dataclasses import dataclass

# CISAC levels of an edit (where it is defined) and the rejection each level implies by default.
LEVELS = ("E", "G", "T", "R", "F")
REJECTIONS = ("ER", "GR", "TR", "RR", "FR")
# How far a rejection reaches, widest first: ER rejects the file, FR only replaces a field.
REJECTION_RANK = {r: i for i, r in enumerate(REJECTIONS)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """One message of a validation report, located down to the field."""

    edit: str  # the edit's identity, "NWR F 005" (CISAC) or "GW R 002" (gateway's own)
    level: str  # E G T R F: where the edit is defined
    rejection: str  # ER GR TR RR FR: what it rejects
    record_type: str  # the record the message is about
    text: str
    line: int | None = None
    group: int | None = None
    transaction: int | None = None
    record_sequence: int | None = None
    field: str | None = None
    column: int | None = None  # 1-based start of the field in the record
    width: int | None = None
    value: str | None = None  # the offending text, when there is one

    @property
    def edit_number(self) -> str:
        """The three-digit validation number an ACK's MSG record carries."""
        return self.edit.rsplit(" ", 1)[-1]
