"""Tests of the outbox worker and the transport factory, with real stores, folders and peers.

The HTTP peer is a small aiohttp gateway on 127.0.0.1 that verifies signatures and keeps each
file once by name and content (as every receiver must), while counting every POST it sees. Most
tests drive the worker one round at a time with a hand-moved clock, so backoff takes no real time;
the tests of the run loop use real time with waits of milliseconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import secrets
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from conftest import unfinished
from log_contract import LogLines

from gateway.routing.partners import Credentials, NodeInfo, Partner, Registry
from gateway.service.delivery import DeliveryWorker, TransportSource
from gateway.service.transports import TransportConfigError, TransportFactory
from gateway.store import BlobStore, Delivery, NewDelivery, SqliteStore
from gateway.store.errors import StoreError
from gateway.transport.base import Transport
from gateway.transport.folder import FolderTransport
from gateway.transport.http import HttpTransport
from gateway.transport.sftp import SftpTransport
from gateway.transport.signing import (
    CONTENT_HEADER,
    AuthError,
    NonceCache,
    check_body_hash,
    generate_signing_key,
    key_ring,
    verify_request,
)

PRS_KEY = generate_signing_key("prs-test")
HANG_GUARD = 15.0  # seconds; only stops a broken test from hanging the suite
START = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
GEMA, MCSC, SACEM, ASCAP = "035", "119", "058", "010"
SFTP_ENV_VAR = "GW_TEST_SFTP_LOGIN"  # names the variable holding the SFTP password
SECRET = secrets.token_hex(12)  # a fresh password each run


def now() -> datetime:
    """The real time, for the tests that run the loop on real time."""
    return datetime.now(UTC)


class ManualClock:
    """An aware UTC clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Peer:
    """A partner gateway in miniature: checks each signed POST, keeps each file once."""

    def __init__(self) -> None:
        self.port = 0
        self.status = 201  # any other status is answered as a JSON error
        self.hold: asyncio.Event | None = None  # when given: answer only once it is set
        self.arrived = asyncio.Event()
        self.posts: Counter[str] = Counter()  # file name -> POSTs seen
        self.files: dict[tuple[str, str], str] = {}  # (name, sha256) -> submission id: effects
        self._keys = key_ring([PRS_KEY.verify_key("052")])
        self._nonces = NonceCache()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/submissions", self._submit)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = self._runner.addresses[0][1]  # the same port again after a restart

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        body = await request.read()
        name = request.query["file_name"]
        self.posts[name] += 1
        if self.status != 201:
            code = {403: "forbidden", 503: "busy"}.get(self.status, "error")
            return web.json_response({"error": {"code": code}}, status=self.status)
        sha256 = hashlib.sha256(body).hexdigest()
        try:
            verify_request(
                request.method,
                request.raw_path,
                request.headers,
                self._keys,
                now=time.time(),
                remember_nonce=self._nonces,
            )
            check_body_hash(request.headers[CONTENT_HEADER], sha256)
        except AuthError as error:
            return web.json_response({"error": {"code": error.code}}, status=error.status)
        submission_id = self.files.setdefault((name, sha256), f"sub-{len(self.files) + 1}")
        return web.json_response({"submission_id": submission_id}, status=201)


def partner(
    society: str,
    transport: str,
    address: str,
    *,
    username: str = "",
    password_env: str = "",
    password_file: str = "",
    client_key_file: str = "",
) -> Partner:
    return Partner(
        society=society,
        name=f"Society {society}",
        formats=("cwr",),
        receive_as="cwr",
        cwr_version="2.2",
        transport=transport,
        address=address,
        rule_pack="cisac",
        credentials=Credentials(
            username=username,
            password_env=password_env,
            password_file=password_file,
            client_key_file=client_key_file,
        ),
    )


def registry(*partners: Partner) -> Registry:
    return Registry(node=NodeInfo("052", "PRS"), partners={p.society: p for p in partners})


def factory(reg: Registry, base_dir: Path, **options: Any) -> TransportFactory:
    return TransportFactory(reg, signing_key=PRS_KEY, base_dir=base_dir, **options)


