"""Benchmark: many partners submitting small CWR files to one gateway node at once.

    python bench/load.py [--clients 50] [--duration 60] [--quick] [--sample-every 10]
                         [--rate SUBMISSIONS_PER_S] [--workers 3]

Clients either submit each as fast as it can (the default: closed loop, the node's capacity) or,
with ``--rate``, together at that offered rate (each client at its own evenly spread slots;
latency counts from the slot, so a late answer also delays, and is charged to, the next). With
50 closed-loop clients the mean latency is 50 / throughput (Little's law): p99 under 100 ms needs
more than 500 submissions/s, so the latency target is judged at the paced target rate.
``--workers`` is the node's ``[processing] workers`` (docs/service.md).

Starts one receiving node (PRS 052, a real ``gateway serve`` process on loopback, SQLite
store) from a registry written into a temporary folder, with fresh Ed25519 keys; MCSC 119 is
its partner, whose ACKs go to a drop folder. Then ``--clients`` asyncio clients (one aiohttp
session, in this process) each submit, one after the other for ``--duration`` seconds, small
valid CWR 2.1 files (three works; every file with its own work numbers and file name, so none
is a duplicate), signed with MCSC's key as a partner gateway signs them (``signed_post``).

Measured: submissions/s answered 2xx, errors by status, intake latency (request sent ->
answer read: p50/p90/p99/max), and first-ACK readiness. Every ``--sample-every``-th accepted
submission is polled (``GET /v1/submissions/{id}``) until its ACK exists: receipt -> ACK ready
by the node's own clock (``received_at`` -> ``updated_at``, exact) and as the client saw it
(answer -> the poll that found the ACK, within a poll interval). After the run the node is
stopped (it finishes its backlog first) and its JSON log gives receipt -> ``ack.generated``
for every submission. The CPU time of the node and of the load generator is recorded.

Baseline (the bare HTTP floor): the same clients, the same signed bodies, for the same time,
against a trivial aiohttp endpoint in its own process that reads the body and answers 202.

Results: a table on stdout and ``bench/out/load.json`` (or ``--results``). Targets (issue 6):
>= 200 submissions/s, intake p99 < 100 ms, the first ACK ready within a second of receipt.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import io
import itertools
import json
import math
import os
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cwr_validate import HERE, OUT, machine, say, since
from xml_validate import gateway_sources

from gateway.formats.cwr.events import FileStarted, TransactionRead
from gateway.formats.cwr.reader import read_cwr
from gateway.formats.cwr.writer import CwrWriter
from gateway.model import FileHeader, Work
from gateway.transport.base import TransientError
from gateway.transport.http import signed_get, signed_post
from gateway.transport.signing import SigningKey, generate_signing_key, private_key_pem

ROOT = HERE.parent
TEMPLATE = ROOT / "fixtures" / "cwr" / "CW260002119_052.V21"  # three clean works, MCSC to PRS
NODE, PARTNER = "052", "119"  # PRS receives, MCSC submits
PARTNER_KEY_ID = "mcsc-load"
MARKER = b"LDXXXXXXXXX"  # in each work number of the template; replaced by the file's index
NAMES_PER_YEAR = 10_000  # CWyynnnn: four digits of sequence per two-digit year
TARGET_RATE = 200.0
TARGET_P99_MS = 100.0
TARGET_ACK_MS = 1000.0
QUICK_SECONDS = 10.0
CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=60)
POLL_CONNECTIONS = 10  # polls share a few connections: they must not swamp the submissions
START_WAIT_SECONDS = 30.0
FAST_POLL, SLOW_POLL, FAST_POLL_FOR = 0.1, 1.0, 2.0  # seconds
FLOOR_STATUS = 202


# -- the files ---------------------------------------------------------------------------------


def _template_transactions() -> tuple[FileHeader, list[Work]]:
    header: FileHeader | None = None
    works: list[Work] = []
    with TEMPLATE.open("rb") as stream:
        for event in read_cwr(stream):
            if isinstance(event, FileStarted):
                header = event.header
            elif isinstance(event, TransactionRead) and isinstance(event.transaction.record, Work):
                works.append(event.transaction.record)
    if header is None or not works:
        raise ValueError(f"{TEMPLATE} has no header or no works")
    return header, works


def build_template() -> bytes:
    """The fixture's works rewritten by ``CwrWriter``, each work number holding ``MARKER``.

    The marker is as wide as the index that replaces it, so every record keeps its width and
    the file stays valid; each file differs from every other in its three work numbers.
    """
    header, works = _template_transactions()
    out = io.BytesIO()
    writer = CwrWriter(out, "2.1")
    writer.header(header)
    for number, work in enumerate(works, start=1):
        writer.transaction(replace(work, submitter_work_number=f"{MARKER.decode()}{number}"))
    writer.close()
    data = out.getvalue()
    if data.count(MARKER) != len(works):
        raise ValueError("the marker must appear once per work in the template")
    return data


def submission(template: bytes, index: int) -> tuple[str, bytes]:
    """The ``index``-th file: its name (``CWyynnnn119_052.V21``) and its bytes."""
    year, sequence = divmod(index, NAMES_PER_YEAR)
    name = f"CW{year % 100:02d}{sequence:04d}{PARTNER}_{NODE}.V21"
    return name, template.replace(MARKER, f"LD{index:09d}".encode())


# -- the node and the floor --------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _public_key_b64(key: SigningKey) -> str:
    raw = key.private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode("ascii")


def write_node_files(
    workdir: Path, port: int, partner_key: SigningKey, store_url: str, workers: int
) -> Path:
    """The node's key, registry and configuration in ``workdir``; the configuration's path.

    With ``store_url`` the node keeps its state in that PostgreSQL database, in a schema of its
    own (created by the node), so runs never see each other's rows.
    """
    node_key = generate_signing_key("prs-load")
    (workdir / "prs.key").write_bytes(private_key_pem(node_key))
    (workdir / "acks-to-mcsc").mkdir()
    (workdir / "registry.toml").write_text(
        f"""[gateway]
