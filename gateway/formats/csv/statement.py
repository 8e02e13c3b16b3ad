"""Distribution statements as CSV: one row per statement line, the header facts on every row.

The columns are documented in ``docs/statements.md``. The first row names them, in any order
(case and surrounding blanks ignored; unknown columns are ignored). Every bad value becomes a
:class:`StatementIssue` located by line, column and name, and its row is skipped: a line with a
wrong amount must not be paid or matched as if it were right. The header facts (distribution,
societies, period, right type, currency) must not change from row to row; a row that changes
one is an issue too. The file is read a line at a time, so its size does not matter.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from operator import getitem, itemgetter
from typing import Any, BinaryIO, TextIO, TypeVar, cast

from gateway.formats import statement_values as values
from gateway.formats.csv.lines import SourceLines
from gateway.model import (
    StatementHeader,
    StatementIssue,
    StatementLine,
    StatementRefused,
)

T = TypeVar("T")
StatementItem = StatementHeader | StatementLine | StatementIssue
# A row taker: given a good row stating the header facts (the row, the line it starts on, its
# ordinal), it takes the row itself (True) or leaves it to the reader (False).
RowTaker = Callable[[list[str], int, int], bool]
# Called once the header is read (and yielded): a row taker for the statement's rows, or None.
QuickRows = Callable[[StatementHeader, Mapping[str, int]], RowTaker | None]

# Offered the rest of the file once the header is read (the header, the column indexes, the
# header facts' text as the first good row stated them, that row, the rest's bytes, the
# longest line allowed): the lines of the rest it leaves to the reader, in order, each as its
# index and the offset where it starts in the rest (None: all).
# It must take only lines the row taker would take, none of them a duplicate of another line;
# the lines it leaves are yielded as lines (the row taker, which it stands for, is not asked).
BulkRows = Callable[
    [StatementHeader, Mapping[str, int], Mapping[str, str], list[str], bytes, int],
    list[tuple[int, int]] | None,
]

# Facts of the whole statement, repeated on each row, with their parsers.
HEADER_COLUMNS: dict[str, Callable[[str], object]] = {
    "distribution_id": values.identifier,
    "sender_society": values.society_code,
    "recipient_society": values.society_code,
    "period_start": values.iso_date,
    "period_end": values.iso_date,
    "right_type": values.right_type,
    "currency": values.currency,
    "message_id": lambda text: values.identifier(text) if text.strip() else "",
    "paying_society": values.optional_society_code,
    "source_society": values.optional_society_code,
}
REQUIRED_COLUMNS = (
    "distribution_id",
    "sender_society",
    "recipient_society",
    "period_start",
    "period_end",
    "right_type",
    "territory",
    "work_title",
    "iswc",
    "sender_work_id",
    "submitter_work_id",
    "ip_name",
    "ip_ipi_name_number",
    "ip_role",
    "share",
    "use_type",
    "gross_amount",
    "deductions",
    "net_amount",
    "currency",
)
# One optional column per typed deduction of the distribution XML.
DEDUCTION_COLUMNS = {
    "deduction_administration_fee": "AdministrationFee",
    "deduction_social_cultural": "SocialCultural",
    "deduction_withholding_tax": "WithholdingTax",
    "deduction_other_tax": "OtherTax",
    "deduction_bank_charge": "BankCharge",
    "deduction_other": "Other",
}
OPTIONAL_COLUMNS = (
    "line_number",
    "isrcs",
    "ip_ipi_base_number",
    "use_period_start",
    "use_period_end",
    "message_id",
    "paying_society",
    "source_society",
    *DEDUCTION_COLUMNS,
)


@dataclass(frozen=True, slots=True)
class CsvLimits:
    """Bounds on one CSV statement (injectable)."""

    # Bytes (binary stream) or characters (text stream) of one physical line; a quoted field
    # spanning lines is further bounded by the csv module's own field limit (128 KiB).
    max_line_length: int = 1 << 20
    # The most of a file offered in bulk (read into memory at once); a larger one streams.
    # Reconciling in bulk peaks at about seven times the file's size (the bench's 224 MB
    # statement: ~1.5 GB beside the registry), so 512 MiB keeps it near 3.5 GB.
    max_bulk_bytes: int = 512 << 20


def read_statement_csv(
    stream: TextIO | BinaryIO,
    *,
    source: str = "",
    limits: CsvLimits | None = None,
    quick: QuickRows | None = None,
    bulk: BulkRows | None = None,
) -> Iterator[StatementItem]:
    """The header (once, before its first line), the lines and the issues of a CSV statement.

    A binary stream must be UTF-8 (a byte-order mark is dropped); a text stream should be opened
    with ``newline=""``. Raises :class:`StatementRefused` when there is no usable header row.
    CSV carries no totals: sum the lines (``gateway.model.sum_totals``) where they are needed.

    ``quick``, when given, is asked for a :data:`RowTaker` once the header has been yielded;
    every later row that is readable (no source problem, wide enough, stating the first row's
    header facts as text) is offered to it first, and a row it takes is not yielded. A taker
    must take only rows whose every value is good (the reader would yield a line for them):
    the rest it leaves, and the reader yields their line or issues as usual.

    ``bulk``, when given with ``quick``, is offered the rest of the file at once when the
    stream is binary, seekable and at most ``limits.max_bulk_bytes`` from there (see
    :data:`BulkRows`); the reader then reads only the lines it left, numbered as in the file,
    and yields them without offering them to the row taker.
    """
    limits = limits or CsvLimits()
    lines = SourceLines(stream, limits.max_line_length)
    rows = csv.reader(lines, strict=True)
    columns = _columns(rows, lines)
    reader = _RowReader(columns, source)
    ordinal = 0  # rows read here; lines.taken more were taken in bulk, all before the next
    start = lines.number + 1  # where the next row begins
    take: RowTaker | None = None
    while True:
        try:
            for row in rows:
                number = ordinal + lines.taken + 1  # the row's ordinal in the statement
                if lines.problems:
                    ordinal += 1
                    yield from _locate(lines.take_problems(), row, columns)
                elif take and reader.states_facts(row) and take(row, start, number):
                    ordinal += 1  # taken by the consumer (a row of good values)
                elif (line := reader.good_line(row, start, number)) is not None:
                    ordinal += 1  # nearly every row: good values and the usual header facts
                    yield line
                elif any(cell.strip() for cell in row):  # blank lines carry nothing
                    ordinal += 1
                    yield from reader.row(row, start, number)
                    if quick is not None and reader.header is not None:
                        take, quick = quick(reader.header, columns), None  # asked once
                        if bulk is not None:
                            if _take_in_bulk(bulk, lines, reader, columns, limits, row):
                                take = None  # the lines left are those the quick path leaves
                            bulk = None
                start = lines.next_number
        except csv.Error as error:
            yield from lines.take_problems()
            yield StatementIssue(line=start, column=None, field="", value="", message=str(error))
            ordinal += 1
            start = lines.next_number
        else:
            return


def _take_in_bulk(  # noqa: PLR0917 - the reader's state, passed on
    bulk: BulkRows, lines: SourceLines, reader: _RowReader, columns: Mapping[str, int],
    limits: CsvLimits, first: list[str],
) -> bool:  # fmt: skip
    """Offer the rest of the file to ``bulk``; the reader goes on with the lines it left.

    Whether ``bulk`` took the rest (and left the lines the quick path would leave too).
    """
    assert reader.header is not None  # noqa: S101 - called once the header is read
    rest = lines.rest(limits.max_bulk_bytes)
    if rest is None:
        return False
    facts = dict(zip(reader.fact_names, reader.raw_facts, strict=True))
    kept = None
    if reader.raw_facts:  # else no row states the facts as text: none is taken
        kept = bulk(reader.header, columns, facts, first, rest, limits.max_line_length)
    lines.resume(rest, kept)
    return kept is not None


def _columns(rows: Iterator[list[str]], lines: SourceLines) -> dict[str, int]:
    """The index of each named column of the header row; refuses a header that will not do."""

    def refuse(code: str, message: str, value: str = "") -> StatementRefused:
        issue = StatementIssue(line=lines.number or 1, column=None, field="", value=value,
                               message=message)  # fmt: skip
        return StatementRefused(code, issue)

    try:
        header = next(rows)
    except StopIteration:
        raise refuse(
            "empty", "the file is empty; a header row naming the columns is required"
        ) from None
    except csv.Error as error:
        raise refuse("header", f"the header row cannot be read: {error}") from None
    problems = lines.take_problems()
    if problems:
        raise StatementRefused("header", problems[0])
    names = [cell.strip().lower() for cell in header]
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name and name in seen:
            raise refuse("header", f"the column {name!r} appears twice", name)
        seen[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise refuse("header", f"required columns are missing: {', '.join(missing)}")
    return {name: seen[name] for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if name in seen}


def _locate(
    problems: list[StatementIssue], row: list[str], columns: dict[str, int]
) -> Iterator[StatementIssue]:
    """Problems of the source lines, placed in the column holding the undecodable text."""
    names = {index: name for name, index in columns.items()}
    bad = next((i for i, cell in enumerate(row) if "\ufffd" in cell), None)
    for problem in problems:
        if bad is None or problem.column is not None:
            yield problem
            continue
        yield StatementIssue(
            line=problem.line,
            column=bad + 1,
            field=names.get(bad, ""),
            value=row[bad],
            message=problem.message,
        )


class _Cells:
    """One row's cells by column name, parsed one at a time, problems collected."""

    def __init__(self, row: list[str], line: int, columns: dict[str, int]) -> None:
        self.row = row
        self.line = line
        self.columns = columns
        self.problems: list[StatementIssue] = []

    def raw(self, name: str) -> str:
        index = self.columns.get(name)
        return "" if index is None else self.row[index]

    def get(self, name: str, parse: Callable[[str], T]) -> T | None:
        """The parsed value of a column (absent optional columns read as empty)."""
        try:
            return parse(self.raw(name))
        except values.BadValue as error:
            self.problem(name, str(error))
            return None

    def problem(self, name: str, message: str) -> None:
        index = self.columns.get(name)
        self.problems.append(
            StatementIssue(
                line=self.line,
                column=None if index is None else index + 1,
                field=name,
                value=self.raw(name),
                message=message,
            )
        )


