"""The strict writer writes spec-exact CWR, and translation keeps or reports every field."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import fields, replace
from datetime import date, time
from pathlib import Path

import pytest
from builders import HEADER, agreement, publisher, work, writer
from conftest import SAMPLES

from gateway.formats.cwr.events import FileStarted, GroupStarted, TransactionRead
from gateway.formats.cwr.layouts import layout_set
from gateway.formats.cwr.reader import read_cwr
from gateway.formats.cwr.writer import CwrWriter, Loss
from gateway.formats.translate import TranslationResult
from gateway.formats.translate import translate as translate_file
from gateway.model import (
    AdditionalInfo,
    AlternateTitle,
    CrossReference,
    FileHeader,
    Instrumentation,
    InstrumentDetail,
    Issue,
    NonRomanTitle,
    Origin,
    Performer,
    Publisher,
    PublisherNonRomanName,
    PublisherTerritory,
    Record,
    Recording,
    SourceWork,
    TransactionRecord,
    Work,
    WriterNonRomanName,
    WriterTerritory,
    values,
)

ALL_VERSIONS = ("2.1", "2.2", "3.0", "3.1")
VERSIONS_2X = ("2.1", "2.2")
# Samples that follow the specification: the strict writer must give them back unchanged.
CONFORMING = {
    "v21/dmp_CW220001DMP_000.V21": "2.1",
    "v21/weso_revexample.V21": "2.1",
    "v21/weso_nwrexample2.V21": "2.1",
    "synthetic/derived_from_prs_ack_NWR_2.1.V21": "2.1",
    "synthetic/derived_from_prs_ack_NWR_2.2.V22": "2.2",
}
SAMPLES_21 = [name for name, version in CONFORMING.items() if version == "2.1"]
SAMPLES_2X = [*CONFORMING, "v22/weso_demo_cwr_cleaned.v22"]
ENVELOPE = ("HDR", "GRH", "GRT", "TRL")


def rich_work() -> Work:
    """A work using most 2.x detail records, some of them 2.2-only (OPT, OWT, XRF)."""
    spu = publisher(
        non_roman_names=(
            PublisherNonRomanName(
                record_type="NPN",
                publisher_sequence=1,
                interested_party_number="P000001",
                name="Verlag Eins",
                language_code="DE",
            ),
        ),
    )
    opu = publisher(
        0,
        0,
        0,
        record_type="OPU",
        publisher_sequence=2,
        interested_party_number="P000002",
        name="OTHER PUBLISHER",
        territories=(
            PublisherTerritory(
                record_type="OPT",
                interested_party_number="P000002",
                pr_collection_share=0,
                mr_collection_share=0,
                sr_collection_share=0,
                inclusion_exclusion="I",
                tis_code="2136",
                shares_change="N",
                sequence=1,
            ),
        ),
    )
    owr = writer(
        0,
        0,
        0,
        record_type="OWR",
        interested_party_number="W000002",
        last_name="ROE",
        first_name="JANE",
        non_roman_names=(
            WriterNonRomanName(
                record_type="NWN",
                interested_party_number="W000002",
                last_name="Roe",
                first_name="Jane",
            ),
        ),
        territories=(
            WriterTerritory(
                record_type="OWT",
                interested_party_number="W000002",
                pr_collection_share=0,
                mr_collection_share=0,
                sr_collection_share=0,
                inclusion_exclusion="I",
                tis_code="2136",
                shares_change="N",
                sequence=1,
            ),
        ),
        publishers=(),
    )
    return work(
        copyright_date=date(2020, 2, 29),
        duration=time(0, 3, 45),
        language_code="EN",
        publishers=(spu, opu),
        writers=(writer(), owr),
        alternate_titles=(
            AlternateTitle(
                record_type="ALT", title="UN CHANT", title_type="AT", language_code="FR"
            ),
        ),
        non_roman_titles=(NonRomanTitle(record_type="NAT", title="Ein Lied", title_type="OT"),),
        entire_work=SourceWork(record_type="EWT", title="THE WHOLE SUITE"),
        original_work=SourceWork(record_type="VER", title="THE ORIGINAL"),
        performers=(Performer(record_type="PER", last_name="BAND", first_name="THE"),),
        recordings=(
            Recording(
                record_type="REC",
                first_release_date=date(2021, 5, 1),
                first_release_duration=time(0, 3, 40),
                first_album_title="FIRST ALBUM",
                isrc="GBAYE6800011",
                recording_title="A SONG (LIVE)",
            ),
        ),
        origins=(
            Origin(
                record_type="ORN",
                intended_purpose="LIB",
                production_title="SHOW",
                cut_number=3,
                year_of_production=2020,
            ),
        ),
        instrumentation=(
            Instrumentation(
                record_type="INS", number_of_voices=4, standard_instrumentation_type="BND"
            ),
        ),
        instruments=(
            InstrumentDetail(record_type="IND", instrument_code="ACC", number_of_players=2),
        ),
        components=(
            SourceWork(
                record_type="COM",
                title="PART ONE",
                writer_1_last_name="DOE",
                duration=time(0, 1, 0),
            ),
        ),
        additional_info=(
            AdditionalInfo(record_type="ARI", society_code="052", right_type="PER", note="A NOTE"),
        ),
        cross_references=(
            CrossReference(
                record_type="XRF",
                organisation_code="052",
                identifier="123456BR",
                identifier_type="W",
                validity="Y",
            ),
        ),
    )


def transactions(version: str) -> list[TransactionRecord]:
    """A mix of transactions the version can carry: works new and revised, an agreement."""
    records: list[TransactionRecord] = [work(), rich_work(), work(number="SW0002")]
    records.append(work(record_type="REV", number="SW0003"))
    if version in VERSIONS_2X:
        records.append(agreement())
    return records


def write(
    records: list[TransactionRecord], version: str, header: FileHeader = HEADER
) -> tuple[bytes, list[Loss]]:
    """The strict writer's file of these transactions, and its losses."""
    out = io.BytesIO()
    cwr = CwrWriter(out, version)
    cwr.header(header)
    for record in records:
        cwr.transaction(record)
    cwr.close()
    return out.getvalue(), cwr.losses


