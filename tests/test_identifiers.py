"""Tests of gateway.identifiers against the shared test vectors and as properties."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway import identifiers as ids

VECTORS = Path(__file__).parents[2] / "shared/reference/identifiers/identifier_test_vectors.csv"

with VECTORS.open(encoding="utf-8", newline="") as _handle:
    ROWS = list(csv.DictReader(_handle))

NORMALIZERS: dict[str, Callable[[str], str | None]] = {
    "ISWC": ids.normalize_iswc,
    "IPI_BASE": ids.normalize_ipi_base_number,
    "IPI_NAME": ids.normalize_ipi_name_number,
    "ISRC": ids.normalize_isrc,
    "ISNI": ids.normalize_isni,
}
VALIDATORS: dict[str, Callable[[str], bool]] = {
    "ISWC": ids.iswc_is_valid,
    "IPI_BASE": ids.ipi_base_number_is_valid,
    "IPI_NAME": ids.ipi_name_number_is_valid,
    "ISRC": ids.isrc_is_valid,
    "ISNI": ids.isni_is_valid,
    "EAN13": ids.ean13_is_valid,
    "DPID": ids.dpid_is_valid,
}
ALL_CHECKS: list[Callable[[str], object]] = [*VALIDATORS.values(), *NORMALIZERS.values()]

VALID_ROWS = [r for r in ROWS if r["expected"] == "valid"]
INVALID_ROWS = [r for r in ROWS if r["expected"] == "invalid"]


def _row_id(row: dict[str, str]) -> str:
    return f"{row['scheme']}:{row['as_written']}"


def test_vectors_cover_every_scheme_both_ways() -> None:
    """The vector file has rows for every scheme, and valid and invalid ones."""
    assert {r["scheme"] for r in ROWS} == set(NORMALIZERS)
    assert VALID_ROWS
    assert INVALID_ROWS


@pytest.mark.parametrize("row", VALID_ROWS, ids=_row_id)
def test_valid_vector_is_valid(row: dict[str, str]) -> None:
    """A valid vector normalizes, as written and compact, to a form its validator accepts."""
    normalize, is_valid = NORMALIZERS[row["scheme"]], VALIDATORS[row["scheme"]]
    cwr_form = normalize(row["as_written"])
    assert cwr_form is not None
    assert normalize(row["compact"]) == cwr_form
    assert is_valid(cwr_form)
    assert cwr_form.replace("-", "") == row["compact"]


@pytest.mark.parametrize("row", INVALID_ROWS, ids=_row_id)
def test_invalid_vector_is_invalid(row: dict[str, str]) -> None:
    """An invalid vector fails its validator and its normalizer in every written form."""
    normalize, is_valid = NORMALIZERS[row["scheme"]], VALIDATORS[row["scheme"]]
    for form in (row["as_written"], row["compact"]):
        assert normalize(form) is None
        assert not is_valid(form)


@pytest.mark.parametrize(
    ("check", "body", "expected"),
    [
        (ids.iswc_check_digit, "034524680", "1"),
        (ids.iswc_check_digit, "123456789", "4"),
        (ids.ipi_base_number_check_digit, "000000229", "7"),
        (ids.ipi_name_number_check_digits, "000141073", "38"),
        (ids.ipi_name_number_check_digits, "000000001", "99"),
        (ids.isni_check_digit, "000000012281955", "X"),
        (ids.ean13_check_digit, "400638133393", "1"),
        (ids.dpid_check_character, "PADPIDA2008120501", "W"),
    ],
)
def test_known_check_digits(check: Callable[[str], str], body: str, expected: str) -> None:
    """Check digits of published examples come out as published."""
    assert check(body) == expected


def test_cwr_forms_are_strict() -> None:
    """Validators take only the CWR form: no punctuation, spaces or lower case."""
    assert ids.iswc_is_valid("T0345246801")
    assert not ids.iswc_is_valid("T-034.524.680-1")
    assert not ids.iswc_is_valid("t0345246801")
    assert ids.ipi_base_number_is_valid("I-000000229-7")
    assert not ids.ipi_base_number_is_valid("I0000002297")
    assert not ids.ipi_name_number_is_valid("297")
    assert ids.normalize_ipi_name_number("297") == "00000000297"
    assert not ids.isni_is_valid("000000012281955x")
    assert ids.normalize_isni("0000-0001-2281-955x") == "000000012281955X"


@pytest.mark.parametrize(
    "value", ["", " ", "T", "I-", "12345", "T12345678901", "ABCDEFGHIJKLM", "٠١٢٣٤٥٦٧٨٩٠", "²" * 13]
)
@pytest.mark.parametrize("check", ALL_CHECKS)
def test_garbage_is_rejected(check: Callable[[str], object], value: str) -> None:
    """Empty, short, long, lettered and non-ASCII-digit values are rejected without raising."""
    assert check(value) in (False, None)


@pytest.mark.parametrize(
    "check",
    [
        ids.iswc_check_digit,
        ids.ipi_base_number_check_digit,
        ids.ipi_name_number_check_digits,
        ids.isni_check_digit,
        ids.ean13_check_digit,
        ids.dpid_check_character,
    ],
)
@pytest.mark.parametrize("body", ["", "12345678", "12345678X", "١٢٣٤٥٦٧٨٩"])
def test_check_digit_of_a_bad_body_raises(check: Callable[[str], str], body: str) -> None:
    """Check digit functions raise ValueError for a body of the wrong length or characters."""
    with pytest.raises(ValueError, match="expected"):
        check(body)


@given(st.text())
def test_checks_never_raise(value: str) -> None:
    """Any text at all gives a bool from each validator and a str or None from each normalizer."""
    for is_valid in VALIDATORS.values():
        assert isinstance(is_valid(value), bool)
    for normalize in NORMALIZERS.values():
        result = normalize(value)
        assert result is None or VALIDATORS[_scheme(normalize)](result)


def _scheme(normalize: Callable[[str], str | None]) -> str:
    return next(s for s, n in NORMALIZERS.items() if n is normalize)


def _digits(count: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=count, max_size=count)


def _with_check(scheme: str, body: str) -> str:
    """The CWR form of a scheme's identifier with this body and its computed check."""
    if scheme == "ISWC":
        return f"T{body}{ids.iswc_check_digit(body)}"
    if scheme == "IPI_BASE":
        return f"I-{body}-{ids.ipi_base_number_check_digit(body)}"
    if scheme == "IPI_NAME":
        return body + ids.ipi_name_number_check_digits(body)
    if scheme == "ISNI":
        return body + ids.isni_check_digit(body)
    return body + ids.ean13_check_digit(body)


