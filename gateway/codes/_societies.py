"""CISAC societies by their 3-digit code (SG26-0077, plus CWR's 000 and 099)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from gateway.codes._load import read_table


@dataclass(frozen=True, slots=True)
class Society:
    """One CISAC society code: who holds it, where, and its CISAC membership status."""

    code: str  # 3 digits, zero-padded: "052"
    name: str
    country: str
    status: str  # "Member", "Provisional", "Technical hub", ... or "CWR only"


@cache
def societies() -> dict[str, Society]:
    """Every society, by 3-digit code."""
    return {
        row["code"]: Society(row["code"], row["name"], row["country"], row["status"])
        for row in read_table("societies.tsv")
    }


def society_key(code: str) -> str | None:
    """A society code as the 3 digits CWR writes ("52" and "000000052" give "052")."""
    text = code.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > 999:
        return None
    return f"{int(text):03d}"


def sending_society(sender_type: str, sender_code: str) -> str:
    """The society a CWR header names as its sender (type SO), as 3 digits; 000 for anyone else."""
    key = society_key(sender_code) if sender_type.strip() == "SO" else None
    return key or "000"


def society(code: str) -> Society | None:
    """The society with this code, written with or without leading zeros; None if unknown."""
    key = society_key(code)
    return None if key is None else societies().get(key)