class _RowReader:
    """Turns rows into lines, holding the header facts the first good row set."""

    def __init__(self, columns: dict[str, int], source: str) -> None:
        self._columns = columns
        self._width = max(columns.values()) + 1
        self._source = source
        self._facts: dict[str, object] | None = None
        self._facts_line = 0
        self._header: StatementHeader | None = None
        # The header facts' text as a row states it (absent optional columns read as empty,
        # the same on every row, so they are left out), and as the first good row stated it.
        self._raw_facts_of = itemgetter(*(columns[n] for n in HEADER_COLUMNS if n in columns))
        self._raw_facts: tuple[str, ...] = ()
        self._lines: _LineBuilder | None = None

    @property
    def header(self) -> StatementHeader | None:
        """The statement's header, once a row has stated it."""
        return self._header

    @property
    def fact_names(self) -> tuple[str, ...]:
        """The header facts' columns a row states (those :attr:`raw_facts` holds)."""
        return tuple(n for n in HEADER_COLUMNS if n in self._columns)

    @property
    def raw_facts(self) -> tuple[str, ...]:
        """The header facts' text as the first good row stated them (empty before)."""
        return self._raw_facts

    def states_facts(self, row: list[str]) -> bool:
        """Whether the row is wide enough and states the header facts as the first row did."""
        return (
            self._lines is not None
            and len(row) >= self._width
            and self._raw_facts_of(row) == self._raw_facts
        )

    def good_line(self, row: list[str], line: int, ordinal: int) -> StatementLine | None:
        """The line of a row stating the first row's header facts with every value good.

        None for any other row (short, blank, other header facts, a bad value): :meth:`row`
        then says what it holds.
        """
        if (
            self._lines is None
            or len(row) < self._width
            or self._raw_facts_of(row) != self._raw_facts
        ):
            return None
        return self._lines.line(row, line, ordinal)

    def row(self, row: list[str], line: int, ordinal: int) -> Iterator[StatementItem]:
        """The header (when this row is the first to state it), then the line or its issues."""
        if len(row) < self._width:
            yield StatementIssue(
                line=line,
                column=None,
                field="",
                value="",
                message=f"the row has {len(row)} fields; the columns read need {self._width}",
            )
            return
        cells = _Cells(row, line, self._columns)
        raw_facts = self._raw_facts_of(row)
        if raw_facts != self._raw_facts:  # the same text as the first row's needs no parsing
            facts = {name: cells.get(name, parse) for name, parse in HEADER_COLUMNS.items()}
            if not cells.problems:
                yield from self._check_facts(facts, cells)
                if self._header is not None and not cells.problems and not self._raw_facts:
                    self._raw_facts = raw_facts
        if cells.problems or self._header is None:
            yield from cells.problems
            return
        built = None if self._lines is None else self._lines.line(row, line, ordinal)
        if built is None:  # a bad value: read again, every problem of the row reported
            built = _line(cells, self._header.currency, ordinal)
        yield from cells.problems if built is None else (built,)

    def _check_facts(self, facts: dict[str, object], cells: _Cells) -> Iterator[StatementHeader]:
        if self._facts is None:
            if facts["period_end"] < facts["period_start"]:  # type: ignore[operator]
                cells.problem("period_end", "is before period_start")
                return
            self._facts, self._facts_line = facts, cells.line
            self._header = StatementHeader(**facts, source_file=self._source)  # type: ignore[arg-type]
            self._lines = _LineBuilder(self._columns, self._header.currency)
            yield self._header
            return
        for name, value in facts.items():
            if value != self._facts[name]:
                cells.problem(
                    name,
                    f"differs from {self._facts[name] or '(empty)'!s} on line {self._facts_line}; "
                    "a statement has one value",
                )


