"""How the canonical model maps onto the gateway's works XML, derived from the model itself.

Every model record becomes an element with a ``RecordType`` attribute (which CWR record said it:
NWR, SPU, ...) and one child element per field that holds a value, in declaration order. Field
names become UpperCamelCase element names; a tuple of child records repeats the singular name
(``publishers`` -> ``<Publisher>``). Deriving the mapping from the dataclasses keeps the XML, the
schema generator (``tools/build_works_xsd.py``) and the model in step: a new model field appears in
all three or the schema test fails.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, time
from decimal import Decimal, InvalidOperation

from gateway.model import MODEL_CLASSES, Record

WORKS_NS = "urn:society-exchange-gateway:works:1.0"
COMMON_NS = "urn:society-exchange-gateway:common:1.0"
ACK_NS = "urn:society-exchange-gateway:ack:1.0"
DISTRIBUTION_NS = "urn:society-exchange-gateway:distribution:1.0"
FORMAT_VERSION = "1.0"

RECORD_TYPE_ATTRIBUTE = "RecordType"
# Element names the plain singular rule would make ambiguous within their parent.
_ELEMENT_OVERRIDES = {"original_works": "OriginalWorkDetail"}
# Transaction header classes, as elements of a group.
TRANSACTION_CLASSES = ("Work", "Agreement", "Acknowledgement")


@dataclass(frozen=True, slots=True)
class XmlField:
    """One model field as an element: its name, how its text reads, and its child class."""

    name: str  # the model field
    element: str  # local element name
    kind: str  # str int share date time record records
    child: type[Record] | None = None

    @property
    def nested(self) -> bool:
        """Whether the element holds child records rather than text."""
        return self.kind in ("record", "records")


def camel(name: str) -> str:
    """``pr_ownership_share`` -> ``PrOwnershipShare``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _singular(name: str) -> str:
    if name in _ELEMENT_OVERRIDES:
        return _ELEMENT_OVERRIDES[name]
    if name.endswith("ies"):
        return camel(name[:-3] + "y")
    if name.endswith("s"):
        return camel(name[:-1])
    return camel(name)


def _kind(annotation: str) -> tuple[str, type[Record] | None]:
    text = str(annotation).replace(" ", "")
    if text.startswith("tuple["):
        return "records", MODEL_CLASSES[text[len("tuple[") :].split(",", 1)[0]]
    base = text.removesuffix("|None")
    if base in MODEL_CLASSES:
        return "record", MODEL_CLASSES[base]
    if base == "Share":
        return "share", None
    if base in ("int", "date", "time", "str"):
        return base, None
    raise TypeError(f"model annotation {annotation!r} has no XML mapping")


_FIELDS: dict[type[Record], tuple[XmlField, ...]] = {}
_BY_ELEMENT: dict[type[Record], dict[str, XmlField]] = {}


def xml_fields(cls: type[Record]) -> tuple[XmlField, ...]:
    """The fields of ``cls`` as elements, in declaration order (``record_type`` excluded)."""
    known = _FIELDS.get(cls)
    if known is None:
        known = _FIELDS[cls] = _map(cls)
    return known


def _map(cls: type[Record]) -> tuple[XmlField, ...]:
    mapped = []
    for f in fields(cls):
        if f.name == "record_type":
            continue
        kind, child = _kind(str(f.type))
        element = _singular(f.name) if kind == "records" else camel(f.name)
        mapped.append(XmlField(f.name, element, kind, child))
    names = [m.element for m in mapped]
    if len(set(names)) != len(names):
        raise TypeError(f"{cls.__name__} maps two fields to one element: {names}")
    return tuple(mapped)


def fields_by_element(cls: type[Record]) -> dict[str, XmlField]:
    """The fields of ``cls`` keyed by qualified tag (``{namespace}Element``), for reading."""
    known = _BY_ELEMENT.get(cls)
    if known is None:
        known = _BY_ELEMENT[cls] = {f"{{{WORKS_NS}}}{f.element}": f for f in xml_fields(cls)}
    return known


def format_share(value: int) -> str:
    """Hundredths of a percent as the percent text the schema expects: 5000 -> ``50.00``."""
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 100)
    return f"{sign}{whole}.{cents:02d}"


def parse_share(text: str) -> int:
    """Percent text to hundredths; ValueError unless it is exact to the hundredth."""
    whole, dot, cents = text.strip().partition(".")
    if whole.isdigit() and whole.isascii() and (not dot or (cents.isdigit() and len(cents) <= 2)):
        return int(whole) * 100 + (int(cents.ljust(2, "0")) if cents else 0)  # the usual "50.00"
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a decimal percentage") from None
    hundredths = number * 100
    if not number.is_finite() or hundredths != hundredths.to_integral_value():
        raise ValueError(f"{text!r} is not a percentage to the hundredth")
    return int(hundredths)


def format_value(kind: str, value: object) -> str:
    """A model value as element text."""
    if kind == "share":
        return format_share(value)  # type: ignore[arg-type]
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def parse_value(kind: str, text: str) -> object:
    """Element text as a model value; ValueError says why it cannot be read."""
    if kind == "str":
        return text
    if kind == "share":
        return parse_share(text)
    stripped = text.strip()
    if kind == "int":
        if not stripped.isdigit():
            raise ValueError(f"{text!r} is not a whole number")
        return int(stripped)
    if kind == "date":
        return date.fromisoformat(stripped)
    if kind == "time":
        return time.fromisoformat(stripped)
    raise ValueError(f"unknown field kind {kind!r}")
