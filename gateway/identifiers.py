"""Check digits and formats of the identifiers CWR carries: ISWC, IPI, ISRC, ISNI, EAN, DPID.

The algorithms are those of ``identifiers/ALGORITHMS.md`` in the shared reference. Each
``*_is_valid`` takes the exact form a CWR field holds (ISWC ``T0345246801``, IPI base number
``I-000000229-7``) and returns a bool for any text at all. Each ``normalize_*`` also accepts
the written forms (``T-034.524.680-1``, spaces, lower case) and returns the CWR form, or None
when the value is not a valid identifier. Each ``*_check_digit(s)`` takes the digits before
the check and raises ValueError when they are not that many ASCII digits.
"""

from __future__ import annotations

import re
from functools import lru_cache

from gateway.codes import lookup

_SEPARATORS = str.maketrans("", "", " -.\u00a0")
_ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")
_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _digits(value: str, count: int) -> list[int]:
    if len(value) != count or not (value.isascii() and value.isdigit()):
        raise ValueError(f"expected {count} digits, got {value!r}")
    return [int(c) for c in value]


def _is_digits(value: str, count: int) -> bool:
    return len(value) == count and value.isascii() and value.isdigit()


def _compact(value: str) -> str:
    return value.translate(_SEPARATORS).upper()


def _weighted_mod10(prefix_weight: int, digits: str) -> str:
    total = prefix_weight + sum(i * d for i, d in enumerate(_digits(digits, 9), start=1))
    return str((10 - total % 10) % 10)


def iswc_check_digit(digits: str) -> str:
    """The check digit of the 9 ISWC digits after the ``T``."""
    return _weighted_mod10(1, digits)


@lru_cache(maxsize=65_536)  # registrations repeat the same parties: check each once
def iswc_is_valid(value: str) -> bool:
    """Whether ``value`` is an ISWC as CWR holds it: ``T``, 9 digits and the check digit."""
    return (
        len(value) == 11
        and value[0] == "T"
        and _is_digits(value[1:], 10)
        and iswc_check_digit(value[1:10]) == value[10]
    )


def normalize_iswc(value: str) -> str | None:
    """An ISWC in any written form (``T-034.524.680-1``) as CWR holds it, or None."""
    compact = _compact(value)
    return compact if iswc_is_valid(compact) else None


def ipi_base_number_check_digit(digits: str) -> str:
    """The check digit of the 9 IPI base number digits after the ``I``."""
    return _weighted_mod10(2, digits)


@lru_cache(maxsize=65_536)  # registrations repeat the same parties: check each once
def ipi_base_number_is_valid(value: str) -> bool:
    """Whether ``value`` is an IPI base number as CWR holds it: ``I-ddddddddd-c``."""
    return (
        len(value) == 13
        and value[:2] == "I-"
        and value[11] == "-"
        and _is_digits(value[2:11] + value[12], 10)
        and ipi_base_number_check_digit(value[2:11]) == value[12]
    )


def normalize_ipi_base_number(value: str) -> str | None:
    """An IPI base number written with or without hyphens as ``I-ddddddddd-c``, or None."""
    compact = _compact(value)
    if len(compact) != 11:
        return None
    written = f"{compact[0]}-{compact[1:10]}-{compact[10]}"
    return written if ipi_base_number_is_valid(written) else None


def ipi_name_number_check_digits(digits: str) -> str:
    """The two check digits (mod 101, weights 10 to 2) of the first 9 IPI name number digits."""
    total = sum(w * d for w, d in zip(range(10, 1, -1), _digits(digits, 9), strict=True)) % 101
    return f"{(101 - total) % 100 if total else 0:02d}"


@lru_cache(maxsize=65_536)  # registrations repeat the same parties: check each once
def ipi_name_number_is_valid(value: str) -> bool:
    """Whether ``value`` is an 11-digit IPI name number with correct check digits."""
    return _is_digits(value, 11) and ipi_name_number_check_digits(value[:9]) == value[9:]


def normalize_ipi_name_number(value: str) -> str | None:
    """An IPI name number with its leading zeros dropped or kept, as 11 digits, or None."""
    compact = _compact(value)
    if not (compact.isascii() and compact.isdigit()) or len(compact) > 11:
        return None
    padded = compact.zfill(11)
    return padded if ipi_name_number_is_valid(padded) else None


def isrc_is_valid(value: str) -> bool:
    """Whether ``value`` is a 12-character ISRC with a known country prefix (it has no check)."""
    return _ISRC.fullmatch(value) is not None and value[:2] in lookup("isrc_country")


def normalize_isrc(value: str) -> str | None:
    """An ISRC in any written form (``US-SKG-19-12345``) as its 12 characters, or None."""
    compact = _compact(value)
    return compact if isrc_is_valid(compact) else None


def isni_check_digit(digits: str) -> str:
    """The ISO 7064 MOD 11-2 check character (0-9 or X) of the first 15 ISNI digits."""
    total = 0
    for digit in _digits(digits, 15):
        total = (total + digit) * 2
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def isni_is_valid(value: str) -> bool:
    """Whether ``value`` is a 16-character ISNI (15 digits and a check digit or X)."""
    return (
        len(value) == 16
        and _is_digits(value[:15], 15)
        and isni_check_digit(value[:15]) == value[15]
    )


def normalize_isni(value: str) -> str | None:
    """An ISNI in any written form (``0000 0001 2281 955X``) as its 16 characters, or None."""
    compact = _compact(value)
    return compact if isni_is_valid(compact) else None


def ean13_check_digit(digits: str) -> str:
    """The check digit of the first 12 digits of an EAN-13 (weights 1 and 3)."""
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(_digits(digits, 12)))
    return str((10 - total % 10) % 10)


def ean13_is_valid(value: str) -> bool:
    """Whether ``value`` is a 13-digit EAN (GTIN-13) with a correct check digit."""
    return _is_digits(value, 13) and ean13_check_digit(value[:12]) == value[12]


def dpid_check_character(body: str) -> str:
    """The ISO 7064 MOD 37-36 check character of a DDEX Party ID's first 17 characters."""
    if len(body) != 17 or any(c not in _ALPHANUMERIC for c in body):
        raise ValueError(f"expected 17 characters 0-9 or A-Z, got {body!r}")
    product = 36
    for char in body:
        total = (product + _ALPHANUMERIC.index(char)) % 36 or 36
        product = total * 2 % 37
    return _ALPHANUMERIC[(37 - product) % 36]


def dpid_is_valid(value: str) -> bool:
    """Whether ``value`` is a DDEX Party ID: ``PADPIDA``, 10 digits and a check character."""
    return (
        len(value) == 18
        and value.startswith("PADPIDA")
        and _is_digits(value[7:17], 10)
        and value[17] in _ALPHANUMERIC
        and dpid_check_character(value[:17]) == value[17]
    )
