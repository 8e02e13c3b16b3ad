"""Small views of a work's parties that several rules share."""

from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.model import Publisher, Work, Writer

RIGHTS = ("pr", "mr", "sr")
TOLERANCE = 6  # hundredths of a percent: CISAC's ± 0.06 % on every total
# The 2.x work edits run on registrations; ISW and EXC come from societies and may bypass
# them (2.1 Rev 8 §4.5.5 note). 3.x transaction edits carry other numbers: not these rules.
WORK_TYPES = ("NWR", "REV")
OWNING_PUBLISHER_TYPES = frozenset({"E", "AQ"})


def ownership(party: Publisher | Writer, right: str) -> int:
    """A party's ownership share of one right, in hundredths (blank counts as zero)."""
    share: int | None = _OWNERSHIP[right](party)
    return share or 0


_OWNERSHIP = {right: attrgetter(f"{right}_ownership_share") for right in RIGHTS}


def chains(work: Work) -> Iterator[tuple[int, list[Publisher]]]:
    """The work's publisher chains: (chain number, publishers in file order)."""
    by_chain: dict[int, list[Publisher]] = {}
    for publisher in work.publishers:
        by_chain.setdefault(publisher.publisher_sequence or 0, []).append(publisher)
    yield from by_chain.items()


def percent(hundredths: int) -> str:
    """12345 -> '123.45 %'."""
    return f"{hundredths // 100}.{hundredths % 100:02d} %"
