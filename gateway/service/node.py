"""One running gateway node: its HTTP API, its delivery worker and its pullers, started together.

``gateway serve`` runs one until it is told to stop; the demo and the integration tests run
several in one process, each with its own registry, database and blob folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import socket
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from gateway import log
from gateway.routing.filenames import CwrFileName, FileNameError
from gateway.routing.partners import Registry, load_registry
from gateway.service.api import build_app
from gateway.service.config import ConfigError, PullSpec, ServiceConfig
from gateway.service.delivery import DeliveryWorker
from gateway.service.pipeline import Pipeline
from gateway.service.reconciliations import ReconcileService
from gateway.service.transports import TransportFactory
from gateway.service.workers import ProcessingWorkers
from gateway.store import Store, StoreError, TooLarge
from gateway.store.blobs import BlobStore
from gateway.store.postgres import PostgresStore
from gateway.store.sqlite import SqliteStore
from gateway.transport.base import PART_SUFFIX, TransportError
from gateway.transport.folder import FolderTransport
from gateway.transport.sftp import SftpTransport
from gateway.transport.signing import load_signing_key

STOP_WAIT_SECONDS = 10.0
RECOVER_INTERVAL_SECONDS = 30.0  # how often to look for submissions a dead process left
REFUSED_FOLDER = "refused"  # in a pull inbox: files intake will never take (too large)


def open_store(config: ServiceConfig) -> Store:
    """The node's store: PostgreSQL when ``[store] url`` names one, else SQLite in data_dir."""
    spec = config.store
    if not spec.url:
        return SqliteStore(config.data_dir / "gateway.db")
    password = os.environ.get(spec.password_env) if spec.password_env else None
    if spec.password_env and password is None:
        raise ConfigError(f"[store] password_env names {spec.password_env}, which is not set")
    return PostgresStore(spec.url, schema=spec.schema, password=password)


def open_blobs(config: ServiceConfig, store: Store) -> BlobStore:
    """The node's blob folder, reading the small files kept in ``store`` as well."""
    return BlobStore(config.store.blobs or config.data_dir / "blobs", database=store.content)


