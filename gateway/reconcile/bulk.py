"""The plain rows of a CSV statement reconciled in bulk, column by column, with polars.

The quick path (``gateway.reconcile.quick``) takes a plain row in a few microseconds of Python
each; a million of them still cost seconds. Offered the rest of the file once its header is read
(``read_statement_csv``'s ``bulk`` argument), this module decides the same thing for all rows at
once: each column is split out and checked by polars, each *distinct* value is read by the very
parser the reader uses (``gateway.formats.statement_values``; a value polars sees is already in
that form is kept without asking), each distinct identifying text matched by the matcher's own
``by_identifiers``, and failing that its own fuzzy ``match_values`` (which remembers the answer
for the lines left to the reader), each distinct share read by the engine's own registered
share; the rows then cost array operations only, and their sums go into the statement's run as
the quick path adds them. What is looked up in the registry is kept as tables per registry
version (:func:`registry_tables`).

A row is taken only when the quick path would take it, and when no other line of the file
can be a duplicate of it: rows are grouped by a part of what makes two lines the same
payment (ISWC, IPI, territory, use type, net amount, each as its parser reads it), and a row
sharing its group with any other row, taken or not, is left to the reader. So a duplicate is
always found by the engine's general path, with both its copies, and the result is the same
as without this module (``tests/test_reconcile_bulk.py`` checks it field for field).

Left to the reader whole: a file with a double quote anywhere (a quoted field may span lines,
so a line is no longer a row), a byte that is not UTF-8 (polars reads none of it), and a
currency without a plain amount pattern. Left row by row: anything the quick path leaves, a
party found by name rather than IPI, a line that is too long, holds a carriage return (but for
its CRLF line break) or NUL, and a work's 63rd party on (its bit in a group's set of parties
would not fit in 64 bits).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import polars as pl

from gateway.codes import lookup
from gateway.formats import statement_values as values
from gateway.formats.csv.statement import DEDUCTION_COLUMNS, BulkRows
from gateway.model import StatementHeader
from gateway.reconcile.engine import _NET, _PARTIES, _SHARE, _Run
from gateway.reconcile.match import fuzzy_index
from gateway.reconcile.registry import RegisteredParty, WorkRegistry

if TYPE_CHECKING:
    from gateway.reconcile.engine import Reconciler

_MAX_PARTY = 62  # parties 0..62 have a bit in a signed 64-bit integer
_PARTY_RANGE = list(range(_MAX_PARTY + 1))
_PARTY_BITS = [1 << party for party in _PARTY_RANGE]
# The columns the quick path reads of whom a row pays and of the use, with their parsers.
_TEXT_COLUMNS: dict[str, Callable[[str], object]] = {
    "iswc": values.iswc,
    "sender_work_id": values.work_number,
    "submitter_work_id": values.work_number,
    "work_title": values.text,
    "ip_ipi_name_number": values.ipi_name_number,
    "ip_name": values.text,
    "ip_role": values.role,
    "isrcs": lambda text: ";".join(values.isrc_list(text)),
    "ip_ipi_base_number": values.ipi_base_number,
    "territory": values.tis_territory,
    "use_type": values.use_type,
    "use_period_start": lambda text: _iso(values.optional_date(text)),
    "use_period_end": lambda text: _iso(values.optional_date(text)),
}
# Text columns read only to check them: no later step uses their values.
_CHECKED_ONLY = ("isrcs", "ip_ipi_base_number")
_KEYS = ["iswc=", "sender_work_id=", "submitter_work_id="]  # the identifiers, as read
# What _add reads of the rows it takes.
_SUMMED = ("work", "method", "net", "share", "party", "territory=", "use_type=", "start", "end")
_TYPED_COLUMNS = tuple(DEDUCTION_COLUMNS)  # the typed deductions' columns


def bulk_rows(reconciler: Reconciler) -> BulkRows:
    """The ``bulk`` argument of ``read_statement_csv`` for a statement fed to ``reconciler``."""

    def offer(  # noqa: PLR0917 - the BulkRows protocol
        header: StatementHeader, columns: Mapping[str, int], facts: Mapping[str, str],
        first: list[str], rest: bytes, max_line: int,
    ) -> list[tuple[int, int]] | None:  # fmt: skip
        run = reconciler.statement_run(header)
        amount = values.plain_amount_pattern(header.currency)
        if run is None or amount is None:
            return None
        try:
            return _Bulk(reconciler, run, columns, facts, amount).take(first, rest, max_line)
        except pl.exceptions.PolarsError:
            return None  # polars refused something of the file: the reader reads it all

    return offer


# How polars reads the rest: every line a row (blank ones too), no quoting (a file with a
# double quote is never offered), every cell as its text.
_LF, _CR = ord("\n"), ord("\r")
_BLOCK = 1 << 23  # bytes of the statement searched at a time for line breaks
_ROWS = {
    "has_header": False,
    "infer_schema": False,
    "quote_char": None,
    "truncate_ragged_lines": True,
    "empty_string_is_null": False,
    "extra_columns": "ignore",  # cells past the last column read: the reader ignores them too
}


def _lines(rest: bytes, max_line: int) -> pl.DataFrame:
    """Per line of ``rest``: its offset (``start``) and whether it is plain.

    A plain line holds no carriage return but one just before its line feed, no NUL, and is
    short enough for the reader (its size without the line break). Worked out on the bytes
    with numpy, which leaves the interpreter to the fuzzy searches meanwhile.
    """
    data = np.frombuffer(rest, dtype=np.uint8)
    breaks = _positions(data, (_LF,))
    ends = breaks if rest.endswith(b"\n") or not rest else np.append(breaks, len(rest))
    starts = np.concatenate(([0], breaks + 1))[: len(ends)]
    sizes = ends - starts
    plain = np.ones(len(ends), dtype=np.bool_)
    if b"\r" in rest or b"\x00" in rest:
        odd = _positions(data, (_CR, 0))
        following = np.zeros(len(odd), dtype=np.uint8)
        inside = odd + 1 < len(data)
        following[inside] = data[odd[inside] + 1]
        before_break = (data[odd] == _CR) & (following == _LF)
        sizes[np.searchsorted(ends, odd[before_break])] -= 1  # CRLF: the CR is no content
        plain[np.searchsorted(ends, odd[~before_break])] = False
    plain &= sizes < max_line
    return pl.DataFrame({"start": starts, "plain": plain})


def _positions(data: npt.NDArray[np.uint8], wanted: tuple[int, ...]) -> npt.NDArray[np.int64]:
    """Where ``data`` holds any of the ``wanted`` bytes, in order.

    A block at a time, into one small mask: a mask the size of the data would be fresh memory,
    which costs more than the search where pages are first touched (a new virtual machine's).
    """
    mask = np.empty(min(len(data), _BLOCK), dtype=np.bool_)
    extra = np.empty_like(mask)
    found = []
    for at in range(0, len(data), _BLOCK):
        block = data[at : at + _BLOCK]
        hits = np.equal(block, wanted[0], out=mask[: len(block)])
        for byte in wanted[1:]:
            hits |= np.equal(block, byte, out=extra[: len(block)])
        found.append(np.flatnonzero(hits) + at)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class RegistryTables:
    """What the bulk path looks up in a registry, as tables (built once per its version).

    ``iswcs``: ``iswc`` -> ``work``, the ISWCs naming exactly one work (the first method of
    matching). ``parties``: ``work``, ``ipi_key`` (an IPI as parties are found by it, leading
    zeros dropped) and ``is_writer`` (the line's role) -> ``party``, the index of the party a
    line names so (one of the same kind first, the lowest index first), and ``terms``: the index
    in ``terms`` of a party with the same ownership and territory records, so the same
    collection share everywhere (shares are worked out once per terms, not per party).
    """

    iswcs: pl.DataFrame
    parties: pl.DataFrame
    terms: list[RegisteredParty]


def registry_tables(registry: WorkRegistry) -> RegistryTables:
    """The registry's :class:`RegistryTables`, built once per version of it."""
    return registry.derived(_tables_of)


def _tables_of(registry: WorkRegistry) -> RegistryTables:
    unique = registry.unique_iswcs()
    iswcs = pl.DataFrame(
        {"iswc=": list(unique), "iswc_work": list(unique.values())},
        schema={"iswc=": pl.String, "iswc_work": pl.Int64},
    )
    parties, terms = _party_rows(registry)
    same_kind = parties.group_by("work", "ipi_key", "is_writer").agg(same=pl.col("party").min())
    any_kind = parties.group_by("work", "ipi_key").agg(other=pl.col("party").min())
    kinds = pl.DataFrame({"is_writer": [True, False]})
    found = (
        any_kind.join(kinds, how="cross")
        .join(same_kind, on=["work", "ipi_key", "is_writer"], how="left")
        .with_columns(party=pl.coalesce("same", "other"))
        .join(parties.select("work", "party", "terms"), on=["work", "party"], how="left")
        .select("work", "ipi_key", "is_writer", "party", "terms")
    )
    return RegistryTables(iswcs, found, terms)


def _party_rows(registry: WorkRegistry) -> tuple[pl.DataFrame, list[RegisteredParty]]:
    """The registry's parties with an IPI name number, and the distinct terms they hold."""
    columns: dict[str, list[Any]] = {
        "work": [], "ipi_key": [], "is_writer": [], "party": [], "terms": [],
    }  # fmt: skip
    kinds: dict[tuple[object, ...], int] = {}
    terms: list[RegisteredParty] = []
    for work, registered in enumerate(registry.works):
        for index, party in enumerate(registered.parties):
            if not party.ipi_name_number:
                continue
            kind = kinds.setdefault((party.ownership, party.territories), len(terms))
            if kind == len(terms):
                terms.append(party)
            columns["work"].append(work)
            columns["ipi_key"].append(party.ipi_name_number.lstrip("0"))
            columns["is_writer"].append(party.is_writer)
            columns["party"].append(index)
            columns["terms"].append(kind)
    table = pl.DataFrame(
        columns,
        schema={"work": pl.Int64, "ipi_key": pl.String, "is_writer": pl.Boolean,
                "party": pl.Int64, "terms": pl.Int64},
    )  # fmt: skip
    return table, terms


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _parsed(cells: pl.Series, parse: Callable[[str], object], same: pl.Expr | None = None
            ) -> pl.Series:  # fmt: skip
    """Each cell as its parser reads it (as text), null where the parser refuses it.

    ``same``, an expression of ``raw``: the texts the parser returns unchanged, told apart by
    polars so that only the others are parsed in Python.
    """
    distinct = cells.drop_nulls().unique().to_frame("raw")
    if same is not None:
        distinct = distinct.with_columns(same=same.fill_null(value=False))
        kept = distinct.filter("same").select("raw", value="raw")
        distinct = distinct.filter(~pl.col("same")).select("raw")
        if distinct.is_empty():
            return cells  # every text is its value: the column itself, not a copy
    read: list[str | None] = []
    for text in distinct["raw"].to_list():
        try:
            value = parse(text)
        except values.BadValue:
            read.append(None)
        else:
            read.append(value if isinstance(value, str) else str(value))
    table = distinct.with_columns(value=pl.Series(read, dtype=pl.String))
    if same is not None:
        table = pl.concat([kept, table])
    found = cells.to_frame("raw").join(table, on="raw", how="left", maintain_order="left")
    return found["value"]


# Texts each parser returns as they are (so polars may keep them without asking it).
_RAW = pl.col("raw")
# No character text collapses (tab, line break, a run of spaces, an edge space) or refuses.
_PLAIN_TEXT = ~_RAW.str.contains(r"[\x00-\x1F\x{FFFD}\x{FFFE}\x{FFFF}]|  |^ | $")


def _text_as_is(limit: int, *, required: bool) -> pl.Expr:
    length = _RAW.str.len_chars()
    return _PLAIN_TEXT & (length <= limit) & ((length > 0) if required else pl.lit(value=True))


def _digit(at: int) -> pl.Expr:
    return _RAW.str.slice(at, 1).cast(pl.Int64, strict=False)


def _iswc_as_is() -> pl.Expr:
    """``T``, 9 digits and their check digit (``gateway.identifiers``), or empty."""
    total = pl.lit(1) + pl.sum_horizontal([at * _digit(at) for at in range(1, 10)])
    check = (10 - total % 10) % 10
    return (_RAW == "") | (_RAW.str.contains(r"^T[0-9]{10}$") & (check == _digit(10)))


def _ipi_name_number_as_is() -> pl.Expr:
    """11 digits, the last two the check digits of the first 9 (mod 101), or empty."""
    total = pl.sum_horizontal([(10 - at) * _digit(at) for at in range(9)]) % 101
    check = pl.when(total == 0).then(0).otherwise((101 - total) % 100)
    written = _RAW.str.slice(9, 2).cast(pl.Int64, strict=False)
    return (_RAW == "") | (_RAW.str.contains(r"^[0-9]{11}$") & (check == written))


_AS_IS: dict[str, pl.Expr] = {
    "iswc": _iswc_as_is(),
    "sender_work_id": _text_as_is(values.MAX_WORK_NUMBER, required=False),
    "submitter_work_id": _text_as_is(values.MAX_WORK_NUMBER, required=False),
    "work_title": _text_as_is(values.MAX_TEXT, required=True),
    "ip_ipi_name_number": _ipi_name_number_as_is(),
    "ip_name": _text_as_is(values.MAX_TEXT, required=True),
}


class _Bulk:
    """Takes the plain rows of the rest of one statement (see the module docstring)."""

    def __init__(
        self,
        reconciler: Reconciler,
        run: _Run,
        columns: Mapping[str, int],
        facts: Mapping[str, str],
        amount: str,
    ) -> None:
        self._reconciler = reconciler
        self._run = run
        self._columns = columns
        self._facts = facts
        self._amount = f"^(?:{amount})$"
        self._width = max(columns.values()) + 1

    def take(self, first: list[str], rest: bytes, max_line: int) -> list[tuple[int, int]] | None:
        """The lines of ``rest`` left to the reader (index, offset); the others are reconciled.

        None (all left) when polars cannot read the rest line for line as the reader does.
        """
        if b'"' in rest or not rest:
            return None
        # What is built in Python (the registry's tables and fuzzy index, once per version; the
        # fuzzy searches) runs in a thread while polars works (in Rust, mostly without the
        # interpreter), so the two share the machine's CPUs.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk") as pool:
            registry = self._reconciler.registry
            tables_made = pool.submit(registry_tables, registry)
            pool.submit(fuzzy_index, registry)  # ready when the searches begin
            table = self._cells(first, rest)
            if table is None:
                return None
            tables = tables_made.result()
            table = self._identified(self._parsed_columns(table), tables)
            fuzzy = pool.submit(self._fuzzy_matches, table)
            lines = _lines(rest, max_line)
            table = self._amounts(table)
            repeats = None
            if lines.height + 1 == table.height:  # a line a row
                repeats = self._may_repeat(table)
            found = fuzzy.result()
        if repeats is None:
            return None
        table = self._with_parties(self._with_fuzzy(table, found), tables)
        table = self._shared(table, tables.terms)
        plain = pl.concat([pl.Series([False]), lines["plain"]])
        taken = plain & self._good(table) & ~repeats
        taken[0] = False  # the first row is the reader's, already read
        self._add(table.select(_SUMMED).filter(taken))
        left = (~taken).arg_true()
        left = left.filter(left > 0) - 1
        return list(zip(left.to_list(), lines["start"].gather(left).to_list(), strict=True))

    def _cells(self, first: list[str], rest: bytes) -> pl.DataFrame | None:
        """The columns read of the first row and of every line of the rest, as text."""
        schema = {f"c{at}": pl.String for at in range(self._width)}
        try:
            cells = pl.read_csv(rest, schema=schema, **_ROWS)  # type: ignore[arg-type]
        except pl.exceptions.PolarsError:
            return None
        names = [
            n
            for n in (*_TEXT_COLUMNS, "share", *self._numbers(), *self._facts)
            if n in self._columns
        ]
        first_row = pl.DataFrame(
            {
                n: [first[self._columns[n]] if len(first) > self._columns[n] else None]
                for n in names
            },
            schema=dict.fromkeys(names, pl.String),
        )
        # Wide: a row with every column read (the ones short of a cell in some are null).
        last = pl.col(f"c{self._width - 1}")
        rows = cells.select(
            *(pl.col(f"c{self._columns[n]}").alias(n) for n in names), wide=last.is_not_null()
        )
        return pl.concat([first_row.with_columns(wide=pl.lit(value=True)), rows])

    def _numbers(self) -> list[str]:
        return ["line_number", "gross_amount", "deductions", "net_amount", *_TYPED_COLUMNS]

    def _parsed_columns(self, table: pl.DataFrame) -> pl.DataFrame:
        """``name=`` for each text column: its cells as the reader's parser reads them.

        The texts themselves are dropped (memory: a million rows of them), and so are the
        values read only to be checked (``texts_read`` says whether all were good).
        """
        names = [name for name in _TEXT_COLUMNS if name in table.columns]
        for name in names:  # one at a time, so that one column's texts and values coexist
            parsed = _parsed(table[name], _TEXT_COLUMNS[name], _AS_IS.get(name))
            table = table.with_columns(parsed.alias(f"{name}=")).drop(name)
        checked = [f"{name}=" for name in names]
        return table.with_columns(texts_read=pl.all_horizontal(pl.col(checked).is_not_null())).drop(
            f"{name}=" for name in _CHECKED_ONLY if name in names
        )

    def _good(self, table: pl.DataFrame) -> pl.Series:
        """Whether each row is one the quick path takes (its duplicates aside)."""
        good = pl.col("texts_read")
        for name, text in self._facts.items():
            good &= pl.col(name) == text
        good &= pl.col("amounts_plain")
        good &= pl.col("party").is_not_null() & (pl.col("party") <= _MAX_PARTY)
        start, end = pl.col("start"), pl.col("end")
        good &= ((start == "") == (end == "")) & ((start == "") | (start <= end))
        good &= (pl.col("share") != 0) & (pl.col("share") == pl.col("registered"))
        return table.select(good.fill_null(value=False)).to_series()

    def _amounts(self, table: pl.DataFrame) -> pl.DataFrame:
        """The amounts as integers of minor units where the quick path reads them so."""
        pattern = self._amount

        def minor(name: str) -> pl.Expr:
            return pl.col(name).str.replace(".", "", literal=True).cast(pl.Int64, strict=False)

        def negative_zero(name: str) -> pl.Expr:
            return (minor(name) == 0) & pl.col(name).str.starts_with("-")

        # The net amount's check is kept: the copies' key (_may_repeat) reads it too.
        table = table.with_columns(net_plain=pl.col("net_amount").str.contains(pattern))
        plain = pl.col("gross_amount").str.contains(pattern) & pl.col("net_plain")
        plain &= (pl.col("deductions") == "") | pl.col("deductions").str.contains(pattern)
        plain &= ~negative_zero("gross_amount") & ~negative_zero("net_amount")
        plain &= ~negative_zero("deductions").fill_null(value=False)
        typed = [n for n in _TYPED_COLUMNS if n in table.columns]
        for name in typed:
            plain &= (pl.col(name) == "") | pl.col(name).str.contains(pattern)
        if "line_number" in table.columns:
            plain &= pl.col("line_number").str.contains("^[0-9]{1,18}$")
            plain &= pl.col("line_number").cast(pl.Int64, strict=False) != 0
        deductions = pl.when(pl.col("deductions") == "").then(0).otherwise(minor("deductions"))
        if typed:
            total = pl.sum_horizontal([minor(n).fill_null(0) for n in typed])
            any_typed = pl.any_horizontal([pl.col(n) != "" for n in typed])
            plain &= ~any_typed | (pl.col("deductions") == "") | (deductions == total)
        return table.with_columns(
            amounts_plain=plain.fill_null(value=False), net=minor("net_amount")
        )

    def _identified(self, table: pl.DataFrame, tables: RegistryTables) -> pl.DataFrame:
        """The work each row pays by identifier (``work``, ``method``), where one names it."""
        # An ISWC naming one work decides (by_identifiers' first method); the others ask it.
        table = table.join(tables.iswcs, on="iswc=", how="left", maintain_order="left")
        matcher = self._reconciler.matcher_for(self._run.header)
        distinct = table.filter(pl.col("iswc_work").is_null()).select(_KEYS).drop_nulls().unique()
        works: list[int | None] = []
        methods: list[str | None] = []
        for iswc, sender_id, submitter_id in distinct.iter_rows():
            match = matcher.by_identifiers(iswc, sender_id, submitter_id)
            works.append(None if match is None else match.work)
            methods.append(None if match is None else match.method)
        found = distinct.with_columns(
            work=pl.Series(works, dtype=pl.Int64), method=pl.Series(methods, dtype=pl.String)
        )
        table = table.join(found, on=_KEYS, how="left", nulls_equal=False, maintain_order="left")
        by_iswc = pl.col("iswc_work").is_not_null()
        return table.with_columns(
            work=pl.coalesce("iswc_work", "work"),
            method=pl.when(by_iswc).then(pl.lit("iswc")).otherwise("method"),
        ).drop("iswc_work")

    def _fuzzy_matches(self, table: pl.DataFrame) -> pl.DataFrame:
        """The works of the rows no identifier matched, by title and name as the matcher has it.

        The matcher remembers each answer, so the lines left to the reader cost no second
        search.
        """
        texts = [*_KEYS, "work_title=", "ip_name="]
        distinct = table.filter(pl.col("work").is_null()).select(texts).drop_nulls().unique()
        matcher = self._reconciler.matcher_for(self._run.header)
        works = [match.work for match in matcher.match_many(distinct.iter_rows())]
        return distinct.with_columns(fuzzy=pl.Series(works, dtype=pl.Int64)).drop_nulls("fuzzy")

    def _with_fuzzy(self, table: pl.DataFrame, found: pl.DataFrame) -> pl.DataFrame:
        """``table`` with the works found by :meth:`_fuzzy_matches`."""
        if found.is_empty():
            return table
        table = table.join(found, on=found.columns[:-1], how="left", maintain_order="left")
        return table.with_columns(
            work=pl.coalesce("work", "fuzzy"),
            method=pl.when(pl.col("fuzzy").is_not_null()).then(pl.lit("fuzzy")).otherwise("method"),
        ).drop("fuzzy")

    def _with_parties(self, table: pl.DataFrame, tables: RegistryTables) -> pl.DataFrame:
        """The party of its work each row pays, by IPI (``party``, ``terms``)."""
        ipi = pl.col("ip_ipi_name_number=")
        table = table.with_columns(
            ipi_key=pl.when(ipi != "").then(ipi.str.strip_chars_start("0")),
            is_writer=pl.col("ip_role=").is_in(sorted(lookup("writer_designation"))),
        )
        on = ["work", "ipi_key", "is_writer"]
        return table.join(tables.parties, on=on, how="left", maintain_order="left")

    def _shared(self, table: pl.DataFrame, terms: list[RegisteredParty]) -> pl.DataFrame:
        """The share paid and the one registered for the row's party, territory and day.

        ``terms``: the parties a row's ``terms`` index (:class:`RegistryTables`).
        """
        run = self._run
        start = "use_period_start="
        on = pl.col(start) if start in table.columns else pl.lit("")
        table = table.with_columns(
            share=_parsed(table["share"], values.share).cast(pl.Int64),
            on=pl.when(on == "").then(pl.lit(run.header.period_start.isoformat())).otherwise(on),
        )
        keys = ["terms", "territory=", "on"]
        distinct = table.select(keys).drop_nulls().unique()
        right = run.header.right_type
        shares = [
            terms[at].collection_share(right, territory, date.fromisoformat(day))
            for at, territory, day in distinct.iter_rows()
        ]
        found = distinct.with_columns(registered=pl.Series(shares, dtype=pl.Int64))
        table = table.join(found, on=keys, how="left", maintain_order="left")
        end = "use_period_end="
        return table.with_columns(start=on, end=pl.col(end) if end in table.columns else pl.lit(""))

    def _may_repeat(self, table: pl.DataFrame) -> pl.Series:
        """Rows that share a group (see the module docstring) with another row that may pay."""
        units = self._run.units
        currency = self._run.header.currency

        def net_value(text: str) -> str:
            return str(int(values.amount(text, currency).scaleb(units)))

        # The net amount as its parser reads it, in minor units: a plain one is ``net`` already
        # (``_amounts``), only the others are parsed.
        text, is_plain = pl.col("net_amount"), pl.col("net_plain")
        odd = table.select(pl.when(~is_plain).then(text)).to_series()
        parsed = _parsed(odd, net_value).cast(pl.Int64)
        keys = ["iswc=", "ip_ipi_name_number=", "territory=", "use_type=", "net="]
        keyed = table.select(
            *keys[:-1],
            "wide",
            pl.when(is_plain).then(pl.col("net")).otherwise(parsed).alias("net="),
        )
        # A row whose key fails to read, or too short to hold it, is no line: it pays nothing.
        keyed = keyed.with_row_index("at").filter(
            pl.col("wide") & pl.all_horizontal(pl.col(keys).is_not_null())
        )
        # Rows of the same key have the same hash: only those sharing a hash are compared.
        row = pl.struct(keys)
        keyed = keyed.filter(row.hash().is_duplicated())
        twice = keyed.filter(row.is_duplicated())["at"]
        return pl.Series(range(table.height)).is_in(twice.implode())

    def _add(self, rows: pl.DataFrame) -> None:
        """Reconcile the taken rows: the quick path's sums, added at once.

        All that polars works out comes first: the run changes only once nothing can fail.
        """
        run = self._run
        if rows.is_empty():
            return
        net = int(rows["net"].sum())
        methods = rows.group_by("method").len().rows()
        where = ["territory=", "use_type=", "start", "end"]
        places = rows.select(where).unique()
        numbers: list[int] = []
        new_places: dict[tuple[str, str, date | None, date | None], int] = {}
        for territory, use_type, first, last in places.iter_rows():
            place = (
                territory, use_type,
                date.fromisoformat(first) if first else None,
                date.fromisoformat(last) if last else None,
            )  # fmt: skip
            group = run.places.get(place)
            if group is None:
                group = new_places[place] = len(run.group_places) + len(new_places)
            numbers.append(group)
        places = places.with_columns(place=pl.Series(numbers, dtype=pl.Int64))
        sums = (
            rows.with_columns(
                bit=pl.col("party").replace_strict(_PARTY_RANGE, _PARTY_BITS, return_dtype=pl.Int64)
            )
            .join(places, on=where, how="left")
            .group_by("work", "place")
            .agg(pl.col("net").sum(), pl.col("share").sum(), pl.col("bit").bitwise_or())
        )
        # Python objects for the run's groups, made from whole columns at once.
        fresh = dict(
            zip(
                zip(sums["work"].to_list(), sums["place"].to_list(), strict=True),
                ([net, share, bits, None] for net, share, bits in zip(
                    sums["net"].to_list(), sums["share"].to_list(), sums["bit"].to_list(),
                    strict=True,
                )),
                strict=True,
            )
        )  # fmt: skip
        run.lines += rows.height
        run.matched_lines += rows.height
        run.paid += net
        run.matched += net
        run.expected += net
        for method, count in methods:
            run.methods[method] += count
        run.places.update(new_places)
        run.group_places.extend(new_places)
        groups = run.groups
        for key in fresh.keys() & groups.keys():  # groups the reader began (its first row)
            known, added = groups[key], fresh[key]
            known[_NET] += added[_NET]
            known[_SHARE] += added[_SHARE]
            known[_PARTIES] |= added[_PARTIES]
            fresh[key] = known
        groups.update(fresh)