# Line columns whose text recurs from line to line (the same work, party, territory, use),
# parsed once per distinct text by a memo; in the order _LineBuilder.line unpacks them.
MEMO_COLUMNS: dict[str, Callable[[str], object]] = {
    "work_title": values.text,
    "iswc": values.iswc,
    "sender_work_id": values.work_number,
    "submitter_work_id": values.work_number,
    "isrcs": values.isrc_list,
    "ip_name": values.text,
    "ip_ipi_name_number": values.ipi_name_number,
    "ip_ipi_base_number": values.ipi_base_number,
    "ip_role": values.role,
    "share": values.share,
    "territory": values.tis_territory,
    "use_type": values.use_type,
    "use_period_start": values.optional_date,
    "use_period_end": values.optional_date,
}
# Then the columns read on every line, in that order too (the typed deductions follow).
EVERY_LINE_COLUMNS = ("line_number", "gross_amount", "deductions", "net_amount")
MEMO_SIZE = 65_536  # distinct texts kept per column; a full memo starts again


class _Memo(dict[str, T]):
    """Values parsed from text, each distinct text parsed once; bounded.

    ``memo[text]`` parses a text not seen yet; a bad one raises :class:`values.BadValue` and
    is not kept. The parsers are pure (the text alone decides), so a kept value is the one
    parsing the text again would give.
    """

    __slots__ = ("_parse",)

    def __init__(self, parse: Callable[[str], T]) -> None:
        super().__init__()
        self._parse = parse

    def __missing__(self, text: str) -> T:
        value = self._parse(text)
        if len(self) >= MEMO_SIZE:
            self.clear()
        self[text] = value
        return value


