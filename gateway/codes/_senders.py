"""CWR submitters (CWR06-1972): publisher name, submitter code and IPI name number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from gateway.codes._load import iso_date, read_table


@dataclass(frozen=True, slots=True)
class Sender:
    """One entry of the CWR sender ID and codes table."""

    name: str
    code: str  # 2-3 characters, as in CWR 2.x file names
    ipi_name_number: str  # 11 digits, or "" where the table gives none
    valid_from: date | None
    valid_to: date | None  # None: still valid


def _preference(sender: Sender) -> tuple[bool, date]:
    # Several rows can share a code or an IPI: prefer a current one, then the latest start.
    return (sender.valid_to is None, sender.valid_from or date.min)


@cache
def _senders() -> tuple[Sender, ...]:
    rows = [
        Sender(
            name=row["name"],
            code=row["code"],
            ipi_name_number=row["ipi_name_number"],
            valid_from=iso_date(row["valid_from"]),
            valid_to=iso_date(row["valid_to"]),
        )
        for row in read_table("senders.tsv")
    ]
    return tuple(sorted(rows, key=_preference, reverse=True))


@cache
def _by_code() -> dict[str, Sender]:
    found: dict[str, Sender] = {}
    for sender in _senders():
        found.setdefault(sender.code, sender)
    return found


@cache
def _by_ipi() -> dict[str, Sender]:
    found: dict[str, Sender] = {}
    for sender in _senders():
        if sender.ipi_name_number:
            found.setdefault(sender.ipi_name_number, sender)
    return found


def sender_by_code(code: str) -> Sender | None:
    """The sender with this submitter code (the current one where several share it)."""
    return _by_code().get(code.strip().upper())


def sender_by_ipi(ipi_name_number: str) -> Sender | None:
    """The sender with this IPI name number, written with or without leading zeros."""
    text = ipi_name_number.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 11:
        return None
    return _by_ipi().get(text.zfill(11))
