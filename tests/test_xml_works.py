"""Works XML: model round trips, the real samples through XML and back, schema verdicts."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from builders import HEADER, agreement, work
from conftest import SAMPLES, sample_files
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from strategies import works

from gateway.formats.cwr.events import FileStarted, TransactionRead
from gateway.formats.detect import CWR, WORKS_XML, format_of
from gateway.formats.translate import XmlTarget, translate
from gateway.formats.xml.schemas import lxml_schema, schema_path, violations
from gateway.formats.xml.text import MessageInfo
from gateway.formats.xml.works_reader import read_works_xml
from gateway.formats.xml.works_writer import WorksXmlWriter
from gateway.model import Record, Work
from gateway.validation.engine import validate

ROOT = Path(__file__).resolve().parents[1]
# Samples the strict writer reproduces byte for byte (after padding and line ends): the ones
# that follow the specification. Every other sample is kept by XML exactly as CWR keeps it.
CONFORMING = {
    "synthetic/synthetic_CWR31_ACK2.txt",
    "v21/dmp_CW220001DMP_000.V21",
    "v21/weso_nwrexample2.V21",
    "v21/weso_revexample.V21",
}


def to_xml(*records: Record) -> bytes:
    out = io.BytesIO()
    writer = WorksXmlWriter(out, MessageInfo("TEST-1", "119", ("052",)))
    writer.header(HEADER)
    for record in records:
        writer.transaction(record)  # type: ignore[arg-type]
    writer.close()
    return out.getvalue()


def read_back(data: bytes) -> list[Record]:
    events = list(read_works_xml(io.BytesIO(data)))
    assert [i for e in events for i in e.issues] == []
    return [e.transaction.record for e in events if isinstance(e, TransactionRead)]


def normalised(data: bytes) -> list[str]:
    text = data.decode("latin-1").replace("\r", "")
    return [line.rstrip() for line in text.split("\n") if line.strip()]


def whole_document_valid(data: bytes) -> bool:
    return lxml_schema("works").validate(etree.parse(io.BytesIO(data)))


# -- the model through XML ------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(works("2.2"))
def test_model_to_xml_to_model_is_identity(record: Work) -> None:
    assert read_back(to_xml(record)) == [record]


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=60))
def test_any_xml_character_survives(title: str) -> None:
    """Markup characters, non-Roman scripts and spaces come back exactly."""
    record = replace(work(), title=title, contact_name=title.strip())
    assert read_back(to_xml(record)) == [record]


def test_agreements_and_several_groups_round_trip() -> None:
    records = [work(), agreement(), work(submitter_work_number="SW0002")]
    assert read_back(to_xml(*records)) == records


def test_written_documents_are_valid() -> None:
    data = to_xml(work(), agreement())
    assert whole_document_valid(data)
    assert list(violations(io.BytesIO(data), "works")) == []


def test_a_control_character_is_a_reported_loss() -> None:
    out = io.BytesIO()
    writer = WorksXmlWriter(out, MessageInfo("TEST-1", "119", ("052",)))
    writer.header(HEADER)
    writer.transaction(replace(work(), title="A\x01B"))
    writer.close()
    assert [(loss.record_type, loss.field) for loss in writer.losses] == [("NWR", "title")]
    assert read_back(out.getvalue())[0].title == "A\ufffdB"  # type: ignore[attr-defined]


# -- the real samples through XML and back ----------------------------------------------------


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_through_xml_and_back(path: Path) -> None:
    """CWR -> XML -> CWR gives what CWR -> CWR gives: XML keeps everything the model holds."""
    data = path.read_bytes()
    xml = io.BytesIO()
    first = translate(io.BytesIO(data), xml, "xml")
    assert first.losses == []
    version = first.source_version
    back, direct = io.BytesIO(), io.BytesIO()
    second = translate(io.BytesIO(xml.getvalue()), back, version)
    translate(io.BytesIO(data), direct, version)
    assert second.transactions == first.transactions > 0
    assert back.getvalue() == direct.getvalue()
    name = f"{path.parent.name}/{path.name}"
    if name in CONFORMING:
        assert normalised(back.getvalue()) == normalised(data)
        assert whole_document_valid(xml.getvalue())
        assert list(violations(io.BytesIO(xml.getvalue()), "works")) == []


def test_the_conforming_list_is_current() -> None:
    names = {f"{p.parent.name}/{p.name}" for p in sample_files()}
    assert names >= CONFORMING
    assert SAMPLES.is_dir()


# -- one verdict, three validators --------------------------------------------------------------

VALID = to_xml(work(), agreement())
MUTATIONS = {
    "bad ISWC": (b"<Iswc>T0345246801</Iswc>", b"<Iswc>X0345246801</Iswc>"),
    "share over 100": (
        b"<PrOwnershipShare>50.00</PrOwnershipShare>",
        b"<PrOwnershipShare>100.01</PrOwnershipShare>",
    ),
    "unknown element": (b"<Title>A SONG</Title>", b"<Titel>A SONG</Titel>"),
    "fields out of order": (
        b"<Title>A SONG</Title><SubmitterWorkNumber>SW0001</SubmitterWorkNumber>",
        b"<SubmitterWorkNumber>SW0001</SubmitterWorkNumber><Title>A SONG</Title>",
    ),
    "unknown society": (b"<PrSociety>052</PrSociety>", b"<PrSociety>999</PrSociety>"),
    "missing record type": (b'<Work RecordType="NWR">', b"<Work>"),
    "wrong record type": (b'<Work RecordType="NWR">', b'<Work RecordType="SPU">'),
    "text between transactions": (b"</Work>\n", b"</Work>stray text\n"),
    "wrong format version": (b'FormatVersion="1.0"', b'FormatVersion="9.9"'),
    "header after group": (b"<TransmissionHeader", b"<Group></Group><TransmissionHeader"),
    "group without header": (
        b'<Group><GroupHeader RecordType="GRH">',
        b'<Group><Junk/><GroupHeader RecordType="GRH">',
    ),
    "bad date": (
        b"<CreationDate>2024-01-01</CreationDate>",
        b"<CreationDate>2024-02-30</CreationDate>",
    ),
    "missing message id": (b"<c:MessageId>TEST-1</c:MessageId>", b""),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_the_validators_agree(name: str) -> None:
    """libxml2 on the whole document, xmlschema, and the streaming reader: all say invalid."""
    old, new = MUTATIONS[name]
    assert old in VALID
    data = VALID.replace(old, new, 1)
    assert not whole_document_valid(data)
    assert list(violations(io.BytesIO(data), "works"))
    report = validate(io.BytesIO(data))
    xml_messages = [m for m in report.messages if m.edit.startswith("GW") and m.edit[3] in "TEG"]
    assert xml_messages, [m.text for m in report.messages]
    assert report.status != "accepted"


def test_the_unmutated_document_is_accepted_by_all_three() -> None:
    assert whole_document_valid(VALID)
    assert list(violations(io.BytesIO(VALID), "works")) == []
    report = validate(io.BytesIO(VALID))
    assert report.status == "accepted", [m.text for m in report.messages]
    assert report.format == "xml"
    assert report.schema == "works"


def test_a_violation_rejects_its_transaction_only() -> None:
    data = to_xml(work(), replace(work(), submitter_work_number="SW0002", iswc="T0345246801"))
    data = data.replace(
        b"<SubmitterWorkNumber>SW0002</SubmitterWorkNumber>",
        b"<SubmitterWorkNumber>SW0002</SubmitterWorkNumber><Bogus/>",
    )
    report = validate(io.BytesIO(data))
    statuses = [t.status for t in report.transactions]
    assert statuses == ["accepted", "rejected"]
    (message,) = [m for m in report.messages if m.edit == "GW T 003"]
    assert message.line == data[: data.index(b"SW0002")].count(b"\n") + 1
    assert message.transaction == 1


# -- detection, schema generation, command line ----------------------------------------------


def test_formats_are_told_by_namespace() -> None:
    assert format_of(VALID) == WORKS_XML
    assert format_of(b"HDRSO000000119MCSC") == CWR
    assert (
        format_of(b"\xef\xbb\xbf  <?xml version='1.0'?><!-- hi --><x xmlns='urn:other'/>")
        == "xml:unknown"
    )
    assert (
        format_of(b'<p:Acknowledgement xmlns:p="urn:society-exchange-gateway:ack:1.0">')
        == "xml:ack"
    )


def test_the_works_schema_is_built_from_the_model() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_works_xsd  # noqa: PLC0415

        assert schema_path("works").read_text(encoding="utf-8") == build_works_xsd.build()
    finally:
        sys.path.remove(str(ROOT / "tools"))


def test_the_schema_uses_no_identity_constraints() -> None:
    text = schema_path("works").read_text(encoding="utf-8")
    for construct in ("xs:key", "xs:unique", "xs:keyref", "http://", "https://"):
        assert construct not in text.replace("http://www.w3.org/2001/XMLSchema", "")


def test_translate_and_validate_from_the_command_line(tmp_path: Path) -> None:
    source = ROOT / "fixtures" / "cwr" / "CW260002119_052.V21"
    xml, back = tmp_path / "f.xml", tmp_path / "back.V21"
    gateway = [sys.executable, "-m", "gateway"]
    done = subprocess.run(
        [*gateway, "translate", str(source), "--to", "xml", "-o", str(xml), "--recipient", "052"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "to works XML" in done.stderr
    assert (
        subprocess.run(
            [*gateway, "validate", str(xml)], capture_output=True, check=False
        ).returncode
        == 0
    )
    done = subprocess.run(
        [*gateway, "translate", str(xml), "--to", "cwr21", "-o", str(back)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert normalised(back.read_bytes()) == normalised(source.read_bytes())


def test_message_header_defaults_from_the_cwr_header() -> None:
    out = io.BytesIO()
    source = ROOT / "fixtures" / "cwr" / "CW260002119_052.V21"
    with source.open("rb") as stream:
        translate(stream, out, "xml", xml=XmlTarget(recipients=("052", "035")))
    text = out.getvalue().decode()
    assert "<c:Sender><c:SocietyCode>119</c:SocietyCode></c:Sender>" in text
    assert text.count("<c:Recipient>") == 2
    events = list(read_works_xml(io.BytesIO(out.getvalue())))
    assert isinstance(events[0], FileStarted)
