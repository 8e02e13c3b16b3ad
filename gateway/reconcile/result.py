"""What a reconciliation found: totals in two currencies and every discrepancy with its evidence.

The JSON form (:meth:`Reconciliation.to_dict`) is the contract documented in
``docs/reconciliation.md``; the CSV, HTML and claims renderings lay out the same facts.
Amounts are strings (``"1234.56"``) beside their currency, never floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.model import StatementHeader, StatementIssue, StatementTotals
from gateway.reconcile.fx import Rate
from gateway.reconcile.money import Money


class ReconcileError(ValueError):
    """Reconciliation cannot run: no usable statement, a missing rate, a bad option."""

    code = "cannot_reconcile"


# kind -> what it means; the documented vocabulary of ``Discrepancy.kind``.
KINDS = {
    "unmatched_line": "no registered work matches the line: its amount is in suspense",
    "unregistered_party": "the work matched, but the party paid is not registered on it",
    "underpaid_share": "the line pays a smaller share than the one registered",
    "overpaid_share": "the line pays a larger share than the one registered",
    "missing_party": "a registered party of ours is not paid where the work was paid",
    "duplicate_line": "the same line (all but its number) appears more than once",
    "statement_total_mismatch": "a total the statement declares is not the sum of its lines",
    "remittance_mismatch": "the money received is not what the statements pay",
    "fx_inconsistent": "the money received implies an exchange rate off the published one",
}
# Which way the money at stake goes: claim it, give it back (or hold it), or find its owner.
DIRECTIONS = ("underpaid", "overpaid", "unallocated")


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One finding, with the money at stake in the statement's and the home currency."""

    kind: str
    direction: str
    distribution_id: str
    sender_society: str
    amount: Money  # at stake, never negative, in the statement's (or remittance's) currency
    amount_home: Money
    message: str
    lines: tuple[int, ...] = ()  # statement line numbers
    work: str = ""  # our submitter work number, when matched
    title: str = ""
    party: str = ""
    rate: Rate | None = None  # converted the amount to the home currency
    evidence: tuple[tuple[str, str], ...] = ()

    def sort_key(self) -> tuple[object, ...]:
        """Statement, kind, first line: a stable order whatever the order lines came in.

        Total: findings that agree on all else are told apart by their evidence.
        """
        return (
            self.distribution_id, self.kind, self.lines, self.work, self.party, self.message,
            self.evidence,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "kind": self.kind,
            "direction": self.direction,
            "distribution_id": self.distribution_id,
            "sender_society": self.sender_society,
            "lines": list(self.lines),
            "work": self.work,
            "title": self.title,
            "party": self.party,
            "amount": money_dict(self.amount),
            "amount_home": money_dict(self.amount_home),
            "rate": rate_dict(self.rate),
            "message": self.message,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class Totals:
    """Paid, matched, in suspense, expected, and expected minus matched, in one currency.

    ``paid == matched + suspense`` always holds to the minor unit; ``difference`` is positive
    when we were paid less than our registrations entitle us to.
    """

    paid: Money
    matched: Money
    suspense: Money
    expected: Money

    @property
    def difference(self) -> Money:
        """Expected minus matched: what to claim (positive) or was overpaid (negative)."""
        return self.expected - self.matched

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "currency": self.paid.currency,
            "paid": str(self.paid.amount),
            "matched": str(self.matched.amount),
            "suspense": str(self.suspense.amount),
            "expected": str(self.expected.amount),
            "difference": str(self.difference.amount),
        }


