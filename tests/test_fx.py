"""FX rates: the CSV rates file and its errors, lookup rules, inverses and conversion evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gateway.reconcile.fx import (
    INVERSE_DIGITS,
    Conversion,
    MissingRateError,
    Rate,
    RatesError,
    RateTable,
    convert,
    load_rates,
    parse_rates,
)
from gateway.reconcile.money import MoneyError, from_minor, money

HEADER = "date,from,to,rate,source\n"
JAN, FEB, MAR = dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 28)

RATES = (
    HEADER
    + "2024-01-31,EUR,USD,1.0825,ECB\n"
    + "2024-02-29,EUR,USD,1.0813,ECB\n"
    + "2024-01-31,GBP,EUR,1.1700,BoE\n"
    + "2024-03-28,EUR,GBP,0.8500,ECB\n"
    + "2024-01-31,EUR,JPY,160.25,ECB\n"
)


@pytest.fixture
def table() -> RateTable:
    return parse_rates(RATES, "rates.csv")


def test_parse_reads_every_row(table: RateTable) -> None:
    """Each data row becomes one quote with its date, pair, exact rate and source."""
    assert len(table) == 5
    rate = table.rate_on(JAN, "EUR", "USD")
    assert rate == Rate(JAN, "EUR", "USD", Decimal("1.0825"), "ECB")


def test_header_columns_may_come_in_any_order_with_blanks_bom_and_case() -> None:
    """A reordered header, a byte order mark, blank lines, padding and lower-case codes are read."""
    text = "\ufeff\nSource, rate ,date,to,from\n\nECB,1.5,2024-01-31, usd ,eur\n\n"
    rate = parse_rates(text, "r.csv").rate_on(JAN, "EUR", "USD")
    assert rate == Rate(JAN, "EUR", "USD", Decimal("1.5"), "ECB")


def test_quoted_fields_are_read() -> None:
    """A source with a comma, quoted as CSV quotes it, is kept whole."""
    text = HEADER + '2024-01-31,EUR,USD,1.08,"WM/Reuters, 4pm fix"\n'
    assert parse_rates(text).rate_on(JAN, "EUR", "USD").source == "WM/Reuters, 4pm fix"


def test_identical_duplicate_is_kept_once() -> None:
    """The same quote repeated is not an error and counts once."""
    line = "2024-01-31,EUR,USD,1.08,ECB\n"
    assert len(parse_rates(HEADER + line + line)) == 1


@pytest.mark.parametrize(
    ("text", "where", "match"),
    [
        ("", "r.csv: ", "empty"),
        ("\n\n", "r.csv: ", "empty"),
        ("2024-01-31,EUR,USD,1.08,ECB\n", "line 1", "header"),
        ("date,from,to,rate\n", "line 1", "header"),
        ("date,from,to,rate,source,note\n", "line 1", "header"),
        ("date,from,to,rate,rate\n", "line 1", "header"),
        (HEADER + "2024-01-31,EUR,USD,1.08\n", "line 2", "4 fields"),
        (HEADER + "2024-01-31,EUR,USD,1.08,ECB,x\n", "line 2", "6 fields"),
        (HEADER + "31/01/2024,EUR,USD,1.08,ECB\n", "line 2, column 'date'", "YYYY-MM-DD"),
        (HEADER + "20240131,EUR,USD,1.08,ECB\n", "line 2, column 'date'", "YYYY-MM-DD"),
        (HEADER + "2024-02-30,EUR,USD,1.08,ECB\n", "line 2, column 'date'", "calendar"),
        (HEADER + "2024-01-31,EUX,USD,1.08,ECB\n", "line 2, column 'from'", "unknown"),
        (HEADER + "2024-01-31,EUR,XAU,1.08,ECB\n", "line 2, column 'to'", "no minor units"),
        (HEADER + "2024-01-31,EUR,EUR,1,ECB\n", "line 2, column 'to'", "both EUR"),
        (HEADER + "2024-01-31,EUR,USD,0,ECB\n", "line 2, column 'rate'", "positive"),
        (HEADER + "2024-01-31,EUR,USD,0.000,ECB\n", "line 2, column 'rate'", "positive"),
        (HEADER + "2024-01-31,EUR,USD,-1.08,ECB\n", "line 2, column 'rate'", "positive"),
        (HEADER + "2024-01-31,EUR,USD,1e2,ECB\n", "line 2, column 'rate'", "positive"),
        (HEADER + "2024-01-31,EUR,USD,1,08,ECB\n", "line 2", "6 fields"),
        (HEADER + "2024-01-31,EUR,USD,NaN,ECB\n", "line 2, column 'rate'", "positive"),
        (HEADER + "2024-01-31,EUR,USD,,ECB\n", "line 2, column 'rate'", "positive"),
        (HEADER + "2024-01-31,EUR,USD,1.08, \n", "line 2, column 'source'", "empty"),
        (
            HEADER + "2024-01-31,EUR,USD,1.08,ECB\n\n2024-01-31,EUR,USD,1.09,ECB\n",
            "line 4, column 'rate'",
            "1.09 here but 1.08 on line 2",
        ),
    ],
)
def test_every_bad_rates_file_names_its_line_and_column(text: str, where: str, match: str) -> None:
    """Each way a rates file can be wrong raises RatesError naming the file, line and column."""
    with pytest.raises(RatesError, match=match) as caught:
        parse_rates(text, "r.csv")
    assert str(caught.value).startswith("r.csv")
    assert where in str(caught.value)
    assert isinstance(caught.value, MoneyError)
    assert caught.value.code == "bad_rates"


def test_rate_table_refuses_conflicting_quotes_given_directly() -> None:
    """Two different rates for one pair and date are refused however the table is built."""
    with pytest.raises(RatesError, match=r"1\.1 \(A\) and 1\.2 \(B\)"):
        RateTable(
            [
                Rate(JAN, "EUR", "USD", Decimal("1.1"), "A"),
                Rate(JAN, "EUR", "USD", Decimal("1.2"), "B"),
            ]
        )


def test_load_rates_reads_a_file(tmp_path: Path) -> None:
    """load_rates reads the CSV at a path and names it in errors."""
    path = tmp_path / "rates.csv"
    path.write_text(RATES, encoding="utf-8")
    assert len(load_rates(path)) == 5
    path.write_text(HEADER + "2024-01-31,EUR,USD,x,ECB\n", encoding="utf-8")
    with pytest.raises(RatesError, match=rf"^{path}, line 2, column 'rate'"):
        load_rates(str(path))


def test_load_rates_reports_unreadable_files(tmp_path: Path) -> None:
    """A missing file or one that is not UTF-8 gets a RatesError, not a traceback."""
    with pytest.raises(RatesError, match="cannot read"):
        load_rates(tmp_path / "missing.csv")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(HEADER.encode() + b"2024-01-31,EUR,USD,1.08,Banque de France \xe9\n")
    with pytest.raises(RatesError, match="not UTF-8"):
        load_rates(bad)


def test_lookup_uses_the_latest_quote_on_or_before_the_date(table: RateTable) -> None:
    """A date between quotes uses the earlier one; the quote's own date uses it."""
    assert table.rate_on(JAN, "EUR", "USD").rate == Decimal("1.0825")
    assert table.rate_on(FEB - dt.timedelta(days=1), "EUR", "USD").rate == Decimal("1.0825")
    assert table.rate_on(FEB, "EUR", "USD").rate == Decimal("1.0813")
    assert table.rate_on(dt.date(2030, 1, 1), "EUR", "USD").date == FEB


