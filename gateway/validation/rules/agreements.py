"""Agreement (AGR) edits: territories, parties and their shares."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.model import Agreement
from gateway.validation.registry import Finding, edit
from gateway.validation.rules._work import TOLERANCE, percent


@edit("AGR T 002", "AGR")
def has_territory(agreement: Agreement) -> Iterator[Finding]:
    """An agreement names at least one territory (TER)."""
    if not agreement.territories:
        yield Finding(agreement)


@edit("AGR T 003", "AGR")
def has_assignor_and_acquirer(agreement: Agreement) -> Iterator[Finding]:
    """An agreement has an assignor (AS) and at least one acquirer (AC)."""
    roles = {p.agreement_role for p in agreement.parties}
    if not {"AS", "AC"} <= roles:
        yield Finding(agreement, f"parties' roles: {', '.join(sorted(roles)) or 'none'}")


@edit("AGR T 005", "AGR")
def shares_total_whole(agreement: Agreement) -> Iterator[Finding]:
    """The parties' shares total 100 % for each right they cover."""
    for right in ("pr", "mr", "sr"):
        total = sum(getattr(p, f"{right}_share") or 0 for p in agreement.parties)
        if total and abs(total - 10000) > TOLERANCE:
            yield Finding(agreement, f"{right.upper()} shares total {percent(total)}")


@edit("IPA R 003", "AGR")
def party_holds_a_share(agreement: Agreement) -> Iterator[Finding]:
    """Every party holds a share of at least one right."""
    for p in agreement.parties:
        if not any(getattr(p, f"{r}_share") for r in ("pr", "mr", "sr")):
            yield Finding(p, f"{p.last_name}: all shares are zero")
