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
_BLOCK = 1 << 16  # bytes read at a time


class PhysicalLine(NamedTuple):
    """One line of the file as read, with what was odd about it."""

    number: int  # 1-based
    data: bytes
    overlong: int = 0  # bytes cut off past the limit (0 when the line fitted)
    line_end: bytes = b"\n"  # b"\r\n", b"\n" or b"" for a last line without one


def iter_lines(
    stream: BinaryIO, *, max_line: int = DEFAULT_MAX_LINE, block: int = _BLOCK
) -> Iterator[PhysicalLine]:
    """Yield the file's lines one at a time, never holding more than ``max_line`` bytes of one.

    Read ``block`` bytes at a time and split in C (a ``readline`` per line cost more than the
    rest of reading a line). Of a line longer than ``max_line``, its first ``max_line`` bytes
    are kept and the others counted (``overlong``): a CRLF's CR counts among them once the line
    is more than a byte too long, as if read a line at a time with ``readline(max_line + 2)``.
    """
    number = 0
    keep = max_line + 2
    head, size = b"", 0  # the line being read: its first ``keep`` bytes, its length so far
    while chunk := stream.read(block):
        pieces = chunk.split(b"\n")
        last = pieces.pop()  # the start of a line the next block goes on with
        for end_of_line in pieces:
            number += 1
            piece, length = end_of_line, len(end_of_line)
            if size:
                piece, length = (head + piece)[:keep], size + length
                head, size = b"", 0
            if length > max_line + 1:  # too long, however it ends
                yield _new(PhysicalLine, (number, piece[:max_line], length - max_line, b"\n"))
            elif piece.endswith(b"\r"):
                yield _new(PhysicalLine, (number, piece[:-1], 0, b"\r\n"))
            elif length > max_line:  # max_line + 1 bytes and a bare LF
                yield _new(PhysicalLine, (number, piece[:max_line], 1, b"\n"))
            else:
                yield _new(PhysicalLine, (number, piece, 0, b"\n"))  # a line a record: in C
        if last:
            if len(head) < keep:
                head += last[: keep - len(head)]
            size += len(last)
    if size:  # the last line, without a line end
        yield _new(PhysicalLine, (number + 1, head[:max_line], max(0, size - max_line), b""))