@dataclass(frozen=True, slots=True)
class StatementResult:
    """One statement's figures: its own currency, the home currency, and how lines matched."""

    header: StatementHeader
    lines: int
    matched_lines: int
    suspense_lines: int
    methods: tuple[tuple[str, int], ...]  # match method -> lines
    totals: Totals
    totals_home: Totals
    rate: Rate | None
    declared: StatementTotals | None
    issues: tuple[StatementIssue, ...]
    issue_count: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        header = self.header
        return {
            "distribution_id": header.distribution_id,
            "source": header.source_file,
            "sender_society": header.sender_society,
            "recipient_society": header.recipient_society,
            "right_type": header.right_type,
            "period_start": header.period_start.isoformat(),
            "period_end": header.period_end.isoformat(),
            "currency": header.currency,
            "lines": self.lines,
            "matched_lines": self.matched_lines,
            "suspense_lines": self.suspense_lines,
            "match_methods": dict(self.methods),
            "totals": self.totals.to_dict(),
            "totals_home": self.totals_home.to_dict(),
            "rate": rate_dict(self.rate),
            "declared_totals": None if self.declared is None else {
                "line_count": self.declared.line_count,
                "gross": str(self.declared.gross),
                "deductions": str(self.declared.deductions),
                "net": str(self.declared.net),
            },
            "issue_count": self.issue_count,
            "issues": [
                {"line": i.line, "column": i.column, "field": i.field, "value": i.value,
                 "message": i.message}
                for i in self.issues
            ],
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class RemittanceCheck:
    """The money received against what the statements pay, in the remittance's currency."""

    received: Money
    bank_charges: Money
    expected: Money  # the statements' net, converted where needed
    on: str  # ISO date of the remittance (or of the conversion when none was given)
    rates: tuple[Rate, ...]
    implied_rate: str = ""  # when one foreign currency was converted: received / net

    @property
    def difference(self) -> Money:
        """Expected minus received plus charges: positive when we received too little."""
        return self.expected - (self.received + self.bank_charges)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "received": money_dict(self.received),
            "bank_charges": money_dict(self.bank_charges),
            "expected": money_dict(self.expected),
            "difference": money_dict(self.difference),
            "date": self.on,
            "rates": [rate_dict(rate) for rate in self.rates],
            "implied_rate": self.implied_rate or None,
        }


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Everything one run found, over one or more statements."""

    home: str
    statements: tuple[StatementResult, ...]
    discrepancies: tuple[Discrepancy, ...]
    totals_home: Totals
    remittance: RemittanceCheck | None
    registry: dict[str, Any] = field(default_factory=dict)
    threshold: float = 0.0

    @property
    def reconciled(self) -> bool:
        """No discrepancy and no unreadable line: nothing for a person to look at."""
        return not self.discrepancies and not any(s.issue_count for s in self.statements)

    @property
    def exit_code(self) -> int:
        """0 all reconciled, 1 discrepancies or unreadable lines found."""
        return 0 if self.reconciled else 1

    def counts(self) -> dict[str, int]:
        """Discrepancies per kind (every documented kind, zero included)."""
        found = dict.fromkeys(KINDS, 0)
        for item in self.discrepancies:
            found[item.kind] += 1
        return found

    def to_dict(self) -> dict[str, Any]:
        """The JSON report."""
        return {
            "reconciled": self.reconciled,
            "home_currency": self.home,
            "match_threshold": self.threshold,
            "registrations": self.registry,
            "totals_home": self.totals_home.to_dict(),
            "statements": [statement.to_dict() for statement in self.statements],
            "remittance": None if self.remittance is None else self.remittance.to_dict(),
            "discrepancy_counts": self.counts(),
            "discrepancies": [item.to_dict() for item in self.discrepancies],
        }


def money_dict(amount: Money) -> dict[str, str]:
    """An amount as JSON: the exact decimal as a string and its currency."""
    return {"amount": str(amount.amount), "currency": amount.currency}


def rate_dict(rate: Rate | None) -> dict[str, Any] | None:
    """A rate as JSON, with where it came from."""
    if rate is None:
        return None
    published = rate.inverse_of
    return {
        "from": rate.from_currency,
        "to": rate.to_currency,
        "rate": str(rate.rate),
        "date": rate.date.isoformat(),
        "source": rate.source,
        "inverse_of": None if published is None else rate_dict(published),
    }
