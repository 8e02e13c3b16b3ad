"""Tests of gateway.codes: the shipped tables, their look-ups and their match with the sources."""

from __future__ import annotations

import csv
import filecmp
import runpy
from datetime import date
from pathlib import Path

import pytest

from gateway import codes

REFERENCE = Path(__file__).parents[2] / "shared" / "reference"
REPO = Path(__file__).parents[1]
DATA = REPO / "gateway" / "codes" / "data"

REQUIRED_TABLES = (
    "transaction_type",
    "language",
    "distribution_category",
    "text_music_relationship",
    "composite_type",
    "version_type",
    "excerpt_type",
    "music_arrangement",
    "lyric_adaptation",
    "cwr_work_type",
    "transaction_status",
    "publisher_type",
    "society",
    "special_agreement",
    "agreement_type",
    "usa_license",
    "tis",
    "writer_designation",
    "title_type",
    "media_type",
    "recording_technique",
    "intended_purpose",
    "bltvr",
    "standard_instrumentation",
    "instrument",
    "right_type",
    "subject_code",
    "agreement_role",
    "currency",
    "character_set",
    "script_code",
    "dialect",
)


def _reference_rows(relative: str) -> list[dict[str, str]]:
    with (REFERENCE / relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_committed_tables_match_a_fresh_build(tmp_path: Path) -> None:
    """Rebuilding from the shared reference reproduces the committed data files byte for byte."""
    build_script = runpy.run_path(str(REPO / "tools" / "build_codes.py"))
    build_script["build"](REFERENCE, tmp_path)
    built = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.tsv"))
    committed = sorted(p.relative_to(DATA) for p in DATA.rglob("*.tsv"))
    assert built == committed
    mismatched = [p for p in built if not filecmp.cmp(tmp_path / p, DATA / p, shallow=False)]
    assert mismatched == []


@pytest.mark.parametrize("table", REQUIRED_TABLES)
def test_required_table_is_not_empty(table: str) -> None:
    """Every table the layouts name is served and holds codes."""
    assert table in codes.lookup_tables()
    assert codes.lookup(table)


def test_lookup_tables_are_sorted_and_all_served() -> None:
    """lookup_tables lists names in order, and each one can be looked up."""
    names = codes.lookup_tables()
    assert list(names) == sorted(names)
    assert all(codes.lookup(name) for name in names)


def test_unknown_table_raises_key_error_naming_it() -> None:
    """An unknown table name raises KeyError that names it and the known tables."""
    with pytest.raises(KeyError, match=r"no_such_table.*writer_designation"):
        codes.lookup("no_such_table")
    with pytest.raises(KeyError, match="no_such_table"):
        codes.describe("no_such_table", "X")


def test_writer_designation_holds_composer_author() -> None:
    """Writer designation CA exists and is described as Composer/Author."""
    assert "CA" in codes.lookup("writer_designation")
    assert codes.describe("writer_designation", "CA") == "Composer/Author"


def test_describe_returns_none_for_an_unknown_code() -> None:
    """describe gives None for a code that is not in the table."""
    assert codes.describe("writer_designation", "ZZ") is None


def test_describe_falls_back_to_the_definition() -> None:
    """A code whose 2.x row has no name is described by the 3.1 name or the definition."""
    assert codes.describe("text_music_relationship", "MTN") == "Music and Text (separate creation)"


def test_transaction_status_holds_2x_and_3x_statuses() -> None:
    """Transaction status includes the 2.x statuses and the 3.x ones, NA and WA included."""
    statuses = codes.lookup("transaction_status")
    assert {"CO", "DU", "RA", "AS", "AC", "RJ", "NP", "RC"} <= statuses
    assert {"SR", "CR", "DR", "UN", "LD", "NA", "WA"} <= statuses


def test_placeholders_and_retired_codes_are_not_codes() -> None:
    """The "[blank]" placeholder rows and the retired COP transaction are not served as codes."""
    assert not any(code.startswith("[") for code in codes.lookup("composite_type"))
    assert "COP" not in codes.lookup("transaction_type")
    assert {"NWR", "REV", "AGR", "ACK", "WRK", "DRW"} <= codes.lookup("transaction_type")


def test_code_shapes() -> None:
    """Society codes have 3 digits, TIS codes 4, currencies 3 capitals and languages 2."""
    assert all(len(c) == 3 and c.isdigit() for c in codes.lookup("society"))
    assert all(len(c) == 4 and c.isdigit() for c in codes.lookup("tis"))
    assert all(len(c) == 3 and c.isalpha() and c.isupper() for c in codes.lookup("currency"))
    assert all(len(c) == 2 and c.isalpha() and c.isupper() for c in codes.lookup("language"))


def test_iso_based_codes_are_upper_case_for_cwr() -> None:
    """Script and dialect codes are served in the upper case CWR data must use."""
    assert "LATN" in codes.lookup("script_code")
    assert "ENG" in codes.lookup("dialect")
    assert {"ISO-8859-1", "UTF-8"} <= codes.lookup("character_set")


@pytest.mark.parametrize("written", ["52", "052", "000000052", " 052 "])
def test_prs_is_society_052(written: str) -> None:
    """PRS is found under code 052 however many leading zeros it is written with."""
    prs = codes.society(written)
    assert prs is not None
    assert prs.code == "052"
    assert "PRS" in prs.name
    assert prs.country == "UNITED KINGDOM"
    assert codes.describe("society", "052") == prs.name


@pytest.mark.parametrize("written", ["", "ABC", "1000", "-52", "5 2", "\uff10\uff15\uff12"])
def test_society_garbage_gives_none(written: str) -> None:
    """A society code that is not up to 3 digits gives None, not an error."""
    assert codes.society(written) is None


def test_cwr_only_society_codes_are_served() -> None:
    """CWR's 000 (public domain) and 099 (no society) are valid society codes."""
    assert {"000", "099"} <= codes.lookup("society")


def test_every_cisac_society_is_shipped_with_its_name() -> None:
    """Every row of the CISAC society list is shipped with its name and status."""
    rows = _reference_rows("societies/cisac_societies_SG26-0077_2026-07-06.csv")
    for row in rows:
        found = codes.society(row["CISAC Code"])
        assert found is not None
        assert found.name == " ".join(row["Society name"].split())
        assert found.status == row["Membership status"]


def test_world_covers_germany() -> None:
    """2136 is WORLD, a group, and it covers Germany 0276."""
    world = codes.territory("2136")
    assert world is not None
    assert world.name == "WORLD"
    assert world.kind == "GLG"
    assert codes.territory(2136) == world
    assert "0276" in codes.territory_countries("2136")


def test_world_covers_every_country() -> None:
    """2136 WORLD covers exactly the current countries of the TIS list."""
    countries = {c for c in codes.lookup("tis") if (t := codes.territory(c)) and t.kind == "LND"}
    assert codes.territory_countries(2136) == countries


def test_europe_covers_european_countries_only() -> None:
    """2120 EUROPE covers Germany and the United Kingdom but not the United States."""
    europe = codes.territory_countries("2120")
    assert {"0276", "0826"} <= europe
    assert "0840" not in europe


def test_country_covers_itself() -> None:
    """A country covers only itself, whatever way its code is written."""
    germany = codes.territory("276")
    assert germany is not None
    assert (germany.code, germany.alpha2, germany.kind) == ("0276", "DE", "LND")
    assert codes.territory_countries(276) == frozenset({"0276"})


def test_group_membership_follows_dates() -> None:
    """The United Kingdom is in 2123 European Union on 2019-06-01 but not now."""
    assert "0826" not in codes.territory_countries("2123")
    assert "0826" in codes.territory_countries("2123", on=date(2019, 6, 1))
    assert "0280" in codes.territory_countries("2136", on=date(1980, 1, 1))


def test_renamed_territory_has_its_current_name() -> None:
    """A territory listed under two names carries the newer one."""
    myanmar = codes.territory("0104")
    assert myanmar is not None
    assert myanmar.name == "MYANMAR"


@pytest.mark.parametrize("code", ["9999", "abc", "", "12345", -1])
def test_unknown_territory(code: str | int) -> None:
    """An unknown TIS code gives None from territory and KeyError from territory_countries."""
    assert codes.territory(code) is None
    with pytest.raises(KeyError, match="unknown TIS territory"):
        codes.territory_countries(code)


def test_every_listed_territory_is_shipped() -> None:
    """Every TIS-N of the territory list is a tis code, zero-padded to 4 digits."""
    rows = _reference_rows("territories/tis_list_music-metadata-territories-24.12.csv")
    assert {f"{int(r['TIS-N']):04d}" for r in rows} == codes.lookup("tis")


@pytest.mark.parametrize(("currency", "units"), [("JPY", 0), ("EUR", 2), ("BHD", 3), ("CLF", 4)])
def test_minor_units(currency: str, units: int) -> None:
    """Minor units follow ISO 4217: JPY 0, EUR 2, BHD 3, CLF 4."""
    assert codes.minor_units(currency) == units


def test_minor_units_of_unknown_or_unitless_currency() -> None:
    """An unknown currency raises KeyError; one ISO gives no minor units raises ValueError."""
    with pytest.raises(KeyError, match="QQQ"):
        codes.minor_units("QQQ")
    with pytest.raises(ValueError, match="XAU"):
        codes.minor_units("XAU")


def test_minor_units_agree_with_iso_4217() -> None:
    """Every currency of the ISO 4217 list is shipped with its minor units."""
    for row in _reference_rows("currency/iso4217_list_one_2026-01-01.csv"):
        if row["alpha_code"] and row["minor_units"].isdigit():
            assert codes.minor_units(row["alpha_code"]) == int(row["minor_units"])


def test_sender_by_code_and_ipi() -> None:
    """A sender is found by its submitter code and by its IPI name number, padded or not."""
    by_code = codes.sender_by_code("ZFP")
    assert by_code is not None
    assert (by_code.name, by_code.ipi_name_number) == ("040 Publishing", "00841473537")
    assert codes.sender_by_ipi("841473537") == by_code
    assert codes.sender_by_ipi("00841473537") == by_code
    assert codes.sender_by_code("zfp") == by_code


@pytest.mark.parametrize("ipi", ["", "abc", "123456789012", "00000000000"])
def test_sender_by_ipi_garbage_gives_none(ipi: str) -> None:
    """An IPI that is not up to 11 digits, or belongs to nobody, gives None."""
    assert codes.sender_by_ipi(ipi) is None


def test_shared_code_prefers_a_current_sender() -> None:
    """Where a code changed hands, the sender without an end date is returned."""
    rows = _reference_rows("cwr/cwr_sender_ids_CWR06-1972_2026-05-22.csv")
    ended = {r["submitter_code"] for r in rows if r["end_date"][:2].isdigit()}
    current = {r["submitter_code"] for r in rows if not r["end_date"]}
    for code in sorted(ended & current):
        sender = codes.sender_by_code(code)
        assert sender is not None
        assert sender.valid_to is None


def test_every_sender_is_found_by_its_code() -> None:
    """Every submitter code of the sender table is found."""
    rows = _reference_rows("cwr/cwr_sender_ids_CWR06-1972_2026-05-22.csv")
    assert all(codes.sender_by_code(r["submitter_code"]) for r in rows)
