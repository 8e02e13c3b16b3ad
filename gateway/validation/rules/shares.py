"""Ownership and collection share edits (CWR 2.x §5.6 digest; 2.1 Rev 8 §4.5.7)."""

from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter

from gateway.model import Publisher, Work, Writer
from gateway.validation.registry import Finding, edit
from gateway.validation.rules._work import RIGHTS, TOLERANCE, WORK_TYPES, ownership, percent

_LIMITS = {"pr": 5000, "mr": 10000, "sr": 10000}


_collection = attrgetter("pr_collection_share", "mr_collection_share", "sr_collection_share")


def _parties(work: Work) -> list[Publisher | Writer]:
    return [*work.publishers, *work.writers]


@edit("NWR T 004", *WORK_TYPES)
def publisher_ownership_ceiling(work: Work) -> Iterator[Finding]:
    """SPU + OPU ownership: PR at most 50 %, MR and SR at most 100 %."""
    for right in RIGHTS:
        total = sum(ownership(p, right) for p in work.publishers)
        if total > _LIMITS[right] + TOLERANCE:
            yield Finding(work, f"publishers' {right.upper()} ownership totals {percent(total)}")


@edit("NWR T 009", *WORK_TYPES)
def writer_ownership_range(work: Work) -> Iterator[Finding]:
    """SWR + OWR PR ownership is 0 or at least 50 %, and no right exceeds 100 %."""
    if not work.writers:
        return
    pr = sum(ownership(w, "pr") for w in work.writers)
    if 0 < pr < 5000 - TOLERANCE:
        yield Finding(work, f"writers' PR ownership totals {percent(pr)}, under 50 %")
    for right in RIGHTS:
        total = sum(ownership(w, right) for w in work.writers)
        if total > 10000 + TOLERANCE:
            yield Finding(work, f"writers' {right.upper()} ownership totals {percent(total)}")


@edit("NWR T 011", *WORK_TYPES)
def ownership_totals(work: Work) -> Iterator[Finding]:
    """Writers plus publishers own 0 % or 100 % of each right."""
    for right in RIGHTS:
        total = sum(ownership(p, right) for p in _parties(work))
        if total and abs(total - 10000) > TOLERANCE:
            yield Finding(
                work, f"{right.upper()} ownership totals {percent(total)}, not 0 or 100 %"
            )


@edit("NWR T 014", *WORK_TYPES)
def collection_per_territory(work: Work) -> Iterator[Finding]:
    """Collection shares of one right in one territory total at most 100 %."""
    # One [pr, mr, sr] per territory: a work has ~130 territory records, each met once here.
    totals: dict[str, list[int]] = {}
    for party in _parties(work):
        for territory in party.territories:
            if territory.inclusion_exclusion != "I":
                continue
            pr, mr, sr = _collection(territory)
            sums = totals.get(territory.tis_code)
            if sums is None:
                totals[territory.tis_code] = [pr or 0, mr or 0, sr or 0]
            else:
                sums[0] += pr or 0
                sums[1] += mr or 0
                sums[2] += sr or 0
    for tis in sorted(totals):
        if max(totals[tis]) <= 10000 + TOLERANCE:
            continue
        for right, total in sorted(zip(RIGHTS, totals[tis], strict=True)):  # by right's name
            if total > 10000 + TOLERANCE:
                yield Finding(
                    work, f"{right.upper()} collection in territory {tis} totals {percent(total)}"
                )


@edit("SPU F 013", *WORK_TYPES)
def publisher_pr_range(work: Work) -> Iterator[Finding]:
    """A publisher's PR ownership lies within 0-50 %."""
    for p in work.publishers:
        if (p.pr_ownership_share or 0) > 5000:
            yield Finding(p, field="pr_ownership_share", value=percent(p.pr_ownership_share or 0))


@edit("SPU F 016", *WORK_TYPES)
def publisher_mr_range(work: Work) -> Iterator[Finding]:
    """A publisher's MR ownership lies within 0-100 %."""
    for p in work.publishers:
        if (p.mr_ownership_share or 0) > 10000:
            yield Finding(p, field="mr_ownership_share", value=percent(p.mr_ownership_share or 0))


@edit("SPU F 018", *WORK_TYPES)
def publisher_sr_range(work: Work) -> Iterator[Finding]:
    """A publisher's SR ownership lies within 0-100 %."""
    for p in work.publishers:
        if (p.sr_ownership_share or 0) > 10000:
            yield Finding(p, field="sr_ownership_share", value=percent(p.sr_ownership_share or 0))


@edit("SPT F 006", *WORK_TYPES)
def territory_pr_range(work: Work) -> Iterator[Finding]:
    """A publisher's PR collection in a territory lies within 0-50 %."""
    for p in work.publishers:
        for t in p.territories:
            if (t.pr_collection_share or 0) > 5000:
                yield Finding(
                    t, field="pr_collection_share", value=percent(t.pr_collection_share or 0)
                )


@edit("SWR F 011", *WORK_TYPES)
def writer_pr_range(work: Work) -> Iterator[Finding]:
    """A writer's PR ownership lies within 0-100 %."""
    for w in work.writers:
        if (w.pr_ownership_share or 0) > 10000:
            yield Finding(w, field="pr_ownership_share", value=percent(w.pr_ownership_share or 0))


@edit("SWT R 003", *WORK_TYPES, rejection="FR")
def excluded_territory_without_shares(work: Work) -> Iterator[Finding]:
    """An excluded territory ('E') carries no collection shares."""
    for w in work.writers:
        for t in w.territories:
            if t.inclusion_exclusion == "E" and any(
                getattr(t, f"{r}_collection_share") for r in RIGHTS
            ):
                yield Finding(t, field="inclusion_exclusion", value="E")
