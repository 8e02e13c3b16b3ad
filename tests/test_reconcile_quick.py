"""The quick path of reconciling CSV rows (``gateway.reconcile.quick``) against the general one.

A CSV statement reconciled from its file takes plain rows as text; the same statement read
into lines first goes through the engine's general path only. Generated statements mix plain
rows with every case the quick path must leave alone (bad values, another share, zero shares,
duplicates, negative zeros, amounts written at another scale, unmatched works, parties not on
the work, periods of their own): both ways must give the same result, every field of it.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import example, given, settings
from hypothesis import strategies as st
from reconcile_data import (
    CINDERS_ISWC,
    FERRY,
    FERRY_ISWC,
    FRANCE,
    GERMANY,
    HARBOUR_ISWC,
    HOLLOWAY_IPI,
    MEYER_IPI,
    NORTHBANK_IPI,
    OKAFOR_IPI,
    PRICE_IPI,
    registry_of,
)

from gateway.formats.csv import read_statement_csv
from gateway.reconcile.engine import Reconciler
from gateway.reconcile.result import Reconciliation
from gateway.reconcile.run import add_statement

REGISTRY = registry_of()
COLUMNS = (
    "line_number", "distribution_id", "sender_society", "recipient_society", "period_start",
    "period_end", "right_type", "currency", "territory", "work_title", "iswc", "sender_work_id",
    "submitter_work_id", "isrcs", "ip_name", "ip_ipi_name_number", "ip_role", "share",
    "use_type", "use_period_start", "use_period_end", "gross_amount",
    "deduction_administration_fee", "deductions", "net_amount",
)  # fmt: skip
# Whom a row pays: (title, iswc, submitter work id, name, ipi, role).
PAYEES = (
    ("MIDNIGHT FERRY", FERRY_ISWC, "", "NORTHBANK MUSIC LTD", NORTHBANK_IPI, "E"),
    ("MIDNIGHT FERRY", FERRY_ISWC, FERRY, "HOLLOWAY JAMES", HOLLOWAY_IPI, "CA"),
    ("MIDNIGHT FERRY", "", FERRY, "HOLLOWAY JAMES", HOLLOWAY_IPI, "CA"),
    ("MIDNIGHT FERRY", "", "", "HOLLOWAY JAMES", "", "CA"),  # by title and name
    ("MIDNIGHT FERY", "", "", "HOLLOWAY JAMES", HOLLOWAY_IPI, "CA"),  # by title, party by IPI
    ("SALT AND CINDERS", CINDERS_ISWC, "", "OKAFOR ADAEZE", OKAFOR_IPI, "CA"),
    ("HARBOUR LIGHTS", HARBOUR_ISWC, "", "PRICE EVELYN", PRICE_IPI, "CA"),
    ("HARBOUR LIGHTS", HARBOUR_ISWC, "", "MEYER KLAUS", MEYER_IPI, "CA"),
    ("MIDNIGHT FERRY", FERRY_ISWC, "", "EVANS TOM", "", "CA"),  # not on the work
    ("LONG WAY TO LEEDS", "", "", "PRICE EVELYN", "", "C"),  # nobody registered it
    ("MIDNIGHT FERRY", "T0713498249", "", "HOLLOWAY JAMES", "", "CA"),  # bad check digit
    ("MIDNIGHT FERRY", FERRY_ISWC, "", "HOLLOWAY JAMES", "00014107339", "CA"),  # bad IPI
    ("MIDNIGHT FERRY", FERRY_ISWC, "", "HOLLOWAY JAMES", HOLLOWAY_IPI, "ZZ"),  # not a role
)
SHARES = ("50.00", "50.00", "50.00", "50", "100.00", "33.34", "0.00", "25.00", "101.00")
PERIODS = (
    ("", ""), ("2025-01-01", "2025-03-31"), ("2025-04-01", ""), ("2025-05-01", "2025-04-01"),
)  # fmt: skip
SAME_VALUE = ("0.00", "-0.00", "000.00", "0.0", "0")
PROPERTIES = settings(max_examples=150, deadline=None)


def _amount(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


# An amount as a row may write it: plainly, with leading zeros, at another scale, a negative
# zero, or not at all; typed deductions then given or left out.
amount_texts = st.one_of(
    st.integers(-50_000, 5_000_000).map(_amount),
    st.sampled_from(["0.00", "-0.00", "007.50", "12.5", "12", "1e3", "", " 3.00"]),
)


@st.composite
def rows(draw: st.DrawFn) -> list[str]:
    """One statement row (its line number filled in later)."""
    title, iswc, submitter, name, ipi, role = draw(st.sampled_from(PAYEES))
    start, end = draw(st.sampled_from(PERIODS))
    net = draw(amount_texts)
    fee = draw(st.sampled_from(["", "0.00", "1.00"]))
    deductions = draw(st.sampled_from(["", "0.00", "1.00", fee or "0.00", fee or "0.00"]))
    return [
        "", "GEMA-PER-2025H1", "035", "052", "2025-01-01", "2025-06-30", "PER",
        draw(st.sampled_from(["EUR"] * 9 + ["USD"])), draw(st.sampled_from([GERMANY, FRANCE])),
        title, iswc, "", submitter, draw(st.sampled_from(["", "", "GBAYE0000351", "XX"])), name,
        ipi, role, draw(st.sampled_from(SHARES)),
        draw(st.sampled_from(["PerformInPublic", "Broadcast"])), start, end,
        draw(st.sampled_from([net, "100.00"])), fee, deductions, net,
    ]  # fmt: skip


def csv_of(rows: list[list[str]]) -> bytes:
    """A statement of these rows (the columns of ``COLUMNS``), numbered 1, 2, ..."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows([str(number), *row[1:]] for number, row in enumerate(rows, start=1))
    return out.getvalue().encode()


