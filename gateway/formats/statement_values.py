"""Statement values read from text, checked the same way whichever format carries them.

The CSV and the distribution XML readers both turn each value through these functions, so a
statement reads to the same model from either format. Each parser takes the text as found and
returns the model's value, or raises :class:`BadValue` saying what is wrong with it. Text is
whitespace-collapsed as ``xs:token`` does (spaces, tabs and line breaks only), so a value that
passes here also fits the XML schema.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import cache

from gateway.codes import lookup, minor_units, society, territory
from gateway.identifiers import (
    normalize_ipi_base_number,
    normalize_ipi_name_number,
    normalize_isrc,
    normalize_iswc,
)
from gateway.model import DEDUCTION_TYPES

_XML_SPACE = re.compile(r"[ \t\n\r]+")
# Characters XML 1.0 cannot carry (and U+FFFD, the mark of a byte that was not UTF-8).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffd\ufffe\uffff]")
_AMOUNT = re.compile(r"-?([0-9]{1,14})(?:\.([0-9]{1,4}))?")
_MAX_DECIMALS = 4  # the most _AMOUNT reads
_SHARE = re.compile(r"([0-9]{1,3})(?:\.([0-9]{1,2}))?")
_POSITIVE = re.compile(r"[0-9]{1,18}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_TEXT = 150  # c:Token150: titles and names
MAX_WORK_NUMBER = 20  # c:Token20
MAX_IDENTIFIER = 64  # c:Identifier
MAX_USE_TYPE = 60


class BadValue(ValueError):  # noqa: N818 - the value is bad; nothing went wrong in the code
    """A value that is not what its field takes; the message says why."""


def text(value: str, *, limit: int = MAX_TEXT) -> str:
    """Required text of 1 to ``limit`` characters, whitespace collapsed."""
    collapsed = optional_text(value, limit=limit)
    if not collapsed:
        raise BadValue("is required and empty")
    return collapsed


def optional_text(value: str, *, limit: int = MAX_TEXT) -> str:
    """Text of up to ``limit`` characters, whitespace collapsed; empty when absent."""
    collapsed = _XML_SPACE.sub(" ", value).strip(" ")
    bad = _NOT_XML.search(collapsed)
    if bad:
        raise BadValue(f"contains the character U+{ord(bad.group()):04X}, not allowed in text")
    if len(collapsed) > limit:
        raise BadValue(f"is {len(collapsed)} characters long; at most {limit} are allowed")
    return collapsed


def identifier(value: str, *, limit: int = MAX_IDENTIFIER) -> str:
    """A required identifier: 1 to ``limit`` characters without spaces."""
    found = text(value, limit=limit)
    if " " in found:
        raise BadValue("must not contain spaces")
    return found


def society_code(value: str) -> str:
    """A known CISAC society code, as its 3 digits (``52`` reads as ``052``)."""
    found = society(value.strip()) if value.strip() else None
    if found is None:
        raise BadValue("is not a known CISAC society code")
    return found.code


def optional_society_code(value: str) -> str:
    """A society code, or empty when absent."""
    return society_code(value) if value.strip() else ""


def iso_date(value: str) -> date:
    """A date written ``YYYY-MM-DD``."""
    stripped = value.strip()
    if not _DATE.fullmatch(stripped):
        raise BadValue("is not a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(stripped)
    except ValueError:
        raise BadValue("is not a calendar date") from None


def optional_date(value: str) -> date | None:
    """A date, or None when absent."""
    return iso_date(value) if value.strip() else None


def right_type(value: str) -> str:
    """A CWR right type: PER, MEC or SYN."""
    code = value.strip()
    if code not in lookup("right_type"):
        raise BadValue(f"is not a right type ({', '.join(sorted(lookup('right_type')))})")
    return code


def currency(value: str) -> str:
    """An ISO 4217 currency with minor units (gold, SDR and test codes carry no exact amount)."""
    code = value.strip()
    try:
        minor_units(code)
    except KeyError:
        raise BadValue("is not an ISO 4217 currency code") from None
    except ValueError:
        raise BadValue(
            "has no minor units in ISO 4217; no exact amount can be paid in it"
        ) from None
    return code


def amount(value: str, currency_code: str) -> Decimal:
    """An exact decimal amount, at most the currency's minor units, quantized to them."""
    stripped = value.strip()
    matched = _AMOUNT.fullmatch(stripped)
    if not matched:
        raise BadValue("is not a decimal amount (-1234.56: up to 14 digits and 4 decimals)")
    places, quantum = _minor_units(currency_code)
    decimals = (matched.group(2) or "").rstrip("0")
    if len(decimals) > places:
        raise BadValue(f"has more decimals than {currency_code}'s {places}")
    return Decimal(stripped).quantize(quantum)


