"""The CWR layout tables: well-formed, tied to the model, and faithful to real files."""

from __future__ import annotations

import dataclasses
from datetime import date, time
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from gateway import model
from gateway.formats.cwr import layouts
from gateway.formats.cwr.layouts import PREFIX_LENGTH, VERSIONS, layout_set, record_types
from gateway.formats.edi.layout import Layout
from gateway.model import MODEL_CLASSES, Record, Share

SAMPLES = Path("/work/shared/samples/cwr")
ENVELOPE_START = 4

# The model type each layout kind implies.
KIND_TYPES: dict[str, Any] = {
    "str": str,
    "int": int | None,
    "share": Share | None,
    "date": date | None,
    "time": time | None,
}


def _sample_lines(name: str) -> list[str]:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"sample {name} is not available")
    return path.read_text("latin-1").splitlines()


def _first(lines: list[str], record: str, contains: str = "") -> str:
    return next(line for line in lines if line.startswith(record) and contains in line)


def _values(layout: Layout, line: str) -> dict[str, str]:
    """Every model field's text in ``line``, stripped of padding."""
    return {
        f.name: s.strip() for f, s in zip(layout.model_fields, layout.slices(line), strict=True)
    }


def _slice(version: str, line: str) -> dict[str, str]:
    return _values(layout_set(version).layouts[line[:3]], line)


# --- The tables themselves -------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_every_record_type_of_a_version_has_a_layout(version: str) -> None:
    """Each record type of a version gets a non-empty layout; no table row names a stray type."""
    ls = layout_set(version)
    assert ls.version == version
    assert set(ls.layouts) == set(ls.record_types)
    for code, layout in ls.layouts.items():
        assert layout.fields, f"{version} {code} has no fields"
    table = layouts._TABLES[version]
    served = {
        c for v in VERSIONS if layouts._TABLES[v] == table for c in layout_set(v).record_types
    }
    for row in layouts._rows(table):
        for code in row["records"].split():
            assert code in served, f"{table} row {row} names {code}, a type of none of its versions"


@pytest.mark.parametrize("version", VERSIONS)
def test_fields_tile_the_record_without_overlap_or_gap(version: str) -> None:
    """Fields start right after the prefix and each begins where the previous one ends."""
    ls = layout_set(version)
    for code, layout in ls.layouts.items():
        envelope = ls.record_types[code].role == "envelope"
        position = ENVELOPE_START if envelope else PREFIX_LENGTH + 1
        for field in layout.fields:
            assert field.size > 0, f"{version} {code}.{field.name} has no width"
            assert field.start == position, (
                f"{version} {code}.{field.name} starts at {field.start}, expected {position}"
            )
            position = field.start + field.size
        assert layout.length == position - 1


@pytest.mark.parametrize("version", VERSIONS)
def test_field_names_are_unique_within_a_record(version: str) -> None:
    """No record declares the same model field twice."""
    for code, layout in layout_set(version).layouts.items():
        names = [f.name for f in layout.model_fields]
        assert len(names) == len(set(names)), f"{version} {code} repeats a field: {names}"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_field_is_a_model_attribute_of_its_kind(version: str) -> None:
    """Every non-filler field is a model attribute of the record's class, typed as its kind says."""
    ls = layout_set(version)
    for code, layout in ls.layouts.items():
        cls = MODEL_CLASSES[ls.record_types[code].model]
        hints = get_type_hints(cls)
        attributes = {f.name for f in dataclasses.fields(cls)}
        for field in layout.model_fields:
            where = f"{version} {code}.{field.name} ({cls.__name__})"
            assert field.name in attributes, f"{where} is not a model attribute"
            assert hints[field.name] == KIND_TYPES[field.kind], f"{where}: {hints[field.name]}"


def test_every_record_type_names_a_registered_model_class() -> None:
    """The record-type table only names classes that MODEL_CLASSES registers."""
    for code, rt in record_types().items():
        assert rt.model in MODEL_CLASSES, f"{code} maps to unknown model {rt.model}"
        assert rt.role in {"envelope", "header", "detail"}
        assert rt.versions <= set(VERSIONS), f"{code} lists unknown versions {rt.versions}"


