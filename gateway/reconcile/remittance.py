"""The money actually received, checked against what the statements say they pay.

The bank credited ``amount`` after taking ``bank_charges``; so ``amount + bank_charges`` should
equal the statements' net total, converted into the remittance's currency (at the published
rate in force on the remittance date) where a statement is in another currency.

* In one currency, any difference is a ``remittance_mismatch``.
* Across currencies, the bank's rate rarely equals the published one. A difference within
  ``fx_tolerance`` (0.5 % by default) of the expected amount is accepted and shown with the
  implied rate; up to ``band`` (5 %) it is ``fx_inconsistent`` (the rate applied is off); past
  that the money itself is wrong: ``remittance_mismatch``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal

from gateway.model import StatementHeader
from gateway.reconcile.fx import Rate, RateTable, convert_at
from gateway.reconcile.money import Money, MoneyError, from_minor
from gateway.reconcile.result import Discrepancy, ReconcileError, RemittanceCheck

_RATE_DIGITS = Context(prec=10)


@dataclass(frozen=True, slots=True)
class Remittance:
    """A payment received: the amount credited, when, and what the banks kept."""

    amount: Money
    on: date | None = None
    bank_charges: Money | None = None
    reference: str = ""

    def __post_init__(self) -> None:
        charges = self.bank_charges
        if charges is not None and charges.currency != self.amount.currency:
            raise MoneyError(
                f"bank charges {charges} are not in the remittance's {self.amount.currency}"
            )


def check_remittance(
    remittance: Remittance,
    statements: list[tuple[StatementHeader, Money]],
    rates: RateTable,
    *,
    fx_tolerance: Decimal,
    band: Decimal,
) -> tuple[RemittanceCheck, list[Discrepancy]]:
    """The check and the discrepancies it raises (none, one mismatch or one FX finding)."""
    currency = remittance.amount.currency
    on = remittance.on or max(header.period_end for header, _ in statements)
    expected = from_minor(0, currency)
    used: list[Rate] = []
    foreign = Decimal(0)
    for header, paid in statements:
        if paid.currency == currency:
            expected += paid
            continue
        try:
            rate = rates.rate_on(on, paid.currency, currency)
        except MoneyError as error:
            raise ReconcileError(f"cannot check the remittance: {error}") from None
        expected += convert_at(paid, rate).converted
        used.append(rate)
        foreign += paid.amount
        del header
    charges = remittance.bank_charges or from_minor(0, currency)
    implied = ""
    currencies = {paid.currency for _, paid in statements}
    if used and len(currencies) == 1 and foreign:
        implied = str(_RATE_DIGITS.divide((remittance.amount + charges).amount, foreign))
    check = RemittanceCheck(
        received=remittance.amount,
        bank_charges=charges,
        expected=expected,
        on=on.isoformat(),
        rates=tuple(used),
        implied_rate=implied,
    )
    gap = check.difference
    if not gap.minor:
        return check, []
    kind = "remittance_mismatch"
    if used:
        off = abs(gap.amount) / abs(expected.amount) if expected.minor else Decimal(1)
        if off <= fx_tolerance:
            return check, []
        if off <= band:
            kind = "fx_inconsistent"
    ids = ", ".join(dict.fromkeys(header.distribution_id for header, _ in statements))
    senders = ", ".join(dict.fromkeys(header.sender_society for header, _ in statements))
    received = remittance.amount + charges
    message = (
        f"received {remittance.amount} + {charges} bank charges = {received}; the statements "
        f"pay {expected}"
    )
    if kind == "fx_inconsistent":
        message += f" at the published rate; the rate applied was {implied or 'another'}"
    evidence = [("received", str(remittance.amount.amount)),
                ("bank_charges", str(charges.amount)),
                ("expected", str(expected.amount)), ("date", on.isoformat())]  # fmt: skip
    if implied:
        evidence += [("implied_rate", implied), ("published_rate", str(used[0].rate))]
    if remittance.reference:
        evidence.append(("reference", remittance.reference))
    return check, [
        Discrepancy(
            kind=kind,
            direction="underpaid" if gap.minor > 0 else "overpaid",
            distribution_id=ids,
            sender_society=senders,
            amount=from_minor(abs(gap.minor), currency),
            amount_home=from_minor(abs(gap.minor), currency),
            message=message,
            evidence=tuple(evidence),
        )
    ]
