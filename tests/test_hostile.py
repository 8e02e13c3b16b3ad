"""Broken and hostile input ends in a clear report or error, exit 1 or 2, never a traceback."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from builders import cwr_bytes, work
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.cli import main
from gateway.formats.cwr.reader import ReaderLimits
from gateway.formats.edi.lines import PhysicalLine, iter_lines
from gateway.validation.engine import validate

VALID = cwr_bytes([work(), work("OTHER", "SW0002")])


def _run(
    tmp_path: Path, data: bytes, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    path = tmp_path / "input.V21"
    path.write_bytes(data)
    status = main(["validate", str(path), "--format", "json", *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def _edits(out: str) -> set[str]:
    import json  # noqa: PLC0415 - only these tests parse the report

    return {m["code"] for m in json.loads(out)["messages"]}


def test_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty file is rejected with 'the file is empty'."""
    status, out, _ = _run(tmp_path, b"", capsys)
    assert status == 1
    assert "GW E 001" in _edits(out)


def test_binary_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Random bytes with NULs are rejected as unreadable lines, without a traceback."""
    data = random.Random(7).randbytes(200_000)  # noqa: S311 - test data, not a secret
    status, out, _ = _run(tmp_path, data, capsys)
    assert status == 1
    assert _edits(out) & {"GW R 001", "FIL E 002", "FIL F 001"}


@pytest.mark.parametrize("first", [b"<", b"\xff\xfe", b"\x00<"])
def test_binary_file_that_looks_like_xml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], first: bytes
) -> None:
    """Random bytes that start like XML are refused by the XML reader, without a traceback."""
    data = first + random.Random(7).randbytes(200_000)  # noqa: S311 - test data
    status, out, _ = _run(tmp_path, data, capsys)
    assert status == 1
    assert _edits(out) & {"GW E 005", "GW E 006", "GW E 008"}


def test_nul_bytes_inside_a_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A record holding a NUL byte is reported at its line and left out."""
    lines = VALID.split(b"\r\n")
    lines[3] = lines[3][:30] + b"\x00" + lines[3][31:]
    status, out, _ = _run(tmp_path, b"\r\n".join(lines), capsys)
    assert status == 1
    assert "GW R 001" in _edits(out)


def test_ten_megabyte_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 10 MB line is cut at the reader's limit, reported, and the rest of the file still read."""
    lines = VALID.split(b"\r\n")
    lines.insert(3, b"SPU" + b"X" * 10_000_000)
    status, out, _ = _run(tmp_path, b"\r\n".join(lines), capsys)
    assert status == 1
    assert "GW R 002" in _edits(out)


def test_file_stops_mid_transaction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file cut inside a transaction reports the missing GRT and TRL."""
    status, out, _ = _run(tmp_path, VALID[: len(VALID) // 2], capsys)
    assert status == 1
    assert {"GW E 002", "FIL E 005"} <= _edits(out)


def test_wrong_encoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bytes that are not UTF-8 in a file whose HDR says UTF-8 are reported, not fatal."""
    hdr = VALID.split(b"\r\n")[0]
    hdr = hdr[:86] + b"UTF-8".ljust(15) + hdr[101:]
    lines = VALID.split(b"\r\n")
    lines[0] = hdr
    lines[2] = lines[2][:19] + b"\xff\xfe" + lines[2][21:]
    status, out, _ = _run(tmp_path, b"\r\n".join(lines), capsys)
    assert "GW R 005" in _edits(out)
    assert status in (0, 1)


def test_line_limit_is_exact() -> None:
    """A line of exactly the limit is read; one byte more is cut and reported (limit N and N+1)."""
    limit = 300
    for extra, flagged in ((0, False), (1, True)):
        line = b"ALT0000000000000001" + b"A" * (limit - 19 + extra)
        report = validate(io.BytesIO(VALID + line + b"\r\n"), limits=ReaderLimits(max_line=limit))
        assert ("GW R 002" in {m.edit for m in report.messages}) is flagged


def test_message_limit_is_exact() -> None:
    """Past the message limit the rest is read but not reported, and the report says so."""
    junk = b"XYZ\r\n" * 50
    report = validate(io.BytesIO(VALID + junk), limits=ReaderLimits(max_messages=10))
    edits = [m.edit for m in report.messages]
    assert len(edits) <= 11
    assert "GW E 004" in edits


def test_missing_file_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file cannot be validated: exit 2 and a one-line error."""
    assert main(["validate", "/nonexistent/file.V21"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_unknown_society_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown rule pack is a usage error (exit 2), not a rejection."""
    path = tmp_path / "f.V21"
    path.write_bytes(VALID)
    assert main(["validate", str(path), "--society", "nosuchpack"]) == 2
    assert "no rule pack" in capsys.readouterr().err


def test_directory_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A directory is no file: exit 2."""
    assert main(["validate", str(tmp_path)]) == 2
    assert capsys.readouterr().err


def test_report_message_cap_is_exact() -> None:
    """A report keeps N messages at cap N and counts the rest; statuses still see them all."""
    bad = cwr_bytes([work(number=f"SW{n:04d}", iswc="T0000000000") for n in range(5)])
    full = validate(io.BytesIO(bad))
    total = len(full.messages)
    for cap in (total, total - 1):
        report = validate(io.BytesIO(bad), max_messages=cap)
        assert len(report.messages) == cap
        assert report.messages_dropped == total - cap
        assert report.counts == full.counts


def _lines_a_readline_at_a_time(stream: io.BytesIO, max_line: int) -> list[PhysicalLine]:
    """The definition of the reader's lines: ``readline(max_line + 2)`` a line at a time."""
    lines, number = [], 0
    while chunk := stream.readline(max_line + 2):
        number += 1
        if not chunk.endswith(b"\n") and len(chunk) > max_line:
            overlong, rest = len(chunk) - max_line, chunk[max_line:]
            chunk = chunk[:max_line]
            while not rest.endswith(b"\n") and (rest := stream.readline(5)):
                overlong += len(rest)
            line_end = b"\n" if rest.endswith(b"\n") else b""
            lines.append(PhysicalLine(number, chunk, overlong - len(line_end), line_end))
            continue
        data, line_end = chunk, b""
        for end in (b"\r\n", b"\n"):
            if chunk.endswith(end):
                data, line_end = chunk[: -len(end)], end
                break
        overlong = max(0, len(data) - max_line)
        lines.append(PhysicalLine(number, data[:max_line], overlong, line_end))
    return lines


@settings(max_examples=500, deadline=None)
@given(
    data=st.lists(st.sampled_from([b"a", b"bc", b"\r", b"\n", b"\r\n", b"defgh"]), max_size=30).map(
        b"".join
    ),
    max_line=st.integers(1, 8),
    block=st.integers(1, 9),
)
def test_lines_read_in_blocks_are_those_read_a_line_at_a_time(
    data: bytes, max_line: int, block: int
) -> None:
    """Whatever the block size, however lines end (CRLF, LF, a bare CR, none), however long."""
    expected = _lines_a_readline_at_a_time(io.BytesIO(data), max_line)
    assert list(iter_lines(io.BytesIO(data), max_line=max_line, block=block)) == expected
