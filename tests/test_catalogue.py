"""The shipped CISAC edit catalogues load with the expected edits, levels and societies."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gateway.validation.catalogue import Edit, EditId, catalogue, edit, family_of

# The CISAC tables the catalogues were built from, in the shared folder beside the work tree.
SPEC = Path(__file__).resolve().parents[2] / "shared" / "reference" / "cwr" / "spec"
TABLE_2X = SPEC / "CWR08-2493_CWR_2x_error_messages_2014-01-16.csv"
TABLE_31 = SPEC / "CWR22-0146_CWR_3.1_error_messages_2022-02-03.csv"

# Edit ids added to CWR08-2493's 448: NWR F 001-016 (2.1 Rev 8 §4.5.6), the re-keyed second
# XRF F 001 and SPU F 039 (XRF F 003, SPU F 040), and 2.2 Rev 2 edits (XRF F 002,
# SPU F 041-047, PWR F 014-019).
ADDED_2X = 16 + 2 + 1 + 7 + 6


def test_edit_id_parses_prints_and_orders() -> None:
    edit_id = EditId.parse("nwr t 030")
    assert edit_id == EditId("NWR", "T", "030")
    assert str(edit_id) == "NWR T 030"
    assert EditId.parse("NWRT030") == edit_id
    assert EditId.of(edit_id) is edit_id
    assert EditId.parse("NWR T 030") < EditId.parse("NWR F 001") < EditId.parse("SPU F 001")


@pytest.mark.parametrize("text", ["NWR T 30", "NWR X 030", "NW T 030", "", "NWR T 0300"])
def test_edit_id_rejects_malformed_text(text: str) -> None:
    with pytest.raises(ValueError, match="not an edit id"):
        EditId.parse(text)


def test_edit_id_checks_its_fields() -> None:
    with pytest.raises(ValueError, match="not an edit id"):
        EditId("NWRT", "0", "30")


def test_families_and_versions() -> None:
    assert family_of("2.1") == family_of("2.2") == family_of("02.10") == "2"
    assert family_of("3.0") == family_of("3.1") == "3"
    assert catalogue("3.0") is catalogue("3.1") is catalogue("3")
    with pytest.raises(ValueError, match="unknown CWR version"):
        catalogue("4")


def test_catalogue_2x_size() -> None:
    edits = catalogue("2")
    assert len(edits) == 448 + ADDED_2X
    assert {EditId("NWR", "F", f"{n:03d}") for n in range(1, 17)} <= set(edits)


def _source_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        pytest.skip(f"shared reference table not present: {path}")
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_catalogue_2x_keeps_every_source_key_and_society_row() -> None:
    edits = catalogue("2")
    source = _source_rows(TABLE_2X)
    keys = {(r["record_type"], r["message_level"], r["validation_number"]) for r in source}
    assert len(keys) == 448
    assert {EditId(*key) for key in keys} <= set(edits)
    assert len(edits[EditId.parse("NWR T 040")]) == 16  # one per Brazilian society


def test_catalogue_31_matches_its_source() -> None:
    edits = catalogue("3")
    source = _source_rows(TABLE_31)
    assert sum(len(rows) for rows in edits.values()) == len(source) == 402
    assert len(edits) == 399


def test_levels_of_known_edits() -> None:
    assert edit("2", "NWR F 005").rejection == "FR"
    assert edit("2", "NWR F 005").source == "2.1 Rev 8 §4.5.6"
    assert "Copyright Date" in edit("2", "NWR F 005").text
    assert edit("2", "FIL E 001").rejection == "ER"
    assert edit("2", EditId.parse("NWR F 001")).rejection == "TR"


def test_nwr_t_030_is_gema_only() -> None:
    rows = catalogue("2")[EditId.parse("NWR T 030")]
    assert [(row.society, row.rejection) for row in rows] == [("035", "TR")]
    assert not rows[0].generic


def test_generic_row_comes_first() -> None:
    rows = catalogue("2")[EditId.parse("NWR T 046")]
    assert [row.society for row in rows] == ["074", "319"]  # SIAE's in CWR08-2493, ICE's in 2.2
    first = edit("2", "NWR T 046")
    assert first.society == "074"
    generic = catalogue("2")[EditId.parse("NWR T 024")]
    assert generic[0].generic


def test_duplicates_and_blank_levels_were_repaired() -> None:
    edits = catalogue("2")
    assert len(edits[EditId.parse("XRF F 001")]) == 1
    assert "Validity Indicator" in edit("2", "XRF F 003").text
    assert [row.society for row in edits[EditId.parse("SPU F 039")]] == ["058"]
    assert edit("2", "SPU F 040").generic
    for edit_id in ("NWR T 005", "SPT R 003", "SPT R 004", "SPT F 003", "SPT F 004", "SPT F 005"):
        row = edit("2", edit_id)
        assert row.rejection == "TR"
        assert "inferred" in row.source


def test_society_repairs() -> None:
    assert edit("2", "NWR F 021").society == "021"  # BMI only (2.1 Rev 8 §7.3)
    assert edit("2", "REC F 013").society == "071"  # SESAC only (2.1 Rev 8 §7.9)
    assert edit("3", "PWR F 014").society == "707"  # MusicMark only
    assert edit("3", "PWR F 007").generic


def test_every_row_is_well_formed() -> None:
    for family in ("2", "3"):
        for edit_id, rows in catalogue(family).items():
            assert rows
            societies = [row.society for row in rows]
            assert len(set(societies)) == len(societies), edit_id
            for row in rows:
                assert isinstance(row, Edit)
                assert row.id == edit_id
                assert row.rejection in {"ER", "GR", "TR", "RR", "FR"}
                assert row.society is None or (len(row.society) == 3 and row.society.isdigit())
                assert row.text
                assert row.source


def test_catalogue_is_read_only_and_cached() -> None:
    edits = catalogue("2")
    assert catalogue("2.2") is edits
    with pytest.raises(TypeError):
        edits[EditId.parse("NWR T 999")] = ()  # type: ignore[index]


def test_unknown_edit() -> None:
    with pytest.raises(KeyError, match="NWR T 999"):
        edit("2", "NWR T 999")
