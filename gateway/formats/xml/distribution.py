"""Distribution statements as the gateway's XML (schemas/distribution.xsd): read and written.

Reading streams the document through :func:`secure_iterparse` and clears each ``Line`` once it
is turned into a model line, so memory stays flat however many lines there are. The reader
checks the structure and every value itself, in Python, instead of handing the document to
libxml2's validator: libxml2 stops at the first violation and names no field, while a statement
should report every bad line, each with its line number and element path, and keep the good
ones. The checks are those of the schema (order and number of elements, code lists, patterns,
lengths) plus the values' own rules (check digits, known codes, minor units); the two agree on
the variants in ``tests/test_statements.py``. What concerns several lines (unique line numbers,
totals equal to the lines, net equal to gross less deductions) is left to reconciliation.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, BinaryIO, TypeVar, cast
from xml.sax.saxutils import quoteattr

from gateway.formats import statement_values as values
from gateway.formats.xml.mapping import COMMON_NS, DISTRIBUTION_NS, FORMAT_VERSION
from gateway.formats.xml.secure import XmlLimits, XmlRefused, secure_iterparse
from gateway.formats.xml.text import MessageInfo, TextOut, leaf, message_header, party
from gateway.model import (
    StatementHeader,
    StatementIssue,
    StatementLine,
    StatementRefused,
    StatementTotals,
    TotalsAdder,
    typed_deductions,
)

if TYPE_CHECKING:
    from decimal import Decimal

    from lxml import etree

T = TypeVar("T")
StatementXmlItem = StatementHeader | StatementLine | StatementTotals | StatementIssue
_D = f"{{{DISTRIBUTION_NS}}}"
_C = f"{{{COMMON_NS}}}"
_ROOT = _D + "DistributionStatement"


@dataclass(frozen=True, slots=True)
class _Child:
    """One element of a schema sequence: its tag and how often it may occur."""

    tag: str
    least: int = 1
    most: int | None = 1  # None: unbounded


def _seq(namespace: str, *names: str) -> tuple[_Child, ...]:
    """A sequence written as names; ``?`` marks optional, ``*`` any number, ``+`` one or more."""
    bounds = {"?": (0, 1), "*": (0, None), "+": (1, None)}
    return tuple(
        _Child(namespace + name.rstrip("?*+"), *bounds.get(name[-1], (1, 1))) for name in names
    )


_TOP = _seq(_D, "MessageHeader", "DistributionId", "Period", "RightType", "Currency",
            "PayingSociety?", "SourceSociety?", "Line*", "Totals")  # fmt: skip
_MESSAGE_HEADER = _seq(_C, "MessageId", "Sender", "Recipient+", "Created", "FormatVersion")
_PARTY = _seq(_C, "SocietyCode", "Name?")
_PERIOD = _seq(_D, "Start", "End")
_LINE = _seq(_D, "LineNumber", "Work", "InterestedParty", "Territory", "UseType", "Period?",
             "Gross", "Deductions?", "Net")  # fmt: skip
_WORK = _seq(_D, "Title", "Iswc?", "SocietyWorkNumber?", "SubmitterWorkNumber?", "Isrc*")
_PARTY_PAID = _seq(_D, "Name", "IpiNameNumber?", "IpiBaseNumber?", "Role", "Share")
_DEDUCTIONS = _seq(_D, "Deduction+")
_TOTALS = _seq(_D, "LineCount", "Gross", "Deductions?", "Net")


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


class _Checked:
    """An element's children checked against their sequence, with problems collected."""

    def __init__(self, problems: list[StatementIssue]) -> None:
        self.problems = problems

    def problem(self, line: int | None, path: str, value: str, message: str) -> None:
        self.problems.append(
            StatementIssue(line=line, column=None, field=path, value=value, message=message)
        )

    def children(
        self, element: etree._Element, spec: tuple[_Child, ...], path: str
    ) -> dict[str, list[etree._Element]]:
        """The children by tag; unexpected, misplaced, repeated and missing ones are problems."""
        found: dict[str, list[etree._Element]] = {child.tag: [] for child in spec}
        position = 0
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            placed = _place(spec, tag, position)
            where = f"{path}/{_local(tag)}"
            if isinstance(placed, str):
                self.problem(child.sourceline, where, "", placed)
                continue
            position = placed
            most = spec[position].most
            if most is not None and len(found[tag]) >= most:
                self.problem(child.sourceline, where, "", f"appears more than {most} time(s)")
                continue
            found[tag].append(child)
        for expected in spec:
            if len(found[expected.tag]) < expected.least:
                self.problem(element.sourceline, f"{path}/{_local(expected.tag)}", "", "is missing")
        return found

    def value(
        self, found: dict[str, list[etree._Element]], tag: str, path: str, parse: Callable[[str], T]
    ) -> T | None:
        """The parsed text of a child; an absent optional child parses as empty text."""
        elements = found.get(tag) or []
        if elements:
            return self.text(elements[0], f"{path}/{_local(tag)}", parse)
        try:
            return parse("")  # "" or None for an optional value
        except values.BadValue:
            return None  # a required one: children() has reported it missing

    def text(self, element: etree._Element, path: str, parse: Callable[[str], T]) -> T | None:
        """The parsed text of an element, None (and a problem) when it is empty or bad."""
        text = element.text or ""
        if len(element):
            self.problem(element.sourceline, path, "", "must hold text, not elements")
            return None
        if not text.strip():
            self.problem(element.sourceline, path, "", "is empty")
            return None
        try:
            return parse(text)
        except values.BadValue as error:
            self.problem(element.sourceline, path, text.strip(), str(error))
            return None


