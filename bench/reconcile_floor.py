"""A floor for reconciling a CSV statement in CPython: the least a row could cost, nothing checked.

    python bench/reconcile_floor.py STATEMENT.csv [--repeat 2]

Not a reconciliation: per row it only reads the CSV, looks the ISWC up in a dict, keeps one
share per (work, IPI, territory), turns two amounts into integers, checks a tuple-keyed
duplicate set and adds to a group sum. No value is checked, no title or party is matched, no
finding is made. What it takes bounds from below what any pure-Python reconciliation of the
same statement can take on this machine; ``bench/reconcile.py`` writes the statement (its
``--workdir``). Prints lines/s of this loop and of bare ``csv.reader``, best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path


def bare(statement: Path) -> int:
    """Rows of the statement read by ``csv.reader``, nothing else."""
    rows = 0
    with statement.open(newline="", encoding="utf-8") as stream:
        for _ in csv.reader(stream):
            rows += 1
    return rows - 1  # the header


def minimal(statement: Path) -> int:
    """The minimal loop of the module docstring; the rows it read."""
    works: dict[str, int] = {}
    shares: dict[tuple[int, str, str], int] = {}
    seen: set[tuple[object, ...]] = set()
    groups: dict[tuple[int, str, str], list[int]] = {}
    rows = paid = 0
    with statement.open(newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        column = {name: at for at, name in enumerate(next(reader))}
        iswc, ipi, territory = column["iswc"], column["ip_ipi_name_number"], column["territory"]
        use, share_at = column["use_type"], column["share"]
        gross_at, net_at = column["gross_amount"], column["net_amount"]
        for row in reader:
            rows += 1
            work = works.get(row[iswc])
            if work is None:
                work = works[row[iswc]] = len(works)
            key = (work, row[ipi], row[territory])
            share = shares.get(key)
            if share is None:
                share = shares[key] = int(row[share_at].replace(".", ""))
            net = int(row[net_at].replace(".", ""))
            gross = int(row[gross_at].replace(".", ""))
            payment = (key, row[use], net, gross)
            if payment in seen:
                continue
            seen.add(payment)
            group_key = (work, row[territory], row[use])
            group = groups.get(group_key)
            if group is None:
                groups[group_key] = [net, share]
            else:
                group[0] += net
                group[1] += share
            paid += net
    return rows


def main(argv: list[str] | None = None) -> int:
    """Time both loops and print their rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("statement", type=Path, help="a CSV statement (bench/reconcile.py's)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each (best reported)")
    args = parser.parse_args(argv)
    if not args.statement.is_file():
        parser.error(f"no file {args.statement}")
    for name, loop in (("csv.reader", bare), ("minimal loop", minimal)):
        best, rows = float("inf"), 0
        for _ in range(max(1, args.repeat)):
            started = time.perf_counter()
            rows = loop(args.statement)
            best = min(best, time.perf_counter() - started)
        print(f"{name:14s} {rows:,} rows in {best:.2f} s: {rows / best:,.0f} lines/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