def test_model_classes_are_frozen_keyword_records_with_docstrings() -> None:
    """Every registered class is a frozen, slotted, keyword-only Record with a docstring."""
    for name, cls in MODEL_CLASSES.items():
        assert issubclass(cls, Record)
        params = cls.__dataclass_params__  # type: ignore[attr-defined]
        assert params.frozen, name
        assert "__slots__" in cls.__dict__, name
        assert all(f.kw_only for f in dataclasses.fields(cls)), name
        assert cls.__doc__, name
        assert name in model.__all__, name


@pytest.mark.parametrize("version", VERSIONS)
def test_children_land_on_a_typed_attribute_of_every_parent(version: str) -> None:
    """Each detail record's attribute exists on every parent's model, as a tuple or an optional."""
    ls = layout_set(version)
    for code, rt in ls.record_types.items():
        child = MODEL_CLASSES[rt.model]
        for parent in rt.parents:
            if parent not in ls.record_types:
                continue
            parent_cls = MODEL_CLASSES[ls.record_types[parent].model]
            hints = get_type_hints(parent_cls)
            where = f"{version} {code} under {parent} ({parent_cls.__name__}.{rt.attribute})"
            assert rt.attribute in hints, f"{where} is missing"
            expected = tuple[child, ...] if rt.many else child | None  # type: ignore[valid-type]
            assert hints[rt.attribute] == expected, f"{where}: {hints[rt.attribute]}"


@pytest.mark.parametrize(
    ("code", "versions"),
    [
        ("WRK", {"3.0", "3.1"}),
        ("DRW", {"3.0", "3.1"}),
        ("LIC", {"3.0", "3.1"}),
        ("ISR", {"3.0"}),
        ("ISA", {"3.0"}),
        ("WRI", {"3.0"}),
        ("MAN", {"3.1"}),
        ("OWK", {"3.0", "3.1"}),
        ("NOT", {"3.0", "3.1"}),
        ("NRC", {"3.0", "3.1"}),
        ("FTV", {"3.0", "3.1"}),
        ("NOW", {"2.1", "2.2", "3.0", "3.1"}),
        ("ARI", {"2.1", "2.2", "3.1"}),
        ("XRF", {"2.2", "3.0", "3.1"}),
        ("OPT", {"2.2", "3.0", "3.1"}),
        ("NWR", {"2.1", "2.2"}),
        ("REV", {"2.1", "2.2"}),
        ("AGR", {"2.1", "2.2"}),
        ("EWT", {"2.1", "2.2"}),
        ("VER", {"2.1", "2.2"}),
        ("COM", {"2.1", "2.2"}),
        ("NET", {"2.1", "2.2"}),
        ("NVT", {"2.1", "2.2"}),
        ("NCT", {"2.1", "2.2"}),
    ],
)
def test_record_type_exists_in_the_versions_whose_spec_defines_it(
    code: str, versions: set[str]
) -> None:
    """A record type belongs exactly to the versions whose specification lays it out."""
    assert {v for v in VERSIONS if code in layout_set(v).record_types} == versions


def _child_attributes(version: str, parent: str) -> list[str]:
    """The attributes of ``parent`` that detail rows fill, in table (emission) order, once each."""
    ls = layout_set(version)
    seen: list[str] = []
    for rt in ls.record_types.values():
        if parent in rt.parents and rt.attribute not in seen:
            seen.append(rt.attribute)
    return seen


def test_table_order_follows_the_3_1_record_sequence() -> None:
    """Table order matches WRK edit 16 and the writer chain of CWR 3.1 (p. 14, p. 49)."""
    assert _child_attributes("3.1", "WRK") == [
        "publishers",
        "writers",
        "alternate_titles",
        "non_roman_titles",
        "original_works",
        "performers",
        "non_roman_performers",
        "recordings",
        "non_roman_recordings",
        "origins",
        "instrumentation",
        "instruments",
        "additional_info",
        "cross_references",
        "audio_visual_productions",
    ]
    assert _child_attributes("3.1", "SWR") == [
        "non_roman_names",
        "territories",
        "manuscript_share",
        "publishers",
    ]


def test_ack_children_follow_the_3_0_ack2_sequence() -> None:
    """A 3.0 ACK carries MSG, WRK, ISA, EXC and XRF in that order (CWR 3.0 ACK edit 5, p. 38)."""
    assert _child_attributes("3.0", "ACK") == [
        "messages",
        "work",
        "iswc_confirmation",
        "conflict",
        "cross_references",
    ]


