"""What kind of file this is, from its first bytes: CWR fixed width or one of the gateway's XMLs.

XML is told by its root element's namespace, as DDEX does: the namespace names the format and
its version. Nothing beyond the first block is read, and the stream is left where it was.
"""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO

from gateway.formats.xml.mapping import ACK_NS, DISTRIBUTION_NS, WORKS_NS
from gateway.formats.xml.secure import check_prolog

CWR = "cwr"
WORKS_XML = "xml:works"
ACK_XML = "xml:ack"
DISTRIBUTION_XML = "xml:distribution"
UNKNOWN_XML = "xml:unknown"
_BY_NAMESPACE = {WORKS_NS: WORKS_XML, ACK_NS: ACK_XML, DISTRIBUTION_NS: DISTRIBUTION_XML}
_PEEK = 1 << 16
_ROOT = re.compile(rb"<(?:([\w.-]+):)?[\w.-]+(\s[^>]*)?>", re.DOTALL)
_XMLNS = re.compile(rb"""xmlns(?::([\w.-]+))?\s*=\s*["']([^"']*)["']""")


def detect_format(stream: BinaryIO) -> str:
    """``cwr``, ``xml:works``, ``xml:ack``, ``xml:distribution`` or ``xml:unknown``.

    The stream must be seekable; its position is restored.
    """
    start = stream.tell()
    head = stream.read(_PEEK)
    stream.seek(start)
    return format_of(head)


def format_of(head: bytes) -> str:
    """The format of a file that starts with ``head``."""
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head[:2] in (
        b"<\x00",
        b"\x00<",
    )
    if not text and head.startswith(codecs.BOM_UTF8):
        return UNKNOWN_XML  # a BOM and nothing: the XML reader calls it empty
    if not text.startswith(b"<") and not utf16:
        return CWR
    try:
        root = check_prolog(head)
    except ValueError:
        return UNKNOWN_XML  # a DTD: the XML reader refuses it with the reason
    if root < 0:
        return UNKNOWN_XML
    match = _ROOT.match(head, root)
    if match is None:
        return UNKNOWN_XML
    prefix = match.group(1) or b""
    declared = {m.group(1) or b"": m.group(2) for m in _XMLNS.finditer(match.group(2) or b"")}
    namespace = declared.get(prefix, b"").decode("utf-8", "replace")
    return _BY_NAMESPACE.get(namespace, UNKNOWN_XML)
