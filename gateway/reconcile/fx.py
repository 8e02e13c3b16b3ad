"""Dated FX rates from a CSV file, and conversions that keep the rate they used as evidence.

The rates file has a header line naming the columns ``date,from,to,rate,source`` (in any
order) and one rate a line: 1 ``from`` is worth ``rate`` ``to`` on ``date``. A lookup uses the
latest quote on or before the day asked for, in either direction of the pair; an inverse is
1 / rate rounded half-even to ``INVERSE_DIGITS`` significant digits and names the quote it
came from. The rules are written for a finance team in ``docs/money.md``.

Errors, under ``MoneyError`` of ``gateway.reconcile.money``::

    MoneyError (ValueError)
    ├── RatesError        the rates file is unusable: names the file, line and column
    └── MissingRateError  no quote for a pair on or before a date (or only a too old one)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from pathlib import Path

from gateway.reconcile.money import (
    CurrencyMismatchError,
    Money,
    MoneyError,
    currency_units,
    money,
)

INVERSE_DIGITS = 18
"""Significant digits of a derived inverse: relative error < 5e-18, < 0.5 unit below 1e17."""

COLUMNS = ("date", "from", "to", "rate", "source")

_INVERSE = Context(prec=INVERSE_DIGITS, rounding=ROUND_HALF_EVEN)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RATE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_IDENTITY_SOURCE = "identity (same currency)"


class RatesError(MoneyError):
    """A rates file that cannot be used; the message names the file, line and column."""

    code = "bad_rates"
    http_status = 500  # a rates table is the operator's configuration, not a client's input

    def __init__(self, message: str, *, source: str = "", line: int = 0, column: str = "") -> None:
        where = [source] if source else []
        if line:
            where.append(f"line {line}")
        if column:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.source = source
        self.line = line
        self.column = column


class MissingRateError(MoneyError):
    """No usable rate converts between two currencies on a date."""

    code = "missing_rate"
    http_status = 422


@dataclass(frozen=True, slots=True)
class Rate:
    """One quote: 1 ``from_currency`` is worth ``rate`` ``to_currency`` on ``date``.

    ``inverse_of`` is set on a rate derived by inverting a published quote, and holds that
    quote, so a report can show what was actually published.
    """

    date: dt.date
    from_currency: str
    to_currency: str
    rate: Decimal
    source: str
    inverse_of: Rate | None = None

    def inverse(self) -> Rate:
        """The opposite quote: 1 / rate to ``INVERSE_DIGITS`` significant digits, half-even."""
        return Rate(
            date=self.date,
            from_currency=self.to_currency,
            to_currency=self.from_currency,
            rate=_INVERSE.divide(Decimal(1), self.rate),
            source=self.source,
            inverse_of=self,
        )

    def __str__(self) -> str:
        quote = f"1 {self.from_currency} = {self.rate:f} {self.to_currency}"
        derived = " (inverse of the published quote)" if self.inverse_of else ""
        return f"{quote} on {self.date.isoformat()}, {self.source}{derived}"


@dataclass(frozen=True, slots=True)
class Conversion:
    """An amount converted, with the rate that converted it kept as evidence."""

    original: Money
    converted: Money
    rate: Rate

    def __str__(self) -> str:
        return f"{self.original} -> {self.converted} at {self.rate}"


class RateTable:
    """Published quotes by currency pair, each pair's quotes ordered by date."""

    def __init__(self, rates: Iterable[Rate] = ()) -> None:
        by_pair: dict[tuple[str, str], dict[dt.date, Rate]] = {}
        for rate in rates:
            quotes = by_pair.setdefault((rate.from_currency, rate.to_currency), {})
            known = quotes.get(rate.date)
            if known is not None and known.rate != rate.rate:
                raise RatesError(
                    f"two rates for {rate.from_currency}/{rate.to_currency} on {rate.date}: "
                    f"{known.rate} ({known.source}) and {rate.rate} ({rate.source})"
                )
            quotes.setdefault(rate.date, rate)
        self._quotes = {
            pair: [quotes[day] for day in sorted(quotes)] for pair, quotes in by_pair.items()
        }
        self._days = {
            pair: [quote.date for quote in quotes] for pair, quotes in self._quotes.items()
        }

    def __len__(self) -> int:
        return sum(len(quotes) for quotes in self._quotes.values())

    def _latest(self, pair: tuple[str, str], on: dt.date) -> Rate | None:
        days = self._days.get(pair, [])
        found = bisect_right(days, on)
        return self._quotes[pair][found - 1] if found else None

    def rate_on(
        self,
        on: dt.date,
        from_currency: str,
        to_currency: str,
        *,
        max_age: dt.timedelta | None = None,
    ) -> Rate:
        """The rate in force for ``from_currency`` to ``to_currency`` on ``on``.

        That is the latest quote dated on or before ``on``, published in either direction; on
        the same date the direct quote wins over the inverse of the opposite one. The same
        currency converts at exactly 1. With ``max_age``, a latest quote older than that is
        refused rather than used.
        """
        for currency in (from_currency, to_currency):
            currency_units(currency)
        if from_currency == to_currency:
            return Rate(on, from_currency, to_currency, Decimal(1), _IDENTITY_SOURCE)
        direct = self._latest((from_currency, to_currency), on)
        opposite = self._latest((to_currency, from_currency), on)
        if opposite is not None and (direct is None or opposite.date > direct.date):
            chosen = opposite.inverse()
        elif direct is not None:
            chosen = direct
        else:
            raise MissingRateError(
                f"no {from_currency}/{to_currency} rate (nor {to_currency}/{from_currency}) "
                f"on or before {on.isoformat()}"
            )
        if max_age is not None and on - chosen.date > max_age:
            raise MissingRateError(
                f"the latest {from_currency}/{to_currency} rate before {on.isoformat()} is of "
                f"{chosen.date.isoformat()}, older than {max_age.days} days"
            )
        return chosen