class Node:
    """A gateway node built from its configuration; ``start`` it, then ``stop`` it."""

    def __init__(self, config: ServiceConfig, registry: Registry | None = None) -> None:
        self.config = config
        self.registry = registry or load_registry(config.registry)
        self.society = self.registry.node.society
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = open_store(config)
        self.blobs = open_blobs(config, self.store)
        self._wake = asyncio.Event()
        # Unique among every process (and node object) sharing the database: it owns leases.
        suffix = secrets.token_hex(3)
        self.worker_id = f"{self.society}-{socket.gethostname()}-{os.getpid()}-{suffix}"
        self.workers: ProcessingWorkers | None = None
        if config.processing_workers:
            self.workers = ProcessingWorkers(
                config,
                self.worker_id,
                node=self.society,
                on_done=self._wake.set,
                fail=self._fail_submission,
            )
        self.pipeline = Pipeline(
            self.registry,
            self.store,
            self.blobs,
            max_upload_bytes=config.max_upload_bytes,
            wake_delivery=self._wake,
            worker_id=self.worker_id,
            lease_seconds=config.store.processing_lease_seconds,
            hand_off=self.workers.nudge if self.workers else None,
        )
        self.reconciler = ReconcileService(
            self.society,
            self.store,
            self.blobs,
            rates=config.rates,
            home=config.home_currency,
        )
        node = self.registry.node
        if not node.private_key_file:
            raise ConfigError(f"{config.registry}: [gateway] needs private_key_file to sign")
        signing_key = load_signing_key(
            config.registry.parent / node.private_key_file, key_id=node.key_id or None
        )
        factory = TransportFactory(
            self.registry,
            signing_key=signing_key,
            base_dir=config.registry.parent,
            known_hosts=config.known_hosts,
            insecure_host_keys=config.insecure_host_keys,
        )
        self.worker = DeliveryWorker(
            self.store,
            self.blobs,
            self.registry,
            factory,
            worker_id=self.worker_id,
            node=self.society,
            lease_seconds=config.lease_seconds,
            max_attempts=config.max_attempts,
            initial_wait=config.initial_wait,
            max_wait=config.max_wait,
            wake_event=self._wake,
        )
        self._runner: web.AppRunner | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.port = config.port

    async def start(self) -> None:
        """Listen, deliver, pull; and finish what a previous run left half done."""
        # keepalive_timeout: an idle or slow-to-speak client must not hold a connection for an hour.
        self._runner = web.AppRunner(
            build_app(self.pipeline, self.reconciler), access_log=None, keepalive_timeout=75
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        for address in self._runner.addresses:  # the real port when 0 asked for any
            self.port = int(address[1])
        self._tasks.append(asyncio.create_task(self._deliver()))
        if self.workers is not None:  # they claim unfinished work themselves, left over or new
            await self.workers.start()
        else:
            self._tasks.append(asyncio.create_task(self._recover_loop()))
        for spec in self.config.pulls:
            self._tasks.append(asyncio.create_task(self._pull_loop(spec)))
        log.emit(
            "service.started",
            node=self.society,
            host=self.config.host,
            port=self.port,
            partners=len(self.registry.partners),
        )

    def _fail_submission(self, submission_id: str, reason: str) -> None:
        self.pipeline.fail(submission_id, reason)

    async def _deliver(self) -> None:
        await self.worker.run(self._stop, poll_interval=0.2)

    async def _recover_loop(self) -> None:
        """Take up unfinished submissions now, then whenever a dead process's lease runs out."""
        interval = min(RECOVER_INTERVAL_SECONDS, self.config.store.processing_lease_seconds / 2)
        while not self._stop.is_set():
            try:
                await self.pipeline.recover()
            except StoreError as error:  # the database is away: try again next turn
                log.emit(
                    "submission.recovery_failed",
                    node=self.society,
                    worker=self.worker_id,
                    error=str(error)[:300],
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval)

    async def stop(self) -> None:
        """Stop taking work, let running work end, and close."""
        self._stop.set()
        if self._tasks:  # the loops end at their next turn; a send under way may take a while
            _, late = await asyncio.wait(self._tasks, timeout=STOP_WAIT_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.pipeline.drain()
        if self.workers is not None:
            await self.workers.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        self.store.close()
        log.emit("service.stopped", node=self.society)

    async def _pull_loop(self, spec: PullSpec) -> None:
        """Fetch into this pull's inbox, then take in everything the inbox holds.

        A pulled file is marked picked up at its source as soon as its copy is in the inbox
        (fsynced), before intake records it; a process killed in between leaves the copy there.
        So each turn takes in every file the inbox holds, not only those just pulled: whatever
        a previous run left is taken in at the next start, and intake's idempotency makes a
        file taken in twice (killed after intake, before the copy was removed) one submission.
        """
        source = self._pull_source(spec)
        inbox = pull_inbox(self.config.data_dir, spec)
        inbox.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(remove_partial_copies, inbox)  # only this loop writes here
        while not self._stop.is_set():
            with contextlib.suppress(TransportError):  # what came before the error is in
                await source.pull(inbox)
            for path in await asyncio.to_thread(waiting_files, inbox):
                if self._stop.is_set():
                    break
                await self._take_in(spec, path)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), spec.interval)

    async def _take_in(self, spec: PullSpec, path: Path) -> None:
        """Intake of one inbox file, then its removal; a failed intake leaves it for next turn."""
        sender = self.society if spec.own else self._sender_of(path.name)
        try:
            size = (await asyncio.to_thread(path.stat)).st_size
            await self.pipeline.receive_file(
                path, sender=sender, file_name=path.name, transport=spec.transport
            )
        except TooLarge as error:  # never acceptable: set aside for a person, not retried
            await asyncio.to_thread(set_aside, path)
            self._intake_failed(spec, path, error, retried=False)
            return
        except (StoreError, OSError) as error:  # database or disk away: the next turn retries
            self._intake_failed(spec, path, error, retried=True)
            return
        log.emit(
            "transfer.pulled",
            node=self.society,
            transport=spec.transport,
            file_name=path.name,
            bytes=size,
        )
        await asyncio.to_thread(path.unlink, missing_ok=True)

    def _intake_failed(
        self, spec: PullSpec, path: Path, error: Exception, *, retried: bool
    ) -> None:
        log.emit(
            "transfer.intake_failed",
            node=self.society,
            transport=spec.transport,
            file_name=path.name,
            error=str(error)[:300],
            retried=retried,
        )

    def _pull_source(self, spec: PullSpec) -> FolderTransport | SftpTransport:
        if spec.transport == "folder":
            Path(spec.address).mkdir(parents=True, exist_ok=True)
            return FolderTransport(Path(spec.address))
        url = urlsplit(spec.address)
        password = os.environ.get(spec.password_env) if spec.password_env else None
        if password is None:
            raise ConfigError(f"pull from {spec.address}: set the password in ${spec.password_env}")
        if not self.config.insecure_host_keys and self.config.known_hosts is None:
            raise ConfigError(f"pull from {spec.address}: known_hosts is required for SFTP")
        return SftpTransport(
            url.hostname or "127.0.0.1",
            url.port or 22,
            spec.username,
            known_hosts=str(self.config.known_hosts) if self.config.known_hosts else None,
            remote_dir=url.path or "/",
            password=password,
        )

    def _sender_of(self, file_name: str) -> str:
        """The partner a pulled file comes from, by its name's sender field."""
        try:
            code = CwrFileName.parse(file_name).sender
        except FileNameError:
            return "000"
        partner = self.registry.partner_for(code)
        return partner.society if partner is not None else code


def pull_inbox(data_dir: Path, spec: PullSpec) -> Path:
    """The folder one pull copies files into before intake, stable across restarts.

    One per pull, named by its transport and address, so that a file left there by a killed
    process is taken in with the right sender (own submissions or a partner's) when it restarts.
    """
    key = hashlib.sha256(f"{spec.transport}\n{spec.address}\n{spec.own}".encode()).hexdigest()
    return data_dir / "inbox" / f"{spec.transport}-{key[:16]}"


def waiting_files(inbox: Path) -> list[Path]:
    """Complete copies in an inbox, by name; hidden names are copies still being written."""
    with os.scandir(inbox) as entries:
        return sorted(
            Path(entry.path)
            for entry in entries
            if entry.is_file(follow_symlinks=False) and not entry.name.startswith(".")
        )


def remove_partial_copies(inbox: Path) -> None:
    """Remove the hidden copies a killed pull left half written (its source is not marked)."""
    for part in inbox.glob(f".*{PART_SUFFIX}"):
        part.unlink(missing_ok=True)


def set_aside(path: Path) -> None:
    """Move an inbox file that intake refuses for good into the inbox's ``refused`` folder."""
    refused = path.parent / REFUSED_FOLDER
    refused.mkdir(exist_ok=True)
    path.replace(refused / path.name)


async def serve(config: ServiceConfig) -> None:
    """Run a node until SIGINT/SIGTERM."""
    node = Node(config)
    await node.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    import signal  # noqa: PLC0415 - only the serving process handles signals

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await node.stop()
