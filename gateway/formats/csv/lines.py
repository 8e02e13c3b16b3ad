"""The physical lines of a CSV file, decoded one at a time, bounded, and numbered.

The csv module reads from any iterable of strings; feeding it this one keeps memory bounded by
the longest line allowed rather than by the file, lets a byte that is not UTF-8 be reported on
its own line (instead of ending the file where a decoding wrapper would raise), and drops a
leading byte-order mark.
"""

from __future__ import annotations

import codecs
from typing import BinaryIO, TextIO

from gateway.model import StatementIssue

_BOM = "\ufeff"


class SourceLines:
    """An iterator of decoded lines; problems wait in :meth:`take_problems` until collected.

    A line longer than ``max_length`` (bytes for a binary stream, characters for a text one,
    line break excluded) is skipped to its end and read as an empty line; a line that is not
    UTF-8 is decoded with U+FFFD for each bad byte. Either leaves a located problem behind.
    """

    def __init__(self, stream: TextIO | BinaryIO, max_length: int) -> None:
        self._stream = stream
        self._binary = isinstance(stream.read(0), bytes)
        self._max = max_length
        self.problems: list[StatementIssue] = []  # waiting for take_problems(); cheap to test
        self.number = 0  # physical lines read so far

    def __iter__(self) -> SourceLines:
        return self

    def __next__(self) -> str:
        raw: str | bytes = self._stream.readline(self._max + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        newline = b"\n" if isinstance(raw, bytes) else "\n"
        if len(raw) > self._max and not raw.endswith(newline):  # type: ignore[arg-type]
            self._skip_rest(newline)
            unit = "bytes" if self._binary else "characters"
            self._problem(f"the line is longer than {self._max} {unit}; it was skipped")
            return "\n"
        if isinstance(raw, str):
            return raw.removeprefix(_BOM) if self.number == 1 else raw
        if self.number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            bad = raw[error.start : error.start + 1].hex().upper()
            self._problem(f"is not UTF-8: byte 0x{bad} at byte {error.start + 1} of the line")
            return raw.decode("utf-8", errors="replace")

    def take_problems(self) -> list[StatementIssue]:
        """The problems found since the last call, in line order."""
        problems, self.problems = self.problems, []
        return problems

    def _problem(self, message: str) -> None:
        self.problems.append(
            StatementIssue(line=self.number, column=None, field="", value="", message=message)
        )

    def _skip_rest(self, newline: str | bytes) -> None:
        while True:
            more: str | bytes = self._stream.readline(self._max + 1)
            if not more or more.endswith(newline):  # type: ignore[arg-type]
                return
