"""Field decoding: a record's text to typed model values, checking every field once.

One pass per record does what the layout tables say of each field: slice it, convert it by
its kind, and check its format, presence and code table. What fails is reported with the
field's name and position and replaced by its default, as CISAC's FR rejection prescribes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import TYPE_CHECKING, Any

from gateway import codes
from gateway.formats.cwr.edits import FIELD_EDITS, NON_ROMAN_RECORDS

if TYPE_CHECKING:
    from gateway.formats.edi.layout import Layout

_DATES: dict[str, date | None] = {}
_TIMES: dict[str, time | None] = {}
_NO_CHECK: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A field that failed a check, before it is placed in a report."""

    edit: str
    field: str
    column: int
    width: int
    value: str
    text: str


def _parse_date(raw: str) -> date | None:
    """YYYYMMDD to a date; raises ValueError when it is not a calendar date."""
    if raw in _DATES:
        return _DATES[raw]
    if not (raw.isascii() and raw.isdigit() and len(raw) == 8):
        raise ValueError(raw)
    value = None if raw == "00000000" else date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    if len(_DATES) < 100_000:  # real files repeat a few thousand dates; bound the memo
        _DATES[raw] = value
    return value


def _parse_time(raw: str) -> time | None:
    """HHMMSS to a time of day; raises ValueError when it is not one."""
    if raw in _TIMES:
        return _TIMES[raw]
    if not (raw.isascii() and raw.isdigit() and len(raw) == 6):
        raise ValueError(raw)
    value = time(int(raw[:2]), int(raw[2:4]), int(raw[4:]))
    if len(_TIMES) < 100_000:
        _TIMES[raw] = value
    return value


def _allowed(lookup: str) -> frozenset[str]:
    if not lookup:
        return _NO_CHECK
    if lookup.startswith("="):
        return frozenset(lookup[1:].split("|"))
    try:
        return codes.lookup(lookup)
    except KeyError:  # a table the code lists do not ship: the field is not checked
        return _NO_CHECK


_FLAG = frozenset("YNU")
_BOOLEAN = frozenset("YN")


@dataclass(frozen=True, slots=True)
class _Plan:
    name: str
    offset: int
    end: int
    kind: str
    fmt: str
    mandatory: bool
    allowed: frozenset[str]


class RecordDecoder:
    """Decodes one record type of one version; built once per layout."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.length = layout.length
        # Non-Roman records carry scripts with no case; every other text must be upper case.
        self._cased = layout.record_type not in NON_ROMAN_RECORDS
        self._plans = tuple(
            _Plan(
                f.name,
                f.offset,
                f.end,
                f.kind,
                f.fmt,
                f.required == "M",
                _FLAG
                if f.fmt == "F" and not f.lookup
                else _BOOLEAN
                if f.fmt == "B" and not f.lookup
                else _allowed(f.lookup),
            )
            for f in layout.model_fields
        )

    def decode(self, line: str) -> tuple[dict[str, Any], list[FieldProblem]]:
        """The record's model values and the problems found on the way."""
        if len(line) < self.length:
            line = line.ljust(self.length)
        values: dict[str, Any] = {}
        problems: list[FieldProblem] = []
        for plan in self._plans:
            raw = line[plan.offset : plan.end]
            kind = plan.kind
            value: Any
            if kind == "str":
                value = raw.rstrip()
                if value:
                    if plan.allowed and value not in plan.allowed:
                        problems.append(self._problem(plan, "lookup", raw))
                    elif plan.fmt == "N" and not (value.isascii() and value.isdigit()):
                        problems.append(self._problem(plan, "numeric", raw))
                    elif self._cased and not value.isupper() and value.lower() != value.upper():
                        problems.append(self._problem(plan, "case", raw))
                elif plan.mandatory:
                    problems.append(self._problem(plan, "mandatory", raw))
            elif kind in ("int", "share"):
                if raw.isascii() and raw.isdigit():
                    value = int(raw)
                else:
                    value = None
                    if raw.strip():
                        problems.append(self._problem(plan, "numeric", raw))
                    elif plan.mandatory:
                        problems.append(self._problem(plan, "mandatory", raw))
            elif kind == "date":
                try:
                    value = _parse_date(raw) if raw.strip() else None
                except ValueError:
                    value = None
                    problems.append(self._problem(plan, "date", raw))
                else:
                    if value is None and plan.mandatory:
                        problems.append(self._problem(plan, "mandatory", raw))
            elif kind == "time":
                try:
                    value = _parse_time(raw) if raw.strip() else None
                except ValueError:
                    value = None
                    problems.append(self._problem(plan, "time", raw))
                else:
                    if value is None and plan.mandatory:
                        problems.append(self._problem(plan, "mandatory", raw))
            else:  # pragma: no cover - the layout loader admits no other kind
                raise AssertionError(kind)
            values[plan.name] = value
        return values, problems

    def _problem(self, plan: _Plan, check: str, raw: str) -> FieldProblem:
        edit, text = FIELD_EDITS[check]
        label = plan.name.replace("_", " ")
        return FieldProblem(
            edit, plan.name, plan.offset + 1, plan.end - plan.offset, raw, f"{label}: {text}"
        )