def file_name(index: int, recipient: str = GEMA) -> str:
    return f"CW25{index:04d}052_{recipient}.V22"


class Outbox:
    """A store, its blobs and a registry in a folder, and the workers that deliver them."""

    def __init__(self, root: Path, reg: Registry, clock: Callable[[], datetime]) -> None:
        self.root = root
        self.registry = reg
        self.clock = clock
        self.blobs = BlobStore(root / "blobs")
        self.store = SqliteStore(root / "gateway.db", clock=clock)

    def worker(self, **options: Any) -> DeliveryWorker:
        """A worker on this outbox, with small waits unless told otherwise."""
        source: TransportSource = options.pop("source", None) or factory(self.registry, self.root)
        settings: dict[str, Any] = {
            "worker_id": "w1",
            "node": "052",
            "initial_wait": 1.0,
            "max_wait": 10.0,
            "jitter": 0.5,
            "clock": self.clock,
        }
        settings.update(options)
        return DeliveryWorker(self.store, self.blobs, self.registry, source, **settings)

    def enqueue(self, recipient: str, transport: str, name: str) -> Delivery:
        """Queue one file for ``recipient`` as routing would: a submission and its delivery."""
        data = f"HDR file {name} for {recipient}\n".encode()
        ref = self.blobs.put_bytes(data)
        incoming = hashlib.sha256(b"incoming " + name.encode()).hexdigest()
        submission, _ = self.store.record_submission(
            "052", recipient, f"in_{name}", incoming, len(data)
        )
        new = NewDelivery(
            recipient=recipient,
            file_name=name,
            sha256=ref.sha256,
            format="cwr",
            version="2.2",
            transport=transport,
        )
        (delivery,) = self.store.complete_routing(submission.id, [new], [])
        return delivery

    def current(self, delivery: Delivery) -> Delivery:
        found = self.store.get_delivery(delivery.id)
        assert found is not None
        return found


def events(log_lines: LogLines, name: str) -> list[dict[str, object]]:
    return [line for line in log_lines() if line["event"] == name]


