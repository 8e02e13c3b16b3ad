"""Field decoding: a record's text to typed model values, checking every field once.

One pass per record does what the layout tables say of each field: slice it, convert it by
its kind, and check its format, presence and code table. What fails is reported with the
field's name and position and replaced by its default, as CISAC's FR rejection prescribes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


ENVELOPE_RECORDS = frozenset({"HDR", "GRH", "GRT", "TRL"})
_MEMO_SIZE = 4096  # records' texts a decoder remembers (then it starts again)
_WORTH = 8  # remembered: texts found at least once a _WORTH; else not for _WORTH memos' time
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
    """Decodes one record type of one version; built once per layout (see :func:`decoder_for`)."""

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
        self._decode = self._compile()
        # The values depend on the fields' text alone, not on the prefix before them (the
        # record's sequence numbers): a catalogue repeats records (a territory's shares, a
        # writer) from work to work, each then decoded once.
        self._start = min((plan.offset for plan in self._plans), default=0)
        self._memo: dict[str, tuple[dict[str, Any], tuple[FieldProblem, ...]]] = {}
        self._found = 0  # texts found in the memo since it was last emptied
        self._unremembered = 0  # records left to decode without the memo (it seldom finds)

    def decode(self, line: str) -> tuple[Mapping[str, Any], tuple[FieldProblem, ...]]:
        """The record's model values (``extra``: its text past the layout, if any) and problems.

        A record's values hold its ``record_type`` (but an envelope record's). Shared by
        every caller that decodes the same text: read them, do not change them.
        """
        if self._unremembered:
            self._unremembered -= 1
            return self._decoded(line)
        key = line[self._start :]
        known = self._memo.get(key)
        if known is not None:
            self._found += 1
            return known
        if len(self._memo) >= _MEMO_SIZE:
            # Texts that seldom repeat (a work's own header) are not worth remembering.
            if self._found * _WORTH < len(self._memo):
                self._unremembered = _MEMO_SIZE * _WORTH
            self._memo.clear()
            self._found = 0
        known = self._memo[key] = self._decoded(line)
        return known

    def _decoded(self, line: str) -> tuple[dict[str, Any], tuple[FieldProblem, ...]]:
        values, problems = self._decode(line)
        if len(line) > self.length and (extra := line[self.length :]).strip():
            values["extra"] = extra
        return values, tuple(problems)

    def _compile(self) -> Callable[[str], tuple[dict[str, Any], list[FieldProblem]]]:
        """Generate the decoder: the plans' checks unrolled into straight-line code.

        This is the reader's innermost loop; unrolling the field table once per layout
        (the way namedtuple and dataclasses generate code) costs a few milliseconds and
        saves the per-field interpretation on every record.
        """
        namespace: dict[str, Any] = {
            "_date": _parse_date,
            "_time": _parse_time,
            "_problem": self._problem,
            "_plans": self._plans,
        }
        lines = [
            "def decode(line):",
            f"    if len(line) < {self.length}:",
            f"        line = line.ljust({self.length})",
            "    v = {}"
            if self.layout.record_type in ENVELOPE_RECORDS
            else f"    v = {{'record_type': {self.layout.record_type!r}}}",
            "    p = []",
            # One look at the whole record spares the per-field case checks of clean records.
            "    lower = line != line.upper()",
        ]
        for i, plan in enumerate(self._plans):
            lines.extend(self._field_source(i, plan, namespace))
        lines.append("    return v, p")
        exec("\n".join(lines), namespace)  # noqa: S102 - source generated from the layout table
        decode: Callable[[str], tuple[dict[str, Any], list[FieldProblem]]] = namespace["decode"]
        return decode

    def _field_source(self, i: int, plan: _Plan, namespace: dict[str, Any]) -> list[str]:
        """Straight-line code decoding and checking one field into ``v[name]``."""
        report = "p.append(_problem(_plans[{i}], '{check}', r))"

        def problem(check: str, indent: int) -> str:
            return " " * indent + report.format(i=i, check=check)

        head = [f"    r = line[{plan.offset}:{plan.end}]"]
        store = f"    v[{plan.name!r}] = x"
        if plan.kind == "str":
            checks = []
            if plan.allowed:
                namespace[f"_a{i}"] = plan.allowed
                checks.append((f"x not in _a{i}", "lookup"))
            if plan.fmt == "N":
                checks.append(("not (x.isascii() and x.isdigit())", "numeric"))
            if self._cased:
                checks.append(("lower and not x.isupper() and x.lower() != x.upper()", "case"))
            code = [*head, "    x = r.rstrip()", "    if x:"]
            for n, (condition, check) in enumerate(checks):
                code += [f"        {'if' if n == 0 else 'elif'} {condition}:", problem(check, 12)]
            if not checks:
                code.append("        pass")
            if plan.mandatory:
                code += ["    else:", problem("mandatory", 8)]
            return [*code, store]
        if plan.kind in ("int", "share"):
            code = [
                *head,
                "    if r.isascii() and r.isdigit():",
                "        x = int(r)",
                "    else:",
                "        x = None",
                "        if r.strip():",
                problem("numeric", 12),
            ]
            if plan.mandatory:
                code += ["        else:", problem("mandatory", 12)]
            return [*code, store]
        parse, check = ("_date", "date") if plan.kind == "date" else ("_time", "time")
        code = [
            *head,
            "    try:",
            f"        x = {parse}(r) if r.strip() else None",
            "    except ValueError:",
            "        x = None",
            problem(check, 8),
        ]
        if plan.mandatory:
            code += ["    else:", "        if x is None:", problem("mandatory", 12)]
        return [*code, store]

    def _problem(self, plan: _Plan, check: str, raw: str) -> FieldProblem:
        edit, text = FIELD_EDITS[check]
        label = plan.name.replace("_", " ")
        return FieldProblem(
            edit, plan.name, plan.offset + 1, plan.end - plan.offset, raw, f"{label}: {text}"
        )


_DECODERS: dict[Layout, RecordDecoder] = {}


def decoder_for(layout: Layout) -> RecordDecoder:
    """The decoder of ``layout``, compiled once per process.

    Compiling costs about a millisecond per record type; a service reading many small files
    would otherwise spend most of its time compiling. Decoders hold no per-file state, so one
    serves every reader and thread (a race compiles twice and keeps either: harmless).
    """
    decoder = _DECODERS.get(layout)
    if decoder is None:
        decoder = _DECODERS[layout] = RecordDecoder(layout)
    return decoder
