"""Writing the gateway's XML as text: escaped elements and the shared DDEX-like message header.

The writers build their documents as strings (faster than element trees, and streamable); these
are the pieces every one of them needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO
from xml.sax.saxutils import escape

from gateway.formats.xml.mapping import FORMAT_VERSION


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """The DDEX-like message header: who sends the document to whom, and when."""

    message_id: str
    sender: str  # CISAC society code, 3 digits
    recipients: tuple[str, ...]
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    sender_name: str = ""
    recipient_names: tuple[str, ...] = ()


class TextOut:
    """A binary stream written to as UTF-8 text."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def __call__(self, text: str) -> None:
        """Write ``text``."""
        self._out.write(text.encode("utf-8"))


def leaf(name: str, value: str) -> str:
    """``<name>value</name>`` with the value escaped; nothing when the value is empty."""
    return f"<{name}>{escape(value)}</{name}>" if value else ""


def party(tag: str, code: str, name: str = "") -> str:
    """A ``c:Party`` (society code and optional name) under ``tag``; nothing without a code."""
    if not code:
        return ""
    return f"<{tag}><c:SocietyCode>{escape(code)}</c:SocietyCode>{leaf('c:Name', name)}</{tag}>"


def message_header(info: MessageInfo) -> str:
    """The ``MessageHeader`` element (its children in the common namespace, prefix ``c``)."""
    names = info.recipient_names or ("",) * len(info.recipients)
    created = info.created if info.created.tzinfo else info.created.replace(tzinfo=UTC)
    return "".join(
        [
            "<MessageHeader>",
            leaf("c:MessageId", info.message_id),
            party("c:Sender", info.sender, info.sender_name),
            *(party("c:Recipient", c, n) for c, n in zip(info.recipients, names, strict=True)),
            leaf("c:Created", created.astimezone(UTC).isoformat().replace("+00:00", "Z")),
            leaf("c:FormatVersion", FORMAT_VERSION),
            "</MessageHeader>\n",
        ]
    )
