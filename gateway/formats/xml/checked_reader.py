"""Gateway XML documents read and checked against their schemas, as validation events.

Works documents are checked element by element as they stream (see ``works_reader``); the
other formats (acknowledgements, distribution statements) are checked whole, in one streaming
libxml2 pass, with xmlschema listing the violations when there are any. Refusals (DTD, limits,
not well-formed, not a gateway document) end the file with one located message.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

import xmlschema

from gateway.formats.cwr.events import Event, FileEnded, Stray, TransactionRead
from gateway.formats.xml.schemas import (
    ElementChecker,
    SchemaViolation,
    lxml_schema,
    violations,
)
from gateway.formats.xml.secure import XmlLimits, XmlRefused, secure_iterparse
from gateway.formats.xml.works_reader import read_works_xml
from gateway.model import Issue

# Refusal codes of the secure reader -> the gateway edit that reports them.
REFUSAL_EDITS = {
    "not_well_formed": "GW E 005",
    "empty": "GW E 001",
    "dtd": "GW E 006",
    "too_large": "GW E 007",
    "too_deep": "GW E 007",
    "prolog": "GW E 007",
    "not_works": "GW E 008",
    "invalid": "GW E 009",
}
MAX_VIOLATIONS = 1000


def read_works_checked(
    stream: BinaryIO, *, limits: XmlLimits | None = None, check_schema: bool = True
) -> Iterator[Event]:
    """The events of a works document, schema violations and refusals as located issues."""
    checker = ElementChecker("works") if check_schema else None
    delivered = 0
    try:
        for event in read_works_xml(stream, limits=limits, checker=checker):
            yield event
            delivered += isinstance(event, TransactionRead)
    except XmlRefused as refusal:
        yield from _refused(refusal, delivered)


def _seekable(stream: BinaryIO) -> BinaryIO:
    if stream.seekable():
        return stream
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the generator reading it
    shutil.copyfileobj(stream, spool)
    spool.seek(0)
    return spool


def _file_issue(violation: SchemaViolation) -> Issue:
    where = f" (at {violation.path})" if violation.path else ""
    return Issue(
        edit="GW E 009",
        level="E",
        rejection="ER",
        record_type="XML",
        text=f"{violation.reason}{where}",
        line=violation.line,
    )


def _refused(refusal: XmlRefused, delivered: int) -> Iterator[Event]:
    issue = Issue(
        edit=REFUSAL_EDITS.get(refusal.code, "GW E 005"),
        level="E",
        rejection="ER",
        record_type="XML",
        text=refusal.message,
        line=refusal.line,
    )
    yield Stray((issue,))
    yield FileEnded(None, None, 0, delivered, 0)


def check_document(
    stream: BinaryIO, name: str, *, limits: XmlLimits | None = None
) -> Iterator[Event]:
    """Schema-check a document of another gateway format (ack, distribution) in one pass.

    It has no transactions to report on: the file is accepted or rejected with its violations.
    """
    source = _seekable(stream)
    start = source.tell()
    try:
        for _, element in secure_iterparse(source, limits=limits, schema=lxml_schema(name)):
            parent = element.getparent()
            if parent is not None and parent.getparent() is None:
                element.clear()
    except XmlRefused as refusal:
        if refusal.code != "invalid":
            yield from _refused(refusal, 0)
            return
        source.seek(start)
        try:
            found = list(violations(source, name, limit=MAX_VIOLATIONS))
        except (xmlschema.XMLResourceError, LookupError) as error:
            # libxml2 called it a schema violation, but the document is not even well-formed
            # (or names an encoding nobody knows): refuse it as such.
            yield from _refused(XmlRefused("not_well_formed", str(error)), 0)
            return
        found = found or [SchemaViolation(refusal.line, "", refusal.message)]
        yield Stray(tuple(_file_issue(v) for v in found))
    yield FileEnded(None, None, 0, 0, 0)
