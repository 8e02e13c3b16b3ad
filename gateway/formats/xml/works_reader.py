"""The streaming works XML reader: the same events as the CWR reader, one transaction at a time.

Elements are cleared as soon as their transaction is read, so memory stays flat however long the
document. The validation engine, the translator and the service consume these events exactly as
they consume a CWR file's; a value the model cannot take (a date that is no date) becomes an
issue located by line, element and field, and the field keeps its default.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

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
from gateway.formats.cwr.layouts import VERSIONS
from gateway.formats.xml.mapping import (
    COMMON_NS,
    FORMAT_VERSION,
    RECORD_TYPE_ATTRIBUTE,
    TRANSACTION_CLASSES,
    WORKS_NS,
    fields_by_element,
    parse_value,
)
from gateway.formats.xml.schemas import ElementChecker
from gateway.formats.xml.secure import XmlLimits, XmlRefused, secure_iterparse
from gateway.model import (
    MODEL_CLASSES,
    FileHeader,
    GroupHeader,
    Issue,
    Record,
    Transaction,
)
from gateway.model.base import factory

if TYPE_CHECKING:
    from lxml import etree

_W = f"{{{WORKS_NS}}}"
_C = f"{{{COMMON_NS}}}"
ROOT_TAG = _W + "WorkRegistrations"
_GROUP = _W + "Group"
_TRANSACTIONS = {_W + name: MODEL_CLASSES[name] for name in TRANSACTION_CLASSES}
DEFAULT_CWR_VERSION = "2.2"


@dataclass(slots=True)
class MessageHeaderRead:
    """What the message header said (empty strings where it said nothing)."""

    message_id: str = ""
    sender: str = ""
    recipients: list[str] = field(default_factory=list)
    created: str = ""


@dataclass(slots=True)
class _Decoded:
    """One transaction's records and their places while it is being decoded."""

    group: int | None
    sequence: int
    records: list[RecordInfo] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


def cwr_version_of(header: FileHeader) -> str:
    """The CWR version a works document's transmission header declares (2.2 if none or unknown)."""
    return header.version if header.version in VERSIONS else DEFAULT_CWR_VERSION


def _unknown_version(element: etree._Element, header: FileHeader) -> list[Issue]:
    """GW E 003 when the header names a CWR version the gateway has no layouts for."""
    if not header.version or header.version in VERSIONS:
        return []
    text = f"Version {header.version!r} is not a CWR version ({', '.join(VERSIONS)})"
    return [
        Issue(
            edit="GW E 003",
            level="E",
            rejection="ER",
            record_type="HDR",
            text=f"{text}; read as {DEFAULT_CWR_VERSION}",
            line=element.sourceline,
            field="version",
            value=header.version,
        )
    ]


def read_works_xml(
    stream: BinaryIO,
    *,
    limits: XmlLimits | None = None,
    checker: ElementChecker | None = None,
    message: MessageHeaderRead | None = None,
) -> Iterator[Event]:
    """Read a works XML document, yielding envelope events and transactions.

    With ``checker``, every header and transaction is checked against the works schema as it
    is read, and the document's structure (root, header order, groups) by the reader itself:
    a transaction's violations reject it (GW T 003), a group header's its group (GW G 001),
    anything else the file (GW E 009). Refusals (DTD, limits, not well-formed, not a works
    document) raise :class:`gateway.formats.xml.secure.XmlRefused` where they are found.
    """
    message = message if message is not None else MessageHeaderRead()
    state = _State()
    for event, element in secure_iterparse(stream, limits=limits):
        if event == "start":
            state.depth += 1
            if state.depth == 1:
                _check_root(element, state, checker)
            elif state.depth == 2:
                state.top = element.tag
                if element.tag == _GROUP:
                    state.in_group, state.group_transactions = None, 0
            continue
        state.depth -= 1
        if state.depth > 2 or (state.depth == 2 and state.top != _GROUP):
            continue
        found = _text_outside(element, state) if checker is not None else []
        if state.depth == 2:
            yield from _group_child(element, state, checker)
        elif state.depth == 1:
            yield from _root_child(element, state, checker, message)
        else:
            yield from _stray(found + state.pending)
            yield FileEnded(
                None, element.sourceline, state.groups, state.transactions, state.records
            )
            return
        if found:
            state.pending.extend(found)


@dataclass(slots=True)
class _State:
    """Where the reader is in the document, and what it has counted."""

    depth: int = 0
    top: object = None  # tag of the root child being read
    seen: list[str] = field(default_factory=list)  # root children read so far, by local name
    in_group: GroupHeader | None = None
    group_line: int | None = None
    group_open: bool = False
    group_transactions: int = 0
    groups: int = 0
    transactions: int = 0
    records: int = 0
    pending: list[Issue] = field(default_factory=list)