def _place(spec: tuple[_Child, ...], tag: str, position: int) -> int | str:
    """Where ``tag`` fits in ``spec`` at or after ``position``, or why it does not."""
    for index in range(position, len(spec)):
        if spec[index].tag == tag:
            return index
    if any(child.tag == tag for child in spec[:position]):
        return f"is out of order: it must come before {_local(spec[position].tag)}"
    return "is not expected here"


def read_statement_xml(
    stream: BinaryIO, *, source: str = "", limits: XmlLimits | None = None
) -> Iterator[StatementXmlItem]:
    """The header, the lines, the totals and the issues of a distribution statement.

    Each bad line is reported by its issues (line number and element path) and skipped. Raises
    :class:`StatementRefused` for a document that cannot be read: refused by the secure parser
    (DTD, limits, not well-formed), not a distribution statement, or with a header that is not
    usable (its issues are yielded first).
    """
    try:
        yield from _read(stream, source, limits)
    except XmlRefused as refusal:
        issue = StatementIssue(
            line=refusal.line, column=None, field="", value="", message=refusal.message
        )
        raise StatementRefused(refusal.code, issue) from None


def _read(stream: BinaryIO, source: str, limits: XmlLimits | None) -> Iterator[StatementXmlItem]:
    depth = 0
    position = 0
    header_parts = _HeaderParts()
    header: StatementHeader | None = None
    totals_seen = False
    root_line: int | None = None
    for event, element in secure_iterparse(stream, limits=limits):
        if not isinstance(element.tag, str):
            continue
        if event == "start":
            depth += 1
            if depth == 1:
                if element.tag != _ROOT:
                    raise XmlRefused(
                        "not_distribution",
                        f"the root element is {_local(element.tag)}, not DistributionStatement "
                        f"in {DISTRIBUTION_NS}",
                        element.sourceline,
                    )
                root_line = element.sourceline
            elif depth == 2 and header is None and element.tag in (_D + "Line", _D + "Totals"):
                header = yield from header_parts.build(root_line, source)
            continue
        depth -= 1
        if depth != 1:
            continue
        checked = _Checked([])
        placed = _place(_TOP, element.tag, position)
        if isinstance(placed, str):
            checked.problem(element.sourceline, _local(element.tag), "", placed)
        elif element.tag == _D + "Line" and header is not None:
            position = placed
            yield from _line_items(element, header, checked)
        elif element.tag == _D + "Totals" and header is not None:
            position = placed
            if totals_seen:
                checked.problem(element.sourceline, "Totals", "", "appears more than once")
            else:
                yield from _totals_items(element, header, checked)
            totals_seen = True
        elif header is None:
            position = placed
            header_parts.collect(element)
        yield from checked.problems
        element.clear()
        parent = element.getparent()
        while parent is not None and element.getprevious() is not None:
            del parent[0]  # what came before is read: keep memory flat
    if header is None:
        yield from header_parts.build(root_line, source)
    if not totals_seen:
        yield StatementIssue(
            line=root_line, column=None, field="Totals", value="", message="is missing"
        )


