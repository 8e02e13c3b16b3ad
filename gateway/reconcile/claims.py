"""Claims files: what to claim from each society that paid us, and what to ask it about.

One CSV text per paying society (``claims-SOCIETY.csv``), from one :class:`Reconciliation`:

* every ``underpaid`` finding is a **claim** (a share paid short, a party left out, a declared
  total above the lines, money short on the remittance, a reversal paid twice ...);
* every ``unallocated`` finding is a **query** (a line matching no work, a party not on the
  work): the money is ours to find an owner for, not to claim;
* ``overpaid`` findings are not claimed and are left out.

Claims come first, then queries, each in the result's order; each row has a number
``{society}-{distribution_id}-{n:04d}`` (``n`` counts per statement). The file ends with one
``total`` row per currency, summing the claims in it (``kind`` says ``claim``) and then the
queries (``kind`` says ``query``), each beside its sum in the home currency.

The society is the one that paid: the statement's paying society when it names one, else its
sender. A remittance finding over statements of several societies cannot be charged to one of
them, so it is a query in each of their files.

Every text cell from a statement goes through :func:`spreadsheet_cell`, so a title like
``=HYPERLINK(...)`` stays text when the file is opened in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from gateway.reconcile.money import Money, sum_money
from gateway.reconcile.result import Discrepancy, Reconciliation, StatementResult

CLAIM_COLUMNS = (
    "type",
    "claim_number",
    "kind",
    "distribution_id",
    "period",
    "right_type",
    "work",
    "title",
    "party",
    "territory",
    "use_type",
    "lines",
    "amount",
    "currency",
    "amount_home",
    "home_currency",
    "reason",
)
# Direction of a finding -> the row type it makes; overpaid makes none.
ROW_TYPE = {"underpaid": "claim", "unallocated": "query"}

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and CR, may
# strip the blank and then read one): OWASP's list for CSV injection.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SOCIETY_CODE = re.compile(r"[0-9]{3}")
_LIST_SEPARATOR = ", "  # how the remittance check joins several statements' ids and senders


def spreadsheet_cell(text: str) -> str:
    """``text`` as a spreadsheet shows it, never runs it: a formula start gets a leading '."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def claims_by_society(result: Reconciliation) -> dict[str, str]:
    """The claims file of each paying society with anything to claim or query, by its code."""
    rows: dict[str, list[tuple[str, Discrepancy]]] = {}
    for item in result.discrepancies:
        row_type = ROW_TYPE.get(item.direction)
        if row_type is None:
            continue
        payers = _payers(item, result.statements)
        if len(payers) > 1:
            row_type = "query"  # nobody can be sent the whole of it
        for payer in payers:
            rows.setdefault(payer, []).append((row_type, item))
    return {
        society: _claims_text(society, found, result.statements, result.home)
        for society, found in sorted(rows.items())
    }


def write_claims(result: Reconciliation, directory: Path) -> list[Path]:
    """Write ``claims-SOCIETY.csv`` of each society into ``directory``; the paths, sorted.

    Each file appears whole or not at all (written beside it, then renamed over it); the
    directory is created when missing. Files of earlier runs are left alone.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for society, text in claims_by_society(result).items():
        if not _SOCIETY_CODE.fullmatch(society):
            raise ValueError(f"society code {society!r} is not 3 digits: no claims file named")
        path = directory / f"claims-{society}.csv"
        _write_atomically(path, text.encode("utf-8"))
        written.append(path)
    return sorted(written)


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _payers(item: Discrepancy, statements: Iterable[StatementResult]) -> list[str]:
    """The societies that paid the statements behind ``item`` (several for a remittance)."""
    ids = {item.distribution_id}
    senders = {item.sender_society}
    mine = _statements_of(ids, senders, statements)
    if not mine:  # the remittance check names all its statements in one field
        ids = set(item.distribution_id.split(_LIST_SEPARATOR))
        senders = set(item.sender_society.split(_LIST_SEPARATOR))
        mine = _statements_of(ids, senders, statements)
    payers = {s.header.paying_society or s.header.sender_society for s in mine}
    return sorted(payers or senders)


def _statements_of(
    ids: set[str], senders: set[str], statements: Iterable[StatementResult]
) -> list[StatementResult]:
    return [
        s
        for s in statements
        if s.header.distribution_id in ids and s.header.sender_society in senders
    ]


def _claims_text(
    society: str,
    found: list[tuple[str, Discrepancy]],
    statements: tuple[StatementResult, ...],
    home: str,
) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CLAIM_COLUMNS)
    numbers: Counter[str] = Counter()
    ordered = [pair for pair in found if pair[0] == "claim"] + [
        pair for pair in found if pair[0] == "query"
    ]
    for row_type, item in ordered:
        numbers[item.distribution_id] += 1
        reference = item.distribution_id.replace(_LIST_SEPARATOR, "+")
        number = f"{society}-{reference}-{numbers[item.distribution_id]:04d}"
        writer.writerow(_row(row_type, number, item, statements))
    for row_type in ROW_TYPE.values():
        writer.writerows(_totals(row_type, [i for t, i in ordered if t == row_type], home))
    return out.getvalue()


def _row(
    row_type: str, number: str, item: Discrepancy, statements: tuple[StatementResult, ...]
) -> list[str]:
    mine = _statements_of(
        set(item.distribution_id.split(_LIST_SEPARATOR)) | {item.distribution_id},
        set(item.sender_society.split(_LIST_SEPARATOR)) | {item.sender_society},
        statements,
    )
    periods = dict.fromkeys(
        f"{s.header.period_start.isoformat()}..{s.header.period_end.isoformat()}" for s in mine
    )
    rights = dict.fromkeys(s.header.right_type for s in mine)
    evidence = dict(item.evidence)
    text = [
        row_type,
        number,
        item.kind,
        item.distribution_id,
        "; ".join(periods),
        "; ".join(rights),
        item.work,
        item.title,
        item.party,
        evidence.get("territory", ""),
        evidence.get("use_type", ""),
        ";".join(str(line) for line in item.lines),
    ]
    money = [
        str(item.amount.amount),
        item.amount.currency,
        str(item.amount_home.amount),
        item.amount_home.currency,
    ]
    return [*(spreadsheet_cell(cell) for cell in text), *money, spreadsheet_cell(item.message)]


def _totals(row_type: str, items: list[Discrepancy], home: str) -> list[list[str]]:
    """One ``total`` row per currency of ``items``: the amounts and their home amounts summed."""
    rows = []
    for currency in sorted({item.amount.currency for item in items}):
        mine = [item for item in items if item.amount.currency == currency]
        amount: Money = sum_money((item.amount for item in mine), currency)
        at_home = sum_money((item.amount_home for item in mine), home)
        plural = "" if len(mine) == 1 else "s"
        rows.append(
            ["total", "TOTAL", row_type, *[""] * 9, str(amount.amount), currency,
             str(at_home.amount), home, f"{len(mine)} {row_type}{plural} in {currency}"]
        )  # fmt: skip
    return rows
