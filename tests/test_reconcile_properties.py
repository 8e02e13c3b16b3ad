"""Properties of reconciliation over generated statements: money is never lost or made up.

Statements are drawn over the three registered works of ``reconcile_data``: lines for their
parties at random shares, for a party not on the work, for works nobody registered; amounts
positive, negative and zero; some lines repeated. Whatever the draw, every minor unit paid is
either matched or in suspense (in the statement's currency and at home), what is matched is
the sum of the lines that name a registered work, the result does not depend on the order the
lines come in, and no discrepancy puts a negative amount at stake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st
from reconcile_data import (
    CINDERS_ISWC,
    FERRY_ISWC,
    FRANCE,
    GERMANY,
    HARBOUR_ISWC,
    HOLLOWAY_IPI,
    MEYER_IPI,
    NORTHBANK_IPI,
    OKAFOR_IPI,
    PRICE_IPI,
    header,
    line,
    reconcile,
    registry_of,
)

from gateway.codes import minor_units
from gateway.model import StatementLine
from gateway.reconcile.engine import ReconcileOptions
from gateway.reconcile.fx import Rate, RateTable
from gateway.reconcile.result import Reconciliation

REGISTRY = registry_of()  # read once; reconciling never changes it
HOME = "USD"
# Made-up quotes into the home currency, in force on the statements' period end.
RATES = RateTable(
    [
        Rate(date(2025, 6, 30), "EUR", HOME, Decimal("1.0825"), "test"),
        Rate(date(2025, 6, 30), "JPY", HOME, Decimal("0.006731"), "test"),
        Rate(date(2025, 6, 30), "BHD", HOME, Decimal("2.6525"), "test"),
    ]
)
PROPERTIES = settings(max_examples=100, deadline=None)


@dataclass(frozen=True)
class Payee:
    """Whom a generated line pays, and whether that names a registered work."""

    title: str
    iswc: str
    name: str
    ipi: str
    role: str
    registered_work: bool


PAYEES = (
    Payee("MIDNIGHT FERRY", FERRY_ISWC, "NORTHBANK MUSIC LTD", NORTHBANK_IPI, "E", True),
    Payee("MIDNIGHT FERRY", FERRY_ISWC, "HOLLOWAY JAMES", HOLLOWAY_IPI, "CA", True),
    Payee("SALT AND CINDERS", CINDERS_ISWC, "OKAFOR ADAEZE", OKAFOR_IPI, "CA", True),
    Payee("HARBOUR LIGHTS", HARBOUR_ISWC, "PRICE EVELYN", PRICE_IPI, "CA", True),
    Payee("HARBOUR LIGHTS", HARBOUR_ISWC, "MEYER KLAUS", MEYER_IPI, "CA", True),
    Payee("MIDNIGHT FERRY", FERRY_ISWC, "EVANS TOM", "", "CA", True),  # not on the work
    Payee("LONG WAY TO LEEDS", "", "PRICE EVELYN", "", "C", False),  # nobody registered it
    Payee("QUIET RIVER AT DAWN", "", "STONE MAY", "", "A", False),
)


@dataclass(frozen=True)
class Drawn:
    """One generated line: whom it pays, its share, net in minor units, where, and copies."""

    payee: Payee
    share: int
    minor: int
    territory: str
    use_type: str
    copies: int

    def payment(self) -> tuple[Payee, int, int, str, str]:
        """All that makes two lines the same payment (their numbers aside)."""
        return self.payee, self.share, self.minor, self.territory, self.use_type


def drawn_lines(*, copies: int) -> st.SearchStrategy[list[Drawn]]:
    """Up to 12 lines; each appears 1 to ``copies`` times."""
    one = st.builds(
        Drawn,
        payee=st.sampled_from(PAYEES),
        share=st.sampled_from([0, 2500, 3333, 5000, 7500, 10000]),
        minor=st.one_of(st.just(0), st.integers(-50_000, -1), st.integers(1, 5_000_000)),
        territory=st.sampled_from([GERMANY, FRANCE]),
        use_type=st.sampled_from(["PerformInPublic", "Broadcast"]),
        copies=st.integers(1, copies),
    )
    if copies == 1:  # no line twice: two draws alike would be copies of each other
        return st.lists(one, min_size=1, max_size=12, unique_by=Drawn.payment)
    return st.lists(one, min_size=1, max_size=12)


def statement_lines(drawn: list[Drawn], currency: str) -> list[StatementLine]:
    """The statement lines of a draw, numbered 1, 2, ... in the order drawn, copies in place."""
    units = minor_units(currency)
    lines: list[StatementLine] = []
    for item in drawn:
        net = Decimal(item.minor).scaleb(-units)
        for _ in range(item.copies):
            payee = item.payee
            lines.append(
                line(
                    len(lines) + 1,
                    f"{net:f}",
                    work_title=payee.title,
                    iswc=payee.iswc,
                    ip_name=payee.name,
                    ip_ipi_name_number=payee.ipi,
                    ip_role=payee.role,
                    share=item.share,
                    territory=item.territory,
                    use_type=item.use_type,
                    currency=currency,
                )
            )
    return lines


def run(lines: list[StatementLine], currency: str) -> Reconciliation:
    """Reconcile the lines as one statement in ``currency``, totals also in USD."""
    return reconcile(
        REGISTRY,
        lines,
        statement=header(currency=currency),
        rates=RATES,
        options=ReconcileOptions(home=HOME),
    )


def at_home(amount: Decimal, currency: str) -> Decimal:
    """``amount`` converted to USD at the test's quote, rounded half-even to the cent."""
    rate = RATES.rate_on(date(2025, 6, 30), currency, HOME).rate
    return (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


currencies = st.sampled_from(["EUR", "JPY", "BHD"])


@PROPERTIES
@given(drawn=drawn_lines(copies=3), currency=currencies)
def test_every_minor_unit_paid_is_matched_or_in_suspense(drawn: list[Drawn], currency: str) -> None:
    lines = statement_lines(drawn, currency)
    result = run(lines, currency)
    (statement,) = result.statements
    totals = statement.totals
    paid = sum((item.net for item in lines), Decimal(0))
    in_suspense = sum(
        (item.minor * item.copies for item in drawn if not item.payee.registered_work), 0
    )
    assert totals.paid.amount == paid
    assert totals.suspense.minor == in_suspense
    assert totals.paid == totals.matched + totals.suspense
    assert totals.difference == totals.expected - totals.matched
    assert statement.lines == len(lines)
    assert statement.matched_lines + statement.suspense_lines == len(lines)
    # At home: each total converted once, suspense the rest, so the sum still holds.
    home = statement.totals_home
    assert home.paid.currency == HOME
    assert home.paid.amount == at_home(totals.paid.amount, currency)
    assert home.matched.amount == at_home(totals.matched.amount, currency)
    assert home.expected.amount == at_home(totals.expected.amount, currency)
    assert home.paid == home.matched + home.suspense
    assert home.difference == home.expected - home.matched
    assert result.totals_home == home


# Found by hypothesis: a zero-share line makes the work's use paid on the whole while the lines
# that state a share net to less than nothing; the missing co-party was expected a negative sum.
REVERSAL_BESIDE_A_ZERO_SHARE = [
    Drawn(PAYEES[0], share=0, minor=2, territory=FRANCE, use_type="Broadcast", copies=1),
    Drawn(PAYEES[0], share=2500, minor=-1, territory=FRANCE, use_type="Broadcast", copies=1),
]


@PROPERTIES
@given(drawn=drawn_lines(copies=3), currency=currencies)
@example(drawn=REVERSAL_BESIDE_A_ZERO_SHARE, currency="EUR")
def test_no_discrepancy_puts_a_negative_amount_at_stake(drawn: list[Drawn], currency: str) -> None:
    result = run(statement_lines(drawn, currency), currency)
    for found in result.discrepancies:
        assert found.amount.currency == currency
        assert found.amount.minor >= 0, found
        assert found.amount_home.currency == HOME
        assert found.amount_home.minor >= 0, found
        assert found.amount_home.amount == at_home(found.amount.amount, currency)
    # each distinct line in suspense is reported once as unmatched, at its amount
    unmatched = sorted(d.amount.minor for d in result.discrepancies if d.kind == "unmatched_line")
    distinct = {item.payment() for item in drawn if not item.payee.registered_work}
    assert unmatched == sorted(abs(minor) for _, _, minor, _, _ in distinct)


@PROPERTIES
@given(drawn=drawn_lines(copies=1), currency=currencies, data=st.data())
def test_the_order_of_distinct_lines_does_not_matter(
    drawn: list[Drawn], currency: str, data: st.DataObject
) -> None:
    lines = statement_lines(drawn, currency)
    shuffled = data.draw(st.permutations(lines), label="shuffled")
    assert run(shuffled, currency).to_dict() == run(lines, currency).to_dict()


@PROPERTIES
@given(drawn=drawn_lines(copies=3), currency=currencies, data=st.data())
def test_the_order_of_lines_with_duplicates_does_not_matter(
    drawn: list[Drawn], currency: str, data: st.DataObject
) -> None:
    lines = statement_lines(drawn, currency)
    shuffled = data.draw(st.permutations(lines), label="shuffled")
    in_order, reordered = run(lines, currency), run(shuffled, currency)
    assert reordered.statements[0].totals == in_order.statements[0].totals
    assert reordered.to_dict() == in_order.to_dict()
