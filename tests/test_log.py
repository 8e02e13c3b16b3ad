"""Structured log events: JSON lines, the catalogue contract, redaction, and docs in step."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog
from log_contract import LogLines, line_problems

from gateway import log
from gateway.log import CATALOGUE, EventSpec, LogContractError, bind, configure, emit

pytest_plugins = ["pytester"]  # log_contract itself is registered by conftest.py

EVENTS_MD = Path(__file__).resolve().parents[1] / "docs" / "events.md"
TESTS = Path(__file__).resolve().parent
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"


def documented_fields(event: str, value: object = "x") -> dict[str, object]:
    """Every documented field of ``event``, each set to ``value``."""
    return dict.fromkeys(CATALOGUE[event].fields, value)


def test_line_is_json_with_standard_keys_first(log_lines: LogLines) -> None:
    """A line is one JSON object: event, timestamp, level, then the event's fields."""
    emit("transfer.pulled", node="052", transport="sftp", file_name="CW250001052_035.V21", bytes=9)
    (line,) = log_lines()
    assert list(line)[:3] == ["event", "timestamp", "level"]
    assert line["event"] == "transfer.pulled"
    assert line["level"] == "info"
    assert line["file_name"] == "CW250001052_035.V21"
    assert line["bytes"] == 9


def test_one_line_per_event() -> None:
    """Each event is written as exactly one newline-terminated line."""
    stream = io.StringIO()
    configure(stream=stream, strict=True)
    emit("service.stopped", node="052")
    emit("service.stopped", node="035")
    text = stream.getvalue()
    assert text.endswith("\n")
    assert [json.loads(line)["node"] for line in text.splitlines()] == ["052", "035"]


def test_timestamp_is_utc_iso_with_milliseconds(log_lines: LogLines) -> None:
    """The timestamp reads YYYY-MM-DDTHH:MM:SS.mmmZ and is the moment of emitting."""
    before = datetime.now(UTC).replace(microsecond=0)
    emit("service.stopped", node="052")
    after = datetime.now(UTC)
    stamp = log_lines()[0]["timestamp"]
    assert isinstance(stamp, str)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
    assert before <= datetime.fromisoformat(stamp) <= after


def test_level_comes_from_the_catalogue(log_lines: LogLines) -> None:
    """An event logs at its catalogued level, whatever the caller."""
    emit("delivery.dead_lettered", **documented_fields("delivery.dead_lettered"))
    emit("request.refused", **documented_fields("request.refused"))
    assert [line["level"] for line in log_lines()] == ["error", "warning"]


def test_events_below_the_configured_level_are_dropped() -> None:
    """With level=warning, info events are not written and warnings are."""
    stream = io.StringIO()
    configure(stream=stream, level="warning", strict=True)
    emit("service.stopped", node="052")
    emit("request.refused", **documented_fields("request.refused"))
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == [
        "request.refused"
    ]


def test_configure_again_switches_the_stream() -> None:
    """A second configure() sends later events to the new stream only."""
    first, second = io.StringIO(), io.StringIO()
    configure(stream=first)
    configure(stream=second)
    emit("service.stopped", node="052")
    assert first.getvalue() == ""
    assert json.loads(second.getvalue())["event"] == "service.stopped"


def test_default_stream_is_the_current_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    """Without a stream, lines go to sys.stdout as it is when they are written."""
    configure()
    emit("service.stopped", node="052")
    assert json.loads(capsys.readouterr().out)["node"] == "052"


def test_emit_before_configure_still_writes_json(capsys: pytest.CaptureFixture[str]) -> None:
    """Emitting with structlog unconfigured sets up the JSON pipeline rather than console text."""
    structlog.reset_defaults()
    emit("service.stopped", node="052")
    line = json.loads(capsys.readouterr().out)
    assert list(line)[:3] == ["event", "timestamp", "level"]


def test_strict_refuses_an_unknown_event(log_lines: LogLines) -> None:
    """In strict mode an event the catalogue lacks raises, is recorded, and writes nothing."""
    log.take_violations()  # anything older belongs to whoever recorded it
    with pytest.raises(LogContractError, match=r"'submission\.teleported' is not in"):
        emit("submission.teleported", node="052")
    assert log_lines() == []
    assert log.take_violations() == [
        "log event 'submission.teleported' is not in gateway.log.CATALOGUE (nor docs/events.md)"
    ]


