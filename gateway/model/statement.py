"""Distribution statements: what one society pays another, line by line, and what went wrong.

A statement is a header (who pays whom, for which right, period and currency), its lines (one
interested party's share of one work, for one use in one territory) and, where the format
carries them, its totals. Amounts are exact ``Decimal`` values in the statement's currency,
quantized to its ISO 4217 minor units by the readers; shares are hundredths of a percent.
Readers report each bad value as a :class:`StatementIssue` and refuse what they cannot read at
all with :class:`StatementRefused`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from gateway.model.base import Share

# The typed deductions of the distribution XML (schemas/distribution.xsd), in schema order.
DEDUCTION_TYPES = (
    "AdministrationFee",
    "SocialCultural",
    "WithholdingTax",
    "OtherTax",
    "BankCharge",
    "Other",
)

# One typed deduction: (DEDUCTION_TYPES member, amount with the gross's sign).
Deduction = tuple[str, Decimal]
# The description of a typed deduction, by its type (XML's Description attribute).
DeductionNote = tuple[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementHeader:
    """Who pays whom, for which right, over which period, in which currency."""

    distribution_id: str
    sender_society: str  # 3-digit CISAC code of the society sending (normally paying)
    recipient_society: str  # the society paid
    period_start: date
    period_end: date
    right_type: str  # PER, MEC or SYN
    currency: str  # ISO 4217 alphabetic code of every amount
    message_id: str = ""
    created: datetime | None = None
    format_version: str = ""
    paying_society: str = ""  # when not the sender (a hub sending for a society)
    source_society: str = ""  # who collected the income, when not the paying society
    source_file: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementLine:
    """What one interested party's share of one work earned for one use in one territory."""

    line_number: int
    work_title: str
    iswc: str = ""
    sender_work_id: str = ""  # the paying society's work number
    submitter_work_id: str = ""  # the registrant's work number, as registered
    isrcs: tuple[str, ...] = ()
    ip_name: str
    ip_ipi_name_number: str = ""
    ip_ipi_base_number: str = ""
    ip_role: str  # a writer designation (CA, C, A ...) or publisher type (E, AM ...)
    share: Share  # hundredths of a percent: 5000 = 50.00 %
    territory: str  # 4-digit TIS code where the use took place
    use_type: str
    period_start: date | None = None  # the line's own period, when it differs from the header's
    period_end: date | None = None
    gross: Decimal
    deductions: Decimal  # the total deducted
    deduction_items: tuple[Deduction, ...] = ()  # the same total by type, when the format types it
    deduction_notes: tuple[DeductionNote, ...] = ()  # what a typed deduction is, where said
    net: Decimal
    currency: str
    source_line: int | None = field(default=None, compare=False)  # where it was read


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementTotals:
    """The sums a statement declares over its lines (checked against them by reconciliation)."""

    line_count: int
    gross: Decimal
    deductions: Decimal
    net: Decimal
    deduction_items: tuple[Deduction, ...] = ()
    deduction_notes: tuple[DeductionNote, ...] = ()
    source_line: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementIssue:
    """One bad value or structure in a statement, located as precisely as the format allows.

    ``line`` is the 1-based line in the file; ``column`` the 1-based CSV column (None in XML);
    ``field`` the CSV column name or the XML element path (``Line/InterestedParty/Share``).
    """

    line: int | None
    column: int | None
    field: str
    value: str
    message: str

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.field:
            where.append(self.field)
        shown = f" {self.value[:80]!r}" if self.value else ""
        return f"{', '.join(where) or 'statement'}:{shown} {self.message}"


class StatementRefused(ValueError):  # noqa: N818 - a refusal of the input, not a program error
    """A statement that cannot be read at all (no header row, not UTF-8 XML, a DTD ...)."""

    def __init__(self, code: str, issue: StatementIssue) -> None:
        super().__init__(str(issue))
        self.code = code
        self.issue = issue


def sum_totals(lines: Iterable[StatementLine]) -> StatementTotals:
    """The totals of ``lines`` as a statement would declare them (typed deductions per type)."""
    adder = TotalsAdder()
    for line in lines:
        adder.add(line)
    return adder.totals()


class TotalsAdder:
    """Sums lines one at a time, so a writer can stream lines and still declare their totals."""

    def __init__(self) -> None:
        self._count = 0
        self._gross = Decimal(0)
        self._deductions = Decimal(0)
        self._net = Decimal(0)
        self._by_type: dict[str, Decimal] = {}

    def add(self, line: StatementLine) -> None:
        """Count one line in."""
        self._count += 1
        self._gross += line.gross
        self._deductions += line.deductions
        self._net += line.net
        for kind, amount in typed_deductions(line):
            self._by_type[kind] = self._by_type.get(kind, Decimal(0)) + amount

    def totals(self) -> StatementTotals:
        """The totals of every line added so far."""
        items = tuple((k, self._by_type[k]) for k in DEDUCTION_TYPES if k in self._by_type)
        return StatementTotals(
            line_count=self._count,
            gross=self._gross,
            deductions=self._deductions,
            net=self._net,
            deduction_items=items,
        )


def typed_deductions(line: StatementLine) -> tuple[Deduction, ...]:
    """A line's deductions by type; an untyped non-zero total counts as ``Other``."""
    if line.deduction_items:
        return line.deduction_items
    return (("Other", line.deductions),) if line.deductions else ()
