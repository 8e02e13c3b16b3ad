"""Write ``schemas/works.xsd`` from the canonical model and the CWR layouts.

The works schema says what the codec writes: one complex type per model class, one optional
element per field in declaration order, typed from the CWR layouts (width, format, code table)
and the shared types of ``common.xsd`` (society codes, TIS codes, ISWC, IPI, shares ...). A test
rebuilds it and compares, so the schema cannot drift from the model.

Usage: python tools/build_works_xsd.py [OUT]
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from gateway import codes
from gateway.formats.cwr.layouts import VERSIONS, layout_set, record_types
from gateway.formats.xml.mapping import (
    COMMON_NS,
    FORMAT_VERSION,
    RECORD_TYPE_ATTRIBUTE,
    TRANSACTION_CLASSES,
    WORKS_NS,
    xml_fields,
)
from gateway.model import MODEL_CLASSES, Record

OUT = Path(__file__).resolve().parent.parent / "schemas" / "works.xsd"

# Code tables common.xsd already types; the rest get an enumeration of their own here.
COMMON_LOOKUPS = {
    "language": "c:LanguageCode",
    "society": "SocietyCodeText",
    "tis": "c:TisCode",
    "currency": "c:CurrencyCode",
    "writer_designation": "c:WriterDesignation",
    "publisher_type": "c:PublisherType",
    "transaction_status": "c:TransactionStatus",
    "right_type": "c:RightType",
}
# Tables checked by other means than a code list (CWR transmitter codes are open-ended).
OPEN_LOOKUPS = {"transmitter"}
IDENTIFIERS = (
    ("iswc", "c:Iswc"),
    ("ipi_name_number", "c:IpiNameNumber"),
    ("ipi_base_number", "c:IpiBaseNumber"),
    ("isrc", "c:Isrc"),
    ("isni", "c:Isni"),
)


def field_facts() -> dict[tuple[str, str], list[tuple[int, str]]]:
    """(class, field) -> every (width, code table) the layouts of every version give it."""
    facts: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    types = record_types()
    for version in VERSIONS:
        for code, layout in layout_set(version).layouts.items():
            model = types[code].model
            for f in layout.fields:
                if f.in_model:
                    facts[model, f.name].append((f.size, f.lookup))
    return facts


def simple_type(  # noqa: PLR0911 - one answer per kind of field
    cls: str, name: str, kind: str, facts: list[tuple[int, str]], enums: dict[str, str]
) -> tuple[str, str]:
    """The type attribute or an inline simpleType for a field: (type name, inline body)."""
    if kind == "share":
        return "c:Share", ""
    if kind == "date":
        return "xs:date", ""
    if kind == "time":
        return "xs:time", ""
    width = max((size for size, _ in facts), default=0)
    if kind == "int":
        top = f'<xs:maxInclusive value="{10**width - 1}"/>' if width else ""
        return "", f'<xs:restriction base="xs:nonNegativeInteger">{top}</xs:restriction>'
    if name == "sender_type":
        return "SenderType", ""
    for suffix, type_name in IDENTIFIERS:
        if name == suffix or name.endswith("_" + suffix):
            return type_name, ""
    lookups = {lookup for _, lookup in facts if lookup}
    if len(lookups) == 1 and not (lookups & OPEN_LOOKUPS):
        (lookup,) = lookups
        if lookup.startswith("="):
            values = "".join(
                f"<xs:enumeration value={quoteattr(v)}/>" for v in lookup[1:].split("|")
            )
            return "", f'<xs:restriction base="xs:string">{values}</xs:restriction>'
        if lookup in COMMON_LOOKUPS:
            return COMMON_LOOKUPS[lookup], ""
        enums[lookup] = _enum_name(lookup)
        return enums[lookup], ""
    if not width:
        return "xs:string", ""
    del cls
    return "", f'<xs:restriction base="xs:string"><xs:maxLength value="{width}"/></xs:restriction>'


def _enum_name(table: str) -> str:
    return "".join(p.capitalize() for p in table.split("_")) + "Code"


def record_type_codes(cls: type[Record]) -> list[str]:
    """The CWR record types the class stands for, in specification order."""
    return [code for code, row in record_types().items() if row.model == cls.__name__]


def complex_type(cls: type[Record], facts: dict, enums: dict[str, str]) -> list[str]:
    """The complex type of one model class."""
    lines = [f'  <xs:complexType name="{cls.__name__}">', "    <xs:sequence>"]
    for f in xml_fields(cls):
        if f.child is not None:
            many = ' maxOccurs="unbounded"' if f.kind == "records" else ""
            lines.append(
                f'      <xs:element name="{f.element}" type="{f.child.__name__}"'
                f' minOccurs="0"{many}/>'
            )
            continue
        type_name, body = simple_type(
            cls.__name__, f.name, f.kind, facts.get((cls.__name__, f.name), []), enums
        )
        if type_name:
            lines.append(f'      <xs:element name="{f.element}" type="{type_name}" minOccurs="0"/>')
        else:
            lines.append(f'      <xs:element name="{f.element}" minOccurs="0">')
            lines.append(f"        <xs:simpleType>{body}</xs:simpleType>")
            lines.append("      </xs:element>")
    lines.append("    </xs:sequence>")
    codes_ = "".join(f'<xs:enumeration value="{c}"/>' for c in record_type_codes(cls))
    lines.append(f'    <xs:attribute name="{RECORD_TYPE_ATTRIBUTE}" use="required">')
    lines.append(
        f'      <xs:simpleType><xs:restriction base="xs:token">{codes_}'
        "</xs:restriction></xs:simpleType>"
    )
    lines.append("    </xs:attribute>")
    lines.append("  </xs:complexType>")
    return lines


def enumeration(table: str, name: str) -> list[str]:
    """A named code table as an enumerated simple type, each code documented."""
    lines = [f'  <xs:simpleType name="{name}">', '    <xs:restriction base="xs:string">']
    for code in sorted(codes.lookup(table)):
        meaning = escape(codes.describe(table, code) or "")
        lines.append(
            f"      <xs:enumeration value={quoteattr(code)}><xs:annotation>"
            f"<xs:documentation>{meaning}</xs:documentation></xs:annotation></xs:enumeration>"
        )
    lines += ["    </xs:restriction>", "  </xs:simpleType>"]
    return lines


def build() -> str:
    """The whole schema text."""
    facts = field_facts()
    enums: dict[str, str] = {}
    classes = [MODEL_CLASSES[n] for n in sorted(MODEL_CLASSES) if n != "FileTrailer"]
    classes = [c for c in classes if c.__name__ != "GroupTrailer"]
    body: list[str] = []
    for cls in classes:
        body += complex_type(cls, facts, enums)
    transactions = "".join(f'<xs:element ref="{n}"/>' for n in TRANSACTION_CLASSES)
    # Headers and transactions are global elements too, so each can be validated on its own
    # as the reader streams it (libxml2 locates errors only in whole trees).
    globals_ = [
        f'  <xs:element name="{n}" type="{t}"/>'
        for n, t in (
            ("MessageHeader", "c:MessageHeader"),
            ("TransmissionHeader", "FileHeader"),
            ("GroupHeader", "GroupHeader"),
            *((n, n) for n in TRANSACTION_CLASSES),
        )
    ]
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!-- Gateway works registration messages. Generated by tools/build_works_xsd.py from",
        "     the canonical model and the CWR layouts: do not edit by hand. -->",
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"',
        f'           xmlns="{WORKS_NS}"',
        f'           xmlns:c="{COMMON_NS}"',
        f'           targetNamespace="{WORKS_NS}"',
        f'           elementFormDefault="qualified" version="{FORMAT_VERSION}">',
        f'  <xs:import namespace="{COMMON_NS}" schemaLocation="common.xsd"/>',
        '  <xs:element name="WorkRegistrations">',
        "    <xs:complexType>",
        "      <xs:sequence>",
        '        <xs:element ref="MessageHeader"/>',
        '        <xs:element ref="TransmissionHeader"/>',
        '        <xs:element name="Group" type="Group" minOccurs="0" maxOccurs="unbounded"/>',
        "      </xs:sequence>",
        (
            f'      <xs:attribute name="FormatVersion" type="xs:token" fixed="{FORMAT_VERSION}"'
            ' use="required"/>'
        ),
        "    </xs:complexType>",
        "  </xs:element>",
        '  <xs:complexType name="Group">',
        "    <xs:sequence>",
        '      <xs:element ref="GroupHeader"/>',
        f'      <xs:choice minOccurs="0" maxOccurs="unbounded">{transactions}</xs:choice>',
        "    </xs:sequence>",
        "  </xs:complexType>",
        *globals_,
    ]
    tail: list[str] = [
        # CWR 2.x writes society codes in a 3-character field, not always zero-padded ("21").
        '  <xs:simpleType name="SocietyCodeText">',
        '    <xs:union memberTypes="c:SocietyCode">',
        (
            '      <xs:simpleType><xs:restriction base="xs:string">'
            '<xs:pattern value="[0-9]{1,2}"/></xs:restriction></xs:simpleType>'
        ),
        "    </xs:union>",
        "  </xs:simpleType>",
        # CWR 2.1: a sender IPI name number of 10-11 digits puts its first two in Sender Type.
        '  <xs:simpleType name="SenderType">',
        (
            '    <xs:restriction base="xs:string"><xs:pattern value="PB|SO|AA|WR|OO|[0-9]{2}"/>'
            "</xs:restriction>"
        ),
        "  </xs:simpleType>",
    ]
    for table, name in sorted(enums.items()):
        tail += enumeration(table, name)
    return "\n".join([*head, *body, *tail, "</xs:schema>", ""])


def main() -> None:
    """Write the schema where given (default: schemas/works.xsd)."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.write_text(build(), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
