"""The base of every model record, and the vocabulary the model speaks."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, TypeAlias

# A share in hundredths of a percent, exactly as CWR's 999v99 holds it: 5000 = 50.00 %.
Share: TypeAlias = int
SHARE_WHOLE: Share = 10000  # 100.00 %


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """Anything one CWR record says; ``record_type`` keeps which record said it."""

    record_type: str
    # Text a record carried past its specified length: kept, never dropped, and reported.
    extra: str = ""


def values(record: Record) -> dict[str, Any]:
    """A record's own field values (children excluded), in declaration order."""
    return {
        f.name: getattr(record, f.name)
        for f in fields(record)
        if not isinstance(getattr(record, f.name), (tuple, Record))
    }