def lines_of(data: bytes) -> list[str]:
    """The records of a file, line ends removed (CRLF, LF or CR)."""
    return data.decode("latin-1").splitlines()


def read_issues(data: bytes) -> list[Issue]:
    """Every issue the lenient reader reports on a file."""
    return [issue for event in read_cwr(io.BytesIO(data)) for issue in event.issues]


def read_transactions(data: bytes) -> list[TransactionRead]:
    """The transactions the reader finds in a file."""
    return [e for e in read_cwr(io.BytesIO(data)) if isinstance(e, TransactionRead)]


def translate(data: bytes, version: str) -> tuple[bytes, TranslationResult]:
    """A translation of ``data`` to ``version``: the output and the result."""
    out = io.BytesIO()
    result = translate_file(io.BytesIO(data), out, version)
    return out.getvalue(), result


def sample(name: str) -> bytes:
    """The bytes of a shared sample file."""
    return (SAMPLES / name).read_bytes()


def normalised(data: bytes, version: str) -> list[str]:
    """Lines right-padded to their layout length; GRT cut to its 24 characters in CWR use."""
    layouts = layout_set(version).layouts
    out = []
    for line in lines_of(data):
        record_type = line[:3]
        if record_type == "GRT":
            out.append(line[:24])
        else:
            out.append(line.ljust(layouts[record_type].length))
    return out


def walk(record: Record) -> Iterator[Record]:
    """A record and every record beneath it, depth first."""
    yield record
    for f in fields(record):
        value = getattr(record, f.name)
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(child, Record):
                yield from walk(child)


def model_names(record_type: str, version: str) -> set[str]:
    """Names of the model fields the version's layout of a record type holds."""
    layout = layout_set(version).layouts.get(record_type)
    return {f.name for f in layout.model_fields} if layout is not None else set()


def filled(value: object) -> bool:
    """Whether a model value says something (blank text, None and CWR's empty zeros say nothing)."""
    return value not in ("", None, 0)


# -- the strict writer ----------------------------------------------------------------------


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_every_record_has_its_layout_length(version: str) -> None:
    """Every line is exactly as long as its record's layout, envelope included."""
    data, _ = write(transactions(version), version)
    layouts = layout_set(version).layouts
    lines = lines_of(data)
    assert {line[:3] for line in lines} >= {"HDR", "GRH", "GRT", "TRL", "SPU", "SWR", "PWR"}
    for number, line in enumerate(lines, start=1):
        assert len(line) == layouts[line[:3]].length, (number, line)


