"""A partner that misbehaves: reset, garbage, 5xx, too slow, a 2xx that says nothing.

The delivery worker sends through a real TCP proxy in front of a partner gateway in miniature
(``test_delivery.Peer``, which checks every signature and keeps each file once). The proxy
plays one fault per connection from a script, then lets the traffic through. Transient faults
are retried with bounded backoff until the partner recovers and the file arrives exactly once; a
2xx answer without a receipt is a dead letter, reported by ``/v1/health``'s counts and by
``gateway deliveries list``, and ``gateway deliveries retry`` (the real command line, beside the
running worker) puts it back in the queue so that it is delivered once the partner answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import FIXTURES, unfinished
from log_contract import LogLines
from test_delivery import HANG_GUARD, Outbox, Peer, events, factory, now, until
from test_delivery import peer as peer  # noqa: PLC0414 - the fixture, shared

from gateway.routing.partners import load_registry
from gateway.store import Delivery

MCSC = "119"
FAULTS = ("reset", "garbage", "html_500", "slow")
HTTP_TIMEOUT = 0.5  # seconds the worker waits for an answer; "slow" holds the answer longer
SLOW_SECONDS = 3.0
MAX_WAIT, JITTER = 0.2, 0.05  # the worker's backoff cap and jitter, seconds


class FaultyLine:
    """A loopback TCP proxy: each connection takes the next fault of ``script``, or passes."""

    def __init__(self, upstream: Peer) -> None:
        self.upstream = upstream
        self.script: list[str] = []
        self.played: list[str] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        fault = self.script.pop(0) if self.script else "pass"
        self.played.append(fault)
        try:
            if fault == "reset":
                writer.transport.abort()
                return
            if fault == "pass":
                await self._pass(reader, writer)
                return
            await read_request(reader)
            if fault == "garbage":
                writer.write(b"\x16\x03\x01\x00 this is not HTTP \xff\xfe\r\n\r\n")
            elif fault == "html_500":
                page = b"<html><body><h1>Internal Server Error</h1></body></html>"
                writer.write(http_answer(500, "text/html", page))
            elif fault == "slow":  # answer nothing until the worker hangs up (or much later)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reader.read(), SLOW_SECONDS)
            elif fault == "empty_201":
                writer.write(http_answer(201, "text/plain", b"thanks"))
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the worker gave up on this connection first: that is the point
        finally:
            writer.close()

    async def _pass(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream.port)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
            with contextlib.suppress(OSError):
                sink.write_eof()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            up_writer.close()


async def read_request(reader: asyncio.StreamReader) -> None:
    """Read one HTTP request whole (headers, then Content-Length bytes of body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)


def http_answer(status: int, content_type: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status} Fault\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


@pytest.fixture
async def line(peer: Peer) -> AsyncIterator[FaultyLine]:
    proxy = FaultyLine(peer)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.fixture
def prs_node(tmp_path: Path, line: FaultyLine) -> Path:
    """PRS's node configuration: its registry sends MCSC's files through the faulty line."""
    (tmp_path / "keys").mkdir()
    for key in (FIXTURES / "partners" / "keys").glob("*.key"):
        (tmp_path / "keys" / key.name).write_bytes(key.read_bytes())
    registry = (FIXTURES / "partners" / "prs.toml").read_text(encoding="utf-8")
    registry = registry.replace("127.0.0.1:8119", f"127.0.0.1:{line.port}")
    (tmp_path / "prs.registry.toml").write_text(registry, encoding="utf-8")
    config = tmp_path / "prs.toml"
    config.write_text('registry = "prs.registry.toml"\ndata_dir = "prs"\n', encoding="utf-8")
    return config


@pytest.fixture
def outbox(prs_node: Path) -> AsyncIterator[Outbox]:
    box = Outbox(prs_node.parent / "prs", load_registry(prs_node.parent / "prs.registry.toml"), now)
    yield box
    box.store.close()


async def deliver_until_idle(box: Outbox, *, max_attempts: int = 20) -> None:
    """Run the worker on real time until nothing is pending or in flight."""
    worker = box.worker(
        source=factory(box.registry, box.root, http_timeout=HTTP_TIMEOUT),
        initial_wait=0.05,
        max_wait=MAX_WAIT,
        jitter=JITTER,
        max_attempts=max_attempts,
    )
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop, poll_interval=0.02))
    try:
        await until(lambda: unfinished(box.store) == 0)
    finally:
        stop.set()
        await asyncio.wait_for(loop, HANG_GUARD)


def gateway_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_transient_faults_are_retried_until_the_partner_answers_then_once(
    outbox: Outbox, line: FaultyLine, peer: Peer, log_lines: LogLines
) -> None:
    line.script = list(FAULTS)
    queued = outbox.enqueue(MCSC, "http", "CW250001052_119.V21")
    await deliver_until_idle(outbox)
    done = outbox.current(queued)
    assert done.state == "delivered"
    assert line.played == [*FAULTS, "pass"]
    assert peer.posts == {queued.file_name: 1}  # only the passed connection reached it
    assert len(peer.files) == 1
    attempts = events(log_lines, "delivery.attempt")
    assert [e["outcome"] for e in attempts] == ["retry"] * len(FAULTS) + ["ok"]
    errors = [str(e["error"]) for e in attempts[: len(FAULTS)]]
    assert "connection_failed" in errors[0]  # reset
    assert "connection_failed" in errors[1]  # not HTTP at all
    assert "http_500" in errors[2]  # an HTML error page: no partner code, the status
    assert "timeout" in errors[3]
    [delivered] = events(log_lines, "delivery.delivered")
    assert (delivered["delivery_id"], delivered["attempts"]) == (queued.id, len(FAULTS) + 1)