def _slot_maker(cls: type[T], names: tuple[str, ...]) -> Callable[..., T]:
    """Build ``cls`` from positional values for ``names`` (defaults for its other fields).

    A frozen dataclass's ``__init__`` parses keywords and calls ``object.__setattr__`` once per
    field: for a statement line that is more than half the cost of reading it. This sets the
    slots directly and makes an equal object (nothing is checked in ``__init__``).
    """
    fields_ = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = [name for name in names if name not in fields_]
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(unknown)}")
    namespace: dict[str, object] = {"_new": object.__new__, "_cls": cls}
    body = [f"def make({', '.join(names)}):", "    o = _new(_cls)"]
    for index, (name, field) in enumerate(fields_.items()):
        namespace[f"_set{index}"] = vars(cls)[name].__set__
        if name in names:
            body.append(f"    _set{index}(o, {name})")
        elif field.default is not dataclasses.MISSING:
            namespace[f"_default{index}"] = field.default
            body.append(f"    _set{index}(o, _default{index})")
        else:
            raise TypeError(f"{cls.__name__}.{name} has no default; it must be given")
    body.append("    return o")
    exec("\n".join(body), namespace)  # noqa: S102 - source built from the class's own fields
    return cast("Callable[..., T]", namespace["make"])


_make_line = _slot_maker(
    StatementLine,
    ("work_title", "iswc", "sender_work_id", "submitter_work_id", "isrcs", "ip_name",
     "ip_ipi_name_number", "ip_ipi_base_number", "ip_role", "share", "territory", "use_type",
     "period_start", "period_end", "line_number", "gross", "deductions", "net",
     "deduction_items", "currency", "source_line"),
)  # fmt: skip


