"""Exact money: ``Decimal`` amounts at their currency's ISO 4217 scale, split without loss.

Every amount is quantized to its currency's minor units (EUR 2, JPY 0, BHD 3) with
``ROUND_HALF_EVEN``: half a minor unit goes to the even neighbour, so rounding many statement
lines does not drift upwards the way half-up does; it is also IEEE 754's and ``decimal``'s
default, so a total rounded here agrees with one rounded by a database or a spreadsheet set to
banker's rounding. Splits that must add back up (``allocate``) never round: they hand out whole
minor units by largest remainder. The rules are written for a finance team in ``docs/money.md``.

The exception tree::

    MoneyError (ValueError)       an amount or currency is unusable
    ├── CurrencyError             unknown currency code, or one ISO gives no minor units (XAU)
    ├── CurrencyMismatchError     arithmetic or comparison across two currencies
    └── AmountError               an amount that is not an exact finite decimal, or too long

``gateway.reconcile.fx`` adds its own errors under ``MoneyError``. Each class carries a stable
API ``code`` and an HTTP status, as the routing errors do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
)

from gateway.codes import minor_units
from gateway.model import SHARE_WHOLE, Share

MAX_DIGITS = 34
"""Significant digits an amount may have (IEEE 754 decimal128): far beyond any royalty total."""

# Quantizing may round (that is its job) but must never lose leading digits.
_QUANTIZE = Context(prec=MAX_DIGITS, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow])
# Sums and differences of amounts at one scale are exact; a result too long to hold raises.
_EXACT = Context(prec=MAX_DIGITS, traps=[InvalidOperation, Overflow, Inexact, Rounded])

# Statement amounts: optional sign, digits, optional point and digits. Nothing else.
_AMOUNT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


class MoneyError(ValueError):
    """An amount or currency that cannot be used as money."""

    code = "bad_money"
    http_status = 400


class CurrencyError(MoneyError):
    """A currency code that is unknown or has no ISO 4217 minor units."""

    code = "bad_currency"


class CurrencyMismatchError(MoneyError):
    """Two amounts in different currencies were added, subtracted or compared."""

    code = "currency_mismatch"


class AmountError(MoneyError):
    """An amount that is not an exact, finite decimal of at most ``MAX_DIGITS`` digits."""

    code = "bad_amount"


def currency_units(currency: str) -> int:
    """Minor units of ``currency``, raising ``CurrencyError`` where money cannot be held in it."""
    try:
        return minor_units(currency)
    except KeyError:
        raise CurrencyError(f"unknown ISO 4217 currency code {currency!r}") from None
    except ValueError:
        raise CurrencyError(f"ISO 4217 gives {currency} no minor units: not a currency") from None


def _quantum(units: int) -> Decimal:
    return Decimal(1).scaleb(-units)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency, at that currency's minor-unit scale.

    Build it with ``money()`` or ``parse_amount()``; the constructor accepts only an amount
    already at the currency's scale (``Decimal("1.50")`` for EUR), so no ``Money`` is ever
    off-scale. Arithmetic and ordering work within one currency only.
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        units = currency_units(self.currency)
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise AmountError(f"Money needs a finite Decimal, not {self.amount!r}; use money()")
        if self.amount.as_tuple().exponent != -units:
            raise AmountError(
                f"{self.amount} is not at the {units}-decimal scale of {self.currency}; use money()"
            )
        if self.amount.is_signed() and self.amount.is_zero():
            # Decimal keeps the sign of zero; "-0.00 EUR" on a report would only confuse.
            object.__setattr__(self, "amount", self.amount.copy_abs())

    @property
    def minor(self) -> int:
        """The amount in whole minor units (cents, fils, yen)."""
        return int(_EXACT.scaleb(self.amount, currency_units(self.currency)))

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"

    def _same(self, other: Money, verb: str) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(
                f"cannot {verb} {self} and {other}: convert one of them first"
            )

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "add")
        return _exactly(lambda: _EXACT.add(self.amount, other.amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "subtract")
        return _exactly(lambda: _EXACT.subtract(self.amount, other.amount), self.currency)

    def __neg__(self) -> Money:
        return _exactly(lambda: _EXACT.minus(self.amount), self.currency)

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.amount >= other.amount


def _exactly(compute: Callable[[], Decimal], currency: str) -> Money:
    """Run one exact operation on amounts of ``currency``; a result too long is refused."""
    try:
        value = compute()
    except (Inexact, Rounded, Overflow, InvalidOperation):
        raise AmountError(f"result in {currency} exceeds {MAX_DIGITS} digits") from None
    return Money(value, currency)


def _to_decimal(amount: object) -> Decimal:
    if isinstance(amount, bool | float):
        raise AmountError(
            f"{amount!r} is a {type(amount).__name__}, not an exact amount: pass a str or Decimal"
        )
    if isinstance(amount, int):
        return Decimal(amount)
    if isinstance(amount, str):
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            raise AmountError(f"{amount!r} is not a decimal number") from None
    elif isinstance(amount, Decimal):
        value = amount
    else:
        raise AmountError(f"an amount must be str, Decimal or int, not {type(amount).__name__}")
    if not value.is_finite():
        raise AmountError(f"{amount!r} is not a finite amount")
    return value


def _quantize(value: Decimal, units: int) -> Decimal:
    try:
        scaled = value.quantize(_quantum(units), context=_QUANTIZE)
    except InvalidOperation:
        raise AmountError(f"{value} has more than {MAX_DIGITS} digits") from None
    return scaled


def money(amount: str | Decimal | int, currency: str) -> Money:
    """``amount`` in ``currency``, rounded half-even to the currency's minor units.

    Floats, booleans, NaN and infinities are refused with ``AmountError``: a float is a binary
    approximation (0.1 + 0.2 != 0.3) and has no place in a ledger.
    """
    units = currency_units(currency)
    return Money(_quantize(_to_decimal(amount), units), currency)


def from_minor(minor: int, currency: str) -> Money:
    """The amount of ``minor`` whole minor units of ``currency`` (1234 EUR cents = 12.34 EUR)."""
    units = currency_units(currency)
    return _exactly(lambda: _EXACT.scaleb(Decimal(minor), -units), currency)


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    """The exact total of ``amounts``, all in ``currency``; zero when there are none."""
    result = money(0, currency)
    for amount in amounts:
        result += amount
    return result


def _check_share(share: Share) -> None:
    if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= SHARE_WHOLE:
        raise MoneyError(
            f"share {share!r} is not between 0 and {SHARE_WHOLE} hundredths of a percent"
        )


def share_of(amount: Money, share: Share) -> Money:
    """``share`` (hundredths of a percent: 5000 = 50.00 %) of ``amount``, rounded half-even.

    Each call rounds on its own, so the shares of one amount need not add back up to it; use
    ``allocate`` where they must.
    """
    _check_share(share)
    return from_minor(scale_half_even(amount.minor, share, SHARE_WHOLE), amount.currency)


def scale_half_even(minor: int, numerator: int, denominator: int) -> int:
    """``minor * numerator / denominator`` in whole minor units, rounded half to even.

    Exact integer arithmetic: above half rounds away from zero, exactly half to the even
    neighbour, and a negative amount rounds as the mirror image of the positive one.
    """
    if denominator <= 0:
        raise MoneyError(f"cannot scale by {numerator}/{denominator}")
    whole, rest = divmod(abs(minor) * numerator, denominator)
    if 2 * rest > denominator or (2 * rest == denominator and whole % 2 == 1):
        whole += 1
    return -whole if minor < 0 else whole


def allocate(total: Money, weights: Sequence[int]) -> list[Money]:
    """Split ``total`` in proportion to ``weights`` so that the parts add up to it exactly.

    Largest remainder: each part gets the whole minor units of its exact share rounded down, and
    the units left over go one each to the parts with the largest remainders, the earlier
    position first on a tie. A part of weight zero gets zero. A negative total (a reversal)
    splits as the mirror image of the positive one. Weights must be non-negative ints, not all
    zero; shares in hundredths of a percent are such weights.
    """
    for position, weight in enumerate(weights):
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            raise MoneyError(f"weight {weight!r} at position {position} is not an int >= 0")
    whole = sum(weights)
    if whole == 0:
        raise MoneyError(f"cannot allocate {total}: there are no weights, or all are zero")
    units = abs(total.minor)
    parts = [units * weight // whole for weight in weights]
    remainders = [units * weight % whole for weight in weights]
    left_over = units - sum(parts)
    # left_over < number of non-zero remainders, so a zero weight never receives a unit.
    by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for position in by_remainder[:left_over]:
        parts[position] += 1
    sign = -1 if total.amount < 0 else 1
    return [from_minor(sign * part, total.currency) for part in parts]


def parse_amount(text: str, currency: str) -> Money:
    """The amount a statement gives as ``text`` ("1234.56", "-0.50", "+12") in ``currency``.

    Strict, because a misread amount is silently wrong money: surrounding blanks are ignored,
    but commas are refused (a thousands separator in "1,234.56", the decimal mark in "1.234,56",
    and "1,234" is either), as are exponents, blanks inside and more decimal places than the
    currency has, unless the extra places are zeros ("12.340" EUR is 12.34; "12.345" is an
    error). A statement in another notation is normalized by its reader, which knows the sender.
    """
    units = currency_units(currency)
    stripped = text.strip()
    if "," in stripped:
        raise AmountError(
            f"amount {text!r}: commas are refused (thousands separator or decimal mark?); "
            "write it as 1234.56"
        )
    if not _AMOUNT.fullmatch(stripped):
        raise AmountError(
            f"amount {text!r} is not a plain decimal: expected an optional sign, digits and an "
            "optional decimal point, like -1234.56"
        )
    value = Decimal(stripped)
    scaled = _quantize(value, units)
    if scaled != value:
        raise AmountError(f"amount {text!r} has more decimal places than the {units} of {currency}")
    return Money(scaled, currency)
