"""Named code tables: the CWR lookups, plus societies, TIS territories and currencies."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from gateway.codes._currencies import currencies
from gateway.codes._load import data_dir, read_table
from gateway.codes._societies import societies
from gateway.codes._territories import territories

_SUFFIX = ".tsv"

# Tables served from the other code lists rather than from a file of their own.
_DERIVED: dict[str, Callable[[], dict[str, str]]] = {
    "society": lambda: {code: s.name for code, s in societies().items()},
    "tis": lambda: {code: t.name for code, t in territories().items()},
    "currency": lambda: {code: c.name for code, c in currencies().items()},
}


@cache
def lookup_tables() -> tuple[str, ...]:
    """The names of every code table, sorted."""
    files = (p.name for p in data_dir("lookups").iterdir() if p.name.endswith(_SUFFIX))
    return tuple(sorted({*(name.removesuffix(_SUFFIX) for name in files), *_DERIVED}))


@cache
def _descriptions(table: str) -> dict[str, str]:
    if table not in lookup_tables():
        known = ", ".join(lookup_tables())
        raise KeyError(f"unknown code table {table!r}; known tables: {known}")
    if table in _DERIVED:
        return _DERIVED[table]()
    rows = read_table("lookups", table + _SUFFIX)
    return {row["code"]: row["description"] or row["definition"] for row in rows}


@cache
def lookup(table: str) -> frozenset[str]:
    """The codes of a named table; KeyError names the known tables if ``table`` is not one."""
    return frozenset(_descriptions(table))


def describe(table: str, code: str) -> str | None:
    """What a code of a table means (its name, else its definition); None if not a code."""
    return _descriptions(table).get(code)
