"""Exact money: quantization per currency, rounding, allocation, arithmetic and parsing."""

from __future__ import annotations

import itertools
from decimal import Decimal
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.model import SHARE_WHOLE
from gateway.reconcile.money import (
    MAX_DIGITS,
    AmountError,
    CurrencyError,
    CurrencyMismatchError,
    Money,
    MoneyError,
    allocate,
    from_minor,
    money,
    parse_amount,
    share_of,
    sum_money,
)

# One currency for each scale from 0 to 3 minor units (CLF, with 4, is tested on its own).
CURRENCIES = ("JPY", "EUR", "KWD", "BHD", "CLP", "USD")

currencies = st.sampled_from(CURRENCIES)
minor_counts = st.integers(min_value=-(10**15), max_value=10**15)
weight_lists = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(
    any
)


@st.composite
def amounts(draw: st.DrawFn) -> Money:
    return from_minor(draw(minor_counts), draw(currencies))


@st.composite
def shares_summing_to_whole(draw: st.DrawFn) -> list[int]:
    """Shares in hundredths of a percent that add up to exactly 100.00 %."""
    cuts = sorted(draw(st.lists(st.integers(0, SHARE_WHOLE), max_size=10)))
    bounds = [0, *cuts, SHARE_WHOLE]
    return [high - low for low, high in itertools.pairwise(bounds)]


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("1234", "JPY", "1234"),
        ("2.5", "JPY", "2"),  # half to even
        ("3.5", "JPY", "4"),
        ("1.005", "EUR", "1.00"),
        ("1.015", "EUR", "1.02"),
        ("1.0151", "EUR", "1.02"),
        ("-1.005", "EUR", "-1.00"),
        ("-1.015", "EUR", "-1.02"),
        ("7", "EUR", "7.00"),
        ("0.0005", "KWD", "0.000"),
        ("0.0015", "BHD", "0.002"),
        ("1.23456", "BHD", "1.235"),
        ("1.23455", "CLF", "1.2346"),
    ],
)
def test_money_quantizes_half_even_to_the_currency_scale(
    value: str, currency: str, expected: str
) -> None:
    """An amount is rounded half-even to exactly its currency's minor units."""
    result = money(value, currency)
    assert result.amount == Decimal(expected)
    assert result.amount.as_tuple().exponent == Decimal(expected).as_tuple().exponent
    assert str(result) == f"{expected} {currency}"


def test_money_accepts_decimal_and_int_and_prints_plainly() -> None:
    """Decimal and int amounts are accepted, and str() never uses an exponent."""
    assert money(Decimal("12.345"), "EUR") == money("12.34", "EUR")
    assert str(money(10**12, "JPY")) == "1000000000000 JPY"
    assert str(money(5, "BHD")) == "5.000 BHD"


def test_negative_zero_prints_as_zero() -> None:
    """A negative amount that rounds to zero is plain zero, not -0.00."""
    assert str(money("-0.001", "EUR")) == "0.00 EUR"
    assert str(-money(0, "EUR")) == "0.00 EUR"
    assert str(Money(Decimal("-0.00"), "EUR")) == "0.00 EUR"