@pytest.mark.parametrize(
    ("version", "length"), [("2.1", 101), ("2.2", 167), ("3.0", 195), ("3.1", 195)]
)
def test_header_length(version: str, length: int) -> None:
    """The HDR is 101 characters in 2.1, 167 in 2.2 and 195 in 3.x."""
    data, _ = write([work()], version)
    assert len(lines_of(data)[0]) == length


@pytest.mark.parametrize("version", VERSIONS_2X)
def test_group_trailer_is_written_full(version: str) -> None:
    """The 2.x GRT is written at 37 characters: blank currency, zero monetary value."""
    data, _ = write([work()], version)
    grt = next(line for line in lines_of(data) if line.startswith("GRT"))
    assert len(grt) == 37
    assert grt[24:] == "   " + "0" * 10


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_crlf_line_ends(version: str) -> None:
    """Every record, the TRL too, ends in CR LF; there is no bare CR or LF."""
    data, _ = write(transactions(version), version)
    assert data.endswith(b"TRL" + data.rsplit(b"TRL", 1)[1])
    assert data.endswith(b"\r\n")
    records = len(lines_of(data))
    assert data.count(b"\r\n") == data.count(b"\n") == data.count(b"\r") == records


@pytest.mark.parametrize("version", ALL_VERSIONS)
@pytest.mark.parametrize(
    ("changes", "record_type", "start", "expected"),
    [
        ({"title": "a song"}, "NWR", 20, "A SONG"),
        ({"title": "Ça Ira"}, "NWR", 20, "ÇA IRA"),
        ({"submitter_work_number": "sw0001"}, "NWR", 82, "SW0001"),
        ({"writers": (writer(last_name="doe", first_name="john"),)}, "SWR", None, "DOE"),
        ({"publishers": (publisher(name="publisher one"),)}, "SPU", None, "PUBLISHER ONE"),
    ],
)
def test_text_is_written_upper_case(
    version: str, changes: dict[str, object], record_type: str, start: int | None, expected: str
) -> None:
    """Lower-case text in the model is written in upper case."""
    data, _ = write([work(**changes)], version)  # type: ignore[arg-type]
    kind = "WRK" if record_type == "NWR" and version.startswith("3") else record_type
    (line,) = [line for line in lines_of(data) if line.startswith(kind)]
    layout = layout_set(version).layouts[kind]
    name = {"NWR": "title", "SWR": "last_name", "SPU": "name"}[record_type]
    if start == 82:
        name = "submitter_work_number"
    f = layout.field(name)
    assert line[f.offset : f.end].rstrip() == expected
    assert line == line.upper()


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_non_roman_records_keep_their_case(version: str) -> None:
    """A non-Roman title (NAT) is written as given: its scripts have no case to force."""
    record = work(
        non_roman_titles=(NonRomanTitle(record_type="NAT", title="Ein Lied", title_type="OT"),)
    )
    data, _ = write([record], version)
    (nat,) = [line for line in lines_of(data) if line.startswith("NAT")]
    assert nat[19:27] == "Ein Lied"


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_sequence_numbers_and_control_totals(version: str) -> None:
    """Groups, transactions and records are numbered and counted as the envelope rules say."""
    records = transactions(version)
    data, _ = write(records, version)
    lines = lines_of(data)
    assert lines[0].startswith("HDR")
    assert lines[-1].startswith("TRL")
    groups: list[list[str]] = []
    for line in lines[1:-1]:
        if line.startswith("GRH"):
            groups.append([line])
        else:
            groups[-1].append(line)
    transactions_seen = 0
    for number, group in enumerate(groups, start=1):
        grh, grt, body = group[0], group[-1], group[1:-1]
        assert int(grh[6:11]) == number
        assert grt.startswith("GRT")
        assert int(grt[3:8]) == number
        headers = [line for line in body if int(line[11:19]) == 0]
        assert [int(line[3:11]) for line in headers] == list(range(len(headers)))
        for line in body:  # record sequence: 0 on the header, then +1 on each detail record
            tseq, rseq = int(line[3:11]), int(line[11:19])
            previous = [x for x in body[: body.index(line)] if int(x[3:11]) == tseq]
            assert rseq == len(previous)
        assert int(grt[8:16]) == len(headers)
        assert int(grt[16:24]) == len(group)
        transactions_seen += len(headers)
    trl = lines[-1]
    assert int(trl[3:8]) == len(groups)
    assert int(trl[8:16]) == transactions_seen == len(records)
    assert int(trl[16:24]) == len(lines)


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_reader_finds_no_envelope_or_sequence_fault(version: str) -> None:
    """Reading the written file back gives no FIL, GRH, GRT or TRL message (nor any, for 2.x)."""
    data, _ = write(transactions(version), version)
    issues = read_issues(data)
    assert [i.edit for i in issues if i.edit[:3] in ("FIL", "GRH", "GRT", "TRL")] == []
    if version in VERSIONS_2X:
        assert [(i.edit, i.record_type, i.field) for i in issues] == []


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_groups_follow_transaction_types(version: str) -> None:
    """A new group opens when the transaction type changes (NWR and REV share WRK in 3.x)."""
    data, _ = write(transactions(version), version)
    grh = [line[3:6] for line in lines_of(data) if line.startswith("GRH")]
    expected = {"2.1": ["NWR", "REV", "AGR"], "2.2": ["NWR", "REV", "AGR"]}.get(version, ["WRK"])
    assert grh == expected


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_overlong_text_is_cut_and_reported(version: str) -> None:
    """Text longer than its field is cut to the field and reported as a loss at its place."""
    data, losses = write([work(), work(title="X" * 61)], version)
    kind = "WRK" if version.startswith("3") else "NWR"
    cut = [loss for loss in losses if loss.field == "title"]
    assert cut == [Loss(1, 1, kind, "title", "X" * 61, "longer than 60 characters; cut")]
    title = [line for line in lines_of(data) if line.startswith(kind)][1][19:79]
    assert title == "X" * 60


