"""The quick path of reconciling a CSV statement: plain good rows taken as text, no line objects.

A CSV row states whom it pays (title, identifiers, party), what use (share, territory, use
type, period) and its amounts. Statements repeat the first two from row to row, so each
distinct text of them is read, matched and looked up once (:class:`_Who` and :class:`_Where`
of ``gateway.reconcile.engine``, the same interned values the engine's general path works
with); a row then costs its amounts (read as integers of minor units when written plainly),
its payment key (the duplicate check) and its group's sums.

Only the plain case is taken: a matched work, a party of it, the registered share paid, amounts
at the currency's scale, a payment key not seen before. Anything else (a bad value, an
unmatched line, another share, a zero share, a duplicate, a negative zero) is left to the
reader, which builds the line for the engine's general path. So findings are always made by
the general path, and both paths agree on every line (a property test checks it).

CSV statements declare no totals, so the quick path does not feed the totals adder (which
only the check of declared totals reads).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from gateway.formats import statement_values as values
from gateway.formats.csv.statement import DEDUCTION_COLUMNS, QuickRows, RowTaker
from gateway.model import StatementHeader
from gateway.reconcile.engine import (
    _AMOUNT_BIAS,
    _NET,
    _PARTIES,
    _SHARE,
    _WHERE_BITS,
    _Run,
    _Where,
    _Who,
)

if TYPE_CHECKING:
    from gateway.reconcile.engine import Reconciler

_T = TypeVar("_T")

# Whom a row pays: the columns and their parsers, in the order Reconciler.who takes them.
_WHO_COLUMNS: tuple[tuple[str, Callable[[str], object]], ...] = (
    ("iswc", values.iswc),
    ("sender_work_id", values.work_number),
    ("submitter_work_id", values.work_number),
    ("work_title", values.text),
    ("ip_ipi_name_number", values.ipi_name_number),
    ("ip_name", values.text),
    ("ip_role", values.role),
)
# Checked, not used: a bad value in them makes the row the reader's.
_CHECKED_COLUMNS = (("isrcs", values.isrc_list), ("ip_ipi_base_number", values.ipi_base_number))
# Whom a row pays is a work and a party of it: each part's text is read on its own, once per
# distinct text (a work's text recurs on its every party's rows, a party's on its every work's).
_WORK_COLUMNS = frozenset(("iswc", "sender_work_id", "submitter_work_id", "work_title", "isrcs"))
_WHERE_COLUMNS: tuple[tuple[str, Callable[[str], object]], ...] = (
    ("share", values.share),
    ("territory", values.tis_territory),
    ("use_type", values.use_type),
    ("use_period_start", values.optional_date),
    ("use_period_end", values.optional_date),
)
# Distinct row texts kept (a cache: a text met again after a clear is read again). The
# interned values themselves stay in the engine; this bounds the text kept beside them.
_TEXTS_KEPT = 65_536
_TYPED_COLUMNS = tuple(DEDUCTION_COLUMNS)  # the typed deductions' columns


def quick_rows(reconciler: Reconciler) -> QuickRows:
    """The ``quick`` argument of ``read_statement_csv`` for a statement fed to ``reconciler``."""

    def start(header: StatementHeader, columns: Mapping[str, int]) -> RowTaker | None:
        run = reconciler.statement_run(header)
        amount = values.plain_amount_pattern(header.currency)
        if run is None or amount is None:
            return None
        return _QuickRows(reconciler, run, columns, amount).take

    return start


def _getter(indexes: list[int]) -> Callable[[Sequence[str]], tuple[str, ...]]:
    """The cells at ``indexes`` as a tuple (one index: still a tuple)."""
    if len(indexes) == 1:
        at = indexes[0]
        return lambda row: (row[at],)
    return itemgetter(*indexes)


class _QuickRows:
    """Takes the plain rows of one statement (see the module docstring)."""

    def __init__(
        self, reconciler: Reconciler, run: _Run, columns: Mapping[str, int], amount: str
    ) -> None:
        self._reconciler = reconciler
        self._run = run
        self._matcher = reconciler.matcher_for(run.header)
        # Absent optional columns read as empty on every row: left out of the texts compared.
        self._who_names = [n for n, _ in (*_WHO_COLUMNS, *_CHECKED_COLUMNS) if n in columns]
        self._who_of = _getter([columns[n] for n in self._who_names])
        self._where_names = [n for n, _ in _WHERE_COLUMNS if n in columns]
        self._where_of = _getter([columns[n] for n in self._where_names])
        parsers = dict((*_WHO_COLUMNS, *_CHECKED_COLUMNS, *_WHERE_COLUMNS))
        work_at = [at for at, n in enumerate(self._who_names) if n in _WORK_COLUMNS]
        party_at = [at for at, n in enumerate(self._who_names) if n not in _WORK_COLUMNS]
        self._work_part, self._party_part = _getter(work_at), _getter(party_at)
        self._work_memos = tuple(_Memo(parsers[self._who_names[at]]) for at in work_at)
        self._party_memos = tuple(_Memo(parsers[self._who_names[at]]) for at in party_at)
        # A work's text: its first four values (iswc, the two work ids, title) and its match by
        # identifier (None: fuzzy, which the name decides too); a party's: ipi, name, role.
        self._works: dict[tuple[str, ...], tuple[Any, ...] | None] = {}
        self._parties: dict[tuple[str, ...], list[Any] | None] = {}
        self._where_memos = tuple(_Memo(parsers[n]) for n in self._where_names)
        self._whos: dict[tuple[str, ...], _Who | None] = {}  # None: leave such rows
        self._wheres: dict[tuple[str, ...], _Where | None] = {}
        self._numbered = "line_number" in columns
        typed = [n for n in _TYPED_COLUMNS if n in columns]
        self._typed = len(typed)
        names = ["line_number"] if self._numbered else []
        names += ["gross_amount", "deductions", "net_amount", *typed]
        self._numbers_of = _getter([columns[n] for n in names])
        pattern = ["[0-9]{1,18}"] if self._numbered else []  # line 0 is left to the reader
        pattern += [amount, f"(?:{amount})?", amount, *[f"(?:{amount})?"] * len(typed)]
        self._plain = re.compile(r"\|".join(pattern)).fullmatch

    def take(self, row: list[str], start: int, ordinal: int) -> bool:  # noqa: PLR0911 - one row, inline for speed
        """Reconcile the row here when it is plain (True); else leave it to the reader."""
        del start  # findings, which need the source line, are the general path's
        text = self._who_of(row)
        who = self._whos.get(text)
        if who is None and (text in self._whos or (who := self._learn_who(text)) is None):
            return False
        text = self._where_of(row)
        where = self._wheres.get(text)
        if where is None and (text in self._wheres or (where := self._learn_where(text)) is None):
            return False
        numbers = self._numbers_of(row)
        if not self._plain("|".join(numbers)):
            return False
        if self._numbered:
            number = int(numbers[0])
            if not number:
                return False
            gross_text, deductions_text, net_text = numbers[1:4]
            typed = numbers[4:]
        else:
            number = ordinal
            gross_text, deductions_text, net_text = numbers[:3]
            typed = numbers[3:]
        gross = int(gross_text.replace(".", ""))
        net = int(net_text.replace(".", ""))
        if (not gross and gross_text[0] == "-") or (not net and net_text[0] == "-"):
            return False  # a negative zero: a text of its own in the duplicate check
        if deductions_text:
            deductions = int(deductions_text.replace(".", ""))
            if not deductions and deductions_text[0] == "-":
                return False
        else:
            deductions = 0
        if self._typed and any(typed):
            total = 0
            for typed_text in typed:  # a loop: a generator's frame costs more than its sum
                if typed_text:
                    total += int(typed_text.replace(".", ""))
            if not deductions_text:
                deductions = total
            elif deductions != total:
                return False  # the reader says which column is wrong
        run = self._run
        # The payment key (engine.payment_key), computed here: a call per row costs.
        key = (
            ((((who.id << _WHERE_BITS | where.id) << 64 | gross + _AMOUNT_BIAS) << 64)
             | deductions + _AMOUNT_BIAS) << 64
        ) | net + _AMOUNT_BIAS  # fmt: skip
        seen = run.seen
        if key in seen:
            return False  # a duplicate: the general path keeps its copies
        work: int = who.match.work  # type: ignore[assignment] # only matched ones are kept
        share = who.shares.get(where.place)
        if share is None:
            share = self._reconciler.registered_share(run, work, who, where)
        if share != where.share:
            return False
        seen[key] = number
        run.methods[who.match.method] += 1
        run.lines += 1
        run.matched_lines += 1
        run.paid += net
        run.matched += net
        run.expected += net
        group_key = (work, where.group)
        group = run.groups.get(group_key)
        if group is None:
            run.groups[group_key] = [net, share, who.bit, None]
        else:
            group[_NET] += net
            group[_SHARE] += share
            group[_PARTIES] |= who.bit
        return True

    def _learn_who(self, text: tuple[str, ...]) -> _Who | None:
        """The party a row pays, from its text; None when the row must go to the reader."""
        found = None
        work = self._works.get(work_text := self._work_part(text))
        if work is None and work_text not in self._works:
            work = self._learn_work(work_text)
        party = self._parties.get(party_text := self._party_part(text))
        if party is None and party_text not in self._parties:
            party = _remembered(
                self._parties, party_text, self._parse(party_text, self._party_memos)
            )
        if work is not None and party is not None:
            iswc, sender_id, submitter_id, title, match = work
            ipi, name, role = party[:3]  # the required ones
            if match is None:
                match = self._matcher.match_values(iswc, sender_id, submitter_id, title, name)
            who = self._reconciler.who(
                self._run, match, iswc, sender_id, submitter_id, title, ipi, name, role
            )
            found = who if who.party is not None else None
        return _remembered(self._whos, text, found)

    def _learn_work(self, text: tuple[str, ...]) -> tuple[Any, ...] | None:
        """A work's text read (see ``_works``); None when one of its values is bad."""
        parsed = self._parse(text, self._work_memos)
        work = None
        if parsed is not None:
            iswc, sender_id, submitter_id, title = parsed[:4]  # the required ones
            match = self._matcher.by_identifiers(iswc, sender_id, submitter_id)
            work = (iswc, sender_id, submitter_id, title, match)
        return _remembered(self._works, text, work)

    def _learn_where(self, text: tuple[str, ...]) -> _Where | None:
        """The use a row pays, from its text; None when the row must go to the reader."""
        parsed = self._parse(text, self._where_memos)
        found = None
        if parsed is not None:
            share, territory, use_type, *period = parsed
            start, end = period or (None, None)
            if (start is None) == (end is None) and (start is None or start <= end):
                where = self._reconciler.where(self._run, share, territory, use_type, start, end)
                found = where if share and where.id >> _WHERE_BITS == 0 else None
        return _remembered(self._wheres, text, found)

    @staticmethod
    def _parse(text: tuple[str, ...], memos: tuple[_Memo, ...]) -> list[Any] | None:
        """The values of the cells, each read by its column's memo; None when one is bad."""
        parsed = []
        for memo, cell in zip(memos, text, strict=True):
            value = memo[cell]
            if value is _BAD:
                return None
            parsed.append(value)
        return parsed


def _remembered(texts: dict[tuple[str, ...], _T], text: tuple[str, ...], value: _T) -> _T:
    """``value`` kept as what ``text`` reads as (a bounded cache: full, it starts again)."""
    if len(texts) >= _TEXTS_KEPT:
        texts.clear()
    texts[text] = value
    return value


class _Bad:
    """The value of a text its parser refused."""


_BAD = _Bad()
_MEMO_SIZE = 65_536  # distinct texts kept per column; a full memo starts again


class _Memo(dict[str, Any]):
    """Each distinct text of a column parsed once (pure parsers); a bad one reads as _BAD."""

    __slots__ = ("_parse",)

    def __init__(self, parse: Callable[[str], object]) -> None:
        super().__init__()
        self._parse = parse

    def __missing__(self, text: str) -> object:
        try:
            value = self._parse(text)
        except values.BadValue:
            value = _BAD
        if len(self) >= _MEMO_SIZE:
            self.clear()
        self[text] = value
        return value