async def until(predicate: Callable[[], bool]) -> None:
    """Wait until ``predicate`` holds; the hang guard only stops a broken test."""
    async with asyncio.timeout(HANG_GUARD):
        while not predicate():  # noqa: ASYNC110 - polls the store, which has no event to await
            await asyncio.sleep(0.01)


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def dropped(folder: Path) -> list[str]:
    """The delivered files in a drop folder, markers left out."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".complete"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    running = Peer()
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


@pytest.fixture
def box(tmp_path: Path, peer: Peer, drop: Path, clock: ManualClock) -> Iterator[Outbox]:
    """GEMA over HTTP (its address the full submissions URL), MCSC by the relative folder drop."""
    reg = registry(
        partner(GEMA, "http", f"{peer.url}/v1/submissions"),
        partner(MCSC, "folder", drop.name),
    )
    outbox = Outbox(tmp_path, reg, clock)
    yield outbox
    outbox.store.close()


@pytest.fixture
def live(tmp_path: Path, peer: Peer, drop: Path) -> Iterator[Outbox]:
    """The same partners on real time (GEMA at its plain base URL), for the run loop."""
    reg = registry(partner(GEMA, "http", peer.url), partner(MCSC, "folder", drop.name))
    outbox = Outbox(tmp_path, reg, now)
    yield outbox
    outbox.store.close()


# -- delivery outcomes ---------------------------------------------------------------------------


async def test_partner_down_then_back_delivers_each_file_exactly_once(
    live: Outbox, peer: Peer, log_lines: LogLines
) -> None:
    """The run loop retries a refused partner and, once it is back, delivers each file once."""
    queued = [live.enqueue(GEMA, "http", file_name(i)) for i in range(3)]
    await peer.stop()
    worker = live.worker(initial_wait=0.01, max_wait=0.05, jitter=0.01, max_attempts=1000)
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop, poll_interval=0.01))
    await until(lambda: all(live.current(d).attempts >= 2 for d in queued))
    await peer.start()
    await until(lambda: unfinished(live.store) == 0)
    stop.set()
    await asyncio.wait_for(loop, HANG_GUARD)
    assert all(live.current(d).state == "delivered" for d in queued)
    assert peer.posts == {d.file_name: 1 for d in queued}
    assert len(peer.files) == 3
    delivered = events(log_lines, "delivery.delivered")
    assert sorted(str(e["delivery_id"]) for e in delivered) == sorted(d.id for d in queued)
    retries = [e for e in events(log_lines, "delivery.attempt") if e["outcome"] == "retry"]
    assert len(retries) >= 6
    assert all("connection_failed" in str(e["error"]) for e in retries)


async def test_busy_partner_then_ok_is_one_delivery_with_attempts_counted(
    box: Outbox, peer: Peer, clock: ManualClock, log_lines: LogLines
) -> None:
    """A 503 is retried after a backoff within [initial, initial + jitter]; then one delivery."""
    queued = box.enqueue(GEMA, "http", file_name(1))
    worker = box.worker()
    peer.status = 503
    assert await worker.run_once() == 1
    waiting = box.current(queued)
    assert (waiting.state, waiting.attempts) == ("pending", 1)
    assert "busy" in (waiting.last_error or "")
    assert timedelta(seconds=1) <= waiting.next_attempt_at - clock.now <= timedelta(seconds=1.5)
    assert await worker.run_once() == 0  # not due yet
    peer.status = 201
    clock.advance(2)
    assert await worker.run_once() == 1
    done = box.current(queued)
    assert done.state == "delivered"
    receipt = json.loads(done.receipt or "")
    assert (receipt["transport"], receipt["detail"]) == ("http", "sub-1")
    assert peer.posts == {queued.file_name: 2}
    assert len(peer.files) == 1
    attempts = events(log_lines, "delivery.attempt")
    assert [(e["attempt"], e["outcome"]) for e in attempts] == [(1, "retry"), (2, "ok")]
    assert str(attempts[0]["error"]).startswith("busy: ")  # the partner's own code comes first
    assert attempts[1]["error"] == ""
    (delivered,) = events(log_lines, "delivery.delivered")
    assert (delivered["attempts"], delivered["duration_ms"]) == (2, 2000)


async def test_permanent_refusal_dead_letters_at_once(
    box: Outbox, peer: Peer, clock: ManualClock, log_lines: LogLines
) -> None:
    """A 403 is not retried: dead-lettered with its reason, one attempt event, one dead letter."""
    queued = box.enqueue(GEMA, "http", file_name(1))
    worker = box.worker()
    peer.status = 403
    assert await worker.run_once() == 1
    dead = box.current(queued)
    assert (dead.state, dead.attempts) == ("dead", 1)
    assert "forbidden" in (dead.last_error or "")
    clock.advance(3600)
    assert await worker.run_once() == 0
    (attempt,) = events(log_lines, "delivery.attempt")
    assert (attempt["outcome"], attempt["transport"]) == ("failed", "http")
    (letter,) = events(log_lines, "delivery.dead_lettered")
    assert letter["delivery_id"] == queued.id
    assert letter["attempts"] == 1
    assert "HTTP 403 forbidden" in str(letter["reason"])
    assert letter["level"] == "error"
    assert peer.files == {}


async def test_last_attempt_dead_letters_and_not_one_before(
    box: Outbox, peer: Peer, clock: ManualClock, log_lines: LogLines
) -> None:
    """With max_attempts=3, tries 1 and 2 are retried and try 3 dead-letters the delivery."""
    queued = box.enqueue(GEMA, "http", file_name(1))
    worker = box.worker(max_attempts=3)
    peer.status = 503
    for _ in range(4):
        await worker.run_once()
        clock.advance(60)
    dead = box.current(queued)
    assert (dead.state, dead.attempts) == ("dead", 3)
    outcomes = [(e["attempt"], e["outcome"]) for e in events(log_lines, "delivery.attempt")]
    assert outcomes == [(1, "retry"), (2, "retry"), (3, "failed")]
    (letter,) = events(log_lines, "delivery.dead_lettered")
    assert letter["attempts"] == 3
    assert str(letter["reason"]).startswith("gave up after 3 attempts; last error: busy: ")
    assert peer.posts == {queued.file_name: 3}


async def test_unknown_partner_is_dead_lettered(box: Outbox, log_lines: LogLines) -> None:
    """A recipient no partner takes (the registry changed) is dead-lettered with that reason."""
    queued = box.enqueue(ASCAP, "sftp", file_name(1, ASCAP))
    assert await box.worker().run_once() == 1
    assert box.current(queued).state == "dead"
    (attempt,) = events(log_lines, "delivery.attempt")
    assert (attempt["outcome"], attempt["transport"]) == ("failed", "sftp")
    (letter,) = events(log_lines, "delivery.dead_lettered")
    assert letter["reason"] == f"no partner in the registry takes society {ASCAP}"


async def test_unexpected_error_is_a_retry_not_a_crash(box: Outbox, log_lines: LogLines) -> None:
    """A transport source that fails in a way nobody planned for costs one retried attempt."""

    class BrokenSource:
        def for_partner(self, partner: Partner) -> Transport:
            raise RuntimeError(f"cannot reach {partner.society}")

    queued = box.enqueue(GEMA, "http", file_name(1))
    assert await box.worker(source=BrokenSource()).run_once() == 1
    waiting = box.current(queued)
    assert (waiting.state, waiting.attempts) == ("pending", 1)
    (attempt,) = events(log_lines, "delivery.attempt")
    assert attempt["outcome"] == "retry"
    assert attempt["error"] == f"unexpected RuntimeError: cannot reach {GEMA}"


async def test_store_outage_is_logged_and_the_loop_keeps_going(
    box: Outbox, log_lines: LogLines
) -> None:
    """A store that fails every claim gives worker_error events; the loop runs until stopped."""
    worker = box.worker()
    box.store.close()
    with pytest.raises(StoreError):
        await worker.run_once()
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop, poll_interval=0.01))
    await until(lambda: len(events(log_lines, "delivery.worker_error")) >= 2)
    stop.set()
    await asyncio.wait_for(loop, HANG_GUARD)
    errors = events(log_lines, "delivery.worker_error")
    assert all(e["worker"] == "w1" and "closed" in str(e["error"]) for e in errors)


# -- leases and several workers -------------------------------------------------------------------


async def test_two_workers_on_one_store_send_each_delivery_once(
    live: Outbox, peer: Peer, drop: Path, log_lines: LogLines
) -> None:
    """Two workers, each with its own connection to the outbox, never send a delivery twice."""
    queued = [live.enqueue(GEMA, "http", file_name(i)) for i in range(12)]
    queued += [live.enqueue(MCSC, "folder", file_name(i, MCSC)) for i in range(12)]
    with SqliteStore(live.store.path) as second_store:
        second = DeliveryWorker(
            second_store,
            live.blobs,
            live.registry,
            factory(live.registry, live.root),
            worker_id="w2",
            node="052",
            batch=3,
        )
        workers = [live.worker(batch=3), second]
        stop = asyncio.Event()
        loops = [asyncio.create_task(w.run(stop, poll_interval=0.01)) for w in workers]
        await until(lambda: unfinished(live.store) == 0)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*loops), HANG_GUARD)
    assert all(live.current(d).state == "delivered" for d in queued)
    sends = Counter(str(e["delivery_id"]) for e in events(log_lines, "delivery.attempt"))
    assert sends == dict.fromkeys((d.id for d in queued), 1)
    assert len(events(log_lines, "delivery.delivered")) == len(queued)
    assert peer.posts == {d.file_name: 1 for d in queued if d.recipient == GEMA}
    assert dropped(drop) == sorted(d.file_name for d in queued if d.recipient == MCSC)


async def test_a_dead_workers_delivery_is_taken_over_when_its_lease_ends(
    box: Outbox, drop: Path, clock: ManualClock, log_lines: LogLines
) -> None:
    """A claim never completed blocks others until its lease ends; then it is delivered once."""
    queued = box.enqueue(MCSC, "folder", file_name(1, MCSC))
    (claimed,) = box.store.claim_due(clock(), 0.5, "killed-worker", 10)
    worker = box.worker()
    assert await worker.run_once() == 0  # the lease still holds
    clock.advance(1)
    assert await worker.run_once() == 1
    done = box.current(queued)
    assert (done.state, done.worker, done.claims) == ("delivered", "w1", 2)
    assert dropped(drop) == [queued.file_name]
    (delivered,) = events(log_lines, "delivery.delivered")
    assert delivered["attempts"] == 2  # the lost try counts
    assert not box.store.mark_delivered(claimed.id, "killed-worker", "{}")  # too late, refused


@pytest.mark.parametrize(("lost_tries", "state"), [(2, "delivered"), (3, "dead")])
async def test_tries_lost_with_their_worker_count_towards_max_attempts(
    box: Outbox, clock: ManualClock, log_lines: LogLines, lost_tries: int, state: str
) -> None:
    """With max_attempts=3, after 2 lost tries it is sent once more; after 3 it is given up."""
    drop = box.root / "drop"
    queued = box.enqueue(MCSC, "folder", file_name(1, MCSC))
    for index in range(lost_tries):
        assert box.store.claim_due(clock(), 0.5, f"killed-{index}", 10)
        clock.advance(1)
    assert await box.worker(max_attempts=3).run_once() == 1
    assert box.current(queued).state == state
    assert dropped(drop) == ([queued.file_name] if state == "delivered" else [])
    if state == "dead":
        assert events(log_lines, "delivery.attempt") == []
        (letter,) = events(log_lines, "delivery.dead_lettered")
        assert letter["attempts"] == 3
        assert "3 ended with their worker lost" in str(letter["reason"])


async def test_a_worker_that_lost_its_lease_says_nothing_more(
    box: Outbox, peer: Peer, clock: ManualClock, log_lines: LogLines
) -> None:
    """A send outliving its lease is not recorded: no delivered event; the new owner keeps it."""
    queued = box.enqueue(GEMA, "http", file_name(1))
    worker = box.worker(lease_seconds=60)
    peer.hold = asyncio.Event()
    sending = asyncio.create_task(worker.run_once())
    await asyncio.wait_for(peer.arrived.wait(), HANG_GUARD)
    clock.advance(61)
    assert box.store.claim_due(clock(), 60, "w2", 10)
    peer.hold.set()
    assert await asyncio.wait_for(sending, HANG_GUARD) == 1
    (attempt,) = events(log_lines, "delivery.attempt")
    assert attempt["outcome"] == "ok"
    assert events(log_lines, "delivery.delivered") == []
    taken = box.current(queued)
    assert (taken.state, taken.worker) == ("in_flight", "w2")


async def test_wake_runs_the_loop_before_its_next_poll(live: Outbox, log_lines: LogLines) -> None:
    """With an hour between polls, wake() alone makes the idle loop deliver a new file."""
    first = live.enqueue(MCSC, "folder", file_name(1, MCSC))
    worker = live.worker()
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop, poll_interval=3600))
    await until(lambda: live.current(first).state == "delivered")
    await asyncio.sleep(0.2)  # let the loop find nothing more and go idle
    second = live.enqueue(MCSC, "folder", file_name(2, MCSC))
    worker.wake()
    await until(lambda: live.current(second).state == "delivered")
    stop.set()
    await asyncio.wait_for(loop, HANG_GUARD)  # stop ends the hour-long idle at once
    assert len(events(log_lines, "delivery.delivered")) == 2


# -- backoff -----------------------------------------------------------------------------------


def test_backoff_grows_exponentially_with_jitter_capped_at_max_wait(box: Outbox) -> None:
    """Try n waits initial * 2**(n-1) plus up to `jitter`, never over max_wait; draws differ."""
    worker = box.worker(initial_wait=1.0, max_wait=8.0, jitter=0.5)
    means = []
    for attempt in range(1, 7):
        waits = [worker.backoff(attempt) for _ in range(200)]
        base = 2.0 ** (attempt - 1)
        assert all(min(base, 8.0) <= w <= min(base + 0.5, 8.0) for w in waits), attempt
        if base + 0.5 <= 8.0:
            assert len(set(waits)) > 1, attempt  # jitter spreads the workers out
        else:
            assert set(waits) == {8.0}
        means.append(sum(waits) / len(waits))
    assert means == sorted(means)
    assert means[3] > 2 * means[1]


@pytest.mark.parametrize(
    "bad",
    [
        {"max_attempts": 0},
        {"lease_seconds": 0},
        {"initial_wait": 20.0},
        {"batch": 0},
        {"jitter": -1.0},
        {"worker_id": ""},
    ],
)
def test_worker_settings_are_checked(box: Outbox, bad: dict[str, Any]) -> None:
    """Impossible limits are refused when the worker is built, each naming its setting."""
    with pytest.raises(ValueError, match=next(iter(bad))):
        box.worker(**bad)


# -- the transport factory ---------------------------------------------------------------------


def test_factory_builds_each_kind_and_caches_it(tmp_path: Path) -> None:
    """http strips /v1/submissions, sftp reads its URL and secret, folder resolves base_dir."""
    sftp = partner(
        SACEM,
        "sftp",
        "sftp://127.0.0.1:2222/in%20box",
        username="prs",
        password_env=SFTP_ENV_VAR,
    )
    http = partner(GEMA, "http", "http://127.0.0.1:8080/gw/v1/submissions/")
    folder = partner(MCSC, "folder", "drop")
    made = factory(
        registry(sftp, http, folder),
        tmp_path,
        known_hosts=tmp_path / "known_hosts",
        environ={SFTP_ENV_VAR: SECRET},
    )
    made.check_all()
    built_sftp = made.for_partner(sftp)
    assert isinstance(built_sftp, SftpTransport)
    assert (built_sftp.host, built_sftp.port, built_sftp.username) == ("127.0.0.1", 2222, "prs")
    assert built_sftp.remote_dir == "/in box"
    assert built_sftp._password == SECRET
    assert built_sftp._known_hosts == str(tmp_path / "known_hosts")
    assert SECRET not in repr(built_sftp)
    built_http = made.for_partner(http)
    assert isinstance(built_http, HttpTransport)
    assert str(built_http._base) == "http://127.0.0.1:8080/gw"
    built_folder = made.for_partner(folder)
    assert isinstance(built_folder, FolderTransport)
    assert built_folder.root == tmp_path / "drop"
    assert made.for_partner(folder) is built_folder
    moved = dataclasses.replace(folder, address=str(tmp_path / "elsewhere"))
    assert made.for_partner(moved) is not built_folder


def test_factory_reads_a_password_file_relative_to_base_dir(tmp_path: Path) -> None:
    """password_file is read from base_dir; the editor's final newline is not part of it."""
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "sacem").write_text(SECRET + "\n", encoding="utf-8")
    stored_at = "secrets/sacem"
    sftp = partner(SACEM, "sftp", "sftp://h/x", username="u", password_file=stored_at)
    built = factory(registry(sftp), tmp_path, insecure_host_keys=True).for_partner(sftp)
    assert isinstance(built, SftpTransport)
    assert (built._password, built.port, built._known_hosts) == (SECRET, 22, None)