@pytest.mark.parametrize("version", VERSIONS_2X)
def test_overlong_number_is_cut_and_reported(version: str) -> None:
    """A number with more digits than its field is reported as a loss."""
    _, losses = write([work(publishers=(publisher(publisher_sequence=123),))], version)
    assert [x for x in losses if x.record_type == "SPU"] == [
        Loss(1, 0, "SPU", "publisher_sequence", "123", "more than 2 digits; cut")
    ]


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_empty_numbers_and_dates_are_zeros(version: str) -> None:
    """An empty number, date or time is written as zeros, an empty text as blanks."""
    data, _ = write([work()], version)
    kind = "WRK" if version.startswith("3") else "NWR"
    (line,) = [line for line in lines_of(data) if line.startswith(kind)]
    layout = layout_set(version).layouts[kind]
    for name, text in (
        ("copyright_date", "0" * 8),
        ("duration", "0" * 6),
        ("composite_component_count", "000"),
        ("copyright_number", " " * 12),
    ):
        f = layout.field(name)
        assert line[f.offset : f.end] == text


def test_date_before_year_1000_keeps_eight_digits() -> None:
    """A date is always written as 8 digits, so the fields after it stay in place."""
    data, _ = write([work(copyright_date=date(999, 12, 31))], "2.1")
    (nwr,) = [line for line in lines_of(data) if line.startswith("NWR")]
    assert nwr[106:114] == "09991231"
    assert nwr[126:129] == "POP"


def test_numeric_text_fields_are_zero_filled() -> None:
    """An N field kept as text in the model (HDR Sender ID) is right-justified and zero-filled."""
    data, _ = write([work()], "2.1", replace(HEADER, sender_id="199"))
    assert lines_of(data)[0][5:14] == "000000199"


# -- round trips through the model ----------------------------------------------------------


@pytest.mark.parametrize(("name", "version"), CONFORMING.items())
def test_same_version_round_trip(name: str, version: str) -> None:
    """A conforming sample translated to its own version comes back line for line."""
    data = sample(name)
    out, result = translate(data, version)
    assert result.source_version == version
    assert result.losses == []
    assert normalised(out, version) == normalised(data, version)
    assert len(lines_of(out)) == len(lines_of(data))


@pytest.mark.parametrize(("name", "version"), CONFORMING.items())
def test_same_version_translation_is_strict(name: str, version: str) -> None:
    """The translation of a trimmed sample has full-length records and no reader complaint."""
    out, _ = translate(sample(name), version)
    layouts = layout_set(version).layouts
    assert all(len(line) == layouts[line[:3]].length for line in lines_of(out))
    assert [i.edit for i in read_issues(out) if i.edit[:3] in ("FIL", "GRT", "TRL", "GRH")] == []


