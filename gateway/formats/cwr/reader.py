"""The lenient streaming CWR reader: bytes in, one transaction at a time out.

It reads what real files hold (trimmed records, CRLF or LF or no line end, lower case,
miscounted trailers, stray records) and reports every deviation at its CISAC level, never
stopping at the first. Memory is bounded by the largest transaction, not by the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from gateway.formats.cwr.assemble import Leaves, TransactionBuilder
from gateway.formats.cwr.edits import READER_EDITS, field_edit, for_version
from gateway.formats.cwr.encoding import character_set_codec, detect_version
from gateway.formats.cwr.events import (
    Event,
    FileEnded,
    FileStarted,
    GroupEnded,
    GroupStarted,
    RecordInfo,
    Stray,
    TransactionRead,
)
from gateway.formats.cwr.fields import ENVELOPE_RECORDS, RecordDecoder, decoder_for
from gateway.formats.cwr.layouts import PREFIX_LENGTH, layout_set, record_types
from gateway.formats.edi.lines import DEFAULT_MAX_LINE, PhysicalLine, iter_lines
from gateway.model import FileHeader, FileTrailer, GroupHeader, GroupTrailer, Issue, Transaction

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import BinaryIO

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Transaction types an ACK transaction carries on with (the echo and the conflicting work).
_ACK_CONTINUATIONS = frozenset({"NWR", "REV", "AGR", "EXC", "WRK", "ISW"})
_MAX_ENVELOPE_TEXTS = 10_000
_NONE: list[Event] = []  # shared, never appended to: most lines complete no event
# FIL is no record: it is the record type of file-level findings, which stay out of transactions.
_ENVELOPE = ENVELOPE_RECORDS | {"FIL"}
_GROUP_VERSIONS = {"2.1": "02.10", "2.2": "02.20", "3.0": "03.00"}
_RECORD_SEQUENCES = 10**8  # a prefix's last 8 digits
_new = tuple.__new__  # a named tuple built in C, not through its generated __new__ (per record)


@dataclass(frozen=True, slots=True)
class ReaderLimits:
    """Bounds that keep hostile input from costing unbounded time or memory."""

    max_line: int = DEFAULT_MAX_LINE
    max_messages: int = 10_000
    max_transaction_records: int = 100_000


def read_cwr(
    stream: BinaryIO, *, version: str | None = None, limits: ReaderLimits | None = None
) -> Iterator[Event]:
    """Read a CWR file from a binary stream, yielding envelope events and transactions."""
    return _Reader(stream, version, limits or ReaderLimits()).events()


class _Details(TypedDict, total=False):
    """Where a finding is and what it says, beyond its edit and record type."""

    line: int | bool | None
    field: str | None
    column: int | None
    width: int | None
    value: str | None
    text: str | None
    rejection: str | None
    group: int | None
    transaction: int | None
    record_sequence: int | None


@dataclass(slots=True)
class _Group:
    group_id: int
    transaction_type: str
    transactions: int = 0
    records: int = 1  # the GRH
    last_sequence: int = -1


@dataclass(slots=True)
class _Open:
    """The transaction being read."""

    builder: TransactionBuilder
    group_id: int
    sequence: int
    last_record_sequence: int
    records: list[RecordInfo]
    issues: list[Issue]


class _Reader:
    def __init__(self, stream: BinaryIO, version: str | None, limits: ReaderLimits) -> None:
        self._stream = stream
        self._forced_version = version
        self._limits = limits
        self._version = version or "2.1"
        self._layouts = layout_set(self._version)
        self._decoders: dict[str, RecordDecoder] = {}
        self._leaves: Leaves = {}  # records built of a text, for the file's transactions
        self._encoding = "latin-1"
        self._messages = 0
        self._muted = False
        self._pending: list[Issue] = []  # issues not tied to a transaction
        self._group: _Group | None = None
        self._groups = 0
        self._last_group_id = 0
        self._transactions = 0
        self._records = 0
        self._open: _Open | None = None
        self._seen_header = False
        self._trailer_line: int | None = None
        self._trailer: FileTrailer | None = None
        self._previous = ""  # record type of the previous record
        self._line = 0
        self._envelope: dict[int, str] = {}

    # -- the main loop ---------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        lines = iter_lines(self._stream, max_line=self._limits.max_line)
        first = next(lines, None)
        if first is None:
            self._report("GW E 001", "HDR", line=None)
            yield FileEnded(None, None, 0, 0, 0, self._drain())
            return
        second = next(lines, None)
        yield from self._start(first, second)
        if second is not None:
            yield from self._line_events(second)
        line_events = self._line_events
        for physical in lines:
            events = line_events(physical)
            if events:
                yield from events
        yield from self._finish()

    def _start(self, first: PhysicalLine, second: PhysicalLine | None) -> Iterator[Event]:
        text = first.data.decode("latin-1")
        detected = detect_version(text, second.data.decode("latin-1") if second else "")
        if self._forced_version is None:
            if detected is None:
                self._report("GW E 003", "HDR", line=1)
            else:
                self._version = detected
                self._layouts = layout_set(detected)
        yield from self._line_events(first)

    def _line_events(self, physical: PhysicalLine) -> list[Event]:
        """The events one line completes: none for most detail records."""
        self._line = physical.number
        data = physical.data
        if not data or data.isspace():  # (strip would copy every line to tell)
            return _NONE  # blank lines are no records
        self._records += 1
        if self._group is not None:
            self._group.records += 1
        text = self._decode(physical)
        if text is None:
            return _NONE
        record_type = text[:3]
        events: list[Event]
        if record_type not in ENVELOPE_RECORDS:
            closed = self._transaction_record(record_type, text)
            events = _NONE if closed is None else [closed]
        else:
            if len(self._envelope) < _MAX_ENVELOPE_TEXTS:
                self._envelope[self._line] = text
            handler = {
                "HDR": self._header,
                "GRH": self._group_header,
                "GRT": self._group_trailer,
                "TRL": self._file_trailer,
            }[record_type]
            events = list(handler(text))
        self._previous = record_type
        if self._pending and self._open is None:
            events = [*events, Stray(self._drain())]
        return events

    def _decode(self, physical: PhysicalLine) -> str | None:
        if physical.overlong:
            self._report(
                "GW R 002",
                physical.data[:3].decode("latin-1"),
                value=f"{physical.overlong} bytes skipped",
            )
            return None
        try:
            text = physical.data.decode(self._encoding)
        except UnicodeDecodeError:
            text = physical.data.decode(self._encoding, errors="replace")
            self._report("GW R 005", text[:3])
        if not text.isprintable() and _CONTROL.search(text):  # isprintable: the cheap common case
            self._report("GW R 001", text[:3].translate({0: "?"}), value=repr(text[:40]))
            return None
        return text

    # -- envelope --------------------------------------------------------------------------

    def _header(self, text: str) -> Iterator[Event]:
        if self._seen_header:
            self._report("FIL E 008", "HDR")
            return
        self._seen_header = True
        if self._records != 1:
            self._report("FIL E 002", "HDR")
        values = self._fields("HDR", text, None)
        if values is None:
            return
        header = FileHeader(record_type="HDR", **values)
        self._check_header(header)
        self._encoding = character_set_codec(header.character_set)
        if (
            header.character_set
            and self._encoding == "latin-1"
            and header.character_set.upper() not in ("ASCII", "ISO-8859-1")
        ):
            self._report("HDR F 014", "HDR", field="character_set", value=header.character_set)
        yield FileStarted(header, self._version, self._encoding, self._line, self._drain())

    def _check_header(self, header: FileHeader) -> None:
        if self._layouts.major == 2:
            if header.edi_version != "01.10":
                self._report("HDR F 009", "HDR", field="edi_version", value=header.edi_version)
            sender_type = header.sender_type
            if sender_type not in ("PB", "SO", "AA", "WR") and not (
                sender_type.isascii() and sender_type.isdigit()
            ):
                self._report("HDR F 002", "HDR", field="sender_type", value=sender_type)

    def _group_header(self, text: str) -> Iterator[Event]:
        if self._previous not in ("HDR", "GRT"):
            self._report("GRH F 003", "GRH")
        if self._group is not None:
            self._report("FIL E 004", "GRH")
            yield from self._close_group(None)
        if self._records == 2 and not self._seen_header:
            self._report("FIL E 002", "GRH")
        values = self._fields("GRH", text, None) or {}
        header = GroupHeader(record_type="GRH", **values)
        expected = self._last_group_id + 1
        if header.group_id is not None and header.group_id != expected:  # blank: the field edit
            self._report(
                "GRH F 002",
                "GRH",
                field="group_id",
                value=str(header.group_id),
                group=header.group_id,
            )
        wanted = _GROUP_VERSIONS.get(self._version)
        if wanted and header.version_number != wanted:
            self._report(
                "GRH F 004",
                "GRH",
                field="version_number",
                value=header.version_number,
                group=header.group_id,
            )
        group_id = header.group_id if header.group_id is not None else expected
        self._last_group_id = group_id
        self._group = _Group(group_id, header.transaction_type)
        self._groups += 1
        yield GroupStarted(header, self._line, self._drain())

    def _group_trailer(self, text: str) -> Iterator[Event]:
        yield from self._close_transaction()
        values = self._fields("GRT", text, None) or {}
        yield from self._close_group(GroupTrailer(record_type="GRT", **values))

    def _close_group(self, trailer: GroupTrailer | None) -> Iterator[Event]:
        yield from self._close_transaction()
        group = self._group
        if group is None:
            self._report("FIL E 004", "GRT")
            yield GroupEnded(0, trailer, self._line, 0, 0, self._drain())
            return
        self._group = None
        if trailer is not None:
            gid = group.group_id
            if trailer.group_id != group.group_id:
                self._report(
                    "GRT F 001", "GRT", field="group_id", value=str(trailer.group_id), group=gid
                )
            if trailer.transaction_count != group.transactions:
                self._report(
                    "GRT F 002",
                    "GRT",
                    field="transaction_count",
                    group=gid,
                    value=f"{trailer.transaction_count} (counted {group.transactions})",
                )
            if trailer.record_count != group.records:
                self._report(
                    "GRT F 003",
                    "GRT",
                    field="record_count",
                    group=gid,
                    value=f"{trailer.record_count} (counted {group.records})",
                )
        line = self._line if trailer is not None else None
        yield GroupEnded(
            group.group_id, trailer, line, group.transactions, group.records, self._drain()
        )

    def _file_trailer(self, text: str) -> Iterator[Event]:
        yield from self._close_transaction()
        if self._group is not None:
            self._report("FIL E 007", "TRL")
            yield from self._close_group(None)
        if self._trailer is not None:
            self._report("FIL E 008", "TRL")
            return
        values = self._fields("TRL", text, None) or {}
        self._trailer = FileTrailer(record_type="TRL", **values)
        self._trailer_line = self._line

    def _finish(self) -> Iterator[Event]:
        yield from self._close_transaction()
        if self._group is not None:
            self._report("GW E 002", "GRT")
            yield from self._close_group(None)
        trailer = self._trailer
        if trailer is None or self._previous != "TRL":
            self._report("FIL E 005", "TRL")
        if trailer is not None:
            if trailer.group_count != self._groups:
                self._report(
                    "TRL F 001",
                    "TRL",
                    field="group_count",
                    value=f"{trailer.group_count} (counted {self._groups})",
                )
            if trailer.transaction_count != self._transactions:
                self._report(
                    "TRL F 002",
                    "TRL",
                    field="transaction_count",
                    value=f"{trailer.transaction_count} (counted {self._transactions})",
                )
            if trailer.record_count != self._records:
                self._report(
                    "TRL F 003",
                    "TRL",
                    field="record_count",
                    value=f"{trailer.record_count} (counted {self._records})",
                )
        yield FileEnded(
            trailer,
            self._trailer_line,
            self._groups,
            self._transactions,
            self._records,
            self._drain(),
            self._envelope,
        )

    # -- transactions ----------------------------------------------------------------------

    def _transaction_record(self, record_type: str, text: str) -> TransactionRead | None:
        """Take a transaction or detail record; returns the transaction it closed, if any."""
        rt = self._layouts.record_types.get(record_type)
        if rt is None or rt.role == "envelope":
            known = record_type in record_types()
            self._report(
                "GW R 004" if known else "FIL F 001", record_type.strip() or "   ", value=text[:20]
            )
            self._attach_stray()
            return None
        current = self._open
        tseq, rseq = self._prefix(record_type, text, rt.role == "header")
        if rt.role == "header" and not (
            current is not None
            and current.builder.header_type == "ACK"
            and record_type in _ACK_CONTINUATIONS
            and tseq == current.sequence
        ):
            closed = self._closed()
            self._begin(record_type, text, tseq, rseq)
            return closed
        if current is None:
            self._report("GW T 001", record_type, value=text[:19])
            return None
        if tseq != current.sequence:
            self._report("FIL F 004", record_type, value=f"{tseq} (transaction {current.sequence})")
        if rseq != current.last_record_sequence + 1:
            self._report(
                "FIL F 006",
                record_type,
                value=f"{rseq} (expected {current.last_record_sequence + 1})",
            )
        current.last_record_sequence = rseq
        if len(current.records) >= self._limits.max_transaction_records:
            self._report("GW R 002", record_type, value="transaction record limit reached")
            return None
        values = self._fields(record_type, text, rseq)
        current.records.append(_new(RecordInfo, (self._line, record_type, rseq, text)))
        if values is not None:
            reason = current.builder.add(
                record_type, values, len(current.records) - 1, text[PREFIX_LENGTH:]
            )
            if reason is not None:
                self._report("GW T 002", record_type, value=reason)
        return None

    def _begin(self, record_type: str, text: str, tseq: int, rseq: int) -> None:
        group = self._group
        if group is None:
            self._report("FIL E 006" if self._previous == "GRH" else "FIL E 003", record_type)
            group_id = self._last_group_id or 1
        else:
            group_id = group.group_id
            # 0 for the first, then one more than the last: a single slip is reported once.
            expected = group.last_sequence + 1 if group.transactions else 0
            if tseq != expected:
                self._report(
                    "FIL F 002" if expected == 0 else "FIL F 003",
                    record_type,
                    value=f"{tseq} (expected {expected})",
                    group=group_id,
                    transaction=tseq,
                )
            if group.transaction_type not in (record_type, "ACK"):
                self._report(
                    "GRH G 001",
                    record_type,
                    value=f"{record_type} in a {group.transaction_type} group",
                    group=group_id,
                    transaction=tseq,
                )
            group.transactions += 1
            group.last_sequence = tseq
        self._transactions += 1
        if rseq != 0:
            self._report(
                "FIL F 005", record_type, value=str(rseq), group=group_id, transaction=tseq
            )
        self._open = _Open(
            builder=TransactionBuilder(self._layouts.record_types, record_type, {}, self._leaves),
            group_id=group_id,
            sequence=tseq,
            last_record_sequence=rseq,
            records=[RecordInfo(self._line, record_type, rseq, text)],
            issues=[],
        )
        self._attach_stray()
        # Decoded once the transaction is open, so its field findings belong to it.
        self._open.builder.fill_header(self._fields(record_type, text, rseq) or {})

    def _close_transaction(self) -> Iterator[Event]:
        closed = self._closed()
        if closed is not None:
            yield closed

    def _closed(self) -> TransactionRead | None:
        """Close the open transaction, if any, and return it whole."""
        current = self._open
        if current is None:
            return None
        self._open = None
        record = current.builder.build()
        return TransactionRead(
            Transaction(current.group_id, current.sequence, record),
            tuple(current.records),
            tuple(current.issues),
            current.builder.positions,
        )

    def _prefix(self, record_type: str, text: str, header: bool) -> tuple[int, int]:
        """The prefix's sequence numbers; unreadable ones are reported and taken as expected."""
        prefix = text[3:PREFIX_LENGTH]
        if prefix.isascii() and prefix.isdigit() and len(prefix) == 16:
            return divmod(int(prefix), _RECORD_SEQUENCES)  # one parse: 8 digits, then 8
        self._report("GW R 003", record_type, value=text[:PREFIX_LENGTH])
        current, group = self._open, self._group
        if header or current is None:
            expected = group.last_sequence + 1 if group is not None and group.transactions else 0
            return expected, 0
        return current.sequence, current.last_record_sequence + 1

    def _fields(self, record_type: str, text: str, rseq: int | None) -> Mapping[str, Any] | None:
        """The record's values (shared: read only), its field findings reported."""
        decoder = self._decoders.get(record_type)
        if decoder is None:
            layout = self._layouts.layouts.get(record_type)
            if layout is None:
                return None
            decoder = self._decoders[record_type] = decoder_for(layout)
        values, problems = decoder.decode(text)
        if len(text) != decoder.length:
            self._report(
                "FIL F 009",
                record_type,
                record_sequence=rseq,
                value=f"{len(text)} characters, specified {decoder.length}",
            )
        for p in problems:
            edit, rejection = field_edit(record_type, p.field, p.edit, self._layouts.major)
            self._report(
                edit,
                record_type,
                record_sequence=rseq,
                field=p.field,
                column=p.column,
                width=p.width,
                value=p.value,
                text=p.text,
                rejection=rejection,
            )
        return values

    # -- reporting -------------------------------------------------------------------------

    def _report(self, edit: str, record_type: str, **details: Unpack[_Details]) -> None:
        """Record a finding (``details`` are :meth:`_make`'s keywords) where it belongs."""
        self._messages += 1
        if self._messages > self._limits.max_messages:
            if not self._muted:
                self._muted = True
                self._pending.append(self._make("GW E 004", "FIL", line=None))
            return
        issue = self._make(edit, record_type, **details)
        if self._open is not None and record_type not in _ENVELOPE:
            self._open.issues.append(issue)
        else:
            self._pending.append(issue)

    def _make(
        self,
        edit: str,
        record_type: str,
        *,
        line: int | bool | None = True,
        field: str | None = None,
        column: int | None = None,
        width: int | None = None,
        value: str | None = None,
        text: str | None = None,
        rejection: str | None = None,
        group: int | None = None,
        transaction: int | None = None,
        record_sequence: int | None = None,
    ) -> Issue:
        if field is not None and column is None:
            layout = self._layouts.layouts.get(record_type)
            column, width = (layout and layout.position(field)) or (None, None)
        spec = READER_EDITS.get(edit)
        edit = for_version(edit, self._layouts.major)
        level = spec.level if spec else edit.split()[1]
        if group is None:
            group = (
                self._open.group_id
                if self._open
                else (self._group.group_id if self._group else None)
            )
        if transaction is None and self._open is not None:
            transaction = self._open.sequence
        return Issue(
            edit=edit,
            level=level,
            rejection=rejection or (spec.rejection if spec else "TR"),
            record_type=record_type,
            text=text or (spec.text if spec else edit),
            line=self._line if line is True else (line or None),
            group=group,
            transaction=transaction,
            record_sequence=record_sequence,
            field=field,
            column=column,
            width=width,
            value=value,
        )

    def _attach_stray(self) -> None:
        """Issues raised before a transaction opened belong to it when it is the next thing."""
        if self._open is not None and self._pending:
            self._open.issues.extend(self._pending)
            self._pending.clear()

    def _drain(self) -> tuple[Issue, ...]:
        issues = tuple(self._pending)
        self._pending.clear()
        return issues
