"""Chain-of-title edits: who may own, who follows whom within a publisher chain."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.model import Work
from gateway.validation.registry import Finding, edit
from gateway.validation.rules._work import (
    OWNING_PUBLISHER_TYPES,
    RIGHTS,
    WORK_TYPES,
    chains,
    ownership,
)


@edit("NWR T 016", *WORK_TYPES)
def no_other_publisher_in_controlled_chain(work: Work) -> Iterator[Finding]:
    """An OPU never sits in a chain that an SPU started."""
    for _, chain in chains(work):
        if chain[0].record_type == "SPU":
            yield from (
                Finding(p, f"OPU in chain {p.publisher_sequence}")
                for p in chain
                if p.record_type == "OPU"
            )


@edit("NWR T 017", *WORK_TYPES)
def one_original_publisher_per_chain(work: Work) -> Iterator[Finding]:
    """A chain holds at most one original publisher (type E)."""
    for number, chain in chains(work):
        originals = [p for p in chain if p.publisher_type == "E"]
        if len(originals) > 1:
            yield Finding(originals[1], f"chain {number} has {len(originals)} original publishers")


@edit("SPU F 019", *WORK_TYPES)
def only_owners_own(work: Work) -> Iterator[Finding]:
    """Only original publishers (E) and acquirers (AQ) hold ownership shares."""
    for p in work.publishers:
        if (
            p.publisher_type
            and p.publisher_type not in OWNING_PUBLISHER_TYPES
            and any(ownership(p, r) for r in RIGHTS)
        ):
            yield Finding(
                p,
                f"publisher type {p.publisher_type} owns shares",
                field="publisher_type",
                value=p.publisher_type,
            )


@edit("NWR T 025", *WORK_TYPES)
def controlled_chain_owns_something(work: Work) -> Iterator[Finding]:
    """Each submitter chain has ownership above zero on its E or AQ for at least one right."""
    for number, chain in chains(work):
        if chain[0].record_type != "SPU":
            continue
        owners = [p for p in chain if p.publisher_type in OWNING_PUBLISHER_TYPES]
        if owners and not any(ownership(p, r) for p in owners for r in RIGHTS):
            yield Finding(
                chain[0], f"chain {number}: its original publisher and acquirers own nothing"
            )


@edit("NWR T 026", *WORK_TYPES)
def acquirer_follows_empty_original(work: Work) -> Iterator[Finding]:
    """An acquirer (AQ) in a chain means the original publisher before it owns nothing."""
    for _, chain in chains(work):
        for i, p in enumerate(chain):
            if p.publisher_type != "AQ":
                continue
            originals = [q for q in chain[:i] if q.publisher_type == "E"]
            if originals and any(ownership(originals[-1], r) for r in RIGHTS):
                yield Finding(p, "the original publisher before this acquirer still owns shares")


@edit("NWR T 007", *WORK_TYPES)
def controlled_chain_has_territory(work: Work) -> Iterator[Finding]:
    """Every submitter chain that owns shares says where it collects: an SPT in the chain."""
    for number, chain in chains(work):
        if chain[0].record_type != "SPU":
            continue
        if any(ownership(p, r) for p in chain for r in RIGHTS) and not any(
            p.territories for p in chain
        ):
            yield Finding(chain[0], f"chain {number} has no SPT")