class _HeaderParts:
    """The header elements as they end, turned into a header when the first line starts."""

    def __init__(self) -> None:
        self.found: dict[str, object] = {}
        self.checked = _Checked([])
        self.seen: set[str] = set()

    def collect(self, element: etree._Element) -> None:
        """Take the facts of one header element before it is cleared."""
        name = _local(element.tag)
        if name in self.seen:
            self.checked.problem(element.sourceline, name, "", "appears more than once")
            return
        self.seen.add(name)
        check = self.checked
        if name == "MessageHeader":
            children = check.children(element, _MESSAGE_HEADER, name)
            self.found["message_id"] = check.value(
                children, _C + "MessageId", name, values.identifier
            )
            self.found["created"] = check.value(children, _C + "Created", name, _timestamp)
            self.found["format_version"] = check.value(
                children, _C + "FormatVersion", name, _format_version
            )
            for tag, key in ((_C + "Sender", "sender_society"), (_C + "Recipient", "recipient")):
                for index, party in enumerate(children[tag]):
                    where = f"{name}/{_local(tag)}"
                    if index:
                        check.problem(party.sourceline, where, "", "a statement pays one society")
                        continue
                    self.found[key] = _party(check, party, where)
        elif name in ("PayingSociety", "SourceSociety"):
            self.found[name] = _party(check, element, name)
        elif name == "Period":
            self.found["period"] = _period(check, element, name)
        else:
            parse = {
                "DistributionId": values.identifier,
                "RightType": values.right_type,
                "Currency": values.currency,
            }[name]
            self.found[name] = check.text(element, name, parse)

    def build(
        self, root_line: int | None, source: str
    ) -> Generator[StatementIssue | StatementHeader, None, StatementHeader]:
        """Yield the header's issues then the header; refuse a header that is not usable."""
        for name in ("MessageHeader", "DistributionId", "Period", "RightType", "Currency"):
            if name not in self.seen:
                self.checked.problem(root_line, name, "", "is missing")
        yield from self.checked.problems
        if self.checked.problems:
            raise StatementRefused("header", self.checked.problems[0])
        found = self.found
        start, end = cast("tuple[date, date]", found["period"])
        header = StatementHeader(
            distribution_id=found["DistributionId"],  # type: ignore[arg-type]
            sender_society=found["sender_society"],  # type: ignore[arg-type]
            recipient_society=found["recipient"],  # type: ignore[arg-type]
            period_start=start,
            period_end=end,
            right_type=found["RightType"],  # type: ignore[arg-type]
            currency=found["Currency"],  # type: ignore[arg-type]
            message_id=found["message_id"],  # type: ignore[arg-type]
            created=found["created"],  # type: ignore[arg-type]
            format_version=found["format_version"],  # type: ignore[arg-type]
            paying_society=found.get("PayingSociety") or "",  # type: ignore[arg-type]
            source_society=found.get("SourceSociety") or "",  # type: ignore[arg-type]
            source_file=source,
        )
        yield header
        return header


def _party(check: _Checked, element: etree._Element, path: str) -> str | None:
    children = check.children(element, _PARTY, path)
    check.value(children, _C + "Name", path, values.optional_text)
    return check.value(children, _C + "SocietyCode", path, values.society_code)


def _period(check: _Checked, element: etree._Element, path: str) -> tuple[date | None, date | None]:
    children = check.children(element, _PERIOD, path)
    start = check.value(children, _D + "Start", path, values.optional_date)
    end = check.value(children, _D + "End", path, values.optional_date)
    if start is not None and end is not None and end < start:
        check.problem(element.sourceline, f"{path}/End", end.isoformat(), "is before Start")
    return start, end


def _timestamp(text: str) -> datetime:
    try:
        stamp = datetime.fromisoformat(text.strip())
    except ValueError:
        raise values.BadValue("is not a date and time (2026-03-16T14:20:00+01:00)") from None
    if stamp.tzinfo is None:
        raise values.BadValue("has no time zone (Z or +hh:mm)")
    return stamp


def _format_version(text: str) -> str:
    version = text.strip()
    if version.partition(".")[0] != FORMAT_VERSION.partition(".")[0]:
        raise values.BadValue(f"is not a version this reader knows ({FORMAT_VERSION})")
    return version


