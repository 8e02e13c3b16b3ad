"""Writer edits: who wrote the work, and what the version type demands of them."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.model import Work
from gateway.validation.registry import Finding, edit
from gateway.validation.rules._work import RIGHTS, TOLERANCE, WORK_TYPES, ownership

_AUTHORS = frozenset({"C", "A", "CA"})
_ADAPTERS = frozenset({"AR", "AD", "SR", "SA", "TR"})


@edit("NWR T 012", *WORK_TYPES)
def has_a_writer(work: Work) -> Iterator[Finding]:
    """A work has at least one SWR or OWR."""
    if not work.writers:
        yield Finding(work)


@edit("NWR T 015", *WORK_TYPES)
def has_an_author(work: Work) -> Iterator[Finding]:
    """At least one writer is a composer or author (C, A, CA)."""
    if work.writers and not any(w.designation in _AUTHORS for w in work.writers):
        yield Finding(work)


@edit("NWR T 010", *WORK_TYPES)
def modified_work_has_adapter(work: Work) -> Iterator[Finding]:
    """A MOD work has an arranger, adapter, sub-arranger, sub-author or translator."""
    if (
        work.version_type == "MOD"
        and work.writers
        and not any(w.designation in _ADAPTERS for w in work.writers)
    ):
        yield Finding(work, field="version_type", value="MOD")


@edit("NWR T 023", *WORK_TYPES)
def original_work_has_no_arranger(work: Work) -> Iterator[Finding]:
    """An ORI work has no arranger, adapter or sub-arranger."""
    if work.version_type == "ORI":
        for w in work.writers:
            if w.designation in ("AR", "AD", "SR"):
                yield Finding(w, field="designation", value=w.designation)


@edit("SWR R 002", *WORK_TYPES)
def controlled_writer_has_publisher(work: Work) -> Iterator[Finding]:
    """An SWR is followed by a PWR unless the writers own the whole work."""
    for right in RIGHTS:
        if abs(sum(ownership(w, right) for w in work.writers) - 10000) <= TOLERANCE:
            return
    for w in work.writers:
        if w.record_type == "SWR" and not w.publishers:
            yield Finding(w, f"SWR {w.interested_party_number} has no PWR")


@edit("NWR T 020", *WORK_TYPES)
def controlled_writer_has_territory(work: Work) -> Iterator[Finding]:
    """Every SWR with ownership has at least one SWT."""
    for w in work.writers:
        if w.record_type == "SWR" and any(ownership(w, r) for r in RIGHTS) and not w.territories:
            yield Finding(w, f"SWR {w.interested_party_number} has no SWT")


@edit("NWR T 003", *WORK_TYPES)
def serious_work_has_instrumentation(work: Work) -> Iterator[Finding]:
    """A SER work carries instrumentation (INS, or IND since 2.2)."""
    if work.distribution_category == "SER" and not (work.instrumentation or work.instruments):
        yield Finding(work, field="distribution_category", value="SER")