class _LineBuilder:
    """The statement line of a row whose values are all good, read the quick way.

    Each recurring column goes through its memo; the line number and the amounts, when all
    are written plainly (``12.34`` at the currency's scale), are checked by one pattern and
    read straight into numbers, else through their parsers; the line is built with one call.
    At the first bad value it gives up (None): the caller then reads the row with
    :func:`_line`, which reports every problem. So a line built here is the one :func:`_line`
    would build, and only good rows take this path.
    """

    def __init__(self, columns: dict[str, int], currency: str) -> None:
        names = (*MEMO_COLUMNS, *EVERY_LINE_COLUMNS)
        typed = [
            (kind, columns[name]) for name, kind in DEDUCTION_COLUMNS.items() if name in columns
        ]
        # An absent optional column reads as the empty cell appended to the row (index -1).
        self._cells = itemgetter(*(columns.get(n, -1) for n in names), *(i for _, i in typed))
        # Values of several types, unpacked by position in line(): typed there by the parsers.
        self._memos: tuple[_Memo[Any], ...] = tuple(_Memo(p) for p in MEMO_COLUMNS.values())
        self._typed = tuple(kind for kind, _ in typed)
        self._money = partial(values.amount, currency_code=currency)
        self._zero = values.amount("0", currency)
        self._currency = currency
        # The line number, gross, deductions, net and typed deductions joined by "|" (which
        # none of them holds): a plain number or empty, then plain amounts, empty where the
        # column may be.
        amount = values.plain_amount_pattern(currency)
        self._plain = None if amount is None else re.compile(
            rf"(?:[0-9]{{1,18}})?\|{amount}\|(?:{amount})?\|{amount}"
            + rf"\|(?:{amount})?" * len(typed)
        ).fullmatch  # fmt: skip

    def line(self, row: list[str], source_line: int, ordinal: int) -> StatementLine | None:
        """The row's line, or None when a value is bad (read it with :func:`_line` then)."""
        row.append("")
        cells = self._cells(row)
        row.pop()
        try:
            (title, iswc, sender_id, submitter_id, isrcs, name, ipi, ipi_base, role, share,
             territory, use_type, start, end) = map(getitem, self._memos, cells)  # fmt: skip
        except values.BadValue:
            return None
        numbers = cells[14:]  # line number, gross, deductions, net, typed deductions
        if self._plain is not None and self._plain("|".join(numbers)):
            number, gross, deductions, net = numbers[:4]
            number = int(number) if number else ordinal
            if not number:
                return None  # line 0
            gross, net = Decimal(gross), Decimal(net)
            deductions = Decimal(deductions) if deductions else None
            typed = zip(self._typed, numbers[4:], strict=True)
            items = tuple((kind, Decimal(text)) for kind, text in typed if text)
        else:
            try:
                number, gross, deductions, net, items = self._numbers(numbers, ordinal)
            except values.BadValue:
                return None
        if (start is None) != (end is None) or (start is not None and end < start):
            return None
        total = self._zero
        for _, found in items:
            total += found
        if deductions is None:
            deductions = total
        elif items and deductions != total:
            return None
        return _make_line(
            title, iswc, sender_id, submitter_id, isrcs, name, ipi, ipi_base, role, share,
            territory, use_type, start, end, number, gross, deductions, net, items,
            self._currency, source_line,
        )  # fmt: skip

    def _numbers(
        self, texts: tuple[str, ...], ordinal: int
    ) -> tuple[int, Decimal, Decimal | None, Decimal, tuple[tuple[str, Decimal], ...]]:
        """Line number, gross, deductions (None when empty), net, typed deductions; or BadValue."""
        number, gross, deductions, net, *typed = texts
        money = self._money
        return (
            values.line_number(number) if number.strip() else ordinal,
            money(gross),
            money(deductions) if deductions.strip() else None,
            money(net),
            tuple(
                (kind, money(text)) for kind, text in zip(self._typed, typed, strict=True)
                if text.strip()
            ),
        )  # fmt: skip


