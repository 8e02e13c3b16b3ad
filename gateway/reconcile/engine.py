"""Reconciliation: statement lines against registered works, paid against expected, to the cent.

Feed each statement's reader output to a :class:`Reconciler` (it streams: memory grows with
the works paid and the distinct lines, not with the whole line objects), then ask for the
:class:`Reconciliation`. Per line:

* **match** (``gateway.reconcile.match``): a line that matches no work is *in suspense*
  (``unmatched_line``); paid = matched + suspense always holds.
* **party**: the work's party the line pays, by IPI name number or by name. Not found:
  ``unregistered_party`` (nothing expected for it).
* **expected**: the party's registered collection share for the statement's right type, in
  the line's territory, at the start of the line's period. The line's ``net`` is the amount
  for the ``share`` it states, so the distributable amount of the whole work is
  ``net / share`` and we expect ``net * registered / paid share`` (half-even to the minor
  unit). A share paid below the registered one is ``underpaid_share``, above it
  ``overpaid_share``. A line paying 0 % takes the rate of the other lines paying the same work,
  territory, use and period.
* **missing parties**: where a work was paid (a positive net) for a territory, use and period,
  each registered
  party affiliated with the recipient society for that right, with a share there, and no line
  of its own is ``missing_party``, expected at the same rate.
* **duplicates**: a line equal to an earlier one in all but its line number is
  ``duplicate_line``: it counts as paid, nothing more is expected for it.

What a line says of whom it pays and of the use (share, territory, use type, period) is
interned per statement (:meth:`Reconciler.who`, :meth:`Reconciler.where`): the match, the
party and its registered shares are worked out once per distinct set of values, and a line's
duplicate key packs the two interned ids with its amounts into one integer. A CSV statement
read from its file takes its plain rows through ``gateway.reconcile.quick``, which interns the
same values straight from the row's text and leaves every other row (and every finding) to
the path below.

Statement totals (where the format declares them) are compared with the sums of the lines
read, and the remittance with the statements' net (``gateway.reconcile.remittance``).
Amounts are added as whole minor units (exact); each total is converted to the home currency
once, at the rate in force on the remittance date (else the statement's creation date, else
its period end); suspense at home is paid minus matched, so the totals add up there too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from gateway.model import (
    StatementHeader,
    StatementIssue,
    StatementLine,
    StatementTotals,
    TotalsAdder,
)
from gateway.reconcile.fx import Rate, RateTable, convert_at
from gateway.reconcile.match import DEFAULT_THRESHOLD, Match, Matcher, find_party_by
from gateway.reconcile.money import (
    MoneyError,
    currency_units,
    from_minor,
    scale_half_even,
)
from gateway.reconcile.registry import RIGHT_INDEX, WorkRegistry
from gateway.reconcile.remittance import Remittance, check_remittance
from gateway.reconcile.result import (
    Discrepancy,
    ReconcileError,
    Reconciliation,
    StatementResult,
    Totals,
)

MAX_ISSUES_KEPT = 1000  # per statement; the count goes on


@dataclass(frozen=True, slots=True)
class ReconcileOptions:
    """How matching and the remittance check judge."""

    home: str | None = None  # the currency totals are also given in; default: the statements'
    threshold: float = DEFAULT_THRESHOLD
    fx_tolerance: Decimal = Decimal("0.005")  # implied vs published rate: 0.5 %
    remittance_band: Decimal = Decimal("0.05")  # beyond 5 % off, the money itself is wrong


@dataclass(slots=True)
class _Who:
    """What a line says of whom it pays (title, identifiers, party), interned per statement.

    Everything here follows from those values alone, so each distinct set is worked out once:
    the match, the party within the work, its registered shares by (territory, day).
    """

    id: int
    match: Match
    party: int | None  # index of the work's party paid; None: unmatched, or not a party of it
    bit: int  # 1 << party: the party's mark in a group's set of parties paid
    shares: dict[tuple[str, date], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Where:
    """What a line says of the use paid: share, territory, use type, period; interned."""

    id: int
    share: int
    place: tuple[str, date]  # territory and the day its registered share is read on
    group: int  # index of (territory, use type, period) in _Run.group_places


# A group: lines paying one work for one territory, use and period. A list, not an object:
# the quick path touches one per line. [net of lines with a share (minor units), their shares
# summed, the parties paid as a bit set, the zero-share lines with their registered share].
_NET, _SHARE, _PARTIES, _ZERO = 0, 1, 2, 3
_Group = list[Any]  # [int, int, int, list[tuple[StatementLine, int]] | None]
_AMOUNT_BIAS = 1 << 62  # amounts packed into a duplicate key as 64-bit fields: |amount| < 2**62
_WHERE_BITS = 32


@dataclass(slots=True)
class _Run:
    """One statement being reconciled."""

    header: StatementHeader
    units: int
    paid: int = 0
    matched: int = 0
    expected: int = 0
    lines: int = 0
    matched_lines: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    # Duplicates: a line's payment key (see _payment_key) -> its first line number.
    seen: dict[object, int] = field(default_factory=dict)
    copies: dict[object, list[StatementLine]] = field(default_factory=dict)
    whos: dict[str, _Who] = field(default_factory=dict)
    party_shares: dict[tuple[int, int], dict[tuple[str, date], int]] = field(default_factory=dict)
    wheres: dict[tuple[object, ...], _Where] = field(default_factory=dict)
    places: dict[tuple[str, str, date | None, date | None], int] = field(default_factory=dict)
    group_places: list[tuple[str, str, date | None, date | None]] = field(default_factory=list)
    groups: dict[tuple[int, int], _Group] = field(default_factory=dict)  # (work, place) ->
    found: list[Discrepancy] = field(default_factory=list)
    adder: TotalsAdder = field(default_factory=TotalsAdder)
    declared: StatementTotals | None = None
    issues: list[StatementIssue] = field(default_factory=list)
    issue_count: int = 0
    finished: bool = False  # groups, duplicates and declared totals turned into findings


class Reconciler:
    """Reconciles statements against a registry; see the module docstring for the rules."""

    def __init__(
        self,
        registry: WorkRegistry,
        *,
        rates: RateTable | None = None,
        options: ReconcileOptions | None = None,
    ) -> None:
        self.registry = registry
        self.rates = rates or RateTable()
        self.options = options or ReconcileOptions()
        self._runs: list[_Run] = []
        self._matchers: dict[tuple[str, ...], Matcher] = {}
        self._parties: dict[tuple[int, str, str, str], int | None] = {}
        self._shares: dict[tuple[int, int, str, str, date], int] = {}
        self._shares_by_records: dict[tuple[object, ...], int] = {}

    def add_statement(self, items: Iterable[object]) -> None:
        """Reconcile one statement from its reader's output (header, lines, totals, issues)."""
        run: _Run | None = None
        pending: list[StatementIssue] = []
        for item in items:
            if isinstance(item, StatementLine) and run is not None:
                self._line(run, item)
            elif isinstance(item, StatementHeader):
                run = _Run(item, currency_units(item.currency))
                self._runs.append(run)
                for issue in pending:
                    _keep_issue(run, issue)
            elif isinstance(item, StatementIssue):
                if run is None:
                    pending.append(item)
                else:
                    _keep_issue(run, item)
            elif isinstance(item, StatementTotals) and run is not None:
                run.declared = item
        if run is None:
            first = f": {pending[0]}" if pending else ""
            raise ReconcileError(f"the statement has no readable header{first}")

    def statement_run(self, header: StatementHeader) -> _Run | None:
        """The statement being reconciled whose header this is (the last one added), if any."""
        if self._runs and self._runs[-1].header is header:
            return self._runs[-1]
        return None

    def matcher_for(self, header: StatementHeader) -> Matcher:
        """The matcher of the societies a statement names (one per set of societies)."""
        return self._matcher(header)

    def _matcher(self, header: StatementHeader) -> Matcher:
        societies = (header.sender_society, header.paying_society, header.source_society)
        matcher = self._matchers.get(societies)
        if matcher is None:
            matcher = self._matchers[societies] = Matcher(
                self.registry, societies=societies, threshold=self.options.threshold
            )
        return matcher

    def _line(self, run: _Run, line: StatementLine) -> None:
        net = int(line.net.scaleb(run.units))
        run.lines += 1
        run.paid += net
        run.adder.add(line)
        match = self._matcher(run.header).match(line)
        who = self.who(
            run, match, line.iswc, line.sender_work_id, line.submitter_work_id, line.work_title,
            line.ip_ipi_name_number, line.ip_name, line.ip_role,
        )  # fmt: skip
        where = self.where(
            run, line.share, line.territory, line.use_type, line.period_start, line.period_end
        )
        key = _payment_key(who, where, line, run.units)
        first = run.seen.get(key)
        if first is not None:
            run.copies.setdefault(key, []).append(line)
            if match.work is not None:
                run.matched += net
                run.matched_lines += 1
            run.methods[match.method] += 1
            return
        run.seen[key] = line.line_number
        run.methods[match.method] += 1
        if match.work is None:
            run.found.append(self._unmatched(run, line, match, net))
            return
        run.matched += net
        run.matched_lines += 1
        self._expect(run, line, match.work, who, where, net)

    def _expect(  # noqa: PLR0917 - the line and what was worked out of it
        self, run: _Run, line: StatementLine, work: int, who: _Who, where: _Where, net: int
    ) -> None:
        party = who.party
        if party is None:
            run.found.append(self._unregistered(run, line, work, net))
            return
        registered = self.registered_share(run, work, who, where)
        group_key = (work, where.group)
        group = run.groups.get(group_key)
        if group is None:
            group = run.groups[group_key] = [0, 0, 0, None]
        group[_PARTIES] |= who.bit
        if line.share:
            group[_NET] += net
            group[_SHARE] += line.share
        if line.share and line.share == registered:
            run.expected += net
        elif line.share:
            expected = scale_half_even(net, registered, line.share)
            run.expected += expected
            run.found.append(
                self._share_finding(
                    run, line, work, registered=registered, expected=expected, net=net
                )
            )
        else:
            if group[_ZERO] is None:
                group[_ZERO] = []
            group[_ZERO].append((line, registered))

    def who(  # noqa: PLR0917 - the values of a line that say whom it pays
        self, run: _Run, match: Match, iswc: str, sender_id: str, submitter_id: str, title: str,
        ipi: str, name: str, role: str,
    ) -> _Who:  # fmt: skip
        """The interned party paid by a line stating these values (``match`` is their match)."""
        # One string, not a tuple of seven: half a million of them at a million lines. Text
        # values hold no control character (the readers refuse them), so the join is exact.
        key = f"{iswc}\x1f{sender_id}\x1f{submitter_id}\x1f{title}\x1f{ipi}\x1f{name}\x1f{role}"
        found = run.whos.get(key)
        if found is None:
            party = None
            if match.work is not None:
                party = self._party(match.work, ipi, name, role)
            shares: dict[tuple[str, date], int] = {}
            if party is not None:  # one table per party of a work, whichever text names it
                shares = run.party_shares.setdefault((match.work, party), shares)  # type: ignore[arg-type]
            found = run.whos[key] = _Who(
                len(run.whos), match, party, 0 if party is None else 1 << party, shares
            )
        return found

    def where(  # noqa: PLR0917 - the values of a line that say what use it pays
        self, run: _Run, share: int, territory: str, use_type: str, start: date | None,
        end: date | None,
    ) -> _Where:  # fmt: skip
        """The interned use paid by a line stating these values."""
        key = (share, territory, use_type, start, end)
        found = run.wheres.get(key)
        if found is None:
            place = (territory, use_type, start, end)
            group = run.places.get(place)
            if group is None:
                group = run.places[place] = len(run.group_places)
                run.group_places.append(place)
            on = start or run.header.period_start
            found = run.wheres[key] = _Where(len(run.wheres), share, (territory, on), group)
        return found

    def registered_share(self, run: _Run, work: int, who: _Who, where: _Where) -> int:
        """The share registered for the party ``who`` pays, where and when ``where`` says."""
        share = who.shares.get(where.place)
        if share is None:
            assert who.party is not None  # noqa: S101 - callers ask only for a party found
            territory, on = where.place
            share = self._share(work, who.party, run.header.right_type, territory, on)
            who.shares[where.place] = share
        return share

    def _party(self, work: int, ipi: str, name: str, role: str) -> int | None:
        key = (work, ipi, name, role)
        if key not in self._parties:
            self._parties[key] = find_party_by(self.registry.works[work], ipi, name, role)
        return self._parties[key]

    def _share(self, work: int, party: int, right: str, territory: str, on: date) -> int:
        key = (work, party, right, territory, on)
        share = self._shares.get(key)
        if share is None:
            registered = self.registry.works[work].parties[party]
            # The share follows from the party's records alone; parties often have the same.
            records = (registered.territories, registered.ownership, right, territory, on)
            share = self._shares_by_records.get(records)
            if share is None:
                share = registered.collection_share(right, territory, on)
                self._shares_by_records[records] = share
            self._shares[key] = share
        return share

    # -- the result -------------------------------------------------------------------------

    def result(self, remittance: Remittance | None = None) -> Reconciliation:
        """Everything found so far, with the remittance checked when one is given."""
        if not self._runs:
            raise ReconcileError("no statement was given")
        home = self.options.home or self._default_home()
        statements: list[StatementResult] = []
        found: list[Discrepancy] = []
        for run in self._runs:
            if not run.finished:
                self._finish_groups(run)
                self._duplicates(run)
                self._declared_totals(run)
                run.finished = True
            conversion_day = _conversion_day(run.header, remittance)
            rate = self._rate(run.header.currency, home, conversion_day)
            converted = [self._home(d, rate) for d in run.found]
            found.extend(converted)
            totals = self._totals(run)
            statements.append(
                StatementResult(
                    header=run.header,
                    lines=run.lines,
                    matched_lines=run.matched_lines,
                    suspense_lines=run.lines - run.matched_lines,
                    methods=tuple(sorted(run.methods.items())),
                    totals=totals,
                    totals_home=_totals_at(totals, rate),
                    rate=rate if run.header.currency != home else None,
                    declared=run.declared,
                    issues=tuple(run.issues),
                    issue_count=run.issue_count,
                )
            )
        check = None
        if remittance is not None:
            check, remittance_found = check_remittance(
                remittance,
                [(s.header, s.totals.paid) for s in statements],
                self.rates,
                fx_tolerance=self.options.fx_tolerance,
                band=self.options.remittance_band,
            )
            day = remittance.on or max(s.header.period_end for s in statements)
            remittance_rate = self._rate(remittance.amount.currency, home, day)
            found.extend(self._home(d, remittance_rate) for d in remittance_found)
        return Reconciliation(
            home=home,
            statements=tuple(statements),
            discrepancies=tuple(sorted(found, key=Discrepancy.sort_key)),
            totals_home=_sum_totals([s.totals_home for s in statements], home),
            remittance=check,
            registry={
                "works": len(self.registry),
                "society_work_numbers": self.registry.society_numbers(),
                "sources": list(self.registry.sources),
            },
            threshold=self.options.threshold,
        )

    def _default_home(self) -> str:
        currencies = {run.header.currency for run in self._runs}
        if len(currencies) > 1:
            raise ReconcileError(
                f"the statements are in {', '.join(sorted(currencies))}: give the home currency"
            )
        return currencies.pop()

    def _rate(self, currency: str, home: str, on: date) -> Rate | None:
        if currency == home:
            return None
        try:
            return self.rates.rate_on(on, currency, home)
        except MoneyError as error:
            raise ReconcileError(f"cannot convert {currency} to {home}: {error}") from None

    def _home(self, found: Discrepancy, rate: Rate | None) -> Discrepancy:
        if rate is None:
            return found
        converted = convert_at(found.amount, rate)
        return replace(found, amount_home=converted.converted, rate=rate)

    def _totals(self, run: _Run) -> Totals:
        currency = run.header.currency
        return Totals(
            paid=from_minor(run.paid, currency),
            matched=from_minor(run.matched, currency),
            suspense=from_minor(run.paid - run.matched, currency),
            expected=from_minor(run.expected, currency),
        )

    def _finish_groups(self, run: _Run) -> None:
        header = run.header
        right = header.right_type
        ours = RIGHT_INDEX[right]
        members = self._members(ours, header.recipient_society)
        for (work, place), group in run.groups.items():
            zero = group[_ZERO]
            unpaid = members[work] & ~group[_PARTIES]
            if not zero and not unpaid:  # nearly every group: every party due was paid
                continue
            paid = group[_NET]
            for line, registered in zero or ():
                net = int(line.net.scaleb(run.units))
                paid += net
                expected = _at_rate(group, registered, net)
                run.expected += expected
                if expected != net:
                    run.found.append(
                        self._share_finding(
                            run, line, work, registered=registered, expected=expected, net=net
                        )
                    )
            if paid <= 0 or (group[_SHARE] and group[_NET] <= 0):
                # An adjustment or reversal says nothing about who else was due; nor does a
                # rate from lines that net to nothing or less (zero-share lines aside).
                continue
            if not unpaid:
                continue
            territory, use_type, start, end = run.group_places[place]
            on = start or header.period_start
            for index in range(unpaid.bit_length()):
                if not unpaid >> index & 1:
                    continue
                share = self._share(work, index, right, territory, on)
                if share:
                    expected = _at_rate(group, share, 0)  # > 0: the group's net is
                    run.expected += expected
                    run.found.append(
                        self._missing(
                            run, work, (territory, use_type, start, end), index, share, expected,
                            group,
                        )
                    )  # fmt: skip
        run.groups.clear()

    def _members(self, right: int, society: str) -> list[int]:
        """Per work, the parties (a bit set) whose society for the right is ``society``."""
        return self.registry.derived(_members_of, right, society)

    def _duplicates(self, run: _Run) -> None:
        renumber: dict[int, int] = {}  # the copy read first -> the lowest-numbered copy
        for digest, copies in run.copies.items():
            first = run.seen[digest]
            line = copies[0]
            net = int(line.net.scaleb(run.units))
            numbers = tuple(sorted((first, *(copy.line_number for copy in copies))))
            if numbers[0] != first:
                renumber[first] = numbers[0]
            amount = abs(net) * len(copies)
            run.found.append(
                _finding(
                    run,
                    "duplicate_line",
                    "underpaid" if net < 0 else "overpaid",
                    amount,
                    line,
                    f"the line appears {len(numbers)} times (lines {', '.join(map(str, numbers))})"
                    f"; {len(copies)} extra paying {from_minor(abs(net), run.header.currency)}"
                    " each",
                    lines=numbers,
                    evidence=(("copies", str(len(numbers))),),
                )
            )
        run.copies.clear()
        if renumber:  # so the findings do not depend on which copy came first
            run.found = [
                replace(found, lines=(renumber[found.lines[0]],))
                if len(found.lines) == 1 and found.lines[0] in renumber
                else found
                for found in run.found
            ]

    def _declared_totals(self, run: _Run) -> None:
        declared = run.declared
        if declared is None:
            return
        read = run.adder.totals()
        currency = run.header.currency
        pairs = [
            ("net", declared.net, read.net),
            ("gross", declared.gross, read.gross),
            ("deductions", declared.deductions, read.deductions),
        ]
        declared_types = dict(declared.deduction_items)
        read_types = dict(read.deduction_items)
        if declared_types and declared.deductions == read.deductions:  # else said once above
            pairs.extend(
                (f"deductions.{kind}", declared_types.get(kind, Decimal(0)),
                 read_types.get(kind, Decimal(0)))
                for kind in dict.fromkeys([*declared_types, *read_types])
            )  # fmt: skip
        for name, stated, summed in pairs:
            if stated == summed:
                continue
            gap = int((stated - summed).scaleb(run.units))
            run.found.append(
                _finding(
                    run,
                    "statement_total_mismatch",
                    "underpaid" if gap > 0 else "overpaid",
                    abs(gap),
                    None,
                    f"the statement declares {name} {stated} {currency}; its lines read add up "
                    f"to {summed} {currency}",
                    evidence=(("total", name), ("declared", str(stated)), ("lines", str(summed))),
                )
            )
        if declared.line_count != read.line_count:
            run.found.append(
                _finding(
                    run,
                    "statement_total_mismatch",
                    "underpaid" if declared.line_count > read.line_count else "overpaid",
                    0,
                    None,
                    f"the statement declares {declared.line_count} lines; {read.line_count} "
                    "were read",
                    evidence=(
                        ("total", "line_count"),
                        ("declared", str(declared.line_count)),
                        ("lines", str(read.line_count)),
                    ),
                )
            )

    # -- findings ---------------------------------------------------------------------------

    def _unmatched(self, run: _Run, line: StatementLine, match: Match, net: int) -> Discrepancy:
        evidence: list[tuple[str, str]] = [("method", match.method)]
        why = "no registered work has its ISWC or work numbers"
        if match.score is not None and match.candidate is not None:
            candidate = self.registry.works[match.candidate]
            evidence += [
                ("best_candidate", candidate.submitter_work_number),
                ("best_candidate_title", candidate.title),
                ("score", f"{match.score:.2f}"),
                ("threshold", f"{self.options.threshold:.2f}"),
            ]
            why += (
                f"; two works score {match.score:.2f} on title and name"
                if match.method == "ambiguous"
                else f"; the best title and name match scores {match.score:.2f}, below "
                f"{self.options.threshold:.2f}"
            )
        return _finding(run, "unmatched_line", "unallocated", abs(net), line,
                        f"{why}: held in suspense", evidence=tuple(evidence))  # fmt: skip

    def _unregistered(self, run: _Run, line: StatementLine, work: int, net: int) -> Discrepancy:
        registered = self.registry.works[work]
        return _finding(
            run,
            "unregistered_party",
            "unallocated",
            abs(net),
            line,
            f"{line.ip_name} is not a party of work {registered.submitter_work_number} as "
            "registered: nothing was expected for it",
            work=registered.submitter_work_number,
        )

    def _share_finding(
        self, run: _Run, line: StatementLine, work: int, *, registered: int, expected: int, net: int
    ) -> Discrepancy:
        gap = expected - net
        kind = "underpaid_share" if line.share < registered else "overpaid_share"
        currency = run.header.currency
        return _finding(
            run,
            kind,
            "underpaid" if gap > 0 else "overpaid",
            abs(gap),
            line,
            f"paid {_percent(line.share)} % ({from_minor(net, currency)}) where "
            f"{_percent(registered)} % is registered ({from_minor(expected, currency)}) for "
            f"{run.header.right_type} in {line.territory}",
            work=self.registry.works[work].submitter_work_number,
            evidence=(
                ("share_paid", _percent(line.share)),
                ("share_registered", _percent(registered)),
                ("paid", str(from_minor(net, currency).amount)),
                ("expected", str(from_minor(expected, currency).amount)),
            ),
        )

    def _missing(  # noqa: PLR0917 - one finding's facts
        self, run: _Run, work: int, place: tuple[str, str, date | None, date | None], party: int,
        share: int, expected: int, group: _Group,
    ) -> Discrepancy:  # fmt: skip
        """``place``: the group's territory, use type and its lines' own period (if any)."""
        territory, use_type, start, end = place
        registered = self.registry.works[work]
        who = registered.parties[party]
        currency = run.header.currency
        rate = "" if group[_SHARE] else "; no line of it states a share, so the amount is unknown"
        # Lines of their own period are a group apart from the statement's: each its finding.
        period = () if start is None else (("use_period", f"{start}/{end}"),)
        within = "" if start is None else f" from {start} to {end}"
        return _finding(
            run,
            "missing_party",
            "underpaid",
            expected,
            None,
            f"{who.name} holds {_percent(share)} % of {run.header.right_type} in {territory} "
            f"but has no line for {use_type}{within}{rate}",
            work=registered.submitter_work_number,
            title=registered.title,
            party=who.name,
            evidence=(
                ("share_registered", _percent(share)),
                ("territory", territory),
                ("use_type", use_type),
                *period,
                ("expected", str(from_minor(expected, currency).amount)),
            ),
        )


