"""Physical lines of a fixed-width file, read in bounded memory.

Real files end lines with CRLF, LF or nothing at all; hostile ones hold 10 MB lines or
binary. Each line is yielded as bytes without its line end; an overlong line is cut at
``max_line`` bytes and flagged, and the rest of it is skipped without being held.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

# tuple.__new__ builds a named tuple in C; calling the class runs its generated __new__, a
# Python call (measurable once per line of a million-record file).
_new = tuple.__new__
DEFAULT_MAX_LINE = 4096  # the widest CWR record (NAT) is 663 characters


class PhysicalLine(NamedTuple):
    """One line of the file as read, with what was odd about it."""

    number: int  # 1-based
    data: bytes
    overlong: int = 0  # bytes cut off past the limit (0 when the line fitted)
    line_end: bytes = b"\n"  # b"\r\n", b"\n" or b"" for a last line without one


def iter_lines(stream: BinaryIO, *, max_line: int = DEFAULT_MAX_LINE) -> Iterator[PhysicalLine]:
    """Yield the file's lines one at a time, never holding more than ``max_line`` bytes of one."""
    number = 0
    while True:
        chunk = stream.readline(max_line + 2)  # room for the content and a CRLF
        if not chunk:
            return
        number += 1
        overlong = 0
        if not chunk.endswith(b"\n") and len(chunk) > max_line:
            overlong = len(chunk) - max_line
            chunk, rest = chunk[:max_line], chunk[max_line:]
            while not rest.endswith(b"\n"):  # skip the rest of the line without keeping it
                rest = stream.readline(1 << 16)
                if not rest:
                    break
                overlong += len(rest)
            line_end = b"\n" if rest.endswith(b"\n") else b""
            overlong -= len(line_end)
            yield PhysicalLine(number, chunk, overlong, line_end)
            continue
        if chunk.endswith(b"\r\n"):
            data, line_end = chunk[:-2], b"\r\n"
        elif chunk.endswith(b"\n"):
            data, line_end = chunk[:-1], b"\n"
        else:
            data, line_end = chunk, b""
        if len(data) > max_line:  # max_line + 1 bytes and a bare LF
            overlong, data = len(data) - max_line, data[:max_line]
        yield _new(PhysicalLine, (number, data, overlong, line_end))  # a line a record: no frame
