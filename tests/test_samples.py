"""Every public sample is read without a crash, and each deviation its README lists is reported."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, sample_files

from gateway.formats.cwr.events import TransactionRead
from gateway.formats.cwr.reader import read_cwr
from gateway.model import Acknowledgement
from gateway.validation.engine import validate

# Deviations the samples README lists, by the edit that reports each one.
EXPECTED: dict[str, set[str]] = {
    "ack/weso_ackexample_PRS.V21": {"FIL F 009", "FIL F 006", "GRT F 003", "TRL F 003"},
    # The anonymising put placeholders (X, XX, 0000) in coded fields.
    "ack/labeltools_ascap_ack_sample.txt": {"FIL F 009", "SPT F 009", "SPT F 010", "SWR F 008"},
    "ack/labeltools_sacm_ack_sample.txt": {"FIL F 009", "GRT F 003", "TRL F 003"},
    "ack/dmp_CW220001052_DMP.V21": {"GRT F 002", "TRL F 002"},
    "ack/dmp_CW220001000_DMP.V21": {"GW F 001", "GRT F 002", "TRL F 002"},
    "v21/weso_revexample.V21": {"FIL F 009"},
    "v21/weso_nwrexample2.V21": {"FIL F 009"},
    "v21/dmp_CW220001DMP_000.V21": set(),
    "v21/musicmetadata_CW190001MPC_000_INVALID.V21": {
        "FIL F 001",  # the ALX record type and the blank-prefixed record
        "GW R 003",  # a blank transaction sequence
        "GRH F 002",  # group ID 00002
        "GRT F 002",
        "GRT F 003",
        "TRL F 001",
        "TRL F 002",
        "TRL F 003",
    },
    "v22/weso_demo_cwr_cleaned.v22": {
        "GRT F 002",
        "GRT F 003",
        "TRL F 002",
        "TRL F 003",
        "MSG F 003",  # the BMI-style message level I
        "GW F 002",  # sender ID 000000DP1 is not numeric
        "GRH G 001",  # NWR, REV and ACK mixed in one REV group
    },
    "v30/dmp_CW220002DMP_0000_V3-0-0.SUB": {"FIL F 019"},
    "v30/musicmetadata_CW190008MPC_0000_V3-0-0.ISR": {"FIL E 005"},  # no TRL
    "synthetic/derived_from_prs_ack_NWR_2.1.V21": {"FIL F 009"},
    "synthetic/derived_from_prs_ack_NWR_2.2.V22": {"FIL F 009"},
    "synthetic/synthetic_CWR31_ACK2.txt": set(),
}
STATUS = {
    "v21/dmp_CW220001DMP_000.V21": "accepted",
    "synthetic/derived_from_prs_ack_NWR_2.1.V21": "accepted",
    "synthetic/derived_from_prs_ack_NWR_2.2.V22": "accepted",
    "v21/musicmetadata_CW190001MPC_000_INVALID.V21": "rejected",
    "v22/weso_demo_cwr_cleaned.v22": "rejected",
}
VERSIONS = {"v21": "2.1", "v22": "2.2", "v30": "3.0"}


def test_every_sample_is_pinned() -> None:
    """The table above covers all 15 samples, so a new sample cannot slip through untested."""
    assert {str(p.relative_to(SAMPLES)) for p in sample_files()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_deviations_are_reported(name: str) -> None:
    """Each listed deviation appears under its edit; a clean sample raises none above FR."""
    with (SAMPLES / name).open("rb") as stream:
        report = validate(stream, source=name)
    found = {m.edit for m in report.messages}
    assert EXPECTED[name] <= found, f"missing {EXPECTED[name] - found}"
    if not EXPECTED[name]:
        assert all(m.rejection == "FR" for m in report.messages)
    folder = name.split("/", maxsplit=1)[0]
    if folder in VERSIONS:
        assert report.version == VERSIONS[folder]
    if name in STATUS:
        assert report.status == STATUS[name]
    assert report.counts["transactions"] > 0


def test_prs_ack_statuses_are_read() -> None:
    """The PRS ACK's statuses come through the reader: 19 AS and 1 RJ."""
    with (SAMPLES / "ack/weso_ackexample_PRS.V21").open("rb") as stream:
        statuses = [
            e.transaction.record.transaction_status
            for e in read_cwr(stream)
            if isinstance(e, TransactionRead) and isinstance(e.transaction.record, Acknowledgement)
        ]
    assert sorted(statuses) == ["AS"] * 19 + ["RJ"]


def test_envelope_messages_keep_their_record_text() -> None:
    """A GRT or TRL message can be shown beside its record: the report keeps the line's text."""
    with (SAMPLES / "v22/weso_demo_cwr_cleaned.v22").open("rb") as stream:
        report = validate(stream)
    trailers = [m for m in report.messages if m.record_type in ("GRT", "TRL")]
    assert trailers
    assert all(report.lines[m.line or 0][:3] == m.record_type for m in trailers)
