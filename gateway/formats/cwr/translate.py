"""CWR to CWR through the model, streaming: decode one transaction, encode it, move on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from gateway.formats.cwr.events import (
    FileEnded,
    FileStarted,
    GroupEnded,
    GroupStarted,
    TransactionRead,
)
from gateway.formats.cwr.reader import ReaderLimits, read_cwr
from gateway.formats.cwr.writer import CwrWriter, Loss

if TYPE_CHECKING:
    from gateway.model import Issue


@dataclass
class TranslationResult:
    """What a translation read, what it could not carry over, and what was wrong with the input."""

    source_version: str = ""
    target_version: str = ""
    transactions: int = 0
    losses: list[Loss] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def translate_cwr(
    source: BinaryIO, target: BinaryIO, version: str, *, limits: ReaderLimits | None = None
) -> TranslationResult:
    """Re-encode a CWR file in ``version``; the input's deviations and the losses are returned."""
    result = TranslationResult(target_version=version)
    writer: CwrWriter | None = None
    for event in read_cwr(source, limits=limits):
        result.issues.extend(event.issues)
        if isinstance(event, FileStarted):
            result.source_version = event.version
            writer = CwrWriter(target, version)
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