def test_lookup_before_the_first_quote_is_missing(table: RateTable) -> None:
    """No quote on or before the date is a MissingRateError naming the pair and date."""
    with pytest.raises(MissingRateError, match=r"EUR/USD .* on or before 2024-01-30"):
        table.rate_on(JAN - dt.timedelta(days=1), "EUR", "USD")
    with pytest.raises(MissingRateError, match="USD/JPY"):
        table.rate_on(MAR, "USD", "JPY")


def test_lookup_refuses_a_quote_older_than_max_age(table: RateTable) -> None:
    """With max_age, a latest quote older than the limit is refused; at the limit it is used."""
    limit = dt.timedelta(days=30)
    assert table.rate_on(FEB + limit, "EUR", "USD", max_age=limit).date == FEB
    with pytest.raises(MissingRateError, match="older than 30 days"):
        table.rate_on(FEB + limit + dt.timedelta(days=1), "EUR", "USD", max_age=limit)


def test_same_currency_is_identity(table: RateTable) -> None:
    """Converting a currency to itself uses exactly 1 and says so."""
    rate = table.rate_on(JAN, "KWD", "KWD")
    assert rate.rate == 1
    assert "identity" in rate.source


def test_lookup_checks_the_currencies(table: RateTable) -> None:
    """An unknown currency in a lookup is a MoneyError, not a missing rate."""
    with pytest.raises(MoneyError, match="EUX"):
        table.rate_on(JAN, "EUX", "EUX")


def test_inverse_is_used_when_only_the_opposite_pair_is_quoted(table: RateTable) -> None:
    """USD/EUR comes from the EUR/USD quote, inverted to INVERSE_DIGITS digits, naming it."""
    rate = table.rate_on(JAN, "USD", "EUR")
    published = table.rate_on(JAN, "EUR", "USD")
    assert rate.inverse_of == published
    assert (rate.from_currency, rate.to_currency, rate.date, rate.source) == (
        "USD",
        "EUR",
        JAN,
        "ECB",
    )
    assert len(rate.rate.as_tuple().digits) == INVERSE_DIGITS
    assert abs(rate.rate * published.rate - 1) < Decimal(10) ** -(INVERSE_DIGITS - 1)
    assert "inverse" in str(rate)


