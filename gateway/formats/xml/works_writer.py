"""The incremental works XML writer: one transaction in memory at a time, however large the file.

Its interface mirrors :class:`gateway.formats.cwr.writer.CwrWriter` (``header``, ``group``,
``transaction``, ``end_group``, ``close``) so a translation drives either the same way. The group
IDs are computed, as in CWR; everything else the model holds is written, so reading the document
back gives the same model (nothing to report as lost).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any, BinaryIO
from xml.sax.saxutils import escape

from gateway.formats.cwr.writer import Loss
from gateway.formats.xml.mapping import (
    COMMON_NS,
    FORMAT_VERSION,
    RECORD_TYPE_ATTRIBUTE,
    WORKS_NS,
    format_value,
    xml_fields,
)
from gateway.formats.xml.text import MessageInfo, message_header
from gateway.model import GroupHeader, Record

if TYPE_CHECKING:
    from gateway.model import FileHeader, TransactionRecord

ROOT = "WorkRegistrations"


# Characters XML 1.0 cannot carry at all; a CWR field holding one loses it (and says so).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def record_xml(tag: str, record: Record, losses: list[Loss] | None = None) -> str:
    """``record`` as the text of an element named ``tag``, children and all."""
    parts: list[str] = []
    _append(parts, tag, record, losses)
    return "".join(parts)


def _append(parts: list[str], tag: str, record: Record, losses: list[Loss] | None) -> None:
    parts.append(f'<{tag} {RECORD_TYPE_ATTRIBUTE}="{escape(record.record_type)}">')
    for f in xml_fields(type(record)):
        value: Any = getattr(record, f.name)
        if value is None or value in ("", ()):
            continue
        if f.kind == "records":
            for child in value:
                _append(parts, f.element, child, losses)
        elif f.kind == "record":
            _append(parts, f.element, value, losses)
        else:
            text = format_value(f.kind, value)
            if _NOT_XML.search(text):
                text = _NOT_XML.sub("\ufffd", text)
                if losses is not None:
                    losses.append(
                        Loss(None, None, record.record_type, f.name, value, "not an XML character")
                    )
            parts.append(f"<{f.element}>{escape(text)}</{f.element}>")
    parts.append(f"</{tag}>")


class WorksXmlWriter:
    """Writes one works XML document; call ``header``, then ``group``/``transaction``..., ``close``.

    Text is written as it is made, a transaction at a time; memory does not grow with the file.
    """

    def __init__(self, out: BinaryIO, message: MessageInfo) -> None:
        self._out = out
        self._message = message
        self._group_type: str | None = None
        self._groups = 0
        self._where: tuple[int | None, int | None] = (None, None)
        self.transactions = 0
        self.losses: list[Loss] = []

    def _write(self, text: str) -> None:
        self._out.write(text.encode("utf-8"))

    def header(self, header: FileHeader) -> None:
        """Open the document: the message header, then the CWR transmission header."""
        self._write(
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            f'<{ROOT} xmlns="{WORKS_NS}" xmlns:c="{COMMON_NS}" FormatVersion="{FORMAT_VERSION}">\n'
        )
        self._write(message_header(self._message))
        self._write(record_xml("TransmissionHeader", header, self.losses) + "\n")

    def group(self, transaction_type: str, batch_request: int | None = None) -> None:
        """Open a group of ``transaction_type`` (closing the one before)."""
        self.end_group()
        self._groups += 1
        self._group_type = transaction_type
        header = GroupHeader(
            record_type="GRH",
            transaction_type=transaction_type,
            group_id=self._groups,
            batch_request=batch_request,
        )
        self._write("<Group>" + record_xml("GroupHeader", header, self.losses) + "\n")

    def transaction(self, record: TransactionRecord) -> None:
        """Write one transaction, opening a group of its type when none matches."""
        if self._group_type is None or self._group_type not in (record.record_type, "ACK"):
            self.group(record.record_type)
        first = len(self.losses)
        self._write(record_xml(type(record).__name__, record, self.losses) + "\n")
        self.transactions += 1
        for i in range(first, len(self.losses)):
            self.losses[i] = replace(
                self.losses[i], group=self._groups, transaction=self.transactions - 1
            )

    def end_group(self) -> None:
        """Close the open group (no-op when none is open)."""
        if self._group_type is not None:
            self._write("</Group>\n")
            self._group_type = None

    def close(self) -> None:
        """Close the last group and the document."""
        self.end_group()
        self._write(f"</{ROOT}>\n")
