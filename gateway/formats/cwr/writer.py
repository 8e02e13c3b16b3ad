"""The strict CWR writer: model in, spec-exact records out, counted and sequenced by itself.

Every record is written at its full specified length, text in upper case (non-Roman records
excepted), numbers zero-filled, CRLF line ends. Sequence numbers, group IDs and the GRT/TRL
totals are computed, never copied. Whatever the target version cannot hold is listed in
``losses`` field by field, so a translation says exactly what it dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, time
from functools import cache
from typing import TYPE_CHECKING, Any, BinaryIO

from gateway import codes
from gateway.formats.cwr.edits import NON_ROMAN_RECORDS
from gateway.formats.cwr.layouts import LayoutSet, layout_set, record_types
from gateway.model import (
    MODEL_CLASSES,
    FileHeader,
    FileTrailer,
    GroupHeader,
    GroupTrailer,
    Record,
)

if TYPE_CHECKING:
    from gateway.formats.edi.layout import Field, Layout
    from gateway.model import TransactionRecord

_GROUP_VERSIONS = {"2.1": "02.10", "2.2": "02.20", "3.0": "03.00"}
# Record types that became others in 3.x, and back (CWR 3.0 §1: WRK replaces NWR and REV).
RENAMES = {
    ("2", "3"): {"NWR": "WRK", "REV": "WRK"},
    ("3", "2"): {"WRK": "NWR"},
}


@dataclass(frozen=True, slots=True)
class Loss:
    """Something the target version cannot hold, and where it was."""

    group: int | None
    transaction: int | None
    record_type: str
    field: str | None  # None when the whole record is lost
    value: str
    reason: str


class CwrWriter:
    """Writes one CWR file; call ``header``, then ``group``/``transaction``..., then ``close``."""

    def __init__(self, out: BinaryIO, version: str, *, encoding: str = "latin-1") -> None:
        self._out = out
        self._layouts: LayoutSet = layout_set(version)
        self.version = version
        self._encoding = encoding
        self.losses: list[Loss] = []
        self._records = 0
        self._groups = 0
        self._transactions = 0
        self._group_type: str | None = None
        self._group_transactions = 0
        self._group_records = 0
        self._where: tuple[int | None, int | None] = (None, None)

    # -- envelope ----------------------------------------------------------------------------

    def header(self, header: FileHeader) -> None:
        """Write the HDR, with the version fields of the target version."""
        # An XML header's RecordType attribute may say anything; what is written is an HDR.
        header = replace(header, record_type="HDR")
        if self._layouts.major == 2:
            header = replace(header, edi_version="01.10")
            if self.version == "2.2":
                header = replace(header, version="2.2", revision=header.revision or 2)
        else:
            header = replace(
                _header_to_3x(header) if header.sender_id else header,
                version=self.version,
                revision=header.revision or 0,
            )
        self._emit(self._encode(header, None))

    def group(self, transaction_type: str, batch_request: int | None = None) -> None:
        """Open a group of ``transaction_type`` (closing the one before)."""
        self.end_group()
        transaction_type = _renamed_type(transaction_type, self.version)
        self._groups += 1
        self._group_type = transaction_type
        self._group_transactions = 0
        self._group_records = 1
        grh = GroupHeader(
            record_type="GRH",
            transaction_type=transaction_type,
            group_id=self._groups,
            version_number=_GROUP_VERSIONS.get(self.version, ""),
            batch_request=batch_request or 0,
        )
        self._emit(self._encode(grh, None))

    def end_group(self) -> None:
        """Close the open group with its GRT (no-op when none is open)."""
        if self._group_type is None:
            return
        self._group_records += 1
        grt = GroupTrailer(
            record_type="GRT",
            group_id=self._groups,
            transaction_count=self._group_transactions,
            record_count=self._group_records,
        )
        self._emit(self._encode(grt, None))
        self._group_type = None

    def close(self) -> None:
        """Close the last group and write the TRL."""
        self.end_group()
        self._records += 1
        trl = FileTrailer(
            record_type="TRL",
            group_count=self._groups,
            transaction_count=self._transactions,
            record_count=self._records,
        )
        self._out.write(self._encode(trl, None).encode(self._encoding, errors="replace") + b"\r\n")

    # -- transactions --------------------------------------------------------------------------

    def transaction(self, record: TransactionRecord) -> None:
        """Write one transaction, opening a group of its type when none matches."""
        record = _renamed(record, self.version)
        kind = record.record_type
        if self._group_type is None or self._group_type not in (kind, "ACK"):
            self.group(kind)
        sequence = self._group_transactions
        self._where = (self._groups, sequence)
        lines: list[str] = []
        self._walk(record, sequence, lines)
        for line in lines:
            self._emit(line)
            self._group_records += 1
        self._group_transactions += 1
        self._transactions += 1

    def _walk(self, record: Record, sequence: int, lines: list[str]) -> None:
        layout = self._layouts.layouts.get(record.record_type)
        if layout is None:
            self._lose(
                record.record_type,
                None,
                _summary(record),
                f"no {record.record_type} record in CWR {self.version}",
            )
            return
        prefix = f"{record.record_type}{sequence:08d}{len(lines):08d}"
        lines.append(prefix + self._encode(record, layout)[19:])
        for attribute in _child_attributes(type(record).__name__):
            value = getattr(record, attribute)
            children = value if isinstance(value, tuple) else (() if value is None else (value,))
            for child in children:
                self._walk(child, sequence, lines)

    # -- encoding ------------------------------------------------------------------------------

    def _encode(self, record: Record, layout: Layout | None) -> str:
        layout = layout or self._layouts.layouts[record.record_type]
        cased = record.record_type not in NON_ROMAN_RECORDS
        text = [record.record_type.ljust(3)]
        position = 3
        for f in layout.fields:
            if f.offset > position:
                text.append(" " * (f.offset - position))
            text.append(self._format(record, f, cased))
            position = f.end
        for name in _lossy_fields(type(record).__name__, self.version, record.record_type):
            value = getattr(record, name)
            if value not in ("", None, 0):  # zeros are CWR's empty number
                self._lose(
                    record.record_type,
                    name,
                    str(value),
                    f"CWR {self.version} {record.record_type} has no such field",
                )
        return "".join(text).ljust(layout.length)

    def _format(self, record: Record, f: Field, cased: bool) -> str:
        if not f.in_model:
            return " " * f.size
        value: Any = getattr(record, f.name, None)
        if f.kind == "str":
            text = str(value or "")
            if cased:
                text = text.upper()
            if f.fmt == "N" and text.isdigit():  # numbers kept as text: right-justified, zeros
                text = text.zfill(f.size)
            if len(text) > f.size:
                self._lose(
                    record.record_type, f.name, text, f"longer than {f.size} characters; cut"
                )
                text = text[: f.size]
            return text.ljust(f.size)
        if value is None:
            return "0" * f.size
        if isinstance(value, date):
            return f"{value.year:04d}{value.month:02d}{value.day:02d}"
        if isinstance(value, time):
            return f"{value.hour:02d}{value.minute:02d}{value.second:02d}"
        digits = str(int(value)).zfill(f.size)
        if len(digits) > f.size:
            self._lose(record.record_type, f.name, digits, f"more than {f.size} digits; cut")
            digits = digits[-f.size :]
        return digits

    def _emit(self, line: str) -> None:
        self._records += 1
        self._out.write(line.encode(self._encoding, errors="replace") + b"\r\n")

    def _lose(self, record_type: str, field: str | None, value: str, reason: str) -> None:
        group, transaction = self._where
        self.losses.append(Loss(group, transaction, record_type, field, value, reason))


def _header_to_3x(header: FileHeader) -> FileHeader:
    """Carry a 2.x sender over to 3.x: a society by its code, others by IPI name number.

    2.x says who sent a file with a sender ID (society code, or IPI name number whose first
    two digits may sit in Sender Type); 3.x with a transmitter code and an IPI name number.
    """
    sender_type, sender_id = header.sender_type, header.sender_id.lstrip("0")
    if sender_type.isdigit():  # the 2.1 Rev 8 IPNN workaround: 2 leading digits in Sender Type
        sender_type, sender_id = "PB", sender_type + header.sender_id
    if sender_type == "SO":
        code = header.sender_code or sender_id.zfill(3)
        return replace(header, sender_code=code, sender_id="", edi_version="")
    ipi = sender_id.zfill(11)
    code = header.sender_code
    if not code:
        known = codes.sender_by_ipi(ipi)
        code = known.code if known is not None else ""
    return replace(
        header,
        sender_type=sender_type,
        sender_code=code,
        sender_ipi_name_number=header.sender_ipi_name_number or ipi,
        sender_id="",
        edi_version="",  # the 2.x EDI constant: 3.x has none, nothing is lost
    )


def _renamed_type(record_type: str, version: str) -> str:
    source_major = "3" if record_type == "WRK" else "2"
    return RENAMES.get((source_major, version[0]), {}).get(record_type, record_type)


def _renamed(record: TransactionRecord, version: str) -> TransactionRecord:
    target = _renamed_type(record.record_type, version)
    return record if target == record.record_type else replace(record, record_type=target)


def _summary(record: Record) -> str:
    title = (
        getattr(record, "title", "")
        or getattr(record, "last_name", "")
        or getattr(record, "name", "")
    )
    return str(title)


@cache
def _child_attributes(model: str) -> tuple[str, ...]:
    """The model's child attributes in the specification's record order."""
    types = record_types()
    ordered: list[str] = []
    for rt in types.values():
        if (
            any(types[p].model == model for p in rt.parents if p in types)
            and rt.attribute not in ordered
        ):
            ordered.append(rt.attribute)
    return tuple(ordered)


@cache
def _lossy_fields(model: str, version: str, record_type: str) -> tuple[str, ...]:
    """Model fields of this record that the version's layout cannot hold."""
    layout = layout_set(version).layouts.get(record_type)
    held = {f.name for f in layout.fields} if layout else set()
    children = set(_child_attributes(model))
    return tuple(
        f.name
        for f in fields(MODEL_CLASSES[model])
        if f.name not in held and f.name not in children and f.name not in ("record_type", "extra")
    )
