"""Generate a large, valid CWR file for benchmarks by repeating real transactions.

The transactions of a real sample file (the PRS-derived 2.2 NWR file) are read once with the
gateway's reader, then written again and again through the strict ``CwrWriter`` — each copy
with its own submitter work number and title, so the works differ — until the file holds
about the requested number of records. The writer numbers transactions and records and
computes the GRT/TRL totals, so the result is a well-formed file; it is written straight to
disk, one transaction at a time, never held in memory.

    python bench/generate.py OUT --records 1000000 [--version 2.2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, cast

from gateway.formats.cwr.events import FileStarted, TransactionRead
from gateway.formats.cwr.reader import read_cwr
from gateway.formats.cwr.writer import CwrWriter
from gateway.model import Work

if TYPE_CHECKING:
    from gateway.model import FileHeader, TransactionRecord

# The shared folder beside the work tree, as the tests find it.
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "cwr" / "synthetic"
# The real sample each target version is made from; others are written from the 2.2 one.
SAMPLE_FOR_VERSION = {
    "2.1": SAMPLES / "derived_from_prs_ack_NWR_2.1.V21",
    "2.2": SAMPLES / "derived_from_prs_ack_NWR_2.2.V22",
}
ENVELOPE_TAIL = 2  # GRT + TRL, written after the last transaction
TITLE_SIZE = 60  # NWR title width
WORK_NUMBER_SIZE = 14  # NWR submitter work number width


class _Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


class _Discard:
    def write(self, data: bytes, /) -> int:
        return len(data)


class _CountingFile:
    """A binary sink that counts the lines written through it."""

    def __init__(self, out: _Sink) -> None:
        self._out = out
        self.lines = 0

    def write(self, data: bytes, /) -> int:
        self.lines += data.count(b"\n")
        return self._out.write(data)

    def as_binary(self) -> BinaryIO:
        """This sink where the writer wants a binary stream (it only calls ``write``)."""
        return cast("BinaryIO", self)


def templates(version: str = "2.2") -> tuple[FileHeader, list[TransactionRecord]]:
    """The sample's header and its transactions, read with the gateway reader."""
    sample = SAMPLE_FOR_VERSION.get(version, SAMPLE_FOR_VERSION["2.2"])
    header: FileHeader | None = None
    transactions: list[TransactionRecord] = []
    with sample.open("rb") as stream:
        for event in read_cwr(stream):
            if isinstance(event, FileStarted):
                header = event.header
            elif isinstance(event, TransactionRead):
                transactions.append(event.transaction.record)
    if header is None or not transactions:
        raise ValueError(f"{sample} has no header or no transactions")
    return header, transactions


def _varied(record: TransactionRecord, number: int) -> TransactionRecord:
    """A copy of the work with its own submitter work number and title."""
    if not isinstance(record, Work):
        return record  # the samples hold only works; anything else is repeated as it is
    work_number = f"BENCH{number:09d}"[-WORK_NUMBER_SIZE:]
    suffix = f" {number}"
    base = record.title[: TITLE_SIZE - len(suffix)].rstrip()
    return replace(record, submitter_work_number=work_number, title=base + suffix)


def _lines_per_transaction(
    header: FileHeader, transactions: list[TransactionRecord], version: str
) -> list[int]:
    """How many records the writer makes of each template transaction."""
    counts = []
    for record in transactions:
        sink = _CountingFile(_Discard())
        writer = CwrWriter(sink.as_binary(), version)
        writer.header(header)
        before = sink.lines
        writer.transaction(record)
        counts.append(sink.lines - before - 1)  # less the GRH the first transaction opens
    return counts


def generate(path: str | os.PathLike[str], records: int, version: str = "2.2") -> int:
    """Write a valid CWR file of about ``records`` records (never more); returns the count.

    The file is written to a temporary name beside ``path`` and renamed when complete, so a
    partial file is never mistaken for a finished one.
    """
    header, transactions = templates(version)
    sizes = _lines_per_transaction(header, transactions, version)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with partial.open("wb", buffering=1 << 20) as raw:
        out = _CountingFile(raw)
        writer = CwrWriter(out.as_binary(), version)
        writer.header(header)
        number = 0
        while True:
            index = number % len(transactions)
            if number and out.lines + sizes[index] + ENVELOPE_TAIL > records:
                break
            writer.transaction(_varied(transactions[index], number))
            number += 1
        writer.close()
        if writer.losses:
            print(f"warning: {len(writer.losses)} values lost writing CWR {version}")
        written = out.lines
    partial.replace(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python bench/generate.py OUT --records N [--version V]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="file to write")
    parser.add_argument("--records", type=int, default=1_000_000, help="about how many records")
    parser.add_argument("--version", default="2.2", help="CWR version (default 2.2)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    written = generate(args.out, args.records, args.version)
    elapsed = time.perf_counter() - started
    size = Path(args.out).stat().st_size
    print(
        f"{args.out}: {written:,} records, {size / 1e6:,.1f} MB, CWR {args.version}, "
        f"{elapsed:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
