"""The gateway's XSDs, loaded once each, for both validators.

lxml (libxml2) is the gate: fast and flat in memory on large documents. xmlschema, built in its
sandbox (it may read the schema folder and nothing else, never the network), explains: it gives
every violation with its line and path, which libxml2 stops giving after the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import xmlschema
from lxml import etree

from gateway.formats.xml.mapping import ACK_NS, DISTRIBUTION_NS, WORKS_NS
from gateway.formats.xml.secure import secure_parser

if TYPE_CHECKING:
    from collections.abc import Iterator

SCHEMA_FILES = {"works": "works.xsd", "ack": "ack.xsd", "distribution": "distribution.xsd"}
NAMESPACES = {WORKS_NS: "works", ACK_NS: "ack", DISTRIBUTION_NS: "distribution"}


def schema_dir() -> Path:
    """Where the XSDs are: package data of ``gateway`` (``schemas/`` at the top links to it)."""
    return Path(str(files("gateway") / "schemas"))


def schema_path(name: str) -> Path:
    """The XSD file of a format (``works``, ``ack``, ``distribution``)."""
    if name not in SCHEMA_FILES:
        raise ValueError(f"unknown XML format {name!r}; known: {', '.join(SCHEMA_FILES)}")
    return schema_dir() / SCHEMA_FILES[name]


@cache
def lxml_schema(name: str) -> etree.XMLSchema:
    """The libxml2 validator of a format."""
    return etree.XMLSchema(etree.parse(str(schema_path(name)), secure_parser()))


@cache
def explaining_schema(name: str) -> xmlschema.XMLSchema10:
    """The xmlschema validator of a format, confined to the schema folder."""
    return xmlschema.XMLSchema10(str(schema_path(name)), allow="sandbox")


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    """One place where a document breaks its schema."""

    line: int | None
    path: str  # element path, e.g. /WorkRegistrations/Group[1]/Work[3]/Iswc
    reason: str
    record_type: str = ""  # the RecordType of the record element it is in, when known


def violations(stream: BinaryIO, name: str, *, limit: int = 1000) -> Iterator[SchemaViolation]:
    """Every violation of ``stream`` against a format's schema, up to ``limit``, in order.

    The document is read lazily (element by element), so memory stays bounded on large files.
    """
    resource = xmlschema.XMLResource(stream, lazy=True, defuse="always", allow="none")
    for count, error in enumerate(explaining_schema(name).iter_errors(resource)):
        if count >= limit:
            return
        path = error.path or ""
        path = _local_path(path)
        yield SchemaViolation(error.sourceline, path, _reason(error))


class ElementChecker:
    """Checks one element at a time against a format's global element declarations.

    libxml2 gives the verdict (fast, in C); when it says no, xmlschema lists every violation
    inside the element with its line and path, where libxml2 stops at the first.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._gate = lxml_schema(name)

    def check(self, element: etree._Element) -> list[SchemaViolation]:
        """The element's violations (none when it is valid)."""
        if self._gate.validate(element):
            return []
        resource = xmlschema.XMLResource(element, allow="none")  # type: ignore[arg-type]
        found = [
            SchemaViolation(
                getattr(error.elem, "sourceline", None) or element.sourceline,
                _local_path(error.path or ""),
                _reason(error),
                _record_type(error.elem),
            )
            for error in explaining_schema(self._name).iter_errors(resource)
        ]
        return found or [
            SchemaViolation(e.line or element.sourceline, "", e.message)
            for e in self._gate.error_log
        ]


def _record_type(element: object) -> str:
    """The RecordType of the record element holding ``element`` (itself or its parent)."""
    for candidate in (element, getattr(element, "getparent", lambda: None)()):
        record_type = getattr(candidate, "get", lambda _: None)("RecordType")
        if record_type:
            return str(record_type)
    return ""


def _local_path(path: str) -> str:
    """Drop namespace prefixes and URIs from an element path."""
    steps = (step.rpartition("}")[2] for step in path.split("/"))
    return "/".join(step.rpartition(":")[2] for step in steps)


def _reason(error: xmlschema.XMLSchemaValidationError) -> str:
    reason = (error.reason or str(error.message) or "invalid").strip()
    for namespace in NAMESPACES:
        reason = reason.replace("{" + namespace + "}", "")
    return reason.splitlines()[0]