async def test_backoff_between_tries_stays_under_its_cap(
    outbox: Outbox, line: FaultyLine, log_lines: LogLines
) -> None:
    """Ten resets in a row: every wait the worker schedules is at most max_wait + jitter."""
    line.script = ["reset"] * 10
    queued = outbox.enqueue(MCSC, "http", "CW250002052_119.V21")
    waits: list[float] = []
    original = outbox.store.mark_retry

    def recording(delivery_id: str, worker: str, error: str, retry_at, **options):  # type: ignore[no-untyped-def]
        waits.append((retry_at - options["now"]).total_seconds())
        return original(delivery_id, worker, error, retry_at, **options)

    outbox.store.mark_retry = recording  # type: ignore[method-assign]
    await deliver_until_idle(outbox)
    assert outbox.current(queued).state == "delivered"
    assert len(waits) == 10
    assert max(waits) <= MAX_WAIT + JITTER
    assert len(events(log_lines, "delivery.dead_lettered")) == 0


async def test_a_dead_letter_is_listed_and_retried_by_command_then_delivered_once(
    prs_node: Path, outbox: Outbox, line: FaultyLine, peer: Peer, log_lines: LogLines
) -> None:
    """A 201 without a receipt dead-letters at once; the command requeues it; it arrives once."""
    line.script = ["empty_201"]
    queued = outbox.enqueue(MCSC, "http", "CW250003052_119.V21")
    await deliver_until_idle(outbox)
    dead = outbox.current(queued)
    assert (dead.state, dead.attempts) == ("dead", 1)
    assert "bad_answer" in (dead.last_error or "")
    assert outbox.store.delivery_counts()["dead"] == 1
    [lettered] = events(log_lines, "delivery.dead_lettered")
    assert lettered["delivery_id"] == queued.id

    listing = gateway_cli("deliveries", "list", "--config", str(prs_node), "--format", "json")
    assert listing.returncode == 0, listing.stderr
    [listed] = json.loads(listing.stdout)
    assert (listed["id"], listed["state"], listed["recipient"]) == (queued.id, "dead", MCSC)
    assert "without a submission_id" in listed["last_error"]
    text = gateway_cli("deliveries", "list", "--config", str(prs_node), "--state", "pending")
    assert (text.returncode, text.stdout) == (0, "")

    retried = gateway_cli("deliveries", "retry", "--config", str(prs_node), "--all-dead")
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == f"requeued {queued.id} to {MCSC}: {queued.file_name}\n"
    [requeued] = [json.loads(x) for x in retried.stderr.splitlines()]
    assert requeued["event"] == "delivery.requeued"
    assert (requeued["delivery_id"], requeued["attempts"]) == (queued.id, 1)
    again: Delivery | None = outbox.store.get_delivery(queued.id)
    assert again is not None
    assert (again.state, again.attempts) == ("pending", 0)

    await deliver_until_idle(outbox)
    assert outbox.current(queued).state == "delivered"
    assert line.played == ["empty_201", "pass"]
    assert peer.posts == {queued.file_name: 1}
    assert outbox.store.delivery_counts()["dead"] == 0


async def test_retry_names_what_it_could_not_requeue(
    prs_node: Path, outbox: Outbox, line: FaultyLine
) -> None:
    queued = outbox.enqueue(MCSC, "http", "CW250004052_119.V21")
    await deliver_until_idle(outbox)  # delivered at once: nothing is dead
    nothing = gateway_cli("deliveries", "retry", "--config", str(prs_node), "--all-dead")
    assert (nothing.returncode, nothing.stdout) == (0, "")
    assert "no dead deliveries" in nothing.stderr
    named = gateway_cli("deliveries", "retry", "--config", str(prs_node), queued.id, "dlv_nope")
    assert named.returncode == 1
    assert named.stdout.splitlines() == [
        f"not requeued {queued.id}: is delivered, not dead",
        "not requeued dlv_nope: no such delivery",
    ]
    both = gateway_cli("deliveries", "retry", "--config", str(prs_node))
    assert both.returncode == 2
    assert "delivery ids or --all-dead" in both.stderr
    assert line.played == ["pass"]


def test_a_node_that_never_ran_is_not_given_a_database(tmp_path: Path, prs_node: Path) -> None:
    listing = gateway_cli("deliveries", "list", "--config", str(prs_node))
    assert listing.returncode == 2
    assert "no database" in listing.stderr
    assert "Traceback" not in listing.stderr
    assert not (tmp_path / "prs" / "gateway.db").exists()
