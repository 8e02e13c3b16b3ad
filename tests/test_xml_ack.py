"""XML acknowledgements: written from a report, valid against ack.xsd, read back unchanged."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from conftest import FIXTURES, sample_files
from lxml import etree

from gateway.cli import main
from gateway.formats.translate import translate
from gateway.formats.xml.ack import AckContext, AckFileRead, read_ack_xml, write_ack_xml
from gateway.formats.xml.schemas import lxml_schema, violations
from gateway.validation.engine import validate
from gateway.validation.report import ACK_STATUS

SUBMISSION = FIXTURES / "cwr" / "CW260001119_052.V21"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def ack_of(data: bytes, name: str = "CW260001119_052.V21") -> tuple[bytes, list[str]]:
    report = validate(io.BytesIO(data), pack="052")
    out = io.BytesIO()
    write_ack_xml(report, out, AckContext("052", "119", name, sha256="ab" * 32, now=NOW))
    statuses = [ACK_STATUS[report.effective_status(t)] for t in report.transactions]
    report.transactions.close()
    return out.getvalue(), statuses


def assert_valid(data: bytes) -> None:
    assert lxml_schema("ack").validate(etree.parse(io.BytesIO(data)))
    assert list(violations(io.BytesIO(data), "ack")) == []


def test_an_ack_reads_back_as_the_report_said() -> None:
    data, statuses = ack_of(SUBMISSION.read_bytes())
    assert_valid(data)
    about = AckFileRead()
    acks = list(read_ack_xml(io.BytesIO(data), about=about))
    assert [a.transaction_status for a in acks] == statuses == ["RA", "RA", "RA", "RJ"]
    assert (about.sender, about.recipient, about.file_name) == ("052", "119", SUBMISSION.name)
    assert (about.creation_date, about.creation_time) == (date(2026, 11, 2), time(9, 30))
    rejected = acks[-1]
    assert rejected.submitter_creation_number == "MCSC000004"
    assert {m.validation_number for m in rejected.messages} >= {"004", "011"}
    assert [(a.original_group_id, a.original_transaction_sequence) for a in acks] == [
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
    ]


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_can_be_acknowledged_in_xml(path: Path) -> None:
    data, statuses = ack_of(path.read_bytes(), name=path.name.replace(" ", "_"))
    assert_valid(data)
    assert [a.transaction_status for a in read_ack_xml(io.BytesIO(data))] == statuses


def test_a_works_xml_file_is_acknowledged_the_same(tmp_path: Path) -> None:
    xml = io.BytesIO()
    with SUBMISSION.open("rb") as stream:
        translate(stream, xml, "xml")
    data, statuses = ack_of(xml.getvalue(), name="CW260001119_052.xml")
    assert statuses == ["RA", "RA", "RA", "RJ"]
    assert b"<Format>works-xml</Format>" in data


def test_the_command_line_writes_xml_acks(tmp_path: Path) -> None:
    out = tmp_path / "ack.xml"
    assert (
        main(["ack", str(SUBMISSION), "--society", "052", "--format", "xml", "-o", str(out)]) == 1
    )
    assert_valid(out.read_bytes())
    assert main(["validate", str(out)]) == 0
    xml = tmp_path / "f.xml"
    assert main(["translate", str(SUBMISSION), "--to", "xml", "-o", str(xml)]) == 0
    assert main(["ack", str(xml), "--society", "052", "-o", str(out)]) == 1  # XML in, XML out
    assert_valid(out.read_bytes())
    assert main(["ack", str(xml), "--society", "052", "--format", "cwr", "-o", str(out)]) == 2


def test_a_refused_document_is_not_an_ack() -> None:
    from gateway.formats.xml.secure import XmlRefused  # noqa: PLC0415

    with pytest.raises(XmlRefused):
        list(read_ack_xml(io.BytesIO(b"<x xmlns='urn:other'/>")))