NO_SECRET: dict[str, str] = {}
EMPTY_SECRET = {SFTP_ENV_VAR: ""}


@pytest.mark.parametrize(
    ("credentials", "options", "message"),
    [
        ({"password_env": SFTP_ENV_VAR}, {"environ": NO_SECRET}, f"{SFTP_ENV_VAR} is not set"),
        ({"password_env": SFTP_ENV_VAR}, {"environ": EMPTY_SECRET}, "is not set or empty"),
        ({"password_file": "nope"}, {}, "cannot read the SFTP password file"),
        ({"password_file": "latin1"}, {}, "is not UTF-8"),
        ({"password_file": "empty"}, {}, "password file .* is empty"),
        ({}, {}, "needs password_env, password_file or client_key_file"),
        ({"username": ""}, {}, "needs credentials.username"),
        ({"client_key_file": "k"}, {"insecure_host_keys": False}, "known_hosts"),
    ],
)
def test_factory_errors_name_the_partner_and_hide_the_secret(
    tmp_path: Path, credentials: dict[str, str], options: dict[str, Any], message: str
) -> None:
    """Each unusable SFTP entry is a TransportConfigError naming the partner, never the secret."""
    (tmp_path / "latin1").write_bytes(b"caf\xe9" + SECRET.encode())
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    sftp = partner(SACEM, "sftp", "sftp://127.0.0.1:2222/in", **({"username": "u"} | credentials))
    with pytest.raises(TransportConfigError, match=message) as caught:
        factory(registry(sftp), tmp_path, **({"insecure_host_keys": True} | options)).for_partner(
            sftp
        )
    assert str(caught.value).startswith(f"partner {SACEM} (Society {SACEM}): ")
    assert SECRET not in str(caught.value)
    assert caught.value.code == "partner_config"


