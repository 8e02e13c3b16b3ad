"""Plain rows reconciled in bulk (``gateway.reconcile.bulk``) against the general path.

``gateway reconcile`` offers the rest of a CSV statement to the bulk path once its header is
read; the bulk path takes the rows the quick path would take that no other line of the file
may repeat, and the reader goes on with the lines it left, numbered as in the file. Whatever
the file holds (duplicates across that boundary, near copies, blank lines, line ends, a bare
carriage return, NUL, bytes that are not UTF-8, lines too long, quotes), the result must be
the general path's, every field of it, line numbers of findings and issues included.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from reconcile_data import (
    FERRY_ISWC,
    FRANCE,
    GERMANY,
    HOLLOWAY_IPI,
    SPARE_ISWC,
    ack,
    cinders,
    registry_of,
)
from test_reconcile_quick import FERRY_ROWS, csv_of, plain_row, statements

from gateway.formats import statement_values as values
from gateway.formats.csv import read_statement_csv
from gateway.formats.csv.statement import CsvLimits
from gateway.identifiers import ipi_name_number_check_digits, iswc_check_digit
from gateway.reconcile import bulk
from gateway.reconcile.bulk import (
    _AS_IS,
    _TEXT_COLUMNS,
    _lines,
    _parsed,
    bulk_rows,
    registry_tables,
)
from gateway.reconcile.engine import Reconciler
from gateway.reconcile.quick import quick_rows
from gateway.reconcile.result import ReconcileError, Reconciliation

REGISTRY = registry_of()
LIMITS = CsvLimits(max_line_length=400)


def bulk_way(data: bytes, limits: CsvLimits | None = None) -> tuple[int, Reconciliation]:
    """Reconciled as ``gateway reconcile`` does: in bulk, then the quick path, then lines.

    With the number of lines taken in bulk.
    """
    reconciler = Reconciler(REGISTRY)
    offer = bulk_rows(reconciler)
    taken = 0

    def counted(*arguments: Any) -> list[tuple[int, int]] | None:
        nonlocal taken
        kept = offer(*arguments)
        rest: bytes = arguments[4]
        lines = rest.count(b"\n") + (not rest.endswith(b"\n"))
        taken = 0 if kept is None else lines - len(kept)
        return kept

    items = read_statement_csv(
        io.BytesIO(data), source="s.csv", limits=limits, quick=quick_rows(reconciler), bulk=counted
    )
    reconciler.add_statement(items)
    return taken, reconciler.result()


def general_way(data: bytes, limits: CsvLimits | None = None) -> Reconciliation:
    """Read into lines first, then reconciled: every line through the general path."""
    reconciler = Reconciler(REGISTRY)
    reconciler.add_statement(
        list(read_statement_csv(io.BytesIO(data), source="s.csv", limits=limits))
    )
    return reconciler.result()


# What a file may hold besides plain rows, put into a drawn line (or at its end, in a cell
# of its own that no column reads): each must leave that line (or the whole file) to the
# reader, which says what it is.
HAZARDS = (b"\r", b"\x00", b"\xff", b"X" * 400, b'"', b"", b",,,")
AT_THE_END = (b",\r", b",\x00", b"," + b"X" * 400, b",\xff", b',"')


@st.composite
def hazardous(draw: st.DrawFn) -> bytes:
    """A generated statement with line ends changed and hazards put into some lines."""
    data = draw(statements())
    if draw(st.booleans()):
        data = data.replace(b"\r\n", b"\n")
    lines = data.split(b"\n")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(1, max(1, len(lines) - 1)))
        line = lines[at]
        cut = draw(st.integers(0, len(line)))
        lines[at] = line[:cut] + draw(st.sampled_from(HAZARDS)) + line[cut:]
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(1, max(1, len(lines) - 1)))
        line = lines[at].removesuffix(b"\r")
        lines[at] = line + draw(st.sampled_from(AT_THE_END)) + lines[at][len(line) :]
    if draw(st.booleans()):  # a last line without its line break
        while lines and not lines[-1].strip():
            lines.pop()
    return b"\n".join(lines)


# A writer of MIDNIGHT FERRY paid in France for the statement's period and for a quarter of it,
# its publisher paid for neither: two findings alike but for their period.
QUARTER_ROWS = [
    plain_row(net, work_title="MIDNIGHT FERRY", iswc=FERRY_ISWC, ip_name="HOLLOWAY JAMES",
              ip_ipi_name_number=HOLLOWAY_IPI, share="50.00", territory=FRANCE, **period)
    for net, period in (
        ("0.01", {}),
        ("0.01", {"use_period_start": "2025-01-01", "use_period_end": "2025-03-31"}),
        ("0.00", {"use_period_start": "2025-01-01", "use_period_end": "2025-03-31"}),
    )
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(data=statements())
@example(data=csv_of([plain_row("1.00"), plain_row("1.00")]))  # the reader's row, repeated
@example(data=csv_of([plain_row("1.00"), plain_row("2.00"), plain_row("2.00")]))
@example(data=csv_of([plain_row("1.00"), plain_row("2.00"), plain_row("2.0")]))  # near copy
@example(data=csv_of([plain_row("1.00"), plain_row("2.00"), plain_row(" 2.00")]))
@example(data=csv_of([plain_row("1.00", territory=FRANCE), plain_row("1.00"), *FERRY_ROWS]))
@example(data=csv_of([plain_row("1.00"), plain_row("2.00", currency="USD")]))  # facts change
@example(data=csv_of([plain_row("1.00"), *QUARTER_ROWS]))  # one party missing in two periods
def test_the_bulk_path_gives_what_the_general_path_gives(data: bytes) -> None:
    """Every field of the result is the same whether plain rows are taken in bulk or not."""
    assert bulk_way(data)[1].to_dict() == general_way(data).to_dict()


def _with(hazard: bytes) -> bytes:
    """Three plain rows, the second ending with ``hazard``."""
    lines = csv_of([plain_row("1.00"), plain_row("2.00"), plain_row("3.00")]).split(b"\r\n")
    lines[2] += hazard
    return b"\r\n".join(lines)


@settings(max_examples=150, deadline=None)
@given(data=hazardous())
@example(data=_with(b"," + b"X" * 400))  # too long: read as blank, with an issue
@example(data=_with(b",\r"))
@example(data=_with(b",\x00"))
@example(data=_with(b",\xff"))  # not UTF-8
@example(data=_with(b"\r\n\r\n\n"))  # blank lines
def test_hazards_in_the_file_give_what_the_general_path_gives(data: bytes) -> None:
    """Odd line ends, NUL, bad bytes, long lines, quotes: still the general path's result."""
    assert _outcome(lambda: bulk_way(data, LIMITS)[1]) == _outcome(
        lambda: general_way(data, LIMITS)
    )


