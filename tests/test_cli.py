"""The command line end to end: exit codes, formats, outputs, on fixtures and real samples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, SAMPLES

from gateway.cli import main

CLEAN = FIXTURES / "cwr" / "CW260002119_052.V21"
MIXED = FIXTURES / "cwr" / "CW260001119_052.V21"


def test_clean_file_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    """A file whose every transaction is accepted exits 0 and says ACCEPTED."""
    assert main(["validate", str(CLEAN)]) == 0
    assert "ACCEPTED" in capsys.readouterr().out


def test_partly_rejected_file_exits_one(capsys: pytest.CaptureFixture[str]) -> None:
    """One rejected work makes the file partially accepted: exit 1, the edit named."""
    assert main(["validate", str(MIXED), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "partially_accepted"
    assert report["counts"]["rejected"] == 1
    assert "NWR T 004" in {m["code"] for m in report["messages"]}


def test_html_report_is_written(tmp_path: Path) -> None:
    """--format html -o writes a standalone page naming the file."""
    out = tmp_path / "report.html"
    main(["validate", str(MIXED), "--format", "html", "-o", str(out)])
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "CW260001119_052.V21" in page
    assert "<mark" in page or "NWR T 004" in page


@pytest.mark.parametrize(
    ("target", "version"), [("cwr21", "2.1"), ("cwr22", "2.2"), ("cwr30", "3.0"), ("cwr31", "3.1")]
)
def test_translate_to_every_version(target: str, version: str, tmp_path: Path) -> None:
    """Translation writes a file of the target version that the reader accepts as such."""
    out = tmp_path / "out"
    losses = tmp_path / "losses.json"
    assert (
        main(["translate", str(CLEAN), "--to", target, "-o", str(out), "--losses", str(losses)])
        == 0
    )
    assert main(["validate", str(out), "--format", "json", "-o", str(tmp_path / "r.json")]) in (
        0,
        1,
    )
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["version"] == version
    assert report["counts"]["transactions"] == 3
    assert json.loads(losses.read_text())["target_version"] == version


def test_translate_a_non_cwr_file_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that is no CWR cannot be translated: exit 2 with the reason."""
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    assert main(["translate", str(path), "--to", "cwr22", "-o", str(tmp_path / "x")]) == 2
    assert "cannot be translated" in capsys.readouterr().err


def test_ack_command(tmp_path: Path) -> None:
    """gateway ack writes an ACK file; exit 1 since one work is rejected."""
    out = tmp_path / "CW260001052_119.V21"
    assert main(["ack", str(MIXED), "--society", "052", "-o", str(out)]) == 1
    statuses = [line[157:159] for line in out.read_text().splitlines() if line.startswith("ACK")]
    assert statuses == ["RA", "RA", "RA", "RJ"]


def test_edits_lists_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    """gateway edits counts the implemented catalogue edits and can list only the gaps."""
    assert main(["edits", "--format", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert 0 < listing["implemented"] < listing["edits"]
    assert main(["edits", "--missing", "--format", "json"]) == 0
    assert all(not r["implemented_by"] for r in json.loads(capsys.readouterr().out)["rows"])


def test_the_installed_command_runs_in_a_real_process(tmp_path: Path) -> None:
    """``python -m gateway validate`` on a real sample: exit 1, JSON on stdout, no traceback."""
    sample = SAMPLES / "v21" / "musicmetadata_CW190001MPC_000_INVALID.V21"
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "validate", str(sample), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout)["status"] == "rejected"