# --- Record lengths the specifications state or imply ------------------------------------------


@pytest.mark.parametrize(
    ("version", "code", "length"),
    [
        ("2.1", "HDR", 101),
        ("2.2", "HDR", 167),
        ("3.0", "HDR", 195),
        ("3.1", "HDR", 195),
        ("2.2", "GRH", 28),
        ("3.0", "GRH", 26),
        ("3.1", "GRH", 21),
        ("3.0", "GRT", 24),
        ("3.1", "TRL", 24),
        ("2.1", "ACK", 159),
        ("3.0", "ACK", 206),
        ("3.1", "ACK", 206),
        ("3.1", "MSG", 185),
        ("2.1", "NWR", 260),
        ("3.0", "WRK", 218),
        ("3.1", "WRK", 218),
        ("3.1", "EXC", 216),
        ("3.1", "DRW", 108),
        ("3.1", "LIC", 104),
        ("3.0", "ISR", 107),
        ("3.0", "ISA", 147),
        ("3.0", "WRI", 136),
        ("2.1", "SPU", 183),
        ("3.0", "SPU", 103),
        ("3.1", "SPU", 105),
        ("3.0", "SPT", 99),
        ("3.1", "SPT", 101),
        ("3.1", "OPT", 101),
        ("3.0", "SWR", 134),
        ("3.1", "SWR", 136),
        ("3.0", "SWT", 67),
        ("3.1", "OWT", 69),
        ("3.1", "MAN", 45),
        ("2.1", "PWR", 110),
        ("2.2", "PWR", 112),
        ("3.0", "PWR", 73),
        ("3.1", "PWR", 75),
        ("3.1", "NPN", 518),
        ("3.1", "NWN", 356),
        ("3.1", "NAT", 667),
        ("3.1", "OWK", 360),
        ("3.1", "NOT", 665),
        ("3.1", "NOW", 346),
        ("3.1", "PER", 126),
        ("3.1", "NPR", 377),
        ("2.1", "REC", 266),
        ("2.2", "REC", 540),
        ("3.0", "REC", 346),
        ("3.1", "REC", 327),
        ("3.0", "NRC", 292),
        ("3.1", "NRC", 333),
        ("2.1", "ORN", 301),
        ("2.2", "ORN", 348),
        ("3.1", "ORN", 364),
        ("3.1", "FTV", 284),
        ("3.1", "ARI", 201),
        ("2.2", "XRF", 38),
        ("3.1", "XRF", 39),
    ],
)
def test_record_length(version: str, code: str, length: int) -> None:
    """The layout ends where the specification's last field of the record ends."""
    assert layout_set(version).layouts[code].length == length


# --- Real sample lines ----------------------------------------------------------------------------


def test_prs_ack_sample_slices_as_the_digest_reports() -> None:
    """PRS's 2.1 ACK file slices ACK, MSG, SPU, SPT, SWR and PWR to CWR-REFERENCE §3.1's values."""
    lines = _sample_lines("ack/weso_ackexample_PRS.V21")
    ack = _slice("2.1", _first(lines, "ACK"))
    assert ack["creation_date"] == "20160630"
    assert ack["creation_time"] == "115644"
    assert ack["original_group_id"] == "00001"
    assert ack["original_transaction_type"] == "NWR"
    assert ack["submitter_creation_number"] == "256599"
    assert ack["recipient_creation_number"] == "250310HN"
    assert ack["processing_date"] == "20160630"
    assert ack["transaction_status"] == "AS"
    msg = _slice("2.1", _first(lines, "MSG"))
    assert (msg["message_type"], msg["original_record_sequence"]) == ("F", "00000000")
    assert (msg["original_record_type"], msg["message_level"]) == ("NWR", "F")
    assert msg["validation_number"] == "005"
    assert msg["message_text"] == "COPYRIGHT DATE WAS NOT A VALID DATE - REPLACED WITH ZEROS"
    spu = _slice("2.1", _first(lines, "SPU"))
    assert (spu["publisher_sequence"], spu["interested_party_number"]) == ("01", "01283329")
    assert (spu["name"], spu["publisher_type"]) == ("NIGHT GARDEN MUSIC", "E")
    assert (spu["ipi_name_number"], spu["pr_society"]) == ("00130046332", "021")
    assert (spu["pr_ownership_share"], spu["mr_ownership_share"]) == ("01666", "03333")
    assert spu["sr_ownership_share"] == "03333"
    spt = _slice("2.1", _first(lines, "SPT"))
    assert (spt["pr_collection_share"], spt["mr_collection_share"]) == ("01666", "03333")
    assert (spt["inclusion_exclusion"], spt["tis_code"]) == ("I", "0056")
    assert (spt["shares_change"], spt["sequence"]) == ("N", "001")
    swr = _slice("2.1", _first(lines, "SWR"))
    assert (swr["interested_party_number"], swr["last_name"]) == ("00240696", "STIPE")
    assert (swr["first_name"], swr["designation"]) == ("MICHAEL", "CA")
    assert (swr["ipi_name_number"], swr["pr_society"]) == ("00235492073", "021")
    assert swr["pr_ownership_share"] == "01666"
    pwr = _slice("2.1", _first(lines, "PWR"))
    assert (pwr["publisher_ip_number"], pwr["publisher_name"]) == ("01283329", "NIGHT GARDEN MUSIC")
    assert pwr["writer_ip_number"] == "00240696"