def _outcome(reconcile: Callable[[], Reconciliation]) -> object:
    """The result as a dictionary, or what refused the statement."""
    try:
        return reconcile().to_dict()
    except ReconcileError as error:
        return str(error)


def _plain_statement(count: int) -> bytes:
    """``count`` plain rows, France and Germany in turn."""
    return csv_of(
        [plain_row(f"{n}.00", territory=FRANCE if n % 2 else GERMANY) for n in range(1, count + 1)]
    )


def test_plain_rows_are_taken_in_bulk() -> None:
    """A plain statement's rows after the first are reconciled without being read as rows."""
    data = _plain_statement(40)
    taken, result = bulk_way(data)
    assert taken == 39  # all but the first, which told the header
    assert result.to_dict()["statements"][0]["lines"] == 40
    assert result.to_dict() == general_way(data).to_dict()


def test_rows_matched_by_title_are_taken_in_bulk() -> None:
    """No identifier, a title one letter off: matched by the fuzzy score, its party by IPI."""
    rows = [
        plain_row(f"{n}.00", work_title="MIDNIGHT FERY", iswc="", ip_name="HOLLOWAY JAMES",
                  ip_ipi_name_number=HOLLOWAY_IPI, share="50.00", use_type=f"Use{n}")
        for n in range(1, 11)
    ]  # fmt: skip
    data = csv_of(rows)
    taken, result = bulk_way(data)
    assert taken == 9
    assert result.to_dict()["statements"][0]["match_methods"] == {"fuzzy": 10}
    assert result.to_dict() == general_way(data).to_dict()


