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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO, TextIO, TypeVar

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


def read_statement_csv(
    stream: TextIO | BinaryIO, *, source: str = "", limits: CsvLimits | None = None
) -> Iterator[StatementItem]:
    """The header (once, before its first line), the lines and the issues of a CSV statement.

    A binary stream must be UTF-8 (a byte-order mark is dropped); a text stream should be opened
    with ``newline=""``. Raises :class:`StatementRefused` when there is no usable header row.
    CSV carries no totals: sum the lines (``gateway.model.sum_totals``) where they are needed.
    """
    limits = limits or CsvLimits()
    lines = SourceLines(stream, limits.max_line_length)
    rows = csv.reader(lines, strict=True)
    columns = _columns(rows, lines)
    reader = _RowReader(columns, source)
    ordinal = 0
    while True:
        start = lines.number + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            yield from lines.take_problems()
            yield StatementIssue(line=start, column=None, field="", value="", message=str(error))
            ordinal += 1
            continue
        problems = lines.take_problems()
        if problems:
            ordinal += 1
            yield from _locate(problems, row, columns)
            continue
        if not any(cell.strip() for cell in row):
            continue  # blank lines carry nothing
        ordinal += 1
        yield from reader.row(row, start, ordinal)


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
        self._raw_facts: list[str] = []

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
        raw_facts = [cells.raw(name) for name in HEADER_COLUMNS]
        if raw_facts != self._raw_facts:  # the same text as the first row's needs no parsing
            facts = {name: cells.get(name, parse) for name, parse in HEADER_COLUMNS.items()}
            if not cells.problems:
                yield from self._check_facts(facts, cells)
                if self._header is not None and not cells.problems and not self._raw_facts:
                    self._raw_facts = raw_facts
        if cells.problems or self._header is None:
            yield from cells.problems
            return
        built = _line(cells, self._header.currency, ordinal)
        yield from cells.problems if built is None else (built,)

    def _check_facts(self, facts: dict[str, object], cells: _Cells) -> Iterator[StatementHeader]:
        if self._facts is None:
            if facts["period_end"] < facts["period_start"]:  # type: ignore[operator]
                cells.problem("period_end", "is before period_start")
                return
            self._facts, self._facts_line = facts, cells.line
            self._header = StatementHeader(**facts, source_file=self._source)  # type: ignore[arg-type]
            yield self._header
            return
        for name, value in facts.items():
            if value != self._facts[name]:
                cells.problem(
                    name,
                    f"differs from {self._facts[name] or '(empty)'!s} on line {self._facts_line}; "
                    "a statement has one value",
                )


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