@pytest.mark.parametrize("name", SAMPLES_21)
def test_21_to_22_to_21_gives_the_same_bytes(name: str) -> None:
    """2.1 through 2.2 and back gives the bytes a direct 2.1 translation gives, and the sample."""
    data = sample(name)
    direct, _ = translate(data, "2.1")
    via, to_22 = translate(data, "2.2")
    back, _ = translate(via, "2.1")
    assert to_22.losses == []
    assert back == direct
    assert normalised(back, "2.1") == normalised(data, "2.1")


@pytest.mark.parametrize("name", SAMPLES_21)
def test_21_to_22_fills_the_22_envelope(name: str) -> None:
    """A 2.1 file written as 2.2 carries the 2.2 HDR version fields and GRH version 02.20."""
    via, _ = translate(sample(name), "2.2")
    lines = lines_of(via)
    assert lines[0][101:107] == "2.2002"
    assert all(line[11:16] == "02.20" for line in lines if line.startswith("GRH"))


@pytest.mark.parametrize("name", SAMPLES_21)
def test_21_to_22_to_21_reports_no_field_loss(name: str) -> None:
    """Going back to 2.1 loses nothing the 2.1 source had (zero-filled numbers are empty)."""
    via, _ = translate(sample(name), "2.2")
    _, back = translate(via, "2.1")
    assert [x for x in back.losses if x.record_type != "HDR"] == []


def _expected_22_to_21(data: bytes, out: bytes) -> Counter[tuple[object, ...]]:
    """What 2.1 cannot hold of a 2.2 file: filled 2.2-only fields and 2.2-only records.

    Each is placed at the group and transaction its transaction has in the output ``out``.
    """
    expected: Counter[tuple[object, ...]] = Counter()
    header = next(e for e in read_cwr(io.BytesIO(data)) if isinstance(e, FileStarted)).header
    for name in sorted(model_names("HDR", "2.2") - model_names("HDR", "2.1")):
        value = getattr(header, name)
        if filled(value):
            expected[None, None, "HDR", name, str(value)] += 1
    source, written = read_transactions(data), read_transactions(out)
    assert len(source) == len(written)
    for event, placed in zip(source, written, strict=True):
        where = (placed.transaction.group_id, placed.transaction.sequence)
        for record in walk(event.transaction.record):
            rt = record.record_type
            if rt not in layout_set("2.1").layouts:
                expected[(*where, rt, None, None)] += 1
                continue
            only_22 = model_names(rt, "2.2") - model_names(rt, "2.1")
            for name, value in values(record).items():
                if name in only_22 and filled(value):
                    expected[(*where, rt, name, str(value))] += 1
    return expected


def _losses(result: TranslationResult) -> Counter[tuple[object, ...]]:
    return Counter(
        (x.group, x.transaction, x.record_type, x.field, x.value if x.field else None)
        for x in result.losses
    )


@pytest.mark.parametrize(
    "name", ["synthetic/derived_from_prs_ack_NWR_2.2.V22", "v22/weso_demo_cwr_cleaned.v22"]
)
def test_22_to_21_reports_exactly_the_22_only_data(name: str) -> None:
    """2.2 to 2.1 reports each filled 2.2-only field and 2.2-only record, at its place."""
    data = sample(name)
    out, result = translate(data, "2.1")
    expected = _expected_22_to_21(data, out)
    assert any(key[2:4] == ("PWR", "publisher_sequence") for key in expected)
    assert _losses(result) == expected
    for loss in result.losses:
        if loss.field is not None:
            assert loss.reason == f"CWR 2.1 {loss.record_type} has no such field"


def test_22_to_21_of_a_built_work() -> None:
    """A 2.2 work with OPT, OWT, XRF, a 2.2 REC field and PWR chains loses just those in 2.1."""
    data, losses = write([work(), rich_work()], "2.2")
    assert [x for x in losses if x.record_type != "HDR"] == []
    out, result = translate(data, "2.1")
    assert _losses(result) == _expected_22_to_21(data, out)
    summary = {(x.transaction, x.record_type, x.field) for x in result.losses if x.group}
    assert summary == {
        (0, "PWR", "publisher_sequence"),
        (1, "PWR", "publisher_sequence"),
        (1, "OPT", None),
        (1, "OWT", None),
        (1, "XRF", None),
        (1, "REC", "recording_title"),
    }