def test_a_repeated_row_is_left_to_the_reader_with_its_copy() -> None:
    """Two rows that may be the same payment are both the general path's: it finds the copy."""
    data = csv_of([plain_row("1.00"), plain_row("3.00"), plain_row("2.00"), plain_row("2.0")])
    taken, result = bulk_way(data)
    assert taken == 1  # "2.0" and "2.00" read the same: both left, the copy found there
    kinds = [found["kind"] for found in result.to_dict()["discrepancies"]]
    assert kinds == ["duplicate_line"]
    assert result.to_dict() == general_way(data).to_dict()


def test_a_file_with_quotes_is_read_row_by_row() -> None:
    """A double quote may open a field across lines: the file is not taken in bulk at all."""
    rows = [plain_row("1.00"), plain_row("2.00"), plain_row("3.00", work_title="SALT, CINDERS")]
    data = csv_of(rows)
    assert b'"' in data
    taken, result = bulk_way(data)
    assert taken == 0
    assert result.to_dict() == general_way(data).to_dict()


def test_a_file_past_the_bulk_limit_is_read_row_by_row() -> None:
    """Past ``max_bulk_bytes`` the rest is never read into memory: nothing is taken in bulk."""
    data = _plain_statement(8)
    header_and_first = len(b"".join(data.splitlines(keepends=True)[:2]))
    rest = len(data) - header_and_first
    assert bulk_way(data, CsvLimits(max_bulk_bytes=rest))[0] == 7  # at the limit: taken
    taken, result = bulk_way(data, CsvLimits(max_bulk_bytes=rest - 1))
    assert taken == 0
    assert result.to_dict() == general_way(data).to_dict()


