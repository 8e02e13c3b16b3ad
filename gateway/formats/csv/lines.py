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
        self.number = 0  # physical lines read so far (the last one's number)
        self.taken = 0  # lines taken by another reader (see resume), all before the next one
        self._kept: list[tuple[int, bytes, int]] | None = None  # after resume: the lines left
        self._next_kept = 0
        self._lines_left = 0
        self._rest_at = 0  # where rest() began reading

    def __iter__(self) -> SourceLines:
        return self

    @property
    def next_number(self) -> int:
        """The number of the next line to be read."""
        if self._kept is not None and self._next_kept < len(self._kept):
            return self._kept[self._next_kept][0]
        return self.number + 1

    def rest(self, limit: int) -> bytes | None:
        """The rest of a binary, seekable stream of at most ``limit`` bytes, read; else None.

        The caller must then :meth:`resume` with it, saying which of its lines it took.
        """
        stream = self._stream
        if not self._binary or self._kept is not None or not stream.seekable():
            return None
        self._rest_at = stream.tell()
        size = stream.seek(0, 2) - self._rest_at
        stream.seek(self._rest_at)
        if size > limit:
            return None
        rest = stream.read()
        return rest if isinstance(rest, bytes) else None

    def resume(self, rest: bytes, kept: list[tuple[int, int]] | None) -> None:
        """Go on reading ``rest`` (from :meth:`rest`): only the lines ``kept``, or all (None).

        ``kept``: (index, offset where the line starts in ``rest``), in order. Lines keep their
        numbers; :attr:`taken` counts the lines jumped before the next one.
        """
        if kept is None:  # every line: read on from the stream, where the rest began
            self._stream.seek(self._rest_at)
            return
        first = self.number + 1
        # (number, the line as readline gives it, lines taken before it)
        self._kept = [
            (first + index, _line_at(rest, start), index - at)
            for at, (index, start) in enumerate(kept)
        ]
        self._lines_left = rest.count(b"\n") + (rest[-1:] not in {b"", b"\n"})
        self._next_kept = 0

    def __next__(self) -> str:
        if self._kept is not None:
            return self._next_kept_line()
        raw: str | bytes = self._stream.readline(self._max + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        return self._decoded(raw)

    def _next_kept_line(self) -> str:
        kept = self._kept
        assert kept is not None  # noqa: S101 - only after resume
        if self._next_kept >= len(kept):
            self.taken = self._lines_left - len(kept)
            raise StopIteration
        self.number, raw, self.taken = kept[self._next_kept]
        self._next_kept += 1
        if len(raw) - raw.endswith(b"\n") > self._max:
            self._problem(f"the line is longer than {self._max} bytes; it was skipped")
            return "\n"
        return self._decoded(raw)

    def _decoded(self, raw: str | bytes) -> str:
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


def _line_at(data: bytes, start: int) -> bytes:
    """The line of ``data`` starting at ``start``, with its line break if it has one."""
    end = data.find(b"\n", start)
    return data[start:] if end < 0 else data[start : end + 1]