def test_22_to_21_keeps_everything_else() -> None:
    """Apart from what it reports lost, the 2.1 translation reads back as the 2.2 model."""
    data, _ = write([rich_work()], "2.2")
    out, _ = translate(data, "2.1")
    (before,) = read_transactions(data)
    (after,) = read_transactions(out)
    kept_types = layout_set("2.1").layouts
    old_records = [r for r in walk(before.transaction.record) if r.record_type in kept_types]
    new_records = list(walk(after.transaction.record))
    assert len(old_records) == len(new_records)
    for old, new in zip(old_records, new_records, strict=True):
        assert old.record_type == new.record_type
        kept = model_names(old.record_type, "2.1")
        assert {k: v for k, v in values(old).items() if k in kept} == {
            k: v for k, v in values(new).items() if k in kept
        }


# -- 2.x to 3.1 -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES_2X)
def test_2x_to_31_writes_31_widths(name: str) -> None:
    """Every record of a 2.x file translated to 3.1 has its 3.1 length; the HDR is 195 long."""
    out, result = translate(sample(name), "3.1")
    layouts = layout_set("3.1").layouts
    lines = lines_of(out)
    assert len(lines[0]) == 195
    assert lines[0][102:105] == "3.1"
    for line in lines:
        assert len(line) == layouts[line[:3]].length, line
    assert result.target_version == "3.1"


@pytest.mark.parametrize("name", SAMPLES_2X)
def test_2x_to_31_spu_ip_number_is_eleven_wide(name: str) -> None:
    """The SPU interested party # sits at 22-32 (11 characters) and reads back unchanged."""
    data = sample(name)
    out, _ = translate(data, "3.1")
    source = spus(data)
    spu_lines = [line for line in lines_of(out) if line.startswith("SPU")]
    assert len(spu_lines) == len(source) > 0
    for line, spu in zip(spu_lines, source, strict=True):
        assert line[21:32] == spu.interested_party_number.ljust(11)
        assert line[32:77].rstrip() == spu.name
    numbers = [p.interested_party_number for p in spus(out)]
    assert numbers == [p.interested_party_number for p in source]


def spus(data: bytes) -> list[Publisher]:
    """The SPU records of a file's transactions, in file order."""
    return [
        p
        for t in read_transactions(data)
        for p in walk(t.transaction.record)
        if isinstance(p, Publisher) and p.record_type == "SPU"
    ]


def _expected_to_31(record: Record, where: tuple[int, int]) -> Counter[tuple[object, ...]]:
    """What 3.1 cannot hold of a 2.x transaction: each filled field 3.1 lacks, each record."""
    expected: Counter[tuple[object, ...]] = Counter()
    for r in walk(record):
        rt = "WRK" if r.record_type in ("NWR", "REV") else r.record_type
        layout = layout_set("3.1").layouts.get(rt)
        if layout is None:
            expected[(*where, rt, None, None)] += 1
            continue
        kept = model_names(rt, "3.1") | {"record_type", "extra"}
        for name, value in values(r).items():
            if name not in kept and filled(value):
                expected[(*where, rt, name, str(value))] += 1
    return expected


def _without_descendants_of_lost(
    record: Record, expected: Counter[tuple[object, ...]]
) -> Counter[tuple[object, ...]]:
    """Drop what lies beneath a lost record: the writer reports the record once, not its parts."""
    lost_parents = [
        r
        for r in walk(record)
        if r.record_type not in layout_set("3.1").layouts and r.record_type not in ("NWR", "REV")
    ]
    for parent in lost_parents:
        for child in list(walk(parent))[1:]:
            for key in list(expected):
                if key[2] == child.record_type:
                    del expected[key]
    return expected


