"""The one way the gateway parses XML: no DTD, no entities, no network, bounded size and depth.

A document is refused — with an :class:`XmlRefused` naming what and where — when its prolog holds
a DOCTYPE (billion laughs, quadratic blow-up, external entities and external DTDs all need one),
when it nests deeper or is larger than its limits, or when it is not well-formed. The prolog is
checked on the raw bytes before libxml2 sees anything, and the parser is configured to fetch and
expand nothing in case something slips past; the refusal happens before any entity could matter.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from lxml import etree

if TYPE_CHECKING:
    from collections.abc import Iterable

# What libxml2 gets; everything that could reach outside or expand is off.
_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "load_dtd": False,
    "dtd_validation": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """Bounds on one XML document (all injectable, all named in refusals)."""

    max_bytes: int = 8 << 30
    max_depth: int = 32
    max_prolog_bytes: int = 1 << 20


class XmlRefused(ValueError):  # noqa: N818 - a refusal, not a programming error
    """A document the gateway will not read, with the reason code, the text and the line."""

    def __init__(self, code: str, message: str, line: int | None = None) -> None:
        super().__init__(f"{message} (line {line})" if line else message)
        self.code = code
        self.message = message
        self.line = line


_LONGEST_DECLARATION = len(b"<!NOTATION")
_DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)


def _prolog_text(prolog: bytes) -> bytes:
    """The prolog as ASCII-compatible bytes (UTF-16 and UTF-32 documents re-encoded)."""
    for bom, name in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if prolog.startswith(bom):
            return prolog.decode(name, errors="replace").encode("utf-8")
    if prolog[:2] in (b"<\x00", b"\x00<"):
        return prolog.decode("utf-16-le" if prolog[0] else "utf-16-be", errors="replace").encode()
    return prolog


def check_prolog(head: bytes) -> int:
    """Refuse ``head`` if its prolog declares a DTD; return where the root element starts.

    Only comments, processing instructions and white space may come before the root; any
    markup declaration (DOCTYPE, ENTITY ...) is refused. -1 when the root is not in ``head``.
    """
    text = _prolog_text(head)
    position = 0
    while True:
        start = text.find(b"<", position)
        if start < 0:
            return -1
        if text.startswith(b"<?", start):
            position = text.find(b"?>", start)
        elif text.startswith(b"<!--", start):
            position = text.find(b"-->", start)
        elif text.startswith(b"<!", start) and len(text) - start < _LONGEST_DECLARATION:
            return -1  # a comment or a declaration cut by the end of the block: read more
        elif _DECLARATIONS.match(text, start) or text.startswith(b"<!", start):
            line = text.count(b"\n", 0, start) + 1
            raise XmlRefused(
                "dtd", "the document declares a DTD (DOCTYPE or entities); none is accepted", line
            )
        elif len(text) - start < _LONGEST_DECLARATION:
            return -1  # "<!DOCT..." may be cut by the end of the block: read more first
        else:
            return start
        if position < 0:
            return -1
        position += 2


class _BoundedReader:
    """A stream that replays the bytes already read and refuses to go past ``limit``."""

    def __init__(self, stream: BinaryIO, head: bytes, limit: int) -> None:
        self._stream = stream
        self._head = head
        self._limit = limit
        self.consumed = 0

    def read(self, size: int = _CHUNK) -> bytes:
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
        else:
            data = self._stream.read(size if size > 0 else _CHUNK)
        self.consumed += len(data)
        if self.consumed > self._limit:
            raise XmlRefused("too_large", f"the document is larger than {self._limit} bytes")
        return data


def _read_prolog(stream: BinaryIO, limits: XmlLimits) -> bytes:
    head = b""
    while True:
        chunk = stream.read(_CHUNK)
        head += chunk
        start = check_prolog(head)
        if start >= 0 or not chunk:
            if not head.removeprefix(codecs.BOM_UTF8).strip():
                raise XmlRefused("empty", "the document is empty")
            return head
        if len(head) > limits.max_prolog_bytes:
            raise XmlRefused(
                "prolog", f"no root element within the first {limits.max_prolog_bytes} bytes"
            )


def secure_iterparse(
    stream: BinaryIO,
    *,
    limits: XmlLimits | None = None,
    schema: etree.XMLSchema | None = None,
) -> Iterator[tuple[str, etree._Element]]:
    """``(event, element)`` pairs ("start" and "end") of a document read under the limits.

    Errors of every kind — a refused prolog, a limit, a document that is not well-formed, and
    (with ``schema``) the first schema violation — surface as :class:`XmlRefused`.
    """
    limits = limits or XmlLimits()
    head = _read_prolog(stream, limits)
    reader = _BoundedReader(stream, head, limits.max_bytes)
    events: Iterable[tuple[str, etree._Element]] = etree.iterparse(
        reader, events=("start", "end"), schema=schema, **_PARSER_OPTIONS
    )
    depth = 0
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                if depth > limits.max_depth:
                    raise XmlRefused(
                        "too_deep",
                        f"elements nest deeper than {limits.max_depth} levels",
                        element.sourceline,
                    )
                if depth == 1 and element.getroottree().docinfo.doctype:
                    raise XmlRefused("dtd", "the document declares a DTD; none is accepted", 1)
            else:
                depth -= 1
            yield event, element
    except etree.XMLSyntaxError as error:
        line = error.lineno or None
        if "Excessive depth" in str(error):  # libxml2 (2.14+) parsed a block ahead of our count
            raise XmlRefused(
                "too_deep", f"elements nest deeper than {limits.max_depth} levels", line
            ) from None
        if "XML_PARSE_HUGE" in str(error):  # libxml2's own bound on one text node or name
            raise XmlRefused(
                "too_large", "a text node or name exceeds the parser's size limit (10 MB)", line
            ) from None
        code = "invalid" if schema is not None and _is_schema_error(error) else "not_well_formed"
        raise XmlRefused(code, _message(error), line) from None


def _is_schema_error(error: etree.XMLSyntaxError) -> bool:
    return any(e.domain == etree.ErrorDomains.SCHEMASV for e in error.error_log)


def _message(error: etree.XMLSyntaxError) -> str:
    text = str(error.msg or error).strip()
    return re.sub(r",? line \d+, column \d+$", "", text)


def secure_parser() -> etree.XMLParser:
    """A parser for small documents held in memory (schemas, examples), hardened the same way."""
    parser: etree.XMLParser = etree.XMLParser(**_PARSER_OPTIONS)
    return parser
