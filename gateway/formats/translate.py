"""Translation through the canonical model: decode one transaction, encode it, move on.

Any input the gateway reads (CWR 2.1 to 3.1, works XML) goes to any CWR version or to works XML.
Only one transaction is in memory at a time. What the target cannot hold is listed field by
field (the losses); what was wrong with the input is listed too (the issues).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, Protocol

from gateway import codes
from gateway.formats.cwr.events import (
    Event,
    FileEnded,
    FileStarted,
    GroupEnded,
    GroupStarted,
    TransactionRead,
)
from gateway.formats.cwr.reader import ReaderLimits, read_cwr
from gateway.formats.cwr.writer import CwrWriter, Loss
from gateway.formats.detect import CWR, detect_format
from gateway.formats.xml.checked_reader import REFUSAL_EDITS, read_works_checked
from gateway.formats.xml.text import MessageInfo
from gateway.formats.xml.works_writer import WorksXmlWriter

if TYPE_CHECKING:
    from collections.abc import Iterator

    from gateway.model import FileHeader, Issue, TransactionRecord

XML = "xml"
REFUSALS = frozenset(REFUSAL_EDITS.values()) - {"GW E 009"}
UNKNOWN_SOCIETY = "000"


class _Writer(Protocol):
    losses: list[Loss]

    def header(self, header: FileHeader) -> None: ...
    def group(self, transaction_type: str, batch_request: int | None = None) -> None: ...
    def transaction(self, record: TransactionRecord) -> None: ...
    def end_group(self) -> None: ...
    def close(self) -> None: ...


@dataclass
class TranslationResult:
    """What a translation read, what it could not carry over, and what was wrong with the input."""

    source_format: str = ""
    source_version: str = ""
    target_version: str = ""
    transactions: int = 0
    losses: list[Loss] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    refused: Issue | None = None  # the input could not be read on (the output is incomplete)


@dataclass(frozen=True, slots=True)
class XmlTarget:
    """Who a works XML translation is from and to (defaults: from the CWR header)."""

    sender: str | None = None
    recipients: tuple[str, ...] = ()
    message_id: str | None = None


def translate(
    source: BinaryIO,
    target: BinaryIO,
    to: str,
    *,
    xml: XmlTarget | None = None,
    limits: ReaderLimits | None = None,
) -> TranslationResult:
    """Re-encode ``source`` as ``to`` (a CWR version such as ``2.2``, or ``xml``)."""
    kind = detect_format(source) if source.seekable() else CWR
    result = TranslationResult(source_format=kind, target_version=to)
    writer: _Writer | None = None
    for event in read_events(source, kind, limits):
        result.issues.extend(event.issues)
        refusal = next((i for i in event.issues if i.edit in REFUSALS), None)
        if refusal is not None:  # an unreadable document: no output that looks complete
            result.refused = refusal
            return result
        if isinstance(event, FileStarted):
            result.source_version = event.version
            writer = _writer(target, to, event.header, xml or XmlTarget())
            writer.header(event.header)
        elif writer is None:
            continue
        elif isinstance(event, GroupStarted):
            writer.group(event.header.transaction_type, event.header.batch_request)
        elif isinstance(event, TransactionRead):
            writer.transaction(event.transaction.record)
            result.transactions += 1
        elif isinstance(event, GroupEnded):
            writer.end_group()
        elif isinstance(event, FileEnded):
            writer.close()
    if writer is not None:
        result.losses = writer.losses
    return result


def read_events(source: BinaryIO, kind: str, limits: ReaderLimits | None = None) -> Iterator[Event]:
    """The reader's events of a works file: CWR, or works XML (refused, with the reason, if not)."""
    if kind == CWR:
        return read_cwr(source, limits=limits)
    return read_works_checked(source)  # works XML, or a refusal saying why it is not


def _writer(target: BinaryIO, to: str, header: FileHeader, xml: XmlTarget) -> _Writer:
    if to != XML:
        return CwrWriter(target, to)
    message = MessageInfo(
        message_id=xml.message_id or _message_id(header),
        sender=xml.sender or codes.sending_society(header.sender_type, _sender_code(header)),
        recipients=xml.recipients or (UNKNOWN_SOCIETY,),
    )
    return WorksXmlWriter(target, message)


def _sender_code(header: FileHeader) -> str:
    return header.sender_code or header.sender_id


def _message_id(header: FileHeader) -> str:
    if header.file_name:
        return re.sub(r"[^A-Za-z0-9._-]", "_", header.file_name)[:64]
    return uuid.uuid4().hex
