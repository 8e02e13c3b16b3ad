"""Pytest plugin: every test logs strict JSON into a buffer, and every line must keep the contract.

Enable with ``pytest_plugins = ["log_contract"]`` in ``tests/conftest.py``. Each test then runs
with ``gateway.log`` configured strict, at debug level, writing into a buffer; when the test ends
every line in that buffer must be a JSON object starting with ``event``, ``timestamp`` and
``level``, name a catalogued event, carry its documented fields and hold no unredacted secret.
Violations the pipeline recorded (even if the code under test swallowed the exception) fail the
test too; any recorded outside a test fail the session. Tests read their lines with ``log_lines``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator

import pytest
import structlog

from gateway import log

LogLines = Callable[[], list[dict[str, object]]]

STANDARD_KEYS = ("event", "timestamp", "level")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
# Checked independently of gateway.log's own pattern, so a weakened redactor is caught.
SECRET_KEY = re.compile(r"secret|password|private_key|signature|authorization", re.IGNORECASE)

_outside_tests: list[str] = []


def line_problems(line: str) -> list[str]:
    """Say how one output line breaks the log contract; an empty list when it keeps it."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return [f"not JSON: {line!r}"]
    if not isinstance(record, dict):
        return [f"not a JSON object: {line!r}"]
    if tuple(record)[:3] != STANDARD_KEYS:
        return [f"does not start with {', '.join(STANDARD_KEYS)}: {line}"]
    problems = []
    if not isinstance(record["timestamp"], str) or not TIMESTAMP.fullmatch(record["timestamp"]):
        problems.append(f"timestamp is not ISO-8601 UTC with milliseconds: {line}")
    spec = log.CATALOGUE.get(record["event"])
    if spec is None:
        problems.append(f"event is not catalogued: {line}")
    else:
        if record["level"] != spec.level:
            problems.append(f"level is not the catalogued {spec.level!r}: {line}")
        missing = [key for key in spec.fields if key not in record]
        if missing:
            problems.append(f"lacks documented field(s) {', '.join(missing)}: {line}")
    leaked = list(_secret_keys(record))
    if leaked:
        problems.append(f"unredacted secret under {', '.join(leaked)}: {line}")
    return problems


def _secret_keys(value: object) -> Iterator[str]:
    """Yield the keys, at any depth, that name a secret yet hold something else than redacted."""
    if isinstance(value, dict):
        for key, item in value.items():
            if SECRET_KEY.search(key) and item != log.REDACTED:
                yield key
            yield from _secret_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_keys(item)


@pytest.fixture(autouse=True)
def log_buffer() -> Iterator[io.StringIO]:
    """Log strictly into a buffer for one test, then fail the test on any broken line."""
    _outside_tests.extend(log.take_violations())
    structlog.contextvars.clear_contextvars()
    buffer = io.StringIO()
    log.configure(stream=buffer, level="debug", strict=True)
    yield buffer
    structlog.contextvars.clear_contextvars()
    problems = log.take_violations()
    for line in buffer.getvalue().splitlines():
        problems.extend(line_problems(line))
    if problems:
        report = "\n".join(dict.fromkeys(problems))
        pytest.fail(f"log contract broken (see docs/events.md):\n{report}", pytrace=False)


@pytest.fixture
def log_lines(log_buffer: io.StringIO) -> LogLines:
    """Return a callable giving the lines logged so far in this test, parsed."""

    def lines() -> list[dict[str, object]]:
        return [json.loads(line) for line in log_buffer.getvalue().splitlines()]

    return lines


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run when events broke the contract outside any test (fixtures, collection)."""
    _outside_tests.extend(log.take_violations())
    if _outside_tests and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List the contract violations recorded outside any test."""
    if _outside_tests:
        terminalreporter.section("log contract broken outside tests (see docs/events.md)")
        for problem in dict.fromkeys(_outside_tests):
            terminalreporter.write_line(problem)