def test_v22_sample_slices_hdr_pwr_and_xrf() -> None:
    """The 2.2 sample has the HDR version block, PWR chain and XRF where 2.2 puts them."""
    lines = _sample_lines("v22/weso_demo_cwr_cleaned.v22")
    hdr = _slice("2.2", lines[0])
    assert (hdr["version"], hdr["revision"]) == ("2.2", "001")
    assert hdr["software_package"] == "CURVE ROYALTY SYSTEMS"
    assert _slice("2.2", _first(lines, "PWR"))["publisher_sequence"] == "01"
    xrf = _slice("2.2", _first(lines, "XRF"))
    assert (xrf["organisation_code"], xrf["identifier"]) == ("052", "123456BR")
    assert (xrf["identifier_type"], xrf["validity"]) == ("W", "Y")


def test_cwr31_ack2_sample_slices_to_its_statuses_and_file_name() -> None:
    """The 3.1 ACK2 sample yields statuses SR/CR, the CWR_SUB file name, and WRK titles."""
    lines = _sample_lines("synthetic/synthetic_CWR31_ACK2.txt")
    hdr = _slice("3.1", lines[0])
    assert (hdr["sender_type"], hdr["sender_code"], hdr["sender_name"]) == ("SO", "052", "PRS")
    assert (hdr["version"], hdr["revision"]) == ("3.1", "000")
    assert hdr["file_name"] == "CW220001052_SA_V3-1-0.ACK2"
    grh = _slice("3.1", lines[1])
    assert grh == {"transaction_type": "ACK", "group_id": "00001", "batch_request": "0000000000"}
    acks = [_slice("3.1", line) for line in lines if line.startswith("ACK")]
    assert [a["transaction_status"] for a in acks] == ["SR", "CR"]
    assert {a["original_file_name"] for a in acks} == {"CW220037SA_058_V3-1-0.SUB"}
    assert [a["recipient_creation_number"] for a in acks] == ["PRS123", "PRS124"]
    assert [a["recipient_temporary_creation_number"] for a in acks] == ["TMP0", "TMP1"]
    assert [a["original_transaction_type"] for a in acks] == ["WRK", "WRK"]
    works = [_slice("3.1", line) for line in lines if line.startswith("WRK")]
    assert [w["title"] for w in works] == ["FIRST SONG", "SECOND SONG"]
    assert [w["submitter_work_number"] for w in works] == ["SA001", "SA002"]
    assert {(w["distribution_category"], w["version_type"]) for w in works} == {("POP", "ORI")}
    assert all(len(line) == layout_set("3.1").layouts[line[:3]].length for line in lines)


