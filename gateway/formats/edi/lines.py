"""Physical lines of a fixed-width file, read in bounded memory.

Real files end lines with CRLF, LF or nothing at all; hostile ones hold 10 MB lines or
binary. Each line is yielded as bytes without its line end; an overlong line is cut at
``max_line`` bytes and flagged, and the rest of it is skipped without being held.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

DEFAULT_MAX_LINE = 4096  # the widest CWR record (NAT) is 663 characters


@dataclass(frozen=True, slots=True)
class PhysicalLine:
    """One line of the file as read, with what was odd about it."""

    number: int  # 1-based
    data: bytes
    overlong: int = 0  # bytes cut off past the limit (0 when the line fitted)
    line_end: bytes = b"\n"  # b"\r\n", b"\n" or b"" for a last line without one


def iter_lines(stream: BinaryIO, *, max_line: int = DEFAULT_MAX_LINE) -> Iterator[PhysicalLine]:
    """Yield the file's lines one at a time, never holding more than ``max_line`` bytes."""
    number = 0
    while True:
        chunk = stream.readline(max_line + 1)
        if not chunk:
            return
        number += 1
        overlong = 0
        if len(chunk) > max_line and not chunk.endswith(b"\n"):
            data = chunk[:max_line]
            overlong = len(chunk) - max_line
            tail = chunk[max_line:]
            while not tail.endswith(b"\n"):
                tail = stream.readline(1 << 16)
                if not tail:
                    break
                overlong += len(tail)
            chunk = data + (b"\n" if tail.endswith(b"\n") else b"")
            overlong -= 1 if tail.endswith(b"\n") else 0
        if chunk.endswith(b"\r\n"):
            yield PhysicalLine(number, chunk[:-2], overlong, b"\r\n")
        elif chunk.endswith(b"\n"):
            yield PhysicalLine(number, chunk[:-1], overlong, b"\n")
        else:
            yield PhysicalLine(number, chunk, overlong, b"")