society = "{NODE}"
name = "PRS for Music"
key_id = "prs-load"
private_key_file = "prs.key"

[[partner]]
society = "{PARTNER}"
name = "MCSC"
formats = ["cwr", "xml"]
receive_as = "cwr"
cwr_version = "2.1"
transport = "folder"
address = "acks-to-mcsc"
rule_pack = "cisac"
[partner.credentials]
key_id = "{PARTNER_KEY_ID}"
public_key = "{_public_key_b64(partner_key)}"
""",
        encoding="utf-8",
    )
    config = workdir / "node.toml"
    config.write_text(
        f"""registry = "registry.toml"
data_dir = "data"
[http]
host = "127.0.0.1"
port = {port}
[delivery]
initial_wait = 0.2
max_wait = 2.0
[processing]
workers = {workers}
""",
        encoding="utf-8",
    )
    if store_url:
        schema = f"bench_load_{secrets.token_hex(4)}"
        with config.open("a", encoding="utf-8") as out:
            out.write(f'[store]\nurl = "{store_url}"\nschema = "{schema}"\n')
    return config


def start_node(config: Path, log_file: Path) -> subprocess.Popen[bytes]:
    """``gateway serve`` in its own process, its JSON log to ``log_file``."""
    with log_file.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and package
            [sys.executable, "-m", "gateway", "serve", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def start_floor(port: int) -> subprocess.Popen[bytes]:
    """The trivial endpoint (this script with ``--floor-server``) in its own process."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(Path(__file__).resolve()), "--floor-server", str(port)],
        cwd=ROOT,
    )


async def wait_until_up(base_url: str, process: subprocess.Popen[bytes]) -> None:
    """Wait for ``/v1/health`` to answer (the process must not exit meanwhile)."""
    deadline = time.monotonic() + START_WAIT_SECONDS
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with status {process.returncode}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{base_url}/v1/health") as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base_url} did not come up in {START_WAIT_SECONDS:.0f} s")