@cache
def _minor_units(currency_code: str) -> tuple[int, Decimal]:
    places = minor_units(currency_code)
    return places, Decimal(1).scaleb(-places)


def plain_amount_pattern(currency_code: str) -> str | None:
    """A regular expression of the amounts written exactly at the currency's scale (``12.34``).

    Statements write nearly every amount so; such a text is already what :func:`amount`
    returns once quantized, so ``Decimal(text)`` reads it. None when no text is plain (a
    currency with more minor units than :func:`amount` reads). The currency must be one
    :func:`currency` accepts.
    """
    places, _ = _minor_units(currency_code)
    if places > _MAX_DECIMALS:
        return None
    decimals = rf"\.[0-9]{{{places}}}" if places else ""
    return rf"-?[0-9]{{1,14}}{decimals}"


def optional_amount(value: str, currency_code: str) -> Decimal | None:
    """An amount, or None when absent."""
    return amount(value, currency_code) if value.strip() else None


def share(value: str) -> int:
    """A share in percent with up to two decimals (``33.33``), as hundredths of a percent."""
    matched = _SHARE.fullmatch(value.strip())
    if not matched:
        raise BadValue("is not a percentage with up to two decimals (50.00)")
    hundredths = int(matched.group(1)) * 100 + int((matched.group(2) or "0").ljust(2, "0"))
    if hundredths > 10000:
        raise BadValue("is more than 100.00 %")
    return hundredths


def percent(hundredths: int) -> str:
    """A share in hundredths of a percent written as a percentage: 5000 -> ``50.00``."""
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def line_number(value: str) -> int:
    """A positive whole number."""
    if value.isascii() and value.isdigit() and len(value) <= 18 and int(value):
        return int(value)  # the usual case, as the pattern below reads it
    stripped = value.strip()
    if not _POSITIVE.fullmatch(stripped) or int(stripped) == 0:
        raise BadValue("is not a positive whole number")
    return int(stripped)


def tis_territory(value: str) -> str:
    """A known TIS territory, as its 4 digits (``276`` reads as ``0276``)."""
    found = territory(value.strip()) if value.strip() else None
    if found is None:
        raise BadValue("is not a known TIS territory code")
    return found.code


def role(value: str) -> str:
    """A writer designation (CA, C, A ...) or a publisher type (E, AM ...)."""
    code = value.strip()
    if code not in lookup("writer_designation") | lookup("publisher_type"):
        raise BadValue("is not a writer designation or publisher type")
    return code


def use_type(value: str) -> str:
    """How the work was used: 1 to 60 characters without spaces (``PerformInPublic``)."""
    found = text(value, limit=MAX_USE_TYPE)
    if " " in found:
        raise BadValue("must not contain spaces")
    return found


def iswc(value: str) -> str:
    """An ISWC with a correct check digit as ``T0345246801``; empty when absent."""
    if not value.strip():
        return ""
    found = normalize_iswc(value)
    if found is None:
        raise BadValue("is not a valid ISWC (T and 10 digits, the last a check digit)")
    return found


def ipi_name_number(value: str) -> str:
    """An IPI name number with correct check digits, as 11 digits; empty when absent."""
    if not value.strip():
        return ""
    found = normalize_ipi_name_number(value)
    if found is None:
        raise BadValue("is not a valid IPI name number (11 digits, the last two check digits)")
    return found


def ipi_base_number(value: str) -> str:
    """An IPI base number as ``I-ddddddddd-c``; empty when absent."""
    if not value.strip():
        return ""
    found = normalize_ipi_base_number(value)
    if found is None:
        raise BadValue("is not a valid IPI base number (I-ddddddddd-c)")
    return found


def isrc(value: str) -> str:
    """An ISRC with a known country prefix, as its 12 characters."""
    found = normalize_isrc(value)
    if found is None:
        raise BadValue("is not a valid ISRC (12 characters, a known country prefix)")
    return found


def isrc_list(value: str) -> tuple[str, ...]:
    """ISRCs separated by ``;`` (blanks around them ignored); empty when absent."""
    return tuple(isrc(part) for part in value.split(";") if part.strip())


def deduction_type(value: str) -> str:
    """One of the distribution XML's deduction types."""
    kind = value.strip()
    if kind not in DEDUCTION_TYPES:
        raise BadValue(f"is not a deduction type ({', '.join(DEDUCTION_TYPES)})")
    return kind


def work_number(value: str) -> str:
    """A work number of up to 20 characters; empty when absent."""
    return optional_text(value, limit=MAX_WORK_NUMBER)
