"""ISO 4217 currencies and their minor units (the list of 2026-01-01)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from gateway.codes._load import read_table


@dataclass(frozen=True, slots=True)
class Currency:
    """One ISO 4217 currency; ``minor_units`` is None where ISO says N.A. (gold, SDR, ...)."""

    code: str
    numeric: str
    name: str
    minor_units: int | None


@cache
def currencies() -> dict[str, Currency]:
    """Every ISO 4217 currency, by alphabetic code."""
    return {
        row["code"]: Currency(
            code=row["code"],
            numeric=row["numeric"],
            name=row["name"],
            minor_units=int(row["minor_units"]) if row["minor_units"] else None,
        )
        for row in read_table("currencies.tsv")
    }


def minor_units(currency: str) -> int:
    """Decimal places of an ISO 4217 currency (JPY 0, EUR 2, BHD 3, CLF 4).

    Raises KeyError for an unknown code and ValueError for one without minor units (XAU).
    """
    found = currencies().get(currency)
    if found is None:
        raise KeyError(f"unknown ISO 4217 currency code {currency!r}")
    if found.minor_units is None:
        raise ValueError(f"ISO 4217 gives {currency} no minor units")
    return found.minor_units