def stop(process: subprocess.Popen[bytes], wait: float) -> float:
    """SIGTERM, then SIGKILL after ``wait`` seconds; how long it took to exit."""
    started = time.perf_counter()
    process.terminate()
    try:
        process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        say(f"  pid {process.pid} still running after {wait:.0f} s: killed")
        process.kill()
        process.wait()
    return since(started)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) and its children, from /proc.

    Children: the node's worker processes (and, idle, multiprocessing's resource tracker).
    """
    return sum(_own_cpu_seconds(p) for p in (pid, *_children(pid)))


def _own_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0  # ended meanwhile
    ticks = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(FileNotFoundError):
            found.extend(int(child) for child in (task / "children").read_text().split())
    return found


def own_cpu_seconds() -> float:
    """User + system CPU time of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def floor_app() -> web.Application:
    """Reads the body and answers 202 with a submission id: no check, no store."""
    counter = itertools.count(1)

    async def submit(request: web.Request) -> web.Response:
        size = 0
        async for chunk in request.content.iter_chunked(1 << 16):
            size += len(chunk)
        return web.json_response(
            {"submission_id": f"floor-{next(counter)}", "bytes": size}, status=FLOOR_STATUS
        )

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/v1/submissions", submit)
    app.router.add_get("/v1/health", health)
    return app


# -- the clients -------------------------------------------------------------------------------


@dataclass(slots=True)
class AckSample:
    """When one sampled submission's ACK was found ready."""

    server_ms: float | None = None  # received_at -> updated_at, the node's clock
    client_ms: float | None = None  # the 2xx answer -> the poll that saw the ACK
    polls: int = 0
    errors: int = 0  # polls answered other than 200, or not at all
    failed: bool = False


@dataclass(slots=True)
class Run:
    """What one load run saw."""

    started: float = 0.0
    finished: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)  # 2xx answers only
    statuses: Counter[str] = field(default_factory=Counter)
    per_second: Counter[int] = field(default_factory=Counter)  # 2xx answers by second of run
    samples: list[AckSample] = field(default_factory=list)
    server_cpu_s: float = 0.0  # while the clients ran
    client_cpu_s: float = 0.0

    @property
    def accepted(self) -> int:
        """Submissions answered 2xx."""
        return len(self.latencies_ms)

    @property
    def seconds(self) -> float:
        """From the first request to the last answer."""
        return self.finished - self.started


@dataclass(slots=True)
class LoadSpec:
    """Where and how hard to submit."""

    base_url: str
    key: SigningKey
    template: bytes
    clients: int
    duration: float
    sample_every: int  # 0: poll nothing
    ack_wait: float  # how long after the run sampled ACKs are still waited for
    rate: float = 0.0  # submissions/s offered by all clients together; 0: each as fast as it can


async def _poll_ack(
    session: aiohttp.ClientSession,
    spec: LoadSpec,
    submission_id: str,
    *,
    answered: float,
    sample: AckSample,
    deadline: float,
) -> None:
    """Poll the submission until its ACK is there (or it failed, or the deadline passed)."""
    path = f"/v1/submissions/{quote(submission_id, safe='')}"
    while time.monotonic() < deadline:
        sample.polls += 1
        try:
            status, body = await signed_get(session, spec.base_url, path, spec.key)
        except TransientError:
            status, body = 0, None
        if status == 200 and isinstance(body, dict):
            if body.get("ack_sha"):
                sample.client_ms = (time.monotonic() - answered) * 1000
                sample.server_ms = _span_ms(body["received_at"], body["updated_at"])
                return
            if body.get("status") == "failed":
                sample.failed = True
                return
        else:
            sample.errors += 1
        waited = time.monotonic() - answered
        await asyncio.sleep(FAST_POLL if waited < FAST_POLL_FOR else SLOW_POLL)


