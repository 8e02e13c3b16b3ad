"""Docs that tests keep true: commands, report keys and the gateway's own edits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from builders import cwr_bytes, work

from gateway.cli import _parser, main
from gateway.formats.cwr.edits import GATEWAY_EDITS

DOCS = Path(__file__).resolve().parents[1] / "docs"
README = Path(__file__).resolve().parents[1] / "README.md"
COMMANDS = ("validate", "translate", "ack", "reconcile", "serve", "deliveries", "demo", "edits")


def test_every_command_is_documented_with_help() -> None:
    """Each subcommand has help text and a section in docs/cli.md and a line in the README."""
    cli = (DOCS / "cli.md").read_text()
    readme = README.read_text()
    choices = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(choices) == set(COMMANDS)
    for name, sub in choices.items():
        assert sub.description or sub.format_help()
        assert f"## `gateway {name}" in cli
        assert f"gateway {name}" in readme


@pytest.mark.parametrize("command", COMMANDS)
def test_help_exits_zero(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``gateway COMMAND --help`` prints usage and exits 0."""
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_every_gateway_edit_is_documented() -> None:
    """Each GW edit the reader can emit is in docs/validation.md."""
    text = (DOCS / "validation.md").read_text()
    for edit in GATEWAY_EDITS:
        assert f"`{edit}`" in text


def test_report_keys_are_documented(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every key of the JSON report, its messages and transactions is in docs/reports.md."""
    path = tmp_path / "f.V21"
    path.write_bytes(cwr_bytes([work(), work(number="SW0002", iswc="T0000000000")]))
    main(["validate", str(path), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    text = (DOCS / "reports.md").read_text()
    keys = (
        set(report)
        | set(report["counts"])
        | set(report["messages"][0])
        | set(report["transactions"][0])
    )
    for key in keys:
        assert f"`{key}`" in text, key


def test_every_documented_api_error_status_is_in_the_openapi_document() -> None:
    """Each row of docs/service.md's API table: its error statuses are the operation's answers."""
    from gateway.service.openapi import OPENAPI  # noqa: PLC0415 - the service's imports here

    table = (DOCS / "service.md").read_text().split("## HTTP API", 1)[1].split("\n\n", 2)[1]
    checked = 0
    for row in table.splitlines()[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        method, _, path = cells[0].strip("`").partition(" ")
        path = path.split("?")[0].split("[")[0]
        operation = OPENAPI["paths"][path][method.lower()]
        for status in re.findall(r"`(\d{3}) [a-z_]+`", cells[2]):
            assert status in operation["responses"], f"{method} {path}: {status}"
            checked += 1
    assert checked >= 10
