"""Acknowledgements as the gateway's ack XML (schemas/ack.xsd): written from a report, read back.

Writing needs only the validation report and where the file came from, so any input format
(CWR or works XML) can be acknowledged in XML. Reading yields the same
:class:`gateway.model.Acknowledgement` records a CWR ACK file gives, so whoever correlates ACKs
with what was sent does not care which format the partner answered in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from gateway.formats.xml.mapping import ACK_NS, COMMON_NS
from gateway.formats.xml.secure import XmlLimits, XmlRefused, secure_iterparse
from gateway.formats.xml.text import MessageInfo, TextOut, leaf, message_header
from gateway.model import Acknowledgement, Message
from gateway.validation.acknowledge import assigned_work_number
from gateway.validation.report import ACK_STATUS

if TYPE_CHECKING:
    from lxml import etree

    from gateway.model import Issue
    from gateway.validation.report import Report

T = TypeVar("T")
_RECORD_TYPE = re.compile("[A-Z][A-Z0-9]{2}")  # a blank or garbled prefix is left out
_A = f"{{{ACK_NS}}}"
_C = f"{{{COMMON_NS}}}"
# What a CWR MSG record's type says about a message's rejection (CWR 2.2 §5.26 and lookup).
MESSAGE_TYPES = {"ER": "E", "GR": "G", "TR": "T", "RR": "R", "FR": "F"}


@dataclass(frozen=True, slots=True)
class AckContext:
    """Who answers whom about which file."""

    society: str  # the acknowledging society (sender of the ACK)
    recipient: str  # the society the original file came from
    file_name: str
    sha256: str = ""
    message_id: str = ""
    now: datetime | None = None


def write_ack_xml(report: Report, out: BinaryIO, context: AckContext) -> int:
    """Write the XML acknowledgement of a validated file; returns the transactions answered."""
    now = (context.now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    header = report.header
    created = _as_date(header.get("creation_date")) or now.date()
    created_time = header.get("creation_time") or time(0, 0)
    counts = report.counts
    message_id = context.message_id or f"{context.society}-ACK-{now:%Y%m%d%H%M%S}"
    write = TextOut(out)
    write(
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<Acknowledgement xmlns="{ACK_NS}" xmlns:c="{COMMON_NS}">\n'
        + message_header(MessageInfo(message_id, context.society, (context.recipient,), now))
    )
    sender = str(header.get("sender_code") or header.get("sender_id") or context.recipient)
    if header.get("sender_type") == "SO":  # a society: its 3-digit code, as the file name has it
        sender = context.recipient
    write(
        "<OriginalFile>"
        + leaf("FileName", context.file_name)
        + leaf("CreationDate", created.isoformat())
        + leaf("CreationTime", created_time.isoformat())
        + leaf("SenderCode", sender)
        + leaf("SenderName", str(header.get("sender_name", "")))
        + leaf("Format", "cwr" if report.format == "cwr" else "works-xml")
        + leaf("Version", report.version or "2.1")
        + leaf("Sha256", context.sha256)
        + "</OriginalFile>\n"
    )
    write(
        "<Summary>"
        + leaf("Status", report.status)
        + leaf("TransactionCount", str(counts["transactions"]))
        + leaf("AcceptedCount", str(counts["accepted"]))
        + leaf("RejectedCount", str(counts["rejected"]))
        + leaf("NoParticipationCount", str(counts["no_participation"]))
        + leaf("MessageCount", str(len(report.messages)))
        + "</Summary>\n"
    )
    in_transactions = {i for t in report.transactions for i in t.messages}
    for index, issue in enumerate(report.messages):
        if index not in in_transactions:
            write(_message(issue) + "\n")
    processing = now.date().isoformat()
    answered = 0
    submitter = f"{header.get('sender_type', '')}{header.get('sender_id', '')}"
    for summary in report.transactions:
        status = ACK_STATUS[report.effective_status(summary)]
        number = summary.society_work_id or (
            assigned_work_number(submitter, summary) if status == "RA" else ""
        )
        parts = [
            "<Transaction>",
            leaf("OriginalGroupId", str(summary.group)),
            leaf("OriginalTransactionSequence", str(summary.sequence)),
            leaf("OriginalTransactionType", summary.type),
            leaf("Title", summary.title),
            leaf("SubmitterWorkNumber", summary.submitter_work_id),
            leaf("SocietyWorkNumber", number),
            leaf("Iswc", summary.iswc),
            leaf("ProcessingDate", processing),
            leaf("Status", status),
            *(_message(report.messages[i]) for i in summary.messages),
            "</Transaction>\n",
        ]
        write("".join(parts))
        answered += 1
    write("</Acknowledgement>\n")
    return answered


def _message(issue: Issue) -> str:
    return "".join(
        [
            "<Message>",
            leaf("Level", issue.level),
            leaf("Rejection", issue.rejection),
            leaf(
                "RecordType", issue.record_type if _RECORD_TYPE.fullmatch(issue.record_type) else ""
            ),
            leaf("Line", str(issue.line) if issue.line else ""),
            leaf("Group", str(issue.group) if issue.group is not None else ""),
            leaf(
                "RecordSequence",
                str(issue.record_sequence) if issue.record_sequence is not None else "",
            ),
            leaf("Field", (issue.field or "")[:60]),
            leaf("EditId", issue.edit),
            leaf("Text", issue.text[:1000]),
            leaf("Value", (issue.value or "")[:1000]),
            "</Message>",
        ]
    )


def _as_date(value: object) -> date | None:
    return value if isinstance(value, date) else None


@dataclass(slots=True)
class AckFileRead:
    """What the original-file part of an XML acknowledgement said."""

    sender: str = ""
    recipient: str = ""
    file_name: str = ""
    creation_date: date | None = None
    creation_time: time | None = None
    status: str = ""


def read_ack_xml(
    stream: BinaryIO, *, limits: XmlLimits | None = None, about: AckFileRead | None = None
) -> Iterator[Acknowledgement]:
    """The acknowledged transactions of an XML acknowledgement, as model records.

    ``about`` (if given) is filled with the header and original-file facts as they are read.
    Raises :class:`XmlRefused` for a document the gateway will not read.
    """
    about = about if about is not None else AckFileRead()
    depth = 0
    for event, element in secure_iterparse(stream, limits=limits):
        if event == "start":
            depth += 1
            if depth == 1 and element.tag != _A + "Acknowledgement":
                raise XmlRefused("not_ack", "not an acknowledgement document", element.sourceline)
            continue
        depth -= 1
        if depth != 1:
            continue
        if element.tag == _A + "MessageHeader":
            _header(element, about)
        elif element.tag == _A + "OriginalFile":
            fields = {_local(c): (c.text or "").strip() for c in element}
            about.file_name = fields.get("FileName", "")
            about.creation_date = _parse(date.fromisoformat, fields.get("CreationDate"))
            about.creation_time = _parse(time.fromisoformat, fields.get("CreationTime"))
        elif element.tag == _A + "Summary":
            about.status = next((c.text or "" for c in element if c.tag == _A + "Status"), "")
        elif element.tag == _A + "Transaction":
            yield _transaction(element, about)
        element.clear()


def _header(element: etree._Element, about: AckFileRead) -> None:
    for child in element:
        code = next((c.text or "" for c in child if c.tag == _C + "SocietyCode"), "").strip()
        if child.tag == _C + "Sender":
            about.sender = code
        elif child.tag == _C + "Recipient" and not about.recipient:
            about.recipient = code


def _transaction(element: etree._Element, about: AckFileRead) -> Acknowledgement:
    fields: dict[str, str] = {}
    messages = []
    for child in element:
        name = _local(child)
        if name == "Message":
            parts = {_local(c): (c.text or "").strip() for c in child}
            messages.append(
                Message(
                    record_type="MSG",
                    message_type=parts.get("Rejection", "")[:1],
                    original_record_sequence=_parse(int, parts.get("RecordSequence")),
                    original_record_type=parts.get("RecordType", ""),
                    message_level=parts.get("Level", ""),
                    validation_number=parts.get("EditId", "").rsplit(" ", 1)[-1],
                    message_text=parts.get("Text", ""),
                )
            )
        else:
            fields[name] = (child.text or "").strip()
    return Acknowledgement(
        record_type="ACK",
        creation_date=about.creation_date,
        creation_time=about.creation_time,
        original_group_id=_parse(int, fields.get("OriginalGroupId")),
        original_transaction_sequence=_parse(int, fields.get("OriginalTransactionSequence")),
        original_transaction_type=fields.get("OriginalTransactionType", ""),
        creation_title=fields.get("Title", ""),
        submitter_creation_number=fields.get("SubmitterWorkNumber", ""),
        recipient_creation_number=fields.get("SocietyWorkNumber", ""),
        processing_date=_parse(date.fromisoformat, fields.get("ProcessingDate")),
        transaction_status=fields.get("Status", ""),
        original_file_name=about.file_name,
        iswc=fields.get("Iswc", ""),
        messages=tuple(messages),
    )


def _local(element: etree._Element) -> str:
    """An element's name without its namespace."""
    return element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""


def _parse(convert: Callable[[str], T], text: str | None) -> T | None:
    """``convert(text)``, or None when there is no text or it does not convert."""
    if not text:
        return None
    try:
        return convert(text)
    except ValueError:
        return None
