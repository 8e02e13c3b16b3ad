"""``gateway ack``: one ACK per transaction, its status read back equal to the validation's."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from builders import cwr_bytes, publisher, work
from conftest import SAMPLES

from gateway.formats.cwr.events import TransactionRead
from gateway.formats.cwr.reader import read_cwr
from gateway.model import Acknowledgement
from gateway.validation.acknowledge import write_ack
from gateway.validation.engine import validate
from gateway.validation.report import ACK_STATUS

NOW = datetime(2026, 11, 24, 10, 30, 0, tzinfo=UTC)


def _ack(
    data: bytes, pack: str = "cisac", society: str = "052"
) -> tuple[list[Acknowledgement], bytes]:
    report = validate(io.BytesIO(data), pack=pack)
    out = io.BytesIO()
    write_ack(io.BytesIO(data), report, out, society=society, now=NOW)
    acks = [
        e.transaction.record
        for e in read_cwr(io.BytesIO(out.getvalue()))
        if isinstance(e, TransactionRead) and isinstance(e.transaction.record, Acknowledgement)
    ]
    expected = [ACK_STATUS[report.effective_status(t)] for t in report.transactions]
    assert [a.transaction_status for a in acks][-len(expected) :] == expected
    return acks, out.getvalue()


def test_accepted_works_are_acknowledged_ra_with_their_keys() -> None:
    """Each accepted work gets RA, the original HDR date/time, group, sequence and work number."""
    acks, raw = _ack(cwr_bytes([work(), work("OTHER", "SW0002")]))
    assert [a.transaction_status for a in acks] == ["RA", "RA"]
    assert [a.original_transaction_sequence for a in acks] == [0, 1]
    assert {a.original_group_id for a in acks} == {1}
    assert acks[1].submitter_creation_number == "SW0002"
    assert acks[0].creation_date == datetime(2024, 1, 1, tzinfo=UTC).date()
    assert acks[0].recipient_creation_number.startswith("GW")
    assert acks[0].work is not None  # 2.x echoes the transaction
    assert acks[0].work.title == "A SONG"
    assert raw.startswith(b"HDRSO000000052")


def test_the_ack_file_itself_is_valid_cwr() -> None:
    """The ACK the gateway writes passes its own validation with no message above FR."""
    _, raw = _ack(cwr_bytes([work()]))
    report = validate(io.BytesIO(raw))
    assert report.status == "accepted"
    assert all(m.rejection == "FR" for m in report.messages)


def test_rejected_work_carries_its_messages() -> None:
    """A rejected transaction gets RJ and one MSG per message, typed by its rejection."""
    bad = work(publishers=(publisher(pr=6000),))
    acks, _ = _ack(cwr_bytes([bad, work("GOOD", "SW0002")]))
    assert [a.transaction_status for a in acks] == ["RJ", "RA"]
    numbers = {
        (m.original_record_type, m.message_level, m.validation_number) for m in acks[0].messages
    }
    assert ("NWR", "T", "004") in numbers
    assert all(m.message_type in "FRTGE" for m in acks[0].messages)
    assert acks[0].recipient_creation_number == ""


def test_no_participation_is_np() -> None:
    """GEMA answers NP for a work with no GEMA publisher."""
    acks, _ = _ack(cwr_bytes([work()]), pack="gema", society="035")
    assert [a.transaction_status for a in acks] == ["NP"]


@pytest.mark.parametrize(
    "name",
    [
        "v21/musicmetadata_CW190001MPC_000_INVALID.V21",
        "v22/weso_demo_cwr_cleaned.v22",
        "synthetic/derived_from_prs_ack_NWR_2.2.V22",
        "v30/dmp_CW220002DMP_0000_V3-0-0.SUB",
    ],
)
def test_samples_are_acknowledged_and_read_back(name: str) -> None:
    """Real samples get an ACK per transaction whose statuses read back unchanged."""
    acks, _ = _ack((SAMPLES / name).read_bytes())
    assert acks


def test_3x_answers_with_ack_only() -> None:
    """A 3.x file is answered with ACKs and no echoed work (ACK1)."""
    acks, raw = _ack((SAMPLES / "v30/dmp_CW220002DMP_0000_V3-0-0.SUB").read_bytes())
    assert all(a.work is None for a in acks)
    assert b"\r\nWRK" not in raw