@pytest.mark.parametrize("where", ["shares", "sums"])
def test_polars_failing_midway_leaves_the_whole_file_to_the_reader(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether polars fails looking up shares or summing the rows taken, nothing is added."""

    def fail(*_: object) -> pl.DataFrame:
        raise pl.exceptions.ComputeError("injected")

    if where == "shares":
        monkeypatch.setattr(bulk._Bulk, "_shared", fail)
    else:  # the parties' bits: no party has one, so polars refuses in the middle of _add
        monkeypatch.setattr(bulk, "_PARTY_RANGE", [])
        monkeypatch.setattr(bulk, "_PARTY_BITS", [])
    data = _plain_statement(8)
    taken, result = bulk_way(data)
    assert taken == 0
    assert result.to_dict() == general_way(data).to_dict()


def test_lines_left_after_rows_taken_in_bulk_keep_their_numbers() -> None:
    """Issues name the line in the file; findings the row's number, or its order when unnumbered.

    Rows taken in bulk count in that order; blank lines do not.
    """
    rows = [plain_row(f"{n}.00") for n in range(1, 7)]
    rows[3] = plain_row("4.00", iswc="T0000000000")  # a bad ISWC: row 4, line 5
    rows[5] = plain_row("6.00", iswc="", work_title="NOBODY WROTE THIS")  # unmatched: row 6
    numbered = csv_of(rows).replace(b"\r\n5,", b"\r\n\r\n5,")  # a blank line before row 5
    # Without the line_number column (an empty one would leave every row to the reader).
    unnumbered = b"".join(
        line.split(b",", 1)[1] if b"," in line else line
        for line in numbered.splitlines(keepends=True)
    )
    for statement in (numbered, unnumbered):
        taken, result = bulk_way(statement)
        assert taken == 3  # rows 2, 3 and 5
        found = result.to_dict()
        assert found == general_way(statement).to_dict()
        assert [issue["line"] for issue in found["statements"][0]["issues"]] == [5]
        unmatched = [d for d in found["discrepancies"] if d["kind"] == "unmatched_line"]
        assert [d["lines"] for d in unmatched] == [[6]]


def test_the_registry_tables_follow_the_registry() -> None:
    """Built once per state of the registry: a work added, or an ISWC acknowledged, renews them."""
    registry = registry_of()
    tables = registry_tables(registry)
    assert registry_tables(registry) is tables
    with_ipi = sum(1 for work in registry.works for party in work.parties if party.ipi_name_number)
    assert tables.parties.height == 2 * with_ipi  # one row per kind of role a line may give
    assert len(tables.terms) <= with_ipi
    assert sorted(tables.iswcs["iswc="]) == sorted(work.iswc for work in registry.works)
    embers = registry.add_work(
        cinders(title="SALT AND EMBERS", submitter_work_number="NBM000999", iswc=""),
        registrant="052",
    )
    again = registry_tables(registry)
    assert again is not tables
    assert again.parties.height == tables.parties.height + 2  # the new work's one writer
    registry.add_acknowledgement(replace(ack("NBM000999", "GE-1"), iswc=SPARE_ISWC), "035")
    acked = registry_tables(registry)
    assert acked is not again
    assert acked.iswcs.row(by_predicate=pl.col("iswc=") == SPARE_ISWC) == (SPARE_ISWC, embers)


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)
iswcs = st.one_of(
    nine_digits.map(lambda d: f"T{d}{iswc_check_digit(d)}"),  # good
    st.tuples(nine_digits, st.sampled_from("0123456789")).map(lambda p: f"T{p[0]}{p[1]}"),
    nine_digits.map(lambda d: f"t-{d[:3]}.{d[3:6]}.{d[6:]}-{iswc_check_digit(d)}"),  # written
)
ipis = st.one_of(
    nine_digits.map(lambda d: d + ipi_name_number_check_digits(d)),  # good
    st.tuples(nine_digits, st.integers(0, 99)).map(lambda p: f"{p[0]}{p[1]:02d}"),
    nine_digits.map(lambda d: (d + ipi_name_number_check_digits(d)).lstrip("0")),  # unpadded
)
tricky = (
    st.text(
        alphabet=st.sampled_from(["A", "é", " ", "\t", "\r", "\x01", "\ufffd", "0", "T", "-"]),
        max_size=12,
    )
    | st.integers(0, 3).map(lambda n: "X" * (values.MAX_WORK_NUMBER - 1 + n))
    | st.integers(0, 3).map(lambda n: "é" * (values.MAX_TEXT - 1 + n))
)


TRICKY = [
    "", " ", "A  B", " A", "A ", "A\tB", "A\nB", "A\x01", "A\ufffd", "X" * 20, "X" * 21,
    "é" * 150, "é" * 151, "T0345246801", "T0345246802", "T 0345246801", "T034524680",
    "00519382636", "00519382637", "519382636", "0051938263a", "0",
]  # fmt: skip


def _parse_or_none(parse: Callable[[str], object], text: str) -> str | None:
    try:
        return str(parse(text))
    except values.BadValue:
        return None


@pytest.mark.parametrize("name", sorted(_AS_IS))
def test_texts_kept_as_they_are_are_what_the_parsers_return(name: str) -> None:
    """A text polars keeps as it is (``_AS_IS``) is one its parser returns unchanged."""
    parse = _TEXT_COLUMNS[name]
    cells = pl.Series(TRICKY, dtype=pl.String)
    assert _parsed(cells, parse, _AS_IS[name]).to_list() == [
        _parse_or_none(parse, t) for t in TRICKY
    ]


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(iswcs | ipis | tricky, max_size=30), name=st.sampled_from(sorted(_AS_IS)))
def test_generated_texts_read_as_their_parsers_read_them(texts: list[str], name: str) -> None:
    """The same over generated identifiers (good, a wrong check, written forms) and texts."""
    parse = _TEXT_COLUMNS[name]
    cells = pl.Series(texts, dtype=pl.String)
    assert _parsed(cells, parse, _AS_IS[name]).to_list() == [
        _parse_or_none(parse, t) for t in texts
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"a", b",", b"\r", b"\n", b"\r\n", b"bb", b"\x00"]), max_size=20))
def test_each_line_is_found_where_it_starts(pieces: list[bytes]) -> None:
    """The offsets the reader resumes at, whatever line breaks (LF, CRLF, a bare CR) mix.

    Plain: no carriage return but a CRLF's, no NUL, shorter than the limit (4 bytes here).
    """
    rest = b"".join(pieces)
    lines = _lines(rest, 4)
    parts = rest.split(b"\n")
    starts, plain, at = [], [], 0
    for number, part in enumerate(parts[: len(parts) - (parts[-1] == b"")]):
        starts.append(at)
        at += len(part) + 1
        broken = number < len(parts) - 1  # a line feed follows
        content = part.removesuffix(b"\r") if broken else part
        plain.append(b"\r" not in content and b"\x00" not in content and len(content) < 4)
    assert lines["start"].to_list() == starts
    assert lines["plain"].to_list() == plain