@pytest.mark.parametrize(
    "bad",
    [
        partner(GEMA, "http", "ftp://127.0.0.1/"),
        partner(SACEM, "sftp", "http://127.0.0.1/in", username="u", client_key_file="k"),
        partner(SACEM, "sftp", "sftp://127.0.0.1:99999/in", username="u", client_key_file="k"),
        partner(SACEM, "smoke", "signals"),
    ],
)
def test_factory_refuses_bad_addresses(tmp_path: Path, bad: Partner) -> None:
    """An address that is not the transport's kind of URL is a clear error naming the partner."""
    with pytest.raises(TransportConfigError, match=f"partner {bad.society} "):
        factory(registry(bad), tmp_path, insecure_host_keys=True).for_partner(bad)


async def test_a_missing_sftp_secret_dead_letters_naming_the_partner(
    tmp_path: Path, clock: ManualClock, log_lines: LogLines
) -> None:
    """A partner whose password is not set cannot be retried into working: dead-lettered."""
    sftp = partner(
        SACEM, "sftp", "sftp://127.0.0.1:2222/in", username="u", password_env=SFTP_ENV_VAR
    )
    outbox = Outbox(tmp_path, registry(sftp), clock)
    queued = outbox.enqueue(SACEM, "sftp", file_name(1, SACEM))
    made = factory(outbox.registry, tmp_path, insecure_host_keys=True, environ=NO_SECRET)
    assert await outbox.worker(source=made).run_once() == 1
    assert outbox.current(queued).state == "dead"
    (letter,) = events(log_lines, "delivery.dead_lettered")
    assert str(letter["reason"]).startswith(f"partner_config: partner {SACEM} ")
    outbox.store.close()


async def test_sftp_password_never_reaches_the_log(
    tmp_path: Path, clock: ManualClock, log_lines: LogLines
) -> None:
    """A refused SFTP connection is retried, and its password appears in no log line."""
    address = f"sftp://127.0.0.1:{closed_port()}/incoming"
    sftp = partner(SACEM, "sftp", address, username="prs", password_env=SFTP_ENV_VAR)
    outbox = Outbox(tmp_path, registry(sftp), clock)
    queued = outbox.enqueue(SACEM, "sftp", file_name(1, SACEM))
    made = factory(
        outbox.registry, tmp_path, insecure_host_keys=True, environ={SFTP_ENV_VAR: SECRET}
    )
    assert await outbox.worker(source=made).run_once() == 1
    waiting = outbox.current(queued)
    assert waiting.state == "pending"
    (attempt,) = events(log_lines, "delivery.attempt")
    assert (attempt["outcome"], attempt["transport"]) == ("retry", "sftp")
    assert SECRET not in json.dumps(log_lines())
    assert SECRET not in (waiting.last_error or "")
    outbox.store.close()