def convert(
    amount: Money, to: str, on: dt.date, table: RateTable, *, max_age: dt.timedelta | None = None
) -> Conversion:
    """``amount`` in currency ``to`` at the rate in force on ``on``, rounded half-even.

    The product of amount and rate is exact; only the result is rounded, to the minor units of
    ``to``. The ``Conversion`` keeps the ``Rate`` (value, date, source) that was used.
    """
    return convert_at(amount, table.rate_on(on, amount.currency, to, max_age=max_age))


def convert_at(amount: Money, rate: Rate) -> Conversion:
    """``amount`` converted at ``rate`` (from the amount's currency), rounded half-even."""
    if rate.from_currency != amount.currency:
        raise CurrencyMismatchError(f"{rate} does not convert {amount}")
    to = rate.to_currency
    digits = len(amount.amount.as_tuple().digits) + len(rate.rate.as_tuple().digits)
    product = Context(prec=digits).multiply(amount.amount, rate.rate)  # wide enough to be exact
    return Conversion(original=amount, converted=money(product, to), rate=rate)


def load_rates(path: str | Path) -> RateTable:
    """The rates in the CSV file at ``path``; errors name the file, line and column."""
    name = str(path)
    try:
        # utf-8-sig: spreadsheets often save a byte order mark before the header.
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise RatesError(f"cannot read the rates file: {error.strerror}", source=name) from None
    except UnicodeDecodeError as error:
        raise RatesError(f"not UTF-8 text (byte {error.start})", source=name) from None
    return parse_rates(text, name)


def parse_rates(text: str, source_name: str = "<rates>") -> RateTable:
    """The rates in CSV ``text``; ``source_name`` names it in errors.

    Blank lines are skipped. The same quote given twice is kept once (the first); the same
    pair and date with two different rates is an error naming both lines.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    columns: list[str] = []
    for row in reader:
        if any(cell.strip() for cell in row):
            columns = _columns(row, source_name, reader.line_num)
            break
    if not columns:
        raise RatesError(f"empty: expected a header line {','.join(COLUMNS)}", source=source_name)
    rates: list[Rate] = []
    seen: dict[tuple[dt.date, str, str], tuple[int, Rate]] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        if len(row) != len(columns):
            raise RatesError(
                f"{len(row)} fields where the header has {len(columns)}",
                source=source_name,
                line=line,
            )
        rate = _rate(
            dict(zip(columns, (cell.strip() for cell in row), strict=True)), source_name, line
        )
        key = (rate.date, rate.from_currency, rate.to_currency)
        if key in seen:
            first_line, first = seen[key]
            if first.rate != rate.rate:
                raise RatesError(
                    f"{rate.from_currency}/{rate.to_currency} on {rate.date.isoformat()} is "
                    f"{rate.rate} here but {first.rate} on line {first_line}",
                    source=source_name,
                    line=line,
                    column="rate",
                )
            continue
        seen[key] = (line, rate)
        rates.append(rate)
    return RateTable(rates)


def _columns(row: list[str], source_name: str, line: int) -> list[str]:
    columns = [cell.strip().lower() for cell in row]
    if sorted(columns) != sorted(COLUMNS):
        raise RatesError(
            f"the header must name the columns {','.join(COLUMNS)} once each, in any order; "
            f"got {','.join(columns)}",
            source=source_name,
            line=line,
        )
    return columns


def _rate(cells: dict[str, str], source_name: str, line: int) -> Rate:
    def fail(column: str, message: str) -> RatesError:
        return RatesError(message, source=source_name, line=line, column=column)

    day = cells["date"]
    if not _DATE.fullmatch(day):
        raise fail("date", f"{day!r} is not a date as YYYY-MM-DD")
    try:
        on = dt.date.fromisoformat(day)
    except ValueError:
        raise fail("date", f"{day!r} is not a calendar date") from None
    currencies: dict[str, str] = {}
    for column in ("from", "to"):
        code = cells[column].upper()
        try:
            currency_units(code)
        except MoneyError as error:
            raise fail(column, str(error)) from None
        currencies[column] = code
    if currencies["from"] == currencies["to"]:
        raise fail("to", f"from and to are both {currencies['to']}")
    value = cells["rate"]
    if not _RATE.fullmatch(value) or Decimal(value).is_zero():
        raise fail("rate", f"{value!r} is not a positive decimal like 1.0825")
    if not cells["source"]:
        raise fail("source", "empty: say who published the rate (ECB, WM/Reuters, ...)")
    return Rate(on, currencies["from"], currencies["to"], Decimal(value), cells["source"])
