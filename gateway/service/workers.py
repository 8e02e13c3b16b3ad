"""Processing in worker processes: validation, ACKs and routing off the HTTP process's GIL.

A node's HTTP process answers uploads. What follows a receipt (validate, answer or route) is
pure Python; in threads of that process it shares one interpreter lock with intake, and under
load the two take turns at it, each turn a futex wake-up. With ``[processing] workers = N``
the node starts N child processes instead. Each builds its own pipeline from the node's
configuration (its own database connection, the same blob folder) and takes work from the
store itself: it claims the oldest unfinished submission whose lease is free, exactly as a
second node on the same database would, so crash recovery and leases work unchanged.

The parent only nudges: a byte down each child's wake pipe when a file arrives (a child that
sees none looks anyway every ``IDLE_CLAIM_SECONDS``). A child says which submission it starts
and when it is done, so that the parent wakes the delivery worker at once and, when a child
dies, knows what it was doing: that submission is tried once more by the child that replaces
it (the same lease owner, so at once) and marked failed if it kills that one too.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING

from gateway import log
from gateway.routing.partners import load_registry
from gateway.service.pipeline import Pipeline
from gateway.store.errors import AlreadyFinished, StoreError

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from multiprocessing.context import BaseContext
    from multiprocessing.process import BaseProcess

    from gateway.service.config import ServiceConfig

IDLE_CLAIM_SECONDS = 1.0  # a child with no nudge still looks for work this often
STORE_RETRY_SECONDS = 1.0  # after the database refused a claim
DEATHS_BEFORE_FAILING = 2  # children a submission may kill before it is marked failed
RESTART_BACKOFF_SECONDS = (0.0, 1.0, 5.0, 30.0)  # after deaths in a row soon after starting
QUICK_DEATH_SECONDS = 5.0  # a child that dies sooner than this counts toward the backoff
STOP_WAIT_SECONDS = 30.0  # a child finishing its submission before it is terminated
STARTED, DONE = b"S", b"D"


@dataclass(slots=True)
class _Child:
    """One worker slot: its process and pipes, and what it is working on now."""

    slot: int
    worker_id: str
    process: BaseProcess
    wake: Connection  # parent -> child: a nudge; closed: stop
    events: Connection  # child -> parent: started / done
    started_at: float = field(default_factory=time.monotonic)
    current: str | None = None


class ProcessingWorkers:
    """The node's worker processes: started, nudged, replaced when they die, stopped."""

    def __init__(
        self,
        config: ServiceConfig,
        node_worker_id: str,
        *,
        node: str,
        on_done: Callable[[], None],
        fail: Callable[[str, str], None],
    ) -> None:
        self._config = config
        self._node_worker_id = node_worker_id
        self._node = node
        self._on_done = on_done
        self._fail = fail  # (submission id, reason), run in a thread
        self._context = multiprocessing.get_context("spawn")  # a fork would copy a live loop
        self._children: dict[int, _Child] = {}
        self._deaths: dict[str, int] = {}
        self._quick_deaths = 0
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Start one child per configured worker slot."""
        for slot in range(self._config.processing_workers):
            self._spawn(slot)

    def running(self) -> dict[int, tuple[int | None, str | None]]:
        """Each slot's worker now: its process id and the submission it is on (or None)."""
        return {slot: (child.process.pid, child.current) for slot, child in self._children.items()}

    def nudge(self, _submission_id: str = "") -> None:
        """Tell every child that work may be waiting (a new submission)."""
        for child in self._children.values():
            nudge_child(child.wake)

    async def stop(self) -> None:
        """Let each child finish the submission it is on, then end it."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        children = list(self._children.values())
        self._children.clear()
        for child in children:
            asyncio.get_running_loop().remove_reader(child.events.fileno())
            child.wake.close()  # the child sees the end of its wake pipe and exits
        for child in children:
            await asyncio.to_thread(child.process.join, STOP_WAIT_SECONDS)
            if child.process.is_alive():
                child.process.terminate()
                await asyncio.to_thread(child.process.join, STOP_WAIT_SECONDS)
            child.events.close()

    def _spawn(self, slot: int) -> None:
        # One lease owner per slot, kept by its replacement: it takes the dead one's work at once.
        worker_id = f"{self._node_worker_id}-p{slot}"
        wake_read, wake_write = wake_pipe(self._context)
        events_read, events_write = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=run_child,
            args=(self._config, worker_id, wake_read, events_write),
            name=f"gateway-worker-{slot}",
            daemon=True,
        )
        process.start()
        wake_read.close()  # the child's ends: the parent keeps only its own
        events_write.close()
        child = _Child(slot, worker_id, process, wake_write, events_read)
        self._children[slot] = child
        asyncio.get_running_loop().add_reader(events_read.fileno(), self._on_events, child)

    def _on_events(self, child: _Child) -> None:
        try:
            while child.events.poll():
                message = child.events.recv_bytes()
                kind, submission_id = message[:1], message[1:].decode()
                if kind == STARTED:
                    child.current = submission_id
                elif kind == DONE:
                    child.current = None
                    self._deaths.pop(submission_id, None)
                    self._quick_deaths = 0
                    self._on_done()
        except (EOFError, OSError):
            self._lost(child)

    def _lost(self, child: _Child) -> None:
        """A child's pipe closed: it died (or was told to stop); replace it unless stopping."""
        asyncio.get_running_loop().remove_reader(child.events.fileno())
        if self._stopping or self._children.get(child.slot) is not child:
            return
        del self._children[child.slot]
        child.process.join(timeout=1.0)
        child.wake.close()
        child.events.close()
        submission_id = child.current
        action = "none"
        if submission_id is not None:
            deaths = self._deaths.get(submission_id, 0) + 1
            self._deaths[submission_id] = deaths
            action = "retried" if deaths < DEATHS_BEFORE_FAILING else "failed"
            if action == "failed":
                del self._deaths[submission_id]
                reason = f"the processing worker died {deaths} times while processing this file"
                self._background(asyncio.to_thread(self._fail, submission_id, reason))
        quick = time.monotonic() - child.started_at < QUICK_DEATH_SECONDS
        self._quick_deaths = self._quick_deaths + 1 if quick else 0
        wait_s = RESTART_BACKOFF_SECONDS[min(self._quick_deaths, len(RESTART_BACKOFF_SECONDS)) - 1]
        log.emit(
            "worker.lost",
            node=self._node,
            worker=child.worker_id,
            pid=child.process.pid,
            exit_code=child.process.exitcode,
            submission_id=submission_id,
            action=action,
            restart_in_s=wait_s if self._quick_deaths else 0.0,
        )
        self._background(self._respawn(child.slot, wait_s if self._quick_deaths else 0.0))

    async def _respawn(self, slot: int, wait_s: float) -> None:
        await asyncio.sleep(wait_s)
        if not self._stopping:
            self._spawn(slot)

    def _background(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def wake_pipe(context: BaseContext) -> tuple[Connection, Connection]:
    """A wake pipe (child's end, parent's end); the parent's never blocks (``nudge_child``)."""
    read, write = context.Pipe(duplex=False)
    os.set_blocking(write.fileno(), False)
    return read, write


def nudge_child(wake: Connection) -> None:
    """One nudge down a wake pipe, from the event loop: never waits.

    A child busy for a long while reads no nudges; after some 16,000 its pipe is full. A
    blocking write would then stop the event loop, which also stops it reading the child's
    events, and the child, blocked telling it one, would never read again: the node froze
    under load. A full pipe already holds more nudges than the child needs, so this one is
    dropped; a nudge (4 bytes, under ``PIPE_BUF``) goes in whole or not at all.
    """
    with contextlib.suppress(OSError):  # full (BlockingIOError), or a dying child's pipe
        wake.send_bytes(b"")


# -- in the child ------------------------------------------------------------------------------


def run_child(config: ServiceConfig, worker_id: str, wake: Connection, events: Connection) -> None:
    """A worker process: claim, process, repeat; wait for a nudge when nothing is left."""
    from gateway.service.node import open_blobs, open_store  # noqa: PLC0415 - node imports us

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops its children itself
    log.configure()
    store = open_store(config)
    pipeline = Pipeline(
        load_registry(config.registry),
        store,
        open_blobs(config, store),
        max_upload_bytes=config.max_upload_bytes,
        worker_id=worker_id,
        lease_seconds=config.store.processing_lease_seconds,
    )
    log.emit("worker.started", node=pipeline.node, worker=worker_id, pid=os.getpid())
    try:
        while _take_one(pipeline, events) or _nudged(wake):
            pass
    finally:
        store.close()


def _take_one(pipeline: Pipeline, events: Connection) -> bool:
    """Claim and process the oldest waiting submission; False when there was none."""
    try:
        claimed = pipeline.store.claim_submissions(
            datetime.now(UTC), pipeline.lease_seconds, pipeline.worker_id, 1
        )
    except StoreError as error:
        log.emit(
            "submission.recovery_failed",
            node=pipeline.node,
            worker=pipeline.worker_id,
            error=str(error)[:300],
        )
        time.sleep(STORE_RETRY_SECONDS)
        return True
    if not claimed:
        return False
    submission = claimed[0]
    events.send_bytes(STARTED + submission.id.encode())
    try:
        pipeline.handle(submission)
    except AlreadyFinished:
        pass  # another process finished it after our lease ran out
    except Exception as error:  # noqa: BLE001 - recorded on the submission; the loop goes on
        with contextlib.suppress(StoreError):  # else its lease runs out and it is tried again
            pipeline.fail(submission.id, error)
    events.send_bytes(DONE + submission.id.encode())
    return True


def _nudged(wake: Connection) -> bool:
    """Wait for a nudge (True) or the idle interval (True); False once the parent is gone."""
    if wait([wake], IDLE_CLAIM_SECONDS):
        try:
            while wake.poll():
                wake.recv_bytes()
        except (EOFError, OSError):
            return False  # the parent closed the pipe (stop) or died
    return True