@pytest.mark.parametrize(
    "bad", [1.5, 0.1, float("nan"), True, "NaN", "inf", "-Infinity", "abc", []]
)
def test_money_refuses_inexact_or_non_finite_amounts(bad: object) -> None:
    """Floats, booleans, NaN, infinities and non-numbers are refused with AmountError."""
    with pytest.raises(AmountError, match=r"amount|float|bool|finite|decimal"):
        money(bad, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize(("currency", "reason"), [("EUX", "unknown"), ("XAU", "no minor units")])
def test_money_refuses_unusable_currencies(currency: str, reason: str) -> None:
    """An unknown code, or one without minor units, is a CurrencyError naming it."""
    with pytest.raises(CurrencyError, match=reason):
        money("1", currency)


def test_money_refuses_too_many_digits() -> None:
    """An amount longer than MAX_DIGITS digits is refused, not silently rounded."""
    money("9" * (MAX_DIGITS - 2), "EUR")
    with pytest.raises(AmountError, match="digits"):
        money("9" * (MAX_DIGITS - 1), "EUR")


def test_direct_construction_must_be_at_scale() -> None:
    """Money() accepts an amount already at its currency's scale and refuses any other."""
    assert Money(Decimal("1.50"), "EUR") == money("1.5", "EUR")
    with pytest.raises(AmountError, match="scale"):
        Money(Decimal("1.5"), "EUR")
    with pytest.raises(AmountError, match="finite"):
        Money(Decimal("NaN"), "EUR")


def test_minor_counts_whole_minor_units() -> None:
    """``minor`` is the amount in cents, yen or fils."""
    assert money("12.34", "EUR").minor == 1234
    assert money("-0.05", "EUR").minor == -5
    assert money("500", "JPY").minor == 500
    assert money("1.234", "KWD").minor == 1234
    longest = "9" * (MAX_DIGITS - 2)
    assert money(longest, "EUR").minor == int(longest + "00")


@given(amounts())
def test_from_minor_round_trips(amount: Money) -> None:
    """from_minor(m.minor) gives m back."""
    assert from_minor(amount.minor, amount.currency) == amount


def test_arithmetic_and_ordering_within_one_currency() -> None:
    """Addition, subtraction, negation and comparison work exactly within a currency."""
    a, b = money("0.10", "EUR"), money("0.20", "EUR")
    assert a + b == money("0.30", "EUR")
    assert b - a == a
    assert -a == money("-0.10", "EUR")
    assert a < b
    assert a <= b
    assert b > a
    assert b >= a
    assert b <= money("0.20", "EUR")
    assert sum_money([a, b, -a], "EUR") == b
    assert sum_money([], "KWD") == money(0, "KWD")


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_mixed_currencies_are_refused(operation: object) -> None:
    """Arithmetic or ordering across two currencies raises CurrencyMismatchError."""
    with pytest.raises(CurrencyMismatchError, match=r"EUR and 1\.00 USD"):
        operation(money(1, "EUR"), money(1, "USD"))  # type: ignore[operator]


def test_equality_across_currencies_is_false_not_an_error() -> None:
    """Equal numbers in two currencies are different money."""
    assert money(1, "EUR") != money(1, "USD")


def test_sum_money_refuses_a_stray_currency() -> None:
    """A total over amounts in another currency is refused."""
    with pytest.raises(CurrencyMismatchError):
        sum_money([money(1, "EUR"), money(1, "GBP")], "EUR")


def test_arithmetic_past_the_digit_limit_is_refused() -> None:
    """A sum too long to hold exactly raises instead of rounding."""
    big = money("9" * (MAX_DIGITS - 2), "EUR")
    with pytest.raises(AmountError, match="exceeds"):
        _ = big + big


@pytest.mark.parametrize(
    ("amount", "share", "expected"),
    [
        ("100.00", 5000, "50.00"),
        ("0.05", 5000, "0.02"),  # 2.5 cents: half to even
        ("0.03", 5000, "0.02"),  # 1.5 cents: half to even
        ("-0.05", 5000, "-0.02"),
        ("10.00", 3333, "3.33"),
        ("1", 1, "0.00"),
        ("101", 5000, "50"),  # JPY below
    ],
)
def test_share_of_rounds_half_even(amount: str, share: int, expected: str) -> None:
    """share_of takes hundredths of a percent and rounds half-even to the minor unit."""
    currency = "JPY" if "." not in amount else "EUR"
    assert share_of(money(amount, currency), share) == money(expected, currency)


@given(amounts())
def test_share_of_whole_is_identity_and_zero_is_zero(amount: Money) -> None:
    """100.00 % of an amount is the amount; 0 % is zero."""
    assert share_of(amount, SHARE_WHOLE) == amount
    assert share_of(amount, 0) == money(0, amount.currency)


@pytest.mark.parametrize("share", [-1, SHARE_WHOLE + 1, True])
def test_share_of_refuses_shares_out_of_range(share: int) -> None:
    """A share outside 0..100.00 % is an error naming it."""
    with pytest.raises(MoneyError, match="share"):
        share_of(money(1, "EUR"), share)


def test_allocate_known_cases() -> None:
    """Left-over units go to the largest remainders, the earlier position first on a tie."""
    eur = money("100.00", "EUR")
    assert [m.minor for m in allocate(eur, [1, 1, 1])] == [3334, 3333, 3333]
    assert [m.minor for m in allocate(money("0.05", "EUR"), [1, 0, 1, 1])] == [2, 0, 2, 1]
    assert [m.minor for m in allocate(money("-0.05", "EUR"), [1, 0, 1, 1])] == [-2, 0, -2, -1]
    assert [m.minor for m in allocate(money("10", "JPY"), [3, 7])] == [3, 7]
    assert [m.minor for m in allocate(money("1", "JPY"), [1, 2])] == [0, 1]


@pytest.mark.parametrize(
    ("weights", "match"), [([], "no weights"), ([0, 0], "all are zero"), ([1, -1], "position 1")]
)
def test_allocate_refuses_unusable_weights(weights: list[int], match: str) -> None:
    """Empty, all-zero or negative weights are refused with a clear error."""
    with pytest.raises(MoneyError, match=match):
        allocate(money(1, "EUR"), weights)


@given(amounts(), weight_lists)
def test_allocation_sums_exactly_and_is_fair(total: Money, weights: list[int]) -> None:
    """Parts add up to the total, each is its exact share rounded down or up, zero weights get 0."""
    parts = allocate(total, weights)
    assert sum_money(parts, total.currency) == total
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Decimal(abs(total.minor) * weight) / Decimal(whole)
        assert abs(part.minor) - exact > -1
        assert abs(part.minor) - exact < 1
        if weight == 0:
            assert part.minor == 0


@given(amounts(), weight_lists)
def test_allocation_is_deterministic_monotone_and_mirrors_reversals(
    total: Money, weights: list[int]
) -> None:
    """Same input, same parts; a heavier weight never gets less; a reversal is the mirror image."""
    parts = allocate(total, weights)
    assert allocate(total, list(weights)) == parts
    assert allocate(-total, weights) == [-part for part in parts]
    for i, wi in enumerate(weights):
        for j, wj in enumerate(weights):
            if wi > wj:
                assert abs(parts[i].minor) >= abs(parts[j].minor)


@given(amounts(), weight_lists, st.randoms(use_true_random=False))
def test_allocation_follows_its_weights_when_reordered(
    total: Money, weights: list[int], rng: Random
) -> None:
    """Reordering the weights reorders the parts, up to the tie-break between equal remainders."""
    order = list(range(len(weights)))
    rng.shuffle(order)
    parts = allocate(total, weights)
    shuffled = allocate(total, [weights[i] for i in order])
    whole, units = sum(weights), abs(total.minor)
    remainders = [units * w % whole for w in weights]
    for new, old in enumerate(order):
        tied = remainders.count(remainders[old]) > 1
        if not tied:
            assert shuffled[new] == parts[old]
        else:
            assert abs(shuffled[new].minor - parts[old].minor) <= 1
    assert sum_money(shuffled, total.currency) == total


@given(amounts(), shares_summing_to_whole())
def test_shares_of_one_hundred_percent_allocate_exactly(total: Money, shares: list[int]) -> None:
    """Shares that sum to 100.00 % split a total exactly, each within a unit of share_of."""
    parts = allocate(total, shares)
    assert sum_money(parts, total.currency) == total
    for part, share in zip(parts, shares, strict=True):
        assert abs(part.minor - share_of(total, share).minor) <= 1


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("1234.56", "EUR", "1234.56"),
        ("-0.50", "EUR", "-0.50"),
        ("+12", "EUR", "12.00"),
        ("  7.5 ", "EUR", "7.50"),
        ("12.340", "EUR", "12.34"),
        ("1500", "JPY", "1500"),
        ("1500.00", "JPY", "1500"),
        ("0.125", "BHD", "0.125"),
        ("-0", "EUR", "0.00"),
    ],
)
def test_parse_amount_reads_plain_decimals(text: str, currency: str, expected: str) -> None:
    """Statement amounts with an optional sign and decimal point are read exactly."""
    assert parse_amount(text, currency) == money(expected, currency)


