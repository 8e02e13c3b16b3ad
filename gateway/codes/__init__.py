"""Reference code tables shipped as package data: CWR lookups, societies, TIS, ISO 4217.

The tables under ``data/`` are written by ``tools/build_codes.py`` from the public reference
files; nothing here reads anything outside the package. Every table loads once, on first use.
"""

from __future__ import annotations

from gateway.codes._currencies import minor_units
from gateway.codes._lookups import describe, lookup, lookup_tables
from gateway.codes._senders import Sender, sender_by_code, sender_by_ipi
from gateway.codes._societies import Society, sending_society, society
from gateway.codes._territories import Territory, territory, territory_countries

__all__ = [
    "Sender",
    "Society",
    "Territory",
    "describe",
    "lookup",
    "lookup_tables",
    "minor_units",
    "sender_by_code",
    "sender_by_ipi",
    "sending_society",
    "society",
    "territory",
    "territory_countries",
]
