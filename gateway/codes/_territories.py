"""CISAC TIS territories and the countries each group covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

from gateway.codes._load import iso_date, read_table

COUNTRY = "LND"  # TIS type of a country; groups are GLG, PLG or WLG
_OPEN_END = date(3999, 12, 31)  # TIS's "valid until further notice"


@dataclass(frozen=True, slots=True)
class Territory:
    """One TIS territory: a country (kind LND) or a group of countries."""

    code: str  # TIS-N, 4 digits, zero-padded: "0276", "2136"
    name: str
    kind: str  # LND country; GLG, PLG, WLG geographic, political, economic group
    alpha2: str  # TIS-A: ISO 3166 alpha-2 for a country, "2WL"-style for a group
    valid_from: date
    valid_to: date


@dataclass(frozen=True, slots=True)
class _Member:
    code: str
    valid_from: date
    valid_to: date


@cache
def territories() -> dict[str, Territory]:
    """Every current TIS territory, by 4-digit code."""
    return {
        row["code"]: Territory(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            alpha2=row["alpha2"],
            valid_from=date.fromisoformat(row["valid_from"]),
            valid_to=date.fromisoformat(row["valid_to"]),
        )
        for row in read_table("territories.tsv")
    }


@cache
def _members() -> dict[str, tuple[_Member, ...]]:
    groups: dict[str, list[_Member]] = {}
    for row in read_table("territory_members.tsv"):
        start, end = iso_date(row["valid_from"]), iso_date(row["valid_to"])
        member = _Member(row["member"], start or date.min, end or _OPEN_END)
        groups.setdefault(row["group"], []).append(member)
    return {group: tuple(members) for group, members in groups.items()}


def territory_key(code: str | int) -> str | None:
    """A TIS code as the 4 digits CWR writes (276, "276" and "0276" give "0276")."""
    text = str(code).strip()
    if not (text.isascii() and text.isdigit()) or int(text) > 9999:
        return None
    return f"{int(text):04d}"


def territory(code: str | int) -> Territory | None:
    """The TIS territory with this code; None if unknown."""
    key = territory_key(code)
    return None if key is None else territories().get(key)


def territory_countries(code: str | int, *, on: date | None = None) -> frozenset[str]:
    """The 4-digit codes of the countries a territory covers (a country covers itself).

    Without ``on``, memberships still open in the TIS tables count (the United Kingdom is not
    in 2123 European Union); with ``on``, those valid on that day (it is, on 2019-06-01), and
    then former countries such as 0280 may appear. Unknown codes raise KeyError.
    """
    key = territory_key(code)
    if key is None or (key not in territories() and key not in _members()):
        raise KeyError(f"unknown TIS territory code {code!r}")
    return _countries(key, on)


@lru_cache(maxsize=1024)
def _countries(key: str, on: date | None) -> frozenset[str]:
    members = _members().get(key)
    if members is None:
        return frozenset({key})
    found: set[str] = set()
    for member in members:
        if _belongs(member, on):
            found |= _countries(member.code, on)
    return frozenset(found)


def _belongs(member: _Member, on: date | None) -> bool:
    if on is None:
        return member.valid_to == _OPEN_END
    return member.valid_from <= on <= member.valid_to