def test_exact_inverse_is_exact() -> None:
    """An inverse that terminates (1 / 0.8) is exact, not padded."""
    table = RateTable([Rate(JAN, "GBP", "EUR", Decimal("0.8"), "X")])
    assert table.rate_on(JAN, "EUR", "GBP").rate == Decimal("1.25")


def test_a_more_recent_opposite_quote_wins(table: RateTable) -> None:
    """The latest quote in either direction is used: a March EUR/GBP beats a January GBP/EUR."""
    assert table.rate_on(FEB, "GBP", "EUR").rate == Decimal("1.1700")
    march = table.rate_on(MAR, "GBP", "EUR")
    assert march.inverse_of is not None
    assert march.inverse_of.rate == Decimal("0.8500")


def test_on_the_same_date_the_direct_quote_wins() -> None:
    """When both directions are quoted for one date, the direct quote is used as published."""
    table = parse_rates(HEADER + "2024-01-31,EUR,USD,1.08,A\n2024-01-31,USD,EUR,0.93,B\n")
    assert table.rate_on(JAN, "EUR", "USD").source == "A"
    assert table.rate_on(JAN, "USD", "EUR").source == "B"


def test_convert_keeps_the_evidence(table: RateTable) -> None:
    """A conversion holds the original, the rounded result and the rate, date and source used."""
    conversion = convert(money("1000.00", "EUR"), "USD", dt.date(2024, 2, 15), table)
    assert conversion == Conversion(
        original=money("1000.00", "EUR"),
        converted=money("1082.50", "USD"),
        rate=Rate(JAN, "EUR", "USD", Decimal("1.0825"), "ECB"),
    )
    assert str(conversion) == "1000.00 EUR -> 1082.50 USD at 1 EUR = 1.0825 USD on 2024-01-31, ECB"


def test_convert_rounds_half_even_to_the_target_scale(table: RateTable) -> None:
    """Only the product is rounded, half-even, to the target's minor units."""
    assert convert(money("0.10", "EUR"), "JPY", JAN, table).converted == money(16, "JPY")
    # 0.02 * 160.25 = 3.205 JPY -> 3; 0.40 * 1.0825 = 0.433 USD -> 0.43
    assert convert(money("0.02", "EUR"), "JPY", JAN, table).converted == money(3, "JPY")
    assert convert(money("0.40", "EUR"), "USD", JAN, table).converted == money("0.43", "USD")
    half = RateTable([Rate(JAN, "EUR", "USD", Decimal("0.5"), "X")])
    assert convert(money("0.05", "EUR"), "USD", JAN, half).converted == money("0.02", "USD")
    assert convert(money("-0.07", "EUR"), "USD", JAN, half).converted == money("-0.04", "USD")


def test_convert_to_the_same_currency_is_identity(table: RateTable) -> None:
    """An amount converted to its own currency is unchanged, at rate 1."""
    conversion = convert(money("12.345", "BHD"), "BHD", JAN, table)
    assert conversion.converted == conversion.original
    assert conversion.rate.rate == 1


def test_convert_without_a_rate_is_a_clear_error(table: RateTable) -> None:
    """A conversion with no quote raises MissingRateError naming the pair."""
    with pytest.raises(MissingRateError, match="USD/KWD"):
        convert(money(1, "USD"), "KWD", JAN, table)


# Rates of the form 2**i * 5**j * 10**k have inverses that are exact decimals.
exact_rates = st.builds(
    lambda i, j, k: Decimal(2) ** i * Decimal(5) ** j * Decimal(10) ** k,
    st.integers(0, 6),
    st.integers(0, 6),
    st.integers(-6, 3),
)
currencies = st.sampled_from(("JPY", "EUR", "KWD", "BHD", "CLP", "USD"))


@given(st.integers(-(10**12), 10**12), currencies, currencies, exact_rates, st.booleans())
def test_round_trip_stays_within_one_minor_unit(
    minor: int, source: str, target: str, rate: Decimal, published_both: bool
) -> None:
    """Out and back at exactly inverse rates moves an amount by at most one minor unit.

    That holds when one minor unit of the source is worth at least one of the target (else
    the target cannot tell the amounts apart); the way back uses a published quote or the
    derived inverse.
    """
    original = from_minor(minor, source)
    assume(source != target)
    assume(from_minor(1, source).amount * rate >= from_minor(1, target).amount)
    quotes = [Rate(JAN, source, target, rate, "test")]
    if published_both:
        quotes.append(Rate(JAN, target, source, 1 / rate, "test"))
    table = RateTable(quotes)
    out = convert(original, target, JAN, table).converted
    back = convert(out, source, JAN, table)
    assert back.rate.rate * rate == 1
    assert abs(back.converted.minor - original.minor) <= 1