def test_strict_refuses_a_missing_documented_field() -> None:
    """In strict mode an event lacking documented fields raises and names them."""
    log.take_violations()
    fields = documented_fields("submission.received")
    del fields["sha256"], fields["bytes"]
    with pytest.raises(LogContractError, match=r"'submission\.received' lacks .*: bytes, sha256"):
        emit("submission.received", **fields)
    assert len(log.take_violations()) == 1


def test_strict_refuses_reserved_keys() -> None:
    """A caller may not set timestamp or level; the pipeline would silently overwrite them."""
    with pytest.raises(LogContractError, match="reserved key"):
        emit("service.stopped", node="052", timestamp="yesterday")
    log.take_violations()


def test_bound_fields_count_as_documented(log_lines: LogLines) -> None:
    """A field bound to the context (node) satisfies the catalogue."""
    bind(node="058")
    emit("service.stopped")
    assert log_lines()[0]["node"] == "058"


def test_extra_fields_are_allowed(log_lines: LogLines) -> None:
    """Fields beyond the documented ones are written; consumers ignore what they don't know."""
    emit("service.stopped", node="052", reason="SIGTERM")
    assert log_lines()[0]["reason"] == "SIGTERM"


def test_lenient_mode_writes_and_records_violations() -> None:
    """Outside strict mode a broken event is still written, and the violation is recorded."""
    log.take_violations()
    stream = io.StringIO()
    configure(stream=stream, strict=False)
    emit("submission.teleported", node="052")
    emit("service.stopped")
    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert events == ["submission.teleported", "service.stopped"]
    violations = log.take_violations()
    assert len(violations) == 2
    assert "lacks documented field(s): node" in violations[1]


@pytest.mark.parametrize(
    "key",
    ["secret", "client_secret", "password", "PASSWORD", "private_key", "privateKey",
     "signature", "x_signature", "authorization", "Authorization", "api_key", "token"],
)  # fmt: skip
def test_secret_keys_are_redacted(key: str, log_lines: LogLines) -> None:
    """A value under a key named like a secret never reaches the line."""
    emit("service.stopped", node="052", **{key: "hunter2"})
    line = log_lines()[0]
    assert line[key] == log.REDACTED
    assert "hunter2" not in json.dumps(line)


def test_secrets_are_redacted_at_any_depth(log_lines: LogLines) -> None:
    """Nested mappings and lists are searched; other values stay as they were."""
    emit(
        "request.refused",
        **documented_fields("request.refused"),
        headers={"Authorization": "Bearer abc", "Accept": "application/json"},
        partners=[{"code": "035", "password": "pw"}],
        body=PEM,
    )
    line = log_lines()[0]
    assert line["headers"] == {"Authorization": log.REDACTED, "Accept": "application/json"}
    assert line["partners"] == [{"code": "035", "password": log.REDACTED}]
    assert line["body"] == log.REDACTED
    assert line["code"] == "x"


def test_bind_as_context_restores_on_exit(log_lines: LogLines) -> None:
    """``with bind(...)`` adds fields inside the block and restores the earlier ones after."""
    bind(node="052")
    with bind(node="035", submission_id="s-1"):
        emit("service.stopped")
    emit("service.stopped")
    inside, after = log_lines()
    assert (inside["node"], inside["submission_id"]) == ("035", "s-1")
    assert after["node"] == "052"
    assert "submission_id" not in after


@pytest.mark.parametrize("event", sorted(CATALOGUE))
def test_every_catalogued_event_keeps_the_contract(event: str, log_lines: LogLines) -> None:
    """Each catalogued event, emitted with its documented fields, makes a valid line."""
    emit(event, **documented_fields(event, 1))
    (line,) = log_lines()
    assert line["event"] == event
    assert line_problems(json.dumps(line)) == []


def test_monotonic_ms_counts_whole_milliseconds() -> None:
    """Elapsed time since a monotonic start is whole milliseconds, never negative."""
    elapsed = log.monotonic_ms(time.monotonic() - 1.5)
    assert isinstance(elapsed, int)
    assert elapsed >= 1500
    assert log.monotonic_ms(time.monotonic() + 60) == 0