@pytest.mark.parametrize(
    ("text", "currency", "match"),
    [
        ("1,234.56", "EUR", "commas"),
        ("1.234,56", "EUR", "commas"),
        ("1,234", "KWD", "commas"),
        ("12.345", "EUR", "decimal places"),
        ("0.5", "JPY", "decimal places"),
        ("1e3", "EUR", "plain decimal"),
        ("NaN", "EUR", "plain decimal"),
        ("Infinity", "EUR", "plain decimal"),
        (".5", "EUR", "plain decimal"),
        ("5.", "EUR", "plain decimal"),
        ("1 234", "EUR", "plain decimal"),
        ("", "EUR", "plain decimal"),
        ("12.34-", "EUR", "plain decimal"),
        ("€12", "EUR", "plain decimal"),
        ("1" * (MAX_DIGITS + 1), "EUR", "digits"),
    ],
)
def test_parse_amount_refuses_ambiguous_or_malformed_text(
    text: str, currency: str, match: str
) -> None:
    """Separators, exponents, stray characters and excess decimals are refused, quoting the text."""
    with pytest.raises(AmountError, match=match):
        parse_amount(text, currency)


def test_parse_amount_refuses_unknown_currency() -> None:
    """The currency is checked before the text."""
    with pytest.raises(CurrencyError, match="EUX"):
        parse_amount("1.00", "EUX")


@given(amounts())
def test_parse_amount_reads_what_str_writes(amount: Money) -> None:
    """The amount part of str(m) parses back to m."""
    assert parse_amount(str(amount).split()[0], amount.currency) == amount