_ROOT_ORDER = {"MessageHeader": 0, "TransmissionHeader": 1, "Group": 2}


def _check_root(element: etree._Element, state: _State, checker: ElementChecker | None) -> None:
    if element.tag != ROOT_TAG:
        raise _not_works(element)
    version = element.get("FormatVersion")
    if checker is not None and version != FORMAT_VERSION:
        state.pending.append(
            _file_issue(
                element, f"FormatVersion is {version!r}; this reader reads {FORMAT_VERSION!r}"
            )
        )
    # Groups are told by their start: the header must be known before the transactions end.
    state.in_group = None


def _root_child(
    element: etree._Element,
    state: _State,
    checker: ElementChecker | None,
    message: MessageHeaderRead,
) -> Iterator[Event]:
    name = _local(element)
    if checker is not None:
        order = _ROOT_ORDER.get(name)
        last = max((_ROOT_ORDER.get(n, -1) for n in state.seen), default=-1)
        if order is None or order < last or (order < 2 and name in state.seen):
            state.pending.append(_file_issue(element, f"element {name} is not expected here"))
        elif order == 2 and "TransmissionHeader" not in state.seen:
            state.pending.append(
                _file_issue(element, "a Group comes before the TransmissionHeader")
            )
        state.seen.append(name)
    if name == "MessageHeader":
        _message_header(element, message)
        state.pending.extend(_violations(element, checker, "E"))
    elif name == "TransmissionHeader":
        header, issues = _record(element, FileHeader, None)
        issues.extend(_unknown_version(element, header))
        state.records += 1
        found = _violations(element, checker, "E")
        yield FileStarted(
            header,
            cwr_version_of(header),
            "utf-8",
            element.sourceline or 0,
            (*state.pending, *issues, *found),
        )
        state.pending.clear()
    elif name == "Group":
        group_id = (state.in_group.group_id if state.in_group else None) or state.groups
        yield from _stray(state.pending)
        yield GroupEnded(group_id, None, state.group_line, state.group_transactions, state.records)
        state.in_group = None
    _forget(element)


def _group_child(
    element: etree._Element, state: _State, checker: ElementChecker | None
) -> Iterator[Event]:
    tag = element.tag
    if tag in _TRANSACTIONS and (state.in_group is not None or checker is None):
        read = _transaction(element, _TRANSACTIONS[tag], state.in_group, state.group_transactions)
        found = _violations(element, checker, "T", read)
        if found:  # the schema's messages say it better than the decoder's
            kept = [i for i in read.issues if i.edit != "GW F 007"]
            read = TransactionRead(read.transaction, read.records, (*kept, *found), read.positions)
        state.group_transactions += 1
        state.transactions += 1
        state.records += len(read.records)
        yield read
    elif tag == _W + "GroupHeader" and state.group_transactions == 0:
        header, issues = _record(element, GroupHeader, None)
        state.in_group, state.group_line = header, element.sourceline
        state.groups += 1
        state.records += 1
        found = _violations(element, checker, "G")
        yield GroupStarted(header, element.sourceline or 0, (*issues, *found))
    elif checker is not None:
        state.pending.append(
            _file_issue(element, f"element {_local(element)} is not expected here")
        )
    _forget(element)


def _not_works(element: etree._Element) -> Exception:
    return XmlRefused(
        "not_works",
        f"the root element is {element.tag!s}, not {ROOT_TAG} (a works registration document)",
        element.sourceline,
    )


def _local(element: etree._Element) -> str:
    return element.tag.rpartition("}")[2] if isinstance(element.tag, str) else "?"


def _text_outside(element: etree._Element, state: _State) -> list[Issue]:
    """Text the schema does not allow: between the root's and a group's child elements."""
    texts = [element.tail] if state.depth in (1, 2) else []
    if state.depth == 0:
        texts.append(element.text)
    if any(text and text.strip() for text in texts):
        return [_file_issue(element, "text is not allowed between these elements")]
    return []