def _line_items(
    element: etree._Element, header: StatementHeader, check: _Checked
) -> Iterator[StatementLine]:
    """The model line of a ``Line`` element, or nothing when a problem was found in it."""
    before = len(check.problems)
    path = "Line"
    currency = header.currency
    children = check.children(element, _LINE, path)
    work = _only(children, "Work")
    paid = _only(children, "InterestedParty")
    work_children = check.children(work, _WORK, f"{path}/Work") if work is not None else {}
    paid_children = (
        check.children(paid, _PARTY_PAID, f"{path}/InterestedParty") if paid is not None else {}
    )
    work_path, paid_path = f"{path}/Work", f"{path}/InterestedParty"
    fields: dict[str, object] = {
        "line_number": check.value(children, _D + "LineNumber", path, values.line_number),
        "work_title": check.value(work_children, _D + "Title", work_path, values.text),
        "iswc": check.value(work_children, _D + "Iswc", work_path, values.iswc),
        "sender_work_id": check.value(
            work_children, _D + "SocietyWorkNumber", work_path, values.work_number
        ),
        "submitter_work_id": check.value(
            work_children, _D + "SubmitterWorkNumber", work_path, values.work_number
        ),
        "isrcs": tuple(
            check.text(isrc, f"{work_path}/Isrc", values.isrc)
            for isrc in work_children.get(_D + "Isrc", [])
        ),
        "ip_name": check.value(paid_children, _D + "Name", paid_path, values.text),
        "ip_ipi_name_number": check.value(
            paid_children, _D + "IpiNameNumber", paid_path, values.ipi_name_number
        ),
        "ip_ipi_base_number": check.value(
            paid_children, _D + "IpiBaseNumber", paid_path, values.ipi_base_number
        ),
        "ip_role": check.value(paid_children, _D + "Role", paid_path, values.role),
        "share": check.value(paid_children, _D + "Share", paid_path, values.share),
        "territory": check.value(children, _D + "Territory", path, values.tis_territory),
        "use_type": check.value(children, _D + "UseType", path, values.use_type),
        "gross": check.value(children, _D + "Gross", path, _money(currency)),
        "net": check.value(children, _D + "Net", path, _money(currency)),
    }
    period = _only(children, "Period")
    if period is not None:
        fields["period_start"], fields["period_end"] = _period(check, period, f"{path}/Period")
    items, notes = _deductions(check, _only(children, "Deductions"), path, currency)
    if len(check.problems) > before:
        return
    yield StatementLine(
        deductions=sum((amount for _, amount in items), values.amount("0", currency)),
        deduction_items=items,
        deduction_notes=notes,
        currency=currency,
        source_line=element.sourceline,
        **fields,  # type: ignore[arg-type]
    )


def _totals_items(
    element: etree._Element, header: StatementHeader, check: _Checked
) -> Iterator[StatementTotals]:
    """The declared totals, or nothing when a problem was found in them."""
    before = len(check.problems)
    currency = header.currency
    children = check.children(element, _TOTALS, "Totals")
    count = check.value(children, _D + "LineCount", "Totals", _count)
    gross = check.value(children, _D + "Gross", "Totals", _money(currency))
    net = check.value(children, _D + "Net", "Totals", _money(currency))
    items, notes = _deductions(check, _only(children, "Deductions"), "Totals", currency)
    if len(check.problems) > before or count is None or gross is None or net is None:
        return
    yield StatementTotals(
        line_count=count,
        gross=gross,
        deductions=sum((amount for _, amount in items), values.amount("0", currency)),
        net=net,
        deduction_items=items,
        deduction_notes=notes,
        source_line=element.sourceline,
    )


def _only(children: dict[str, list[etree._Element]], name: str) -> etree._Element | None:
    found = children.get(_D + name) or []
    return found[0] if found else None


def _money(currency: str) -> Callable[[str], Decimal]:
    return lambda text: values.amount(text, currency)


def _count(text: str) -> int:
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()):
        raise values.BadValue("is not a whole number of zero or more")
    return int(stripped)