@pytest.mark.parametrize("name", SAMPLES_2X)
def test_2x_to_31_reports_each_field_it_cannot_hold(name: str) -> None:
    """Each filled 2.x field 3.1 lacks is reported once, with the group and transaction it is in."""
    data = sample(name)
    out, result = translate(data, "3.1")
    written = [(t.transaction.group_id, t.transaction.sequence) for t in read_transactions(out)]
    source = read_transactions(data)
    assert len(written) == len(source)
    expected: Counter[tuple[object, ...]] = Counter()
    for where, read in zip(written, source, strict=True):
        record = read.transaction.record
        expected += _without_descendants_of_lost(record, _expected_to_31(record, where))
    got = _losses(result)
    assert +Counter({k: v for k, v in got.items() if k[0] is not None}) == +expected
    for loss in result.losses:
        assert (loss.group is None) == (loss.record_type == "HDR")


@pytest.mark.parametrize("version", ["3.0", "3.1"])
def test_2x_work_to_3x_reports_ownership_shares(version: str) -> None:
    """Writing ``work()`` as 3.x loses the SPU/SWR ownership shares and societies, each named."""
    _, losses = write([work(), work(number="SW0002")], version)
    reason = f"CWR {version} {{}} has no such field"
    for sequence in (0, 1):
        for rt in ("SPU", "SWR"):
            for right in ("pr", "mr", "sr"):
                assert (
                    Loss(1, sequence, rt, f"{right}_ownership_share", "5000", reason.format(rt))
                    in losses
                )
                assert Loss(1, sequence, rt, f"{right}_society", "052", reason.format(rt)) in losses
        assert (
            Loss(1, sequence, "PWR", "publisher_name", "PUBLISHER ONE", reason.format("PWR"))
            in losses
        )
    # The sender is carried over (IPI name number, transmitter code): the header loses nothing.
    assert [x for x in losses if x.group is None] == []


def test_2x_sender_becomes_3x_transmitter() -> None:
    """A 2.x society sender becomes a 3.x transmitter code; a publisher keeps its IPI number."""
    society = replace(HEADER, sender_type="SO", sender_id="000000052")
    for header, field, expected in (
        (society, "sender_code", "052"),
        (HEADER, "sender_ipi_name_number", "00000000199"),
    ):
        out = io.BytesIO()
        w = CwrWriter(out, "3.1")
        w.header(header)
        w.close()
        hdr = next(
            e for e in read_cwr(io.BytesIO(out.getvalue())) if isinstance(e, FileStarted)
        ).header
        assert getattr(hdr, field) == expected


@pytest.mark.parametrize(
    ("version", "lost"), [("3.0", ["ARI", "COM", "EWT", "VER"]), ("3.1", ["COM", "EWT", "VER"])]
)
def test_2x_records_3x_lacks_are_reported_whole(version: str, lost: list[str]) -> None:
    """EWT, VER, COM (and ARI in 3.0) have no 3.x record: each is reported lost, at its place."""
    _, losses = write([work(), rich_work()], version)
    whole = [(x.group, x.transaction, x.record_type) for x in losses if x.field is None]
    assert sorted(whole) == [(1, 1, rt) for rt in lost]


@pytest.mark.parametrize("name", SAMPLES_21)
def test_2x_to_31_groups_are_wrk(name: str) -> None:
    """A 2.x NWR/REV group becomes one WRK group in 3.1, numbered as the source's was."""
    out, result = translate(sample(name), "3.1")
    groups = [line[3:6] for line in lines_of(out) if line.startswith("GRH")]
    assert groups == ["WRK"]
    assert {x.group for x in result.losses if x.group is not None} == {1}


@pytest.mark.parametrize("name", SAMPLES_2X)
def test_2x_to_31_output_reads_back(name: str) -> None:
    """The 3.1 translation reads back with every transaction and no envelope fault."""
    data = sample(name)
    out, _ = translate(data, "3.1")
    assert len(read_transactions(out)) == len(read_transactions(data))
    events = list(read_cwr(io.BytesIO(out)))
    assert next(e for e in events if isinstance(e, FileStarted)).version == "3.1"
    groups = [e.header.group_id for e in events if isinstance(e, GroupStarted)]
    assert groups == list(range(1, len(groups) + 1))
    issues = [i for e in events for i in e.issues]
    assert [i.edit for i in issues if i.edit[:3] in ("FIL", "GRT", "TRL")] == []


def test_samples_exist() -> None:
    """The shared samples these tests translate are where conftest says."""
    missing = [name for name in SAMPLES_2X if not Path(SAMPLES / name).is_file()]
    assert missing == []