def plain_row(net: str, **changes: str) -> list[str]:
    """A row the quick path takes: OKAFOR ADAEZE's 100.00 % of SALT AND CINDERS in Germany."""
    row = dict.fromkeys(COLUMNS, "") | {
        "distribution_id": "GEMA-PER-2025H1", "sender_society": "035",
        "recipient_society": "052", "period_start": "2025-01-01", "period_end": "2025-06-30",
        "right_type": "PER", "currency": "EUR", "territory": GERMANY,
        "work_title": "SALT AND CINDERS", "iswc": CINDERS_ISWC, "ip_name": "OKAFOR ADAEZE",
        "ip_ipi_name_number": OKAFOR_IPI, "ip_role": "CA", "share": "100.00",
        "use_type": "Broadcast", "gross_amount": net, "deductions": "0.00", "net_amount": net,
    }  # fmt: skip
    return list((row | changes).values())


FERRY_ROWS = [
    plain_row("5.00", work_title="MIDNIGHT FERRY", iswc=FERRY_ISWC, ip_name=name,
              ip_ipi_name_number=ipi, ip_role=role, share="50.00")
    for name, ipi, role in (("NORTHBANK MUSIC LTD", NORTHBANK_IPI, "E"),
                            ("HOLLOWAY JAMES", HOLLOWAY_IPI, "CA"))
]  # fmt: skip


@st.composite
def statements(draw: st.DrawFn) -> bytes:
    """A CSV statement: rows, some repeated, numbered or not, in a drawn order."""
    drawn = draw(st.lists(rows(), min_size=1, max_size=25))
    # Near copies: the same row with its net written another way (a text of the same value).
    near = [[*row[:-1], draw(st.sampled_from(SAME_VALUE))] for row in drawn[:3]]
    copies = [row for row in (*drawn, *near) for _ in range(draw(st.integers(1, 3)))]
    ordered = draw(st.permutations(copies))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    numbering = draw(st.sampled_from(["all", "none", "some"]))
    for index, row in enumerate(ordered, start=1):
        numbered = numbering == "all" or (numbering == "some" and index % 2 == 0)
        writer.writerow([str(index) if numbered else "", *row[1:]])
        if draw(st.integers(0, 20)) == 0:
            out.write("\n")  # a blank line
    return out.getvalue().encode()


def quick_way(data: bytes) -> Reconciliation:
    """Reconciled from the file, as ``gateway reconcile`` does: plain rows taken quickly."""
    reconciler = Reconciler(REGISTRY)
    add_statement(reconciler, io.BytesIO(data), source="s.csv")
    return reconciler.result()


def general_way(data: bytes) -> Reconciliation:
    """Read into lines first, then reconciled: every line through the general path."""
    reconciler = Reconciler(REGISTRY)
    reconciler.add_statement(list(read_statement_csv(io.BytesIO(data), source="s.csv")))
    return reconciler.result()


@PROPERTIES
@given(data=statements())
@example(data=csv_of([plain_row("-0.00"), plain_row("0.00")]))  # not the same text
@example(data=csv_of([plain_row("1.00", territory=FRANCE), plain_row("0.0"), plain_row("0.00")]))
@example(data=csv_of([plain_row("1.00"), *FERRY_ROWS]))  # each party of a group marked
def test_the_quick_path_gives_what_the_general_path_gives(data: bytes) -> None:
    """Every field of the result is the same whether plain rows take the quick path or not."""
    assert quick_way(data).to_dict() == general_way(data).to_dict()


def test_plain_rows_take_the_quick_path() -> None:
    """A plain statement is reconciled without building its lines (the quick path is used)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for number, (territory, use) in enumerate(
        [(GERMANY, "Broadcast"), (FRANCE, "Broadcast"), (GERMANY, "PerformInPublic")], start=1
    ):
        writer.writerow([
            str(number), "GEMA-PER-2025H1", "035", "052", "2025-01-01", "2025-06-30", "PER",
            "EUR", territory, "SALT AND CINDERS", CINDERS_ISWC, "", "", "", "OKAFOR ADAEZE",
            OKAFOR_IPI, "CA", "100.00", use, "", "", "10.00", "", "0.00", "10.00",
        ])  # fmt: skip
    data = out.getvalue().encode()
    reconciler = Reconciler(REGISTRY)
    add_statement(reconciler, io.BytesIO(data), source="s.csv")
    (run,) = reconciler._runs
    assert run.adder.totals().line_count == 1  # the first row teaches; the others are quick
    assert reconciler.result().to_dict() == general_way(data).to_dict()
    assert date(2025, 1, 1) == run.header.period_start