def _line(cells: _Cells, currency: str, ordinal: int) -> StatementLine | None:
    """The statement line of a row, or None when a value is bad (``cells.problems`` says which)."""

    def money(text: str) -> Decimal:
        return values.amount(text, currency)

    number = cells.get("line_number", lambda t: values.line_number(t) if t.strip() else ordinal)
    fields = {
        "work_title": cells.get("work_title", values.text),
        "iswc": cells.get("iswc", values.iswc),
        "sender_work_id": cells.get("sender_work_id", values.work_number),
        "submitter_work_id": cells.get("submitter_work_id", values.work_number),
        "isrcs": cells.get("isrcs", values.isrc_list),
        "ip_name": cells.get("ip_name", values.text),
        "ip_ipi_name_number": cells.get("ip_ipi_name_number", values.ipi_name_number),
        "ip_ipi_base_number": cells.get("ip_ipi_base_number", values.ipi_base_number),
        "ip_role": cells.get("ip_role", values.role),
        "share": cells.get("share", values.share),
        "territory": cells.get("territory", values.tis_territory),
        "use_type": cells.get("use_type", values.use_type),
        "period_start": cells.get("use_period_start", values.optional_date),
        "period_end": cells.get("use_period_end", values.optional_date),
        "gross": cells.get("gross_amount", money),
        "net": cells.get("net_amount", money),
    }
    deductions = cells.get("deductions", lambda t: values.optional_amount(t, currency))
    items = tuple(
        (kind, found)
        for column, kind in DEDUCTION_COLUMNS.items()
        if cells.raw(column).strip() and (found := cells.get(column, money)) is not None
    )
    if cells.problems:
        return None
    _check_use_period(cells, fields)
    total = sum((amount for _, amount in items), money("0"))
    if deductions is None:
        deductions = total
    elif items and deductions != total:
        cells.problem("deductions", f"is not the sum of the typed deduction columns ({total})")
    if cells.problems:
        return None
    return StatementLine(
        line_number=number,  # type: ignore[arg-type]
        deductions=deductions,
        deduction_items=items,
        currency=currency,
        source_line=cells.line,
        **fields,  # type: ignore[arg-type]
    )


def _check_use_period(cells: _Cells, fields: Mapping[str, object]) -> None:
    start, end = fields["period_start"], fields["period_end"]
    if (start is None) != (end is None):
        cells.problem("use_period_end" if end is None else "use_period_start",
                      "is required when the other end of the line's period is given")  # fmt: skip
    elif start is not None and end < start:  # type: ignore[operator]
        cells.problem("use_period_end", "is before use_period_start")


def write_statement_csv(
    header: StatementHeader, lines: Iterable[StatementLine], out: TextIO
) -> int:
    """Write a statement as CSV with every column (``out`` opened with ``newline=""``).

    Returns the number of lines written. Typed deductions go to their own columns, so the
    file reads back to the same lines.
    """
    writer = csv.writer(out)
    names = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    writer.writerow(names)
    facts = {
        "distribution_id": header.distribution_id,
        "sender_society": header.sender_society,
        "recipient_society": header.recipient_society,
        "period_start": header.period_start.isoformat(),
        "period_end": header.period_end.isoformat(),
        "right_type": header.right_type,
        "currency": header.currency,
        "message_id": header.message_id,
        "paying_society": header.paying_society,
        "source_society": header.source_society,
    }
    written = 0
    for line in lines:
        cells = facts | _line_cells(line)
        writer.writerow([cells.get(name, "") for name in names])
        written += 1
    return written


def _line_cells(line: StatementLine) -> dict[str, str]:
    cells = {
        "line_number": str(line.line_number),
        "territory": line.territory,
        "work_title": line.work_title,
        "iswc": line.iswc,
        "sender_work_id": line.sender_work_id,
        "submitter_work_id": line.submitter_work_id,
        "isrcs": ";".join(line.isrcs),
        "ip_name": line.ip_name,
        "ip_ipi_name_number": line.ip_ipi_name_number,
        "ip_ipi_base_number": line.ip_ipi_base_number,
        "ip_role": line.ip_role,
        "share": values.percent(line.share),
        "use_type": line.use_type,
        "use_period_start": line.period_start.isoformat() if line.period_start else "",
        "use_period_end": line.period_end.isoformat() if line.period_end else "",
        "gross_amount": str(line.gross),
        "deductions": str(line.deductions),
        "net_amount": str(line.net),
    }
    by_kind = dict(line.deduction_items)
    for column, kind in DEDUCTION_COLUMNS.items():
        cells[column] = str(by_kind[kind]) if kind in by_kind else ""
    return cells