def _span_ms(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() * 1000


async def _client(
    session: aiohttp.ClientSession,
    polls: aiohttp.ClientSession,
    spec: LoadSpec,
    run: Run,
    *,
    indexes: itertools.count[int],
    pollers: list[asyncio.Task[None]],
    number: int,
) -> None:
    """Submit files one after another until the run's time is up.

    Paced (``spec.rate``): client ``number`` sends at its own slots, one every
    ``clients / rate`` seconds, the clients' slots spread evenly; latency counts from the slot,
    so an answer that makes the client late for its next slot is charged to that one too.
    """
    deadline = run.started + spec.duration
    interval = spec.clients / spec.rate if spec.rate else 0.0
    slot = run.started + interval * number / spec.clients
    while time.monotonic() < deadline:
        if interval:
            await asyncio.sleep(max(0.0, slot - time.monotonic()))
            if slot >= deadline:
                break
        index = next(indexes)
        name, body = submission(spec.template, index)
        sent = slot if interval else time.monotonic()
        slot += interval
        try:
            status, answer = await signed_post(
                session, spec.base_url, f"/v1/submissions?file_name={name}", body, spec.key
            )
        except TransientError as problem:
            run.statuses[problem.code] += 1
            await asyncio.sleep(0.05)  # a refused connection must not become a busy loop
            continue
        answered = time.monotonic()
        run.statuses[str(status)] += 1
        if not 200 <= status < 300:
            continue
        run.latencies_ms.append((answered - sent) * 1000)
        run.per_second[int(answered - run.started)] += 1
        submission_id = answer.get("submission_id") if isinstance(answer, dict) else None
        if spec.sample_every and run.accepted % spec.sample_every == 0 and submission_id:
            sample = AckSample()
            run.samples.append(sample)
            poll = _poll_ack(
                polls,
                spec,
                str(submission_id),
                answered=answered,
                sample=sample,
                deadline=deadline + spec.ack_wait,
            )
            pollers.append(asyncio.create_task(poll))


async def run_load(spec: LoadSpec, first_index: int, server_pid: int) -> Run:
    """``spec.clients`` clients for ``spec.duration`` s; then wait for the sampled ACKs."""
    run = Run()
    cpu, own = cpu_seconds(server_pid), own_cpu_seconds()
    indexes = itertools.count(first_index)
    pollers: list[asyncio.Task[None]] = []
    submit_pool = aiohttp.TCPConnector(limit=0)  # one connection per client, kept alive
    poll_pool = aiohttp.TCPConnector(limit=POLL_CONNECTIONS)
    async with (
        aiohttp.ClientSession(connector=submit_pool, timeout=CLIENT_TIMEOUT) as session,
        aiohttp.ClientSession(connector=poll_pool, timeout=CLIENT_TIMEOUT) as polls,
    ):
        run.started = time.monotonic()
        await asyncio.gather(
            *(
                _client(session, polls, spec, run, indexes=indexes, pollers=pollers, number=n)
                for n in range(spec.clients)
            )
        )
        run.finished = time.monotonic()
        run.server_cpu_s = cpu_seconds(server_pid) - cpu
        run.client_cpu_s = own_cpu_seconds() - own
        if pollers:
            say(f"  waiting for {len(pollers)} sampled ACKs ...")
            await asyncio.gather(*pollers)
    return run


async def warm_up(spec: LoadSpec) -> None:
    """One submission through the whole pipeline first: rule packs and caches loaded."""
    name, body = submission(spec.template, 0)
    async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as session:
        status, answer = await signed_post(
            session, spec.base_url, f"/v1/submissions?file_name={name}", body, spec.key
        )
        if status not in {200, 202} or not isinstance(answer, dict):
            raise RuntimeError(f"the warm-up submission was answered {status}: {answer}")
        if spec.sample_every:
            sample = AckSample()
            deadline = time.monotonic() + START_WAIT_SECONDS
            await _poll_ack(
                session,
                spec,
                answer["submission_id"],
                answered=time.monotonic(),
                sample=sample,
                deadline=deadline,
            )
            if sample.server_ms is None:
                raise RuntimeError("the warm-up submission got no ACK")


# -- the figures -------------------------------------------------------------------------------


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p90/p99/max (nearest rank) and the mean; None for each when there are no values."""
    if not values:
        return dict.fromkeys(("p50", "p90", "p99", "max", "mean"))
    ordered = sorted(values)

    def rank(share: float) -> float:
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]

    return {
        "p50": rank(0.50),
        "p90": rank(0.90),
        "p99": rank(0.99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


def _slices(run: Run, duration: float, width: float = 10.0) -> list[float]:
    """2xx answers per second in each full ``width``-second slice of the run's duration."""
    width = min(width, duration)
    rates = []
    for number in range(int(duration // width)):
        start, end = number * width, (number + 1) * width
        count = sum(n for second, n in run.per_second.items() if start <= second < end)
        rates.append(count / width)
    return rates


def summarise(run: Run, duration: float) -> dict[str, Any]:
    """The figures of one run, as JSON."""
    return {
        "accepted": run.accepted,
        "seconds": run.seconds,
        "rate_per_s": run.accepted / run.seconds if run.seconds else 0.0,
        "rate_by_10s": _slices(run, duration),
        "statuses": dict(run.statuses),
        "errors": sum(n for s, n in run.statuses.items() if not s.startswith("2")),
        "latency_ms": percentiles(run.latencies_ms),
        "server_cpu_s": run.server_cpu_s,
        "server_cpu_cores": run.server_cpu_s / run.seconds if run.seconds else 0.0,
        "client_cpu_s": run.client_cpu_s,
    }


def ack_figures(samples: list[AckSample]) -> dict[str, Any]:
    """Receipt -> ACK ready of the sampled submissions."""
    server = [s.server_ms for s in samples if s.server_ms is not None]
    client = [s.client_ms for s in samples if s.client_ms is not None]
    return {
        "sampled": len(samples),
        "ready": len(server),
        "failed": sum(1 for s in samples if s.failed),
        "not_ready_in_time": sum(1 for s in samples if s.server_ms is None and not s.failed),
        "within_1s": sum(1 for v in server if v <= TARGET_ACK_MS),
        "server_ms": percentiles(server),
        "client_ms": percentiles(client),
        "polls": sum(s.polls for s in samples),
        "poll_errors": sum(s.errors for s in samples),
    }


def acks_from_log(log_file: Path) -> dict[str, Any]:
    """Receipt -> ``ack.generated`` of every submission, from the node's JSON log."""
    received: dict[str, datetime] = {}
    acked: dict[str, datetime] = {}
    events: Counter[str] = Counter()
    with log_file.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            event = entry.get("event", "")
            events[event] += 1
            if event == "submission.received":
                received[entry["submission_id"]] = datetime.fromisoformat(entry["timestamp"])
            elif event == "ack.generated":
                acked[entry["submission_id"]] = datetime.fromisoformat(entry["timestamp"])
    spans = [
        (acked[key] - at).total_seconds() * 1000 for key, at in received.items() if key in acked
    ]
    return {
        "received": len(received),
        "acked": len(spans),
        "within_1s": sum(1 for v in spans if v <= TARGET_ACK_MS),
        "ms": percentiles(spans),
        "events": dict(events),
    }


# -- the two runs ------------------------------------------------------------------------------


async def bench_gateway(args: argparse.Namespace, template: bytes) -> dict[str, Any]:
    """The node under load: intake, sampled ACKs, and every ACK from its log."""
    partner_key = generate_signing_key(PARTNER_KEY_ID)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        workdir = Path(scratch)
        port = free_port()
        config = write_node_files(workdir, port, partner_key, args.store_url, args.workers)
        log_file = workdir / "node.log"
        node = start_node(config, log_file)
        try:
            spec = LoadSpec(
                base_url=f"http://127.0.0.1:{port}",
                key=partner_key,
                template=template,
                clients=args.clients,
                duration=args.duration,
                sample_every=args.sample_every,
                ack_wait=args.ack_wait,
                rate=args.rate,
            )
            await wait_until_up(spec.base_url, node)
            await warm_up(spec)
            say(f"gateway (pid {node.pid}): {args.clients} clients for {args.duration:.0f} s ...")
            profiler = start_profiler(args.py_spy, node.pid, args.duration)
            run = await run_load(spec, first_index=1, server_pid=node.pid)
        finally:
            say("  stopping the node (it finishes its backlog first) ...")
            drain_s = stop(node, args.drain)
        figures = summarise(run, args.duration)
        figures["ack_sampled"] = ack_figures(run.samples)
        figures["ack_all"] = acks_from_log(log_file)
        figures["stop_s"] = drain_s
        figures["store"] = "postgresql" if args.store_url else "sqlite"
        figures["profile"] = finish_profile(profiler)
    return figures


async def bench_floor(args: argparse.Namespace, template: bytes) -> dict[str, Any]:
    """The same clients and bodies against the trivial endpoint."""
    port = free_port()
    floor = start_floor(port)
    try:
        spec = LoadSpec(
            base_url=f"http://127.0.0.1:{port}",
            key=generate_signing_key("floor"),  # the floor checks no signature
            template=template,
            clients=args.clients,
            duration=args.duration,
            sample_every=0,
            ack_wait=0.0,
        )
        await wait_until_up(spec.base_url, floor)
        say(f"floor (pid {floor.pid}): {args.clients} clients for {args.duration:.0f} s ...")
        run = await run_load(spec, first_index=1, server_pid=floor.pid)
    finally:
        stop(floor, 10.0)
    return summarise(run, args.duration)


# -- profiling (optional) ----------------------------------------------------------------------

PROFILE_RAW = OUT / "load_profile.raw"
PROFILE_TEXT = OUT / "load_profile.txt"
PROFILE_LINES = 30


def start_profiler(py_spy: str | None, pid: int, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy recording the node for the load's duration, when its path is given."""
    if not py_spy:
        return None
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(math.ceil(seconds))]
    # --gil: only the thread holding the GIL, so the profile says where CPU goes, not who waits.
    command += ["--rate", "100", "--gil", "--format", "raw", "--nonblocking"]
    command += ["-o", str(PROFILE_RAW)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603 - the user's py-spy


def finish_profile(profiler: subprocess.Popen[bytes] | None) -> str | None:
    """Wait for py-spy, then write the hottest functions (own and inclusive) as text."""
    if profiler is None:
        return None
    profiler.wait()
    if not PROFILE_RAW.exists():
        say("  py-spy wrote no profile")
        return None
    PROFILE_TEXT.write_text(profile_summary(PROFILE_RAW))
    return str(PROFILE_TEXT.relative_to(ROOT))


def profile_summary(raw: Path) -> str:
    """Shares of samples by function: where the stack ends (own) and anywhere in it."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    lines = [f"{total} samples of the node's threads (py-spy, 100 Hz, idle threads left out)"]
    shown = (("own", own, PROFILE_LINES), ("inclusive", inclusive, 2 * PROFILE_LINES))
    for title, counts, rows in shown:
        lines.append(f"\n-- by {title} samples")
        lines.extend(f"{n / total * 100:5.1f}%  {frame}" for frame, n in counts.most_common(rows))
    return "\n".join(lines) + "\n"


# -- the report --------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def targets(gateway: dict[str, Any]) -> dict[str, Any]:
    """Each target of the issue and whether the run met it."""
    p99 = gateway["latency_ms"]["p99"]
    ack_p99 = gateway["ack_sampled"]["server_ms"]["p99"]
    sampled = gateway["ack_sampled"]
    return {
        "rate_per_s": TARGET_RATE,
        "rate_met": gateway["rate_per_s"] >= TARGET_RATE,
        "p99_ms": TARGET_P99_MS,
        "p99_met": p99 is not None and p99 < TARGET_P99_MS,
        "ack_ms": TARGET_ACK_MS,
        # Every sampled ACK ready within the second, none missing.
        "ack_met": bool(sampled["sampled"]) and sampled["within_1s"] == sampled["sampled"],
        "ack_p99_met": ack_p99 is not None and ack_p99 <= TARGET_ACK_MS,
    }


def print_table(gateway: dict[str, Any], floor: dict[str, Any], met: dict[str, Any]) -> None:
    """One row per figure: gateway, floor, gateway / floor, target."""
    header = f"{'measure':<34} {'gateway':>10} {'floor':>10} {'ratio':>7}  target"
    print(header)
    print("-" * (len(header) + 12))

    def row(label: str, ours: float | None, base: float | None, target: str = "") -> None:
        ratio = f"{ours / base:>6.2f}x" if ours is not None and base else f"{'':>7}"
        print(f"{label:<34} {_ms(ours):>10} {_ms(base):>10} {ratio}  {target}")

    row(
        "submissions/s (2xx)",
        gateway["rate_per_s"],
        floor["rate_per_s"],
        f">= {TARGET_RATE:.0f}: {_verdict(met['rate_met'])}",
    )
    for cut in ("p50", "p90", "p99", "max"):
        goal = f"< {TARGET_P99_MS:.0f}: {_verdict(met['p99_met'])}" if cut == "p99" else ""
        row(f"intake latency {cut} ms", gateway["latency_ms"][cut], floor["latency_ms"][cut], goal)
    row("errors (non-2xx, network)", gateway["errors"], floor["errors"])
    row("server CPU, cores (with workers)", gateway["server_cpu_cores"], floor["server_cpu_cores"])
    sampled = gateway["ack_sampled"]
    for cut in ("p50", "p99", "max"):
        goal = f"<= {TARGET_ACK_MS:.0f}: {_verdict(met['ack_p99_met'])}" if cut == "p99" else ""
        row(f"ACK ready {cut} ms (sampled)", sampled["server_ms"][cut], None, goal)
    row("  as the client saw it, p50 ms", sampled["client_ms"]["p50"], None)
    row("  as the client saw it, p99 ms", sampled["client_ms"]["p99"], None)
    every = gateway["ack_all"]
    for cut in ("p50", "p99", "max"):
        row(f"ACK ready {cut} ms (all, node log)", every["ms"][cut], None)
    print(
        f"sampled ACKs ready within 1 s: {sampled['within_1s']}/{sampled['sampled']} "
        f"({_verdict(met['ack_met'])}); not ready {sampled['not_ready_in_time']}, "
        f"failed {sampled['failed']}; {sampled['polls']} polls, {sampled['poll_errors']} not 200"
    )
    delivered = every["events"].get("delivery.delivered", 0)
    print(
        f"all ACKs (node log): {every['acked']}/{every['received']} generated, "
        f"{every['within_1s']} within 1 s, {delivered} delivered to the partner's folder "
        f"before the node stopped (stopping took {gateway['stop_s']:.1f} s)"
    )
    rates = ", ".join(f"{r:.0f}" for r in gateway["rate_by_10s"])
    print(f"gateway 2xx/s by 10 s slice: {rates}")
    print(f"statuses: gateway {gateway['statuses']}, floor {floor['statuses']}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--floor-server PORT``, serve the trivial endpoint)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per run")
    parser.add_argument("--rate", type=float, default=0.0, help="offered submissions/s (paced)")
    parser.add_argument("--workers", type=int, default=3, help="[processing] workers of the node")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SECONDS:.0f} s runs")
    parser.add_argument("--sample-every", type=int, default=10, help="poll every N-th for its ACK")
    parser.add_argument("--ack-wait", type=float, default=120.0, help="s to wait for sampled ACKs")
    parser.add_argument("--drain", type=float, default=300.0, help="s the node may take to stop")
    parser.add_argument("--results", type=Path, default=OUT / "load.json", help="JSON out")
    parser.add_argument(
        "--store-url", default="", help="postgresql://... for the node's state (default SQLite)"
    )
    parser.add_argument("--py-spy", metavar="PATH", help="profile the node with this py-spy")
    parser.add_argument("--floor-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor_server:
        web.run_app(
            floor_app(), host="127.0.0.1", port=args.floor_server, print=None, access_log=None
        )
        return 0
    if args.quick:
        args.duration = QUICK_SECONDS
    if args.clients < 1 or args.duration <= 0 or args.sample_every < 1:
        parser.error("use at least one client, a positive duration and --sample-every >= 1")
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Both runs, the table and the JSON."""
    info, sources = machine(), gateway_sources()
    say(f"{info['cpu']}, {info['cpus']} CPUs, {info['memory_gb']} GB, Python {info['python']}")
    template = build_template()
    gateway = asyncio.run(bench_gateway(args, template))
    floor = asyncio.run(bench_floor(args, template))
    met = targets(gateway)
    print()
    print(
        f"{args.clients} clients, {args.duration:.0f} s each, {len(template):,}-byte CWR 2.1 "
        f"files of 3 works, {gateway['store']} store, {args.workers} worker process(es); "
        f"ACK sampled every {args.sample_every}th"
    )
    pacing = f"paced at {args.rate:g}/s offered" if args.rate else "each as fast as it can"
    print(f"gateway clients {pacing}; floor clients each as fast as they can")
    print_table(gateway, floor, met)
    changed = sorted(k for k, v in gateway_sources().items() if sources.get(k) != v)
    if changed:
        print(f"WARNING: gateway sources changed during the run: {', '.join(changed)}")
    result = {
        "machine": info,
        "gateway_sources": sources,
        "gateway_changed_mid_run": changed,
        "clients": args.clients,
        "rate_offered_per_s": args.rate or None,
        "workers": args.workers,
        "duration_s": args.duration,
        "sample_every": args.sample_every,
        "file_bytes": len(template),
        "file_sha256_template": hashlib.sha256(template).hexdigest(),
        "gateway": gateway,
        "floor": floor,
        "targets": met,
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n")
    say(f"results written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