def test_cwr30_sub_sample_slices_to_its_work() -> None:
    """DMP's 3.0 SUB file yields its WRK title and writer, territory, PWR, REC and XRF values."""
    lines = _sample_lines("v30/dmp_CW220002DMP_0000_V3-0-0.SUB")
    hdr = _slice("3.0", lines[0])
    assert (hdr["sender_type"], hdr["sender_code"], hdr["version"]) == ("PB", "DMP", "3.0")
    assert hdr["file_name"] == "CW240002DMP_0000_V3-0-0.SUB"
    assert _slice("3.0", lines[1])["version_number"] == "03.00"
    wrk = _slice("3.0", _first(lines, "WRK"))
    assert (wrk["title"], wrk["submitter_work_number"]) == ("MUSIC PUB CARTOONS", "DMP000001")
    assert (wrk["iswc"], wrk["version_type"], wrk["priority_flag"]) == ("T1234567894", "MOD", "N")
    spt = _slice("3.0", _first(lines, "SPT"))
    assert (spt["pr_collection_share"], spt["mr_collection_share"]) == ("03750", "07500")
    assert (spt["tis_code"], spt["pr_society"], spt["recipient_code"]) == ("2136", "52", "0000")
    swr = _slice("3.0", _first(lines, "SWR"))
    assert (swr["last_name"], swr["first_name"], swr["designation"]) == ("KOLARIC", "MATIJA", "AR")
    assert (swr["ipi_name_number"], swr["ipi_base_number"]) == ("00000000199", "I-123456789-3")
    pwr = _slice("3.0", _first(lines, "PWR"))
    assert (pwr["publisher_ip_number"], pwr["writer_ip_number"]) == ("P000001", "W000001")
    assert (pwr["society_assigned_agreement_number"], pwr["agreement_type"]) == ("J44VA", "OG")
    assert _slice("3.0", _first(lines, "OWK"))["title"] == "MUSIC PUB CARTOONS"
    rec = _slice("3.0", _first(lines, "REC", "MUSIC LABEL"))
    assert (rec["recording_title"], rec["record_label"]) == ("WORK RECORDING", "MUSIC LABEL")
    assert rec["submitter_recording_identifier"] == "DMP000001R"
    xrf = _slice("3.0", _first(lines, "XRF"))
    assert (xrf["identifier"], xrf["identifier_type"], xrf["validity"]) == ("REMOTE1", "W", "Y")


def test_cwr30_sub_sample_spu_deviation_shows_as_field_errors() -> None:
    """DMP's SPU carries a 9-zero block before the IPI; the spec layout is not bent to fit it."""
    line = _first(_sample_lines("v30/dmp_CW220002DMP_0000_V3-0-0.SUB"), "SPU")
    layout = layout_set("3.0").layouts["SPU"]
    assert len(line) == layout.length + 9
    spu = _values(layout, line)
    assert (spu["name"], spu["unknown_indicator"], spu["publisher_type"]) == (
        "TEST PUBLISHER",
        "N",
        "E",
    )
    # The spec's IPI Name Number (79-89) and IPI Base Number (90-102) hold the shifted block.
    assert spu["ipi_name_number"] == "00000000009"
    assert spu["ipi_base_number"] == "000000020"


def test_cwr30_isr_sample_slices_its_requests() -> None:
    """The 3.0 ISR sample yields ISR titles, work numbers and the ISWC with its preferred flag."""
    lines = _sample_lines("v30/musicmetadata_CW190008MPC_0000_V3-0-0.ISR")
    isrs = [_slice("3.0", line) for line in lines if line.startswith("ISR")]
    assert len(isrs) == 19
    assert (isrs[0]["title"], isrs[0]["submitter_work_number"]) == ("FIRST WORK", "MPC000001")
    flagged = [i for i in isrs if i["iswc"]]
    assert [(i["iswc"], i["iswc_preferred_indicator"]) for i in flagged] == [("T1234567894", "U")]


def test_cwr30_isr_sample_wri_deviates_from_the_spec() -> None:
    """The sample's WRI is 116 wide, not 136, so the spec layout does not put DOE in last_name."""
    line = _first(_sample_lines("v30/musicmetadata_CW190008MPC_0000_V3-0-0.ISR"), "WRI")
    layout = layout_set("3.0").layouts["WRI"]
    assert (len(line), layout.length) == (116, 136)
    wri = _values(layout, line)
    # The sample starts with a 9-character IP # where the spec has the 14-character
    # Submitter Work Number, so DOE sits at 40 instead of 45 and JOHN lands in last_name.
    assert line[39:42] == "DOE"
    assert layout.field("last_name").start == 45
    assert wri["last_name"] == "JOHN"
    assert wri["designation"] == ""
