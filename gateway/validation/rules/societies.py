"""Society-specific edits (2.2 Rev 2 §7). They run only where a society's rule pack enables them."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.model import Work
from gateway.validation.registry import Finding, edit
from gateway.validation.rules._work import WORK_TYPES, percent

_SOCIETY_FIELDS = ("pr_society", "mr_society", "sr_society")


def _controlled_in(work: Work, society: str) -> bool:
    """Whether an SPU is affiliated with ``society`` for the performing or mechanical right."""
    return any(
        p.record_type == "SPU" and society in (p.pr_society, p.mr_society) for p in work.publishers
    )


def _publisher_societies(work: Work) -> set[str]:
    return {getattr(p, f) for p in work.publishers for f in _SOCIETY_FIELDS} - {""}


@edit("NWR T 030", *WORK_TYPES)
def gema_publisher(work: Work) -> Iterator[Finding]:
    """GEMA: no SPU affiliated with GEMA for PR or MR means no participation."""
    if not _controlled_in(work, "035"):
        yield Finding(work, "no SPU affiliated with GEMA (035) for PR or MR")


@edit("NWR T 041", *WORK_TYPES)
def sacem_publisher(work: Work) -> Iterator[Finding]:
    """SACEM: at least one SPU with PR or MR society 058."""
    if not any(
        p.record_type == "SPU" and "058" in (p.pr_society, p.mr_society) for p in work.publishers
    ):
        yield Finding(work, "no SPU affiliated with SACEM (058) for PR or MR")


@edit("NWR T 029", *WORK_TYPES)
def ascap_writer_share(work: Work) -> Iterator[Finding]:
    """ASCAP: ASCAP writers own at most 50 % of the performing right."""
    total = sum(w.pr_ownership_share or 0 for w in work.writers if w.pr_society == "010")
    if total > 5000:
        yield Finding(work, f"ASCAP writers own {percent(total)} of PR")


@edit("NWR T 045", *WORK_TYPES)
def siae_publisher(work: Work) -> Iterator[Finding]:
    """SIAE: no SIAE-affiliated publisher means no participation."""
    if "074" not in _publisher_societies(work):
        yield Finding(work, "no publisher affiliated with SIAE (074)")