def _violations(
    element: etree._Element,
    checker: ElementChecker | None,
    level: str,
    read: TransactionRead | None = None,
) -> list[Issue]:
    if checker is None:
        return []
    found = checker.check(element)
    if read is None:
        edit, rejection = {"E": ("GW E 009", "ER"), "G": ("GW G 001", "GR")}[level]
        return [
            Issue(
                edit=edit,
                level=level,
                rejection=rejection,
                record_type=(element.get(RECORD_TYPE_ATTRIBUTE) or _local(element))[:3],
                text=_violation_text(v.reason, v.path),
                line=v.line,
            )
            for v in found
        ]
    transaction = read.transaction
    return [
        Issue(
            edit="GW T 003",
            level="T",
            rejection="TR",
            record_type=v.record_type or read.records[0].record_type,
            text=_violation_text(v.reason, v.path),
            line=v.line,
            group=transaction.group_id,
            transaction=transaction.sequence,
            field=v.path.rpartition("/")[2] or None,
        )
        for v in found
    ]


def _violation_text(reason: str, path: str) -> str:
    return f"{reason} (at {path})" if path else reason


def _file_issue(element: etree._Element, text: str) -> Issue:
    return Issue(
        edit="GW E 009",
        level="E",
        rejection="ER",
        record_type="XML",
        text=text,
        line=element.sourceline,
    )


def _stray(issues: list[Issue]) -> Iterator[Event]:
    if issues:
        yield Stray(tuple(issues))
        issues.clear()


def _forget(element: etree._Element) -> None:
    """Free a consumed element and the siblings before it."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _message_header(element: etree._Element, message: MessageHeaderRead) -> None:
    for child in element:
        text = (child.text or "").strip()
        if child.tag == _C + "MessageId":
            message.message_id = text
        elif child.tag == _C + "Created":
            message.created = text
        elif child.tag in (_C + "Sender", _C + "Recipient"):
            code = next((c.text or "" for c in child if c.tag == _C + "SocietyCode"), "").strip()
            if child.tag == _C + "Sender":
                message.sender = code
            else:
                message.recipients.append(code)


def _transaction(
    element: etree._Element, cls: type[Record], group: GroupHeader | None, sequence: int
) -> TransactionRead:
    """Decode a transaction element with every record inside it."""
    group_id = group.group_id if group is not None else None
    decoded = _Decoded(group_id, sequence)
    record, _ = _record(element, cls, decoded)
    return TransactionRead(
        Transaction(group_id or 0, sequence, record),
        tuple(decoded.records),
        tuple(decoded.issues),
        decoded.positions,
    )


def _record(
    element: etree._Element, cls: type[Record], decoded: _Decoded | None
) -> tuple[Any, list[Issue]]:
    """Decode ``element`` (and its child records) into ``cls``; issues for unreadable values."""
    record_type = (element.get(RECORD_TYPE_ATTRIBUTE) or "").strip()
    issues: list[Issue] = [] if decoded is None else decoded.issues
    index = 0
    if decoded is not None:
        index = len(decoded.records)
        decoded.records.append(
            RecordInfo(element.sourceline or 0, record_type, None, _opening(element, record_type))
        )
    known = fields_by_element(cls)
    values: dict[str, Any] = {"record_type": record_type}
    children: dict[str, list[Record]] = {}
    for child in element:
        spec = known.get(child.tag)  # type: ignore[arg-type]
        if spec is None:
            if isinstance(child.tag, str):
                issues.append(
                    _issue(decoded, child, record_type, None, "unknown element", child.tag)
                )
            continue
        if spec.child is not None:
            nested, _ = _record(child, spec.child, decoded)
            if spec.kind == "records":
                children.setdefault(spec.name, []).append(nested)
            else:
                values[spec.name] = nested
            continue
        text = child.text or ""
        try:
            values[spec.name] = parse_value(spec.kind, text)
        except ValueError as error:
            issues.append(_issue(decoded, child, record_type, spec.name, str(error), text))
    for name, items in children.items():
        values[name] = tuple(items)
    record = factory(cls)(values)
    if decoded is not None:
        decoded.positions[id(record)] = index
    return record, issues


def _opening(element: etree._Element, record_type: str) -> str:
    name = element.tag.rpartition("}")[2] if isinstance(element.tag, str) else "?"
    return f'<{name} {RECORD_TYPE_ATTRIBUTE}="{record_type}">'


def _issue(  # noqa: PLR0917 - a private constructor of located issues
    decoded: _Decoded | None,
    element: etree._Element,
    record_type: str,
    field_name: str | None,
    text: str,
    value: str,
) -> Issue:
    return Issue(
        edit="GW F 007",
        level="F",
        rejection="TR",
        record_type=record_type,
        text=f"{text}",
        line=element.sourceline,
        group=decoded.group if decoded else None,
        transaction=decoded.sequence if decoded else None,
        field=field_name,
        value=value[:80],
    )
