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
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from reconcile_data import FRANCE, GERMANY, registry_of
from test_reconcile_quick import FERRY_ROWS, csv_of, plain_row, statements

from gateway.formats.csv import read_statement_csv
from gateway.formats.csv.statement import CsvLimits
from gateway.reconcile.bulk import bulk_rows, party_table
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

    def counted(*arguments: Any) -> list[int] | None:
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


@settings(max_examples=150, deadline=None)
@given(data=statements())
@example(data=csv_of([plain_row("1.00"), plain_row("1.00")]))  # the reader's row, repeated
@example(data=csv_of([plain_row("1.00"), plain_row("2.00"), plain_row("2.00")]))
@example(data=csv_of([plain_row("1.00"), plain_row("2.00"), plain_row("2.0")]))  # near copy
@example(data=csv_of([plain_row("1.00"), plain_row("2.00"), plain_row(" 2.00")]))
@example(data=csv_of([plain_row("1.00", territory=FRANCE), plain_row("1.00"), *FERRY_ROWS]))
@example(data=csv_of([plain_row("1.00"), plain_row("2.00", currency="USD")]))  # facts change
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


def test_plain_rows_are_taken_in_bulk() -> None:
    """A plain statement's rows after the first are reconciled without being read as rows."""
    rows = [plain_row(f"{n}.00", territory=FRANCE if n % 2 else GERMANY) for n in range(1, 41)]
    data = csv_of(rows)
    taken, result = bulk_way(data)
    assert taken == 39  # all but the first, which told the header
    assert result.to_dict()["statements"][0]["lines"] == 40
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


def test_the_party_table_follows_the_registry() -> None:
    """Built once per state of the registry: a work added or replaced builds it anew."""
    registry = registry_of()
    table, terms = party_table(registry)
    assert party_table(registry)[0] is table
    assert table.height == sum(
        1 for work in registry.works for party in work.parties if party.ipi_name_number
    )
    assert len(terms) <= table.height
    registry.version += 1  # what add_work does
    assert party_table(registry)[0] is not table