def test_bad_levels_are_refused() -> None:
    """An unknown level, in configure or in a catalogue entry, is a clear ValueError."""
    with pytest.raises(ValueError, match="'loud' is not one of"):
        configure(level="loud")
    with pytest.raises(ValueError, match="'loud' is not one of"):
        EventSpec("loud", "an event", {})


def test_catalogue_is_read_only() -> None:
    """Neither the catalogue nor an event's fields can be changed at run time."""
    with pytest.raises(TypeError):
        CATALOGUE["x.y"] = EventSpec("info", "x")  # type: ignore[index]
    with pytest.raises(TypeError):
        CATALOGUE["service.stopped"].fields["extra"] = "x"  # type: ignore[index]


def _documented_events(text: str) -> dict[str, tuple[str, list[str]]]:
    """Parse docs/events.md: each ``### event`` with its level and the fields of its table."""
    events: dict[str, tuple[str, list[str]]] = {}
    for section in re.split(r"^### ", text, flags=re.MULTILINE)[1:]:
        name, body = section.split("\n", 1)
        level = re.search(r"^Level `(\w+)`\.", body, flags=re.MULTILINE)
        assert level, f"docs/events.md: {name} has no 'Level `...`.' line"
        fields = re.findall(r"^\| `(\w+)` \|", body, flags=re.MULTILINE)
        events[name.strip()] = (level.group(1), fields)
    return events


def test_docs_list_exactly_the_catalogue() -> None:
    """docs/events.md has one section per catalogued event, with its level and every field."""
    documented = _documented_events(EVENTS_MD.read_text(encoding="utf-8"))
    assert set(documented) == set(CATALOGUE)
    for name, spec in CATALOGUE.items():
        assert documented[name] == (spec.level, list(spec.fields)), name


GOOD = {"event": "service.stopped", "timestamp": "2025-01-01T00:00:00.000Z", "level": "info"}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"timestamp": GOOD["timestamp"], **GOOD, "node": "1"}), "does not start with"),
        (json.dumps(GOOD | {"timestamp": "2025-01-01T00:00:00Z", "node": "1"}), "milliseconds"),
        (json.dumps(GOOD | {"event": "x.y"}), "not catalogued"),
        (json.dumps(GOOD), "lacks documented field(s) node"),
        (json.dumps(GOOD | {"level": "error", "node": "1"}), "level is not"),
        (json.dumps(GOOD | {"node": "1", "peer": {"signature": "abc"}}), "secret under signature"),
    ],
)
def test_the_plugin_finds_broken_lines(line: str, problem: str) -> None:
    """The plugin's line check names what is wrong with a line."""
    problems = line_problems(line)
    assert len(problems) == 1
    assert problem in problems[0]


def test_the_plugin_fails_a_test_that_broke_the_contract(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test whose code emitted an uncatalogued event fails, even if the error was swallowed."""
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    pytester.makepyfile(
        test_inner="""
        import contextlib
        from gateway.log import LogContractError, emit

        def test_swallows():
            with contextlib.suppress(LogContractError):
                emit("submission.teleported", node="052")

        def test_keeps(log_lines):
            emit("service.stopped", node="052")
            assert log_lines()[0]["event"] == "service.stopped"
        """
    )
    result = pytester.runpytest_subprocess("-p", "log_contract", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*log contract broken*", "*'submission.teleported' is not in*"])


EMIT_MANY = """
import sys
from gateway import log
log.configure()
for number in range(int(sys.argv[1])):
    log.emit("worker.started", node="052", worker="w" * 300, pid=number)
"""


def test_processes_sharing_one_stdout_never_split_a_line(tmp_path: Path) -> None:
    """A node and its worker processes write to one stdout: every line stays whole JSON.

    print() wrote an event and its newline in two calls; four processes writing 3,000 events
    each to one file then ran some 1,600 lines into each other.
    """
    out = tmp_path / "node.log"
    with out.open("wb") as shared:  # one open file, inherited by each as a child's stdout is
        writers = [
            subprocess.Popen([sys.executable, "-c", EMIT_MANY, "3000"], stdout=shared)
            for _ in range(4)
        ]
        assert [writer.wait(timeout=120) for writer in writers] == [0, 0, 0, 0]
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 12_000
    assert all(json.loads(line)["event"] == "worker.started" for line in lines)