def _deductions(
    check: _Checked, element: etree._Element | None, owner: str, currency: str
) -> tuple[tuple[tuple[str, Decimal], ...], tuple[tuple[str, str], ...]]:
    """The typed deductions of a ``Deductions`` element, each type at most once."""
    if element is None:
        return (), ()
    path = f"{owner}/Deductions"
    items: list[tuple[str, Decimal]] = []
    notes: list[tuple[str, str]] = []
    for deduction in check.children(element, _DEDUCTIONS, path)[_D + "Deduction"]:
        where = f"{path}/Deduction"
        raw_type = deduction.get("Type")
        if raw_type is None:
            check.problem(deduction.sourceline, f"{where}/@Type", "", "is missing")
            continue
        try:
            kind = values.deduction_type(raw_type)
            note = values.optional_text(deduction.get("Description") or "")
        except values.BadValue as error:
            check.problem(deduction.sourceline, f"{where}/@Type", raw_type, str(error))
            continue
        found = check.text(deduction, where, _money(currency))
        if any(kind == seen for seen, _ in items):
            check.problem(deduction.sourceline, f"{where}/@Type", kind, "appears more than once")
        elif found is not None:
            items.append((kind, found))
            if note:
                notes.append((kind, note))
    return tuple(items), tuple(notes)


def write_statement_xml(
    header: StatementHeader,
    lines: Iterable[StatementLine],
    totals: StatementTotals | None,
    out: BinaryIO,
    *,
    now: datetime | None = None,
) -> StatementTotals:
    """Write a statement as distribution XML, streaming the lines; returns the totals written.

    With ``totals`` None the totals are summed from the lines as they are written. An untyped
    deduction total (from a CSV without deduction columns) is written as one ``Other``
    deduction. ``now`` stands in for the creation time when the header has none.
    """
    created = header.created or now or datetime.now(UTC).replace(microsecond=0)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    write = TextOut(out)
    message = MessageInfo(
        header.message_id or header.distribution_id,
        header.sender_society,
        (header.recipient_society,) if header.recipient_society else (),
        created,
    )
    write(
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<DistributionStatement xmlns="{DISTRIBUTION_NS}" xmlns:c="{COMMON_NS}">\n'
        + message_header(message)
        + leaf("DistributionId", header.distribution_id)
        + _period_xml(header.period_start, header.period_end)
        + leaf("RightType", header.right_type)
        + leaf("Currency", header.currency)
        + party("PayingSociety", header.paying_society)
        + party("SourceSociety", header.source_society)
        + "\n"
    )
    adder = TotalsAdder()
    for line in lines:
        write(_line_xml(line))
        adder.add(line)
    totals = totals or adder.totals()
    write(
        "<Totals>"
        + leaf("LineCount", str(totals.line_count))
        + leaf("Gross", str(totals.gross))
        + _deductions_xml(totals.deduction_items, totals.deduction_notes)
        + leaf("Net", str(totals.net))
        + "</Totals>\n</DistributionStatement>\n"
    )
    return totals


def _period_xml(start: date | None, end: date | None) -> str:
    if start is None or end is None:
        return ""
    return f"<Period><Start>{start.isoformat()}</Start><End>{end.isoformat()}</End></Period>"


def _deductions_xml(
    items: tuple[tuple[str, Decimal], ...], notes: tuple[tuple[str, str], ...]
) -> str:
    if not items:
        return ""
    described = dict(notes)
    parts = []
    for kind, amount in items:
        note = described.get(kind)
        about = f" Description={quoteattr(note)}" if note else ""
        parts.append(f'<Deduction Type="{kind}"{about}>{amount}</Deduction>')
    return "<Deductions>" + "".join(parts) + "</Deductions>"


def _line_xml(line: StatementLine) -> str:
    return "".join(
        [
            "<Line>",
            leaf("LineNumber", str(line.line_number)),
            "<Work>",
            leaf("Title", line.work_title),
            leaf("Iswc", line.iswc),
            leaf("SocietyWorkNumber", line.sender_work_id),
            leaf("SubmitterWorkNumber", line.submitter_work_id),
            *(leaf("Isrc", isrc) for isrc in line.isrcs),
            "</Work><InterestedParty>",
            leaf("Name", line.ip_name),
            leaf("IpiNameNumber", line.ip_ipi_name_number),
            leaf("IpiBaseNumber", line.ip_ipi_base_number),
            leaf("Role", line.ip_role),
            leaf("Share", values.percent(line.share)),
            "</InterestedParty>",
            leaf("Territory", line.territory),
            leaf("UseType", line.use_type),
            _period_xml(line.period_start, line.period_end),
            leaf("Gross", str(line.gross)),
            _deductions_xml(typed_deductions(line), line.deduction_notes),
            leaf("Net", str(line.net)),
            "</Line>\n",
        ]
    )
