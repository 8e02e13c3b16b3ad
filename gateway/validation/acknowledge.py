"""Answer a received file as its receiving society would: a CWR ACK file.

One ACK transaction per transaction received (CWR 2.2 §4.1: ``ACK [{MSG}] (AGR | NWR [EXC] |
REV [EXC])``), carrying the original HDR creation date and time, group and transaction
sequence, the submitter's work number, the status the validation decided (RA, RJ, NP), an MSG
record for every message, and — in 2.x — the echoed transaction. 3.x answers with an ACK1
file: the ACK alone. File- and group-level rejections are applied, so an ACK never accepts a
transaction whose group or file was rejected.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO

from gateway import codes
from gateway.formats.cwr.events import FileStarted, TransactionRead
from gateway.formats.cwr.reader import read_cwr
from gateway.formats.cwr.writer import CwrWriter
from gateway.model import Acknowledgement, Agreement, FileHeader, Issue, Message, Work
from gateway.validation.report import ACK_STATUS, Report

if TYPE_CHECKING:
    from gateway.validation.report import TransactionSummary

_MESSAGE_TEXT = 150


def write_ack(
    original: BinaryIO,
    report: Report,
    out: BinaryIO,
    *,
    society: str,
    now: datetime | None = None,
) -> int:
    """Write the ACK file for ``original`` (validated into ``report``); returns ACKs written."""
    now = now or datetime.now(UTC)
    version = report.version or "2.1"
    ack_version = version if version in ("2.1", "2.2") else "3.1" if version == "3.1" else "3.0"
    writer = CwrWriter(out, ack_version)
    summaries = iter(report.transactions)
    header: FileHeader | None = None
    written = 0
    for event in read_cwr(original, version=report.version or None):
        if isinstance(event, FileStarted):
            header = event.header
            writer.header(_ack_header(header, society, now, ack_version))
            writer.group("ACK")
            envelope = [
                m for m in report.messages if m.record_type in ("HDR", "GRH", "GRT", "TRL", "FIL")
            ]
            if report.file_rejected and envelope:
                writer.transaction(_envelope_ack(header, envelope, now))
                written += 1
        elif isinstance(event, TransactionRead) and header is not None:
            summary = next(summaries, None)
            if summary is None:
                break
            writer.transaction(
                _ack(header, summary, report, event, now, echo=ack_version.startswith("2"))
            )
            written += 1
    if header is None:  # nothing readable: one ACK for the file as a whole
        blank = FileHeader(record_type="HDR", sender_type="SO", sender_id="0", sender_name="")
        writer.header(_ack_header(blank, society, now, ack_version))
        writer.group("ACK")
        writer.transaction(_envelope_ack(blank, report.messages, now))
        written += 1
    writer.close()
    return written


def _ack_header(original: FileHeader, society: str, now: datetime, version: str) -> FileHeader:
    found = codes.society(society)
    name = found.name if found else f"SOCIETY {society}"
    return FileHeader(
        record_type="HDR",
        sender_type="SO",
        sender_id=society.zfill(9) if version.startswith("2") else "",
        sender_name=name[:45],
        edi_version="01.10",
        creation_date=now.date(),
        creation_time=now.time().replace(microsecond=0),
        transmission_date=now.date(),
        character_set=original.character_set if original.character_set.upper() != "ASCII" else "",
    )


def _ack(
    header: FileHeader,
    summary: TransactionSummary,
    report: Report,
    event: TransactionRead,
    now: datetime,
    *,
    echo: bool,
) -> Acknowledgement:
    status = ACK_STATUS[report.effective_status(summary)]
    record = event.transaction.record
    messages = tuple(_message(report.messages[i]) for i in summary.messages)
    work = record if isinstance(record, Work) and echo else None
    agreement = record if isinstance(record, Agreement) and echo else None
    return Acknowledgement(
        record_type="ACK",
        creation_date=header.creation_date,
        creation_time=header.creation_time,
        original_group_id=summary.group,
        original_transaction_sequence=summary.sequence,
        original_transaction_type=summary.type,
        creation_title=summary.title[:60],
        submitter_creation_number=summary.submitter_work_id[:20],
        recipient_creation_number=_society_work_id(header, summary) if status != "RJ" else "",
        processing_date=now.date(),
        transaction_status=status,
        messages=messages,
        work=work,
        agreement=agreement,
    )


def _envelope_ack(header: FileHeader, issues: list[Issue], now: datetime) -> Acknowledgement:
    first = issues[0].record_type if issues else "HDR"
    return Acknowledgement(
        record_type="ACK",
        creation_date=header.creation_date,
        creation_time=header.creation_time,
        original_group_id=0,
        original_transaction_sequence=0,
        original_transaction_type="TRL" if first in ("TRL", "GRT") else "HDR",
        processing_date=now.date(),
        transaction_status="RJ",
        messages=tuple(_message(i) for i in issues[:999]),
    )


def _message(issue: Issue) -> Message:
    """An MSG record: type is the first letter of the rejection (CWR-REFERENCE §5.1)."""
    detail = (
        f"{issue.field.replace('_', ' ').upper()}: "
        if issue.field and issue.edit.startswith("GW")
        else ""
    )
    return Message(
        record_type="MSG",
        message_type=issue.rejection[0],
        original_record_sequence=issue.record_sequence or 0,
        original_record_type=issue.record_type[:3] if issue.record_type != "FIL" else "HDR",
        message_level=issue.level,
        validation_number=issue.edit_number,
        message_text=(detail + issue.text).upper()[:_MESSAGE_TEXT],
    )


def _society_work_id(header: FileHeader, summary: TransactionSummary) -> str:
    return assigned_work_number(f"{header.sender_type}{header.sender_id}", summary)


def assigned_work_number(sender: str, summary: TransactionSummary) -> str:
    """A stable society work number: the same submission gets the same number every time."""
    key = f"{sender}|{summary.type}|{summary.submitter_work_id}|{summary.title}"
    return "GW" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12].upper()