BODY_LENGTHS = {"ISWC": 9, "IPI_BASE": 9, "IPI_NAME": 9, "ISNI": 15, "EAN13": 12}


@given(st.sampled_from(sorted(BODY_LENGTHS)), st.data())
def test_computed_check_always_validates(scheme: str, data: st.DataObject) -> None:
    """An identifier completed with its computed check digit is valid."""
    body = data.draw(_digits(BODY_LENGTHS[scheme]))
    assert VALIDATORS[scheme](_with_check(scheme, body))


@given(st.sampled_from(sorted(BODY_LENGTHS)), st.data())
def test_any_other_check_fails(scheme: str, data: st.DataObject) -> None:
    """Replacing the check digit(s) with any other value makes the identifier invalid."""
    body = data.draw(_digits(BODY_LENGTHS[scheme]))
    good = _with_check(scheme, body)
    width = 2 if scheme == "IPI_NAME" else 1
    alphabet = "0123456789X" if scheme == "ISNI" else "0123456789"
    other = data.draw(st.text(alphabet=alphabet, min_size=width, max_size=width))
    if other != good[-width:]:
        assert not VALIDATORS[scheme](good[:-width] + other)


@given(st.sampled_from(["ISNI", "EAN13"]), st.data())
def test_one_changed_digit_breaks_isni_and_ean(scheme: str, data: st.DataObject) -> None:
    """ISNI (MOD 11-2) and EAN-13 (weights 1, 3) catch every single changed digit."""
    body = data.draw(_digits(BODY_LENGTHS[scheme]))
    good = _with_check(scheme, body)
    position = data.draw(st.integers(0, len(body) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != body[position]]))
    assert not VALIDATORS[scheme](good[:position] + digit + good[position + 1 :])


@given(st.sampled_from(["ISWC", "IPI_BASE"]), _digits(9), st.integers(0, 8), st.integers(1, 9))
def test_one_changed_digit_in_weighted_mod_10(
    scheme: str, body: str, position: int, step: int
) -> None:
    """ISWC and IPI base catch a changed digit unless weight times change is a multiple of 10."""
    changed = body[:position] + str((int(body[position]) + step) % 10) + body[position + 1 :]
    old_check = _with_check(scheme, body)[-1]
    still_valid = VALIDATORS[scheme](_with_check(scheme, changed)[:-1] + old_check)
    assert still_valid == ((position + 1) * step % 10 == 0)


@given(_digits(9), st.integers(0, 8), st.integers(1, 9))
def test_one_changed_digit_in_ipi_name_number(body: str, position: int, step: int) -> None:
    """IPI name numbers catch a changed digit unless both mod-101 sums fall on 0 and 1."""
    changed = body[:position] + str((int(body[position]) + step) % 10) + body[position + 1 :]

    def total(digits: str) -> int:
        return sum(w * int(d) for w, d in zip(range(10, 1, -1), digits, strict=True)) % 101

    still_valid = ids.ipi_name_number_is_valid(changed + ids.ipi_name_number_check_digits(body))
    assert still_valid == ({total(body), total(changed)} == {0, 1})


@given(st.sampled_from(["ISWC", "IPI_BASE", "ISNI"]), st.data())
def test_normalizers_undo_written_forms(scheme: str, data: st.DataObject) -> None:
    """Punctuated, spaced and lower-case forms normalize back to the CWR form."""
    body = data.draw(_digits(BODY_LENGTHS[scheme]))
    cwr_form = _with_check(scheme, body)
    separator = data.draw(st.sampled_from(["-", ".", " ", ""]))
    written = separator.join(cwr_form[i : i + 4] for i in range(0, len(cwr_form), 4)).lower()
    normalize = NORMALIZERS[scheme]
    assert normalize(written) == cwr_form
    assert normalize(cwr_form) == cwr_form


@given(st.integers(0, 10**9 - 1))
def test_short_ipi_name_numbers_are_padded(number: int) -> None:
    """An IPI name number written without leading zeros normalizes to its 11 digits."""
    body = f"{number:09d}"
    full = body + ids.ipi_name_number_check_digits(body)
    assert ids.normalize_ipi_name_number(full.lstrip("0") or "0") == full