def _at_rate(group: _Group, share: int, fallback: int) -> int:
    """``share`` of the work at the rate its paying lines show (``fallback`` when none does)."""
    if not group[_SHARE]:
        return fallback
    return scale_half_even(group[_NET], share, group[_SHARE])


def _finding(  # noqa: PLR0917 - kind, direction, amount, line and message make a finding
    run: _Run,
    kind: str,
    direction: str,
    minor: int,
    line: StatementLine | None,
    message: str,
    *,
    lines: tuple[int, ...] | None = None,
    work: str = "",
    title: str = "",
    party: str = "",
    evidence: tuple[tuple[str, str], ...] = (),
) -> Discrepancy:
    header = run.header
    amount = from_minor(minor, header.currency)
    context: tuple[tuple[str, str], ...] = ()
    if line is not None:
        context = tuple(
            (name, value)
            for name, value in (
                ("iswc", line.iswc),
                ("sender_work_id", line.sender_work_id),
                ("submitter_work_id", line.submitter_work_id),
                ("ip_role", line.ip_role),
                ("territory", line.territory),
                ("use_type", line.use_type),
            )
            if value
        )
    return Discrepancy(
        kind=kind,
        direction=direction,
        distribution_id=header.distribution_id,
        sender_society=header.sender_society,
        amount=amount,
        amount_home=amount,
        message=message,
        lines=lines if lines is not None else (() if line is None else (line.line_number,)),
        work=work,
        title=title or (line.work_title if line else ""),
        party=party or (line.ip_name if line else ""),
        evidence=(*context, *evidence),
    )


def payment_key(who: int, where: int, gross: int, deductions: int, net: int) -> int:
    """What makes two lines the same payment, all but the line number, packed in one integer.

    ``who`` and ``where`` are the interned ids of what the line says of the party and the use;
    the amounts are in minor units (|amount| < 2**62). Equal keys: equal lines.
    """
    return (
        ((((who << _WHERE_BITS | where) << 64 | gross + _AMOUNT_BIAS) << 64)
         | deductions + _AMOUNT_BIAS) << 64
    ) | net + _AMOUNT_BIAS  # fmt: skip


def _members_of(registry: WorkRegistry, right: int, society: str) -> list[int]:
    """Per work, the bit set of its parties whose society for ``right`` is ``society``."""
    return [
        sum(
            1 << index
            for index, party in enumerate(work.parties)
            if party.societies[right] == society
        )
        for work in registry.works
    ]


def _payment_key(who: _Who, where: _Where, line: StatementLine, units: int) -> object:
    """The line's payment key: :func:`payment_key` when its amounts are at the currency's scale.

    Amounts at another scale (``10.5`` in EUR) or a negative zero differ, as text, from the
    same value written plainly; such a line gets a tuple of the texts, never equal to an
    integer key, so two lines are the same payment exactly when their values and texts are.
    """
    minor: list[int] = []
    for amount in (line.gross, line.deductions, line.net):
        exponent = amount.as_tuple().exponent
        value = int(amount.scaleb(units)) if exponent == -units else None
        if value is None or (not value and amount.is_signed()) or abs(value) >= _AMOUNT_BIAS:
            return (who.id, where.id, str(line.gross), str(line.deductions), str(line.net))
        minor.append(value)
    if where.id >> _WHERE_BITS:
        return (who.id, where.id, *minor)
    return payment_key(who.id, where.id, *minor)


def _keep_issue(run: _Run, issue: StatementIssue) -> None:
    run.issue_count += 1
    if len(run.issues) < MAX_ISSUES_KEPT:
        run.issues.append(issue)


def _conversion_day(header: StatementHeader, remittance: Remittance | None) -> date:
    if remittance is not None and remittance.on is not None:
        return remittance.on
    if header.created is not None:
        return header.created.date()
    return header.period_end


def _totals_at(totals: Totals, rate: Rate | None) -> Totals:
    """The totals in the home currency; suspense is paid minus matched, so they add up."""
    if rate is None:
        return totals
    paid = convert_at(totals.paid, rate).converted
    matched = convert_at(totals.matched, rate).converted
    return Totals(
        paid=paid,
        matched=matched,
        suspense=paid - matched,
        expected=convert_at(totals.expected, rate).converted,
    )


def _sum_totals(all_totals: list[Totals], home: str) -> Totals:
    zero = from_minor(0, home)
    paid = matched = suspense = expected = zero
    for totals in all_totals:
        paid += totals.paid
        matched += totals.matched
        suspense += totals.suspense
        expected += totals.expected
    return Totals(paid=paid, matched=matched, suspense=suspense, expected=expected)


def _percent(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"
