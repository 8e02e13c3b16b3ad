"""The gateway's state in PostgreSQL, for several gateway processes sharing one database.

The twin of :class:`~gateway.store.sqlite.SqliteStore`, keeping the same contract (the
:class:`~gateway.store.Store` protocol): every public method is synchronous and one transaction,
so the service calls it through ``asyncio.to_thread`` as it calls SQLite. Underneath, asyncpg
runs on a private event loop in its own thread with a connection pool; a method hands its
transaction to that loop and waits for it. The outbox is claimed with ``SELECT … FOR UPDATE SKIP
LOCKED``: two processes claiming together take different deliveries, never one twice.

Intake's check-then-insert is one ``INSERT … ON CONFLICT DO NOTHING`` on the unique indexes, so
two processes receiving one file concurrently record it once. Errors come out as the store's own
(:mod:`gateway.store.errors`): a broken uniqueness rule as ``Conflict``, anything else the
database or the network does as ``StoreError`` naming the server.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import date, datetime, time, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar, Unpack
from urllib.parse import urlsplit

import asyncpg

from gateway.store._columns import (
    Row,
    check_changes,
    check_claim,
    check_contents,
    check_registration_status,
    check_routing_changes,
    check_sha256,
    check_status,
    check_submission,
    delivery_row,
    registration_row,
    sent_row,
    submission_row,
    utc,
    whole_seconds,
)
from gateway.store.errors import AlreadyFinished, Conflict, InvalidValue, NotFound, StoreError
from gateway.store.pg_schema import MIGRATION_LOCK, MIGRATIONS
from gateway.store.rows import (
    DELIVERY_STATES,
    Delivery,
    DeliveryState,
    DuplicateReason,
    NewDelivery,
    Registration,
    RegistrationChange,
    SentTransaction,
    Submission,
    SubmissionChanges,
    SubmissionStatus,
    new_id,
)
from gateway.store.sqlite import count_by_state, utc_now

T = TypeVar("T")
Connection = Any  # asyncpg's pool hands out proxies of asyncpg.Connection; typed loosely
DEFAULT_POOL_SIZE = 10
CALL_TIMEOUT_SECONDS = 60.0  # one call's transaction, waiting for locks included
CONNECT_TIMEOUT_SECONDS = 10.0
CLOSE_WAIT_SECONDS = 30.0


class PostgresStore:
    """The store on a PostgreSQL database (``postgresql://user@host:port/db``), migrated on open.

    ``schema`` keeps the gateway's tables in a schema of their own (created if missing), so one
    database can hold several gateways' state, or a test's.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str = "public",
        password: str | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.url = url
        self.where = _server(url)
        self.schema = schema
        self._password = password  # kept out of the URL, so messages never show it
        self._clock = clock
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="gateway-postgres", daemon=True
        )
        self._thread.start()
        self._pool: asyncpg.Pool | None = None
        try:
            self._pool = self._run(self._open(pool_size))
        except BaseException:
            self.close()
            raise

    async def _open(self, pool_size: int) -> asyncpg.Pool:
        await _migrate(self.url, self.schema, self._password)
        pool = await asyncpg.create_pool(
            self.url,
            password=self._password,
            min_size=1,
            max_size=pool_size,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={"search_path": self.schema, "application_name": "gateway"},
        )
        if pool is None:  # pragma: no cover - create_pool returns a pool when awaited
            raise StoreError(f"cannot open database {self.where}")
        return pool

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self, *, wait: float = CLOSE_WAIT_SECONDS) -> None:
        """Refuse new calls, close the pool (letting calls under way end), stop the loop."""
        if self._closed:
            return
        self._closed = True
        if self._pool is not None:
            pool, self._pool = self._pool, None
            future = asyncio.run_coroutine_threadsafe(pool.close(), self._loop)
            try:
                future.result(timeout=wait)
            except (FutureTimeout, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                pool.terminate()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=wait)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- submissions -------------------------------------------------------------------------

    def record_submission(
        self,
        sender: str,
        receiver: str,
        file_name: str,
        sha256: str,
        size: int,
        *,
        file_format: str = "",
        version: str = "",
        received_at: datetime | None = None,
        submission_id: str | None = None,
        content: bytes | None = None,
    ) -> tuple[Submission, DuplicateReason | None]:
        """Record a received file once; a repeat returns the original and why it is one.

        The same bytes (``"same_bytes"``) or the same non-empty file name (``"same_name"``) from
        the same sender is the same submission: the original comes back, nothing is written.
        ``content``, a small file's bytes, is kept with a new submission (see ``content()``).
        """
        check_submission(sender, sha256, size)
        content_rows = check_contents({} if content is None else {sha256: content})
        now = utc(received_at or self._clock())
        new = submission_id or new_id("sub_")

        async def record(conn: Connection) -> tuple[Submission, DuplicateReason | None]:
            # A concurrent insert of the same file waits here for the other to commit, then
            # conflicts: the unique indexes decide, not a check made before.
            row = await conn.fetchrow(
                "INSERT INTO submissions (id, sender, receiver, file_name, sha256, size,"
                " received_at, format, version, status, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'received', $7)"
                " ON CONFLICT DO NOTHING RETURNING *",
                new, sender, receiver, file_name, sha256, size, now, file_format, version,
            )  # fmt: skip
            if row is not None:
                await conn.executemany(_INSERT_CONTENT, content_rows)
                return submission_row(row), None
            row = await conn.fetchrow(
                "SELECT * FROM submissions WHERE sender = $1 AND sha256 = $2", sender, sha256
            )
            if row is not None:
                return submission_row(row), "same_bytes"
            row = await conn.fetchrow(
                "SELECT * FROM submissions WHERE sender = $1 AND file_name = $2"
                " AND file_name <> ''",
                sender, file_name,
            )  # fmt: skip
            if row is not None:
                return submission_row(row), "same_name"
            raise Conflict(f"submission id {new} is already taken in {self.where}")

        return self._transaction(record)

    def content(self, sha256: str) -> bytes | None:
        """A file kept in the database by its SHA-256, or None (as :meth:`SqliteStore.content`)."""
        row = self._fetchrow("SELECT data FROM contents WHERE sha256 = $1", check_sha256(sha256))
        return None if row is None else bytes(row["data"])

    def get_submission(self, submission_id: str) -> Submission | None:
        """A submission by id, or None."""
        row = self._fetchrow("SELECT * FROM submissions WHERE id = $1", submission_id)
        return None if row is None else submission_row(row)

    def list_submissions(self, sender: str) -> list[Submission]:
        """A sender's submissions, oldest first."""
        rows = self._fetch(
            "SELECT * FROM submissions WHERE sender = $1 ORDER BY received_at, seq", sender
        )
        return [submission_row(row) for row in rows]

    def update_submission(
        self, submission_id: str, **changes: Unpack[SubmissionChanges]
    ) -> Submission:
        """Change some fields of a submission; the updated row (NotFound if there is none)."""
        check_changes(changes)
        row = self._fetchrow(*_update_submission(submission_id, changes, utc(self._clock())))
        if row is None:
            raise NotFound(f"no submission {submission_id}")
        return submission_row(row)

    # -- outbox ------------------------------------------------------------------------------

    def complete_routing(
        self,
        submission_id: str,
        deliveries: Sequence[NewDelivery],
        sent_transactions: Sequence[SentTransaction],
        status: SubmissionStatus = "routed",
        *,
        changes: SubmissionChanges | None = None,
        registrations: Sequence[RegistrationChange] = (),
        contents: Mapping[str, bytes] | None = None,
    ) -> list[Delivery]:
        """Queue a submission's deliveries, index what they carry, and set its status: all or none.

        The submission's other ``changes``, the ``registrations`` and the ``contents`` are written
        in the same transaction. Conflict (nothing written) if a delivery id, a recipient's file
        name or a sent transaction's key is already taken; AlreadyFinished if the submission was
        answered or routed already (by another process), so a submission is routed once.
        """
        check_status(status)
        check_routing_changes(changes or {}, registrations)
        content_rows = check_contents(contents or {})
        now = utc(self._clock())
        registration_rows = [_registration_values(item, now) for item in registrations]
        queued_rows = [
            (
                item.id, submission_id, item.recipient, item.file_name, check_sha256(item.sha256),
                item.format, item.version, item.transport, utc(item.next_attempt_at or now), now,
            )
            for item in deliveries
        ]  # fmt: skip
        sent_rows = [
            (
                sent.recipient, sent.hdr_creation_date, whole_seconds(sent.hdr_creation_time),
                sent.group_id, sent.transaction_sequence, sent.delivery_id, sent.transaction_type,
                sent.submitter_work_number, sent.title, sent.original_submission_id,
            )
            for sent in sent_transactions
        ]  # fmt: skip

        async def route(conn: Connection) -> list[Delivery]:
            updated = await conn.execute(
                "UPDATE submissions SET status = $1, updated_at = $2, worker = NULL,"
                " lease_until = NULL WHERE id = $3 AND status IN ('received', 'validated')",
                status, now, submission_id,
            )  # fmt: skip
            if updated != "UPDATE 1":
                current = await conn.fetchval(
                    "SELECT status FROM submissions WHERE id = $1", submission_id
                )
                if current is None:
                    raise NotFound(f"no submission {submission_id}")
                raise AlreadyFinished(f"submission {submission_id} is {current} already")
            queued = [
                delivery_row(
                    await conn.fetchrow(
                        "INSERT INTO deliveries (id, submission_id, recipient, file_name, sha256,"
                        " format, version, transport, state, next_attempt_at, created_at,"
                        " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9,"
                        " $10, $10) RETURNING *",
                        *values,
                    )
                )
                for values in queued_rows
            ]
            await conn.executemany(
                "INSERT INTO sent_transactions (recipient, hdr_creation_date, hdr_creation_time,"
                " group_id, transaction_sequence, delivery_id, transaction_type,"
                " submitter_work_number, title, original_submission_id)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                sent_rows,
            )
            if changes:
                await conn.execute(*_update_submission(submission_id, changes, now))
            await conn.executemany(_INSERT_CONTENT, content_rows)
            await conn.executemany(_UPSERT_REGISTRATION, registration_rows)
            return queued

        return self._transaction(route)

    def claim_submissions(
        self,
        now: datetime,
        lease_seconds: float,
        worker_id: str,
        limit: int,
        *,
        submission_id: str | None = None,
    ) -> list[Submission]:
        """Lease unfinished submissions to a worker for processing, oldest first.

        As :meth:`SqliteStore.claim_submissions`; submissions another process is claiming at
        this moment are skipped (``SKIP LOCKED``).
        """
        check_claim(lease_seconds, worker_id, limit)
        at = utc(now)
        rows = self._fetch(
            _CLAIM_SUBMISSIONS,
            at, at + timedelta(seconds=lease_seconds), worker_id, limit, submission_id,
        )  # fmt: skip
        ordered = sorted(rows, key=lambda r: (r["received_at"], r["seq"]))
        return [submission_row(row) for row in ordered]

    def reserve_creation_time(self, recipient: str, not_before: datetime) -> datetime:
        """A CWR header creation time for a file to ``recipient``, never handed out before.

        One statement: the row lock on the recipient's last time orders processes asking at once.
        """
        wanted = utc(not_before).replace(microsecond=0)
        row = self._fetchrow(
            "INSERT INTO creation_times AS c (recipient, last) VALUES ($1, $2)"
            " ON CONFLICT (recipient) DO UPDATE"
            " SET last = greatest(excluded.last, c.last + interval '1 second')"
            " RETURNING last",
            recipient,
            wanted,
        )
        if row is None:  # pragma: no cover - INSERT … RETURNING always returns the row
            raise StoreError(f"database {self.where} returned no creation time")
        last: datetime = row["last"]
        return last

    def claim_due(
        self, now: datetime, lease_seconds: float, worker_id: str, limit: int
    ) -> list[Delivery]:
        """Lease up to ``limit`` due deliveries to a worker, soonest due first.

        Due: pending with its next attempt at or before ``now``, or in flight with a lease that
        ran out. Rows another process is claiming at this moment are skipped (``SKIP LOCKED``),
        not waited for: it takes them, this worker takes others.
        """
        check_claim(lease_seconds, worker_id, limit)
        at = utc(now)
        rows = self._fetch(_CLAIM_DUE, at, at + timedelta(seconds=lease_seconds), worker_id, limit)
        # RETURNING comes in no set order; put the batch back in the order it was chosen.
        ordered = sorted(rows, key=lambda r: (r["next_attempt_at"], r["created_at"], r["seq"]))
        return [delivery_row(row) for row in ordered]

    def mark_delivered(
        self, delivery_id: str, worker_id: str, receipt: str, *, now: datetime | None = None
    ) -> bool:
        """Record a delivery as done; False if its lease now belongs to another worker.

        Repeating the call from the worker that delivered it answers True again.
        """
        at = utc(now or self._clock())

        async def mark(conn: Connection) -> bool:
            changed = await conn.execute(
                "UPDATE deliveries SET state = 'delivered', receipt = $1, lease_until = NULL,"
                " updated_at = $2 WHERE id = $3 AND state = 'in_flight' AND worker = $4",
                receipt, at, delivery_id, worker_id,
            )  # fmt: skip
            if changed == "UPDATE 1":
                return True
            current = await _require_delivery(conn, delivery_id)
            return current.state == "delivered" and current.worker == worker_id

        return self._transaction(mark)

    def mark_retry(
        self,
        delivery_id: str,
        worker_id: str,
        error: str,
        next_attempt_at: datetime,
        *,
        now: datetime | None = None,
    ) -> bool:
        """Count a failed attempt and queue the next; False if the lease is not this worker's."""
        return self._finish_attempt(
            delivery_id, worker_id, "pending", error, next_attempt_at=utc(next_attempt_at), now=now
        )

    def mark_dead(
        self, delivery_id: str, worker_id: str, reason: str, *, now: datetime | None = None
    ) -> bool:
        """Count a final failed attempt and dead-letter the delivery; False if not the lease's."""
        return self._finish_attempt(
            delivery_id, worker_id, "dead", reason, next_attempt_at=None, now=now
        )

    def get_delivery(self, delivery_id: str) -> Delivery | None:
        """A delivery by id, or None."""
        row = self._fetchrow("SELECT * FROM deliveries WHERE id = $1", delivery_id)
        return None if row is None else delivery_row(row)

    def list_deliveries(
        self, submission_id: str | None = None, state: DeliveryState | None = None
    ) -> list[Delivery]:
        """Deliveries, oldest first, optionally of one submission and/or in one state."""
        if state is not None and state not in DELIVERY_STATES:
            raise InvalidValue(f"unknown delivery state {state!r}")
        rows = self._fetch(
            "SELECT * FROM deliveries WHERE ($1::text IS NULL OR submission_id = $1)"
            " AND ($2::text IS NULL OR state = $2) ORDER BY created_at, seq",
            submission_id,
            state,
        )
        return [delivery_row(row) for row in rows]

    def delivery_counts(self) -> dict[DeliveryState, int]:
        """How many deliveries are in each state; every state is present, 0 when none."""
        rows = self._fetch("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
        return count_by_state(rows)

    def requeue_dead(
        self,
        now: datetime,
        *,
        delivery_ids: Sequence[str] | None = None,
        recipient: str | None = None,
    ) -> list[Delivery]:
        """Put dead deliveries back in the queue, due at ``now``, in one transaction.

        As :meth:`SqliteStore.requeue_dead`: all dead ones, or only ``delivery_ids``, only
        ``recipient``'s when given; attempts and claims from 0, the last error kept.
        """
        ids = None if delivery_ids is None else list(dict.fromkeys(delivery_ids))
        rows = self._fetch(_REQUEUE_DEAD, utc(now), ids, recipient)
        ordered = sorted(rows, key=lambda r: (r["created_at"], r["seq"]))
        return [delivery_row(row) for row in ordered]

    # -- ACK correlation and registrations ---------------------------------------------------

    def find_sent(
        self,
        recipient: str,
        creation_date: date,
        creation_time: time,
        group_id: int,
        transaction_sequence: int,
    ) -> SentTransaction | None:
        """The sent transaction an ACK from ``recipient`` answers, by the keys the ACK quotes."""
        row = self._fetchrow(
            "SELECT * FROM sent_transactions WHERE recipient = $1 AND hdr_creation_date = $2"
            " AND hdr_creation_time = $3 AND group_id = $4 AND transaction_sequence = $5",
            recipient, creation_date, whole_seconds(creation_time), group_id, transaction_sequence,
        )  # fmt: skip
        return None if row is None else sent_row(row)

    def upsert_registration(
        self,
        sender: str,
        submitter_work_number: str,
        society: str,
        status: str,
        *,
        society_work_number: str | None = None,
        iswc: str | None = None,
        title: str | None = None,
        updated_at: datetime | None = None,
    ) -> Registration:
        """Record where a work stands at a society; the row as it now is.

        Empty numbers keep what is known (a later ACK need not repeat them), and an update older
        than the stored one is ignored, so ACKs read out of order cannot roll the state back.
        """
        check_registration_status(status)
        change = RegistrationChange(
            sender=sender,
            submitter_work_number=submitter_work_number,
            society=society,
            status=status,
            society_work_number=society_work_number,
            iswc=iswc,
            title=title,
        )
        values = _registration_values(change, utc(updated_at or self._clock()))

        async def upsert(conn: Connection) -> Registration:
            await conn.execute(_UPSERT_REGISTRATION, *values)
            row = await conn.fetchrow(
                "SELECT * FROM registrations"
                " WHERE sender = $1 AND submitter_work_number = $2 AND society = $3",
                sender, submitter_work_number, society,
            )  # fmt: skip
            return registration_row(row)

        return self._transaction(upsert)

    def registrations(
        self, sender: str, submitter_work_number: str | None = None
    ) -> list[Registration]:
        """A sender's registrations (of one work if given), by work number then society."""
        rows = self._fetch(
            "SELECT * FROM registrations WHERE sender = $1"
            " AND ($2::text IS NULL OR submitter_work_number = $2)"
            ' ORDER BY submitter_work_number COLLATE "C", society COLLATE "C"',
            sender,
            submitter_work_number,
        )
        return [registration_row(row) for row in rows]

    # -- replay protection -------------------------------------------------------------------

    def remember_nonce(
        self, key_id: str, nonce: str, seen_at: datetime, expires_at: datetime
    ) -> bool:
        """Remember a request nonce until it expires; False if it was already seen (a replay)."""
        seen, expires = utc(seen_at), utc(expires_at)

        async def remember(conn: Connection) -> bool:
            await conn.execute("DELETE FROM nonces WHERE expires_at <= $1", seen)
            inserted = await conn.execute(
                "INSERT INTO nonces (key_id, nonce, seen_at, expires_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT DO NOTHING",
                key_id, nonce, seen, expires,
            )  # fmt: skip
            return bool(inserted == "INSERT 0 1")

        return self._transaction(remember)

    # -- internals ---------------------------------------------------------------------------

    def _finish_attempt(
        self,
        delivery_id: str,
        worker_id: str,
        state: DeliveryState,
        error: str,
        *,
        next_attempt_at: datetime | None,
        now: datetime | None,
    ) -> bool:
        at = utc(now or self._clock())

        async def finish(conn: Connection) -> bool:
            changed = await conn.execute(
                _FINISH_ATTEMPT, delivery_id, worker_id, state, error, next_attempt_at, at
            )
            if changed == "UPDATE 1":
                return True
            await _require_delivery(conn, delivery_id)
            return False

        return self._transaction(finish)

    def _fetch(self, query: str, *args: object) -> list[Row]:
        async def fetch(conn: Connection) -> list[Row]:
            return list(await conn.fetch(query, *args))

        return self._transaction(fetch)

    def _fetchrow(self, query: str, *args: object) -> Row | None:
        async def fetchrow(conn: Connection) -> Row | None:
            row: Row | None = await conn.fetchrow(query, *args)
            return row

        return self._transaction(fetchrow)

    def _transaction(self, work: Callable[[Connection], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction on a pooled connection; database errors translated."""
        pool = self._pool
        if self._closed or pool is None:
            raise StoreError(f"the store on {self.where} is closed")

        async def run() -> T:
            async with pool.acquire() as conn, conn.transaction():
                return await work(conn)

        return self._run(run())

    def _run(self, coroutine: Awaitable[T]) -> T:
        """Run a coroutine on the store's loop and wait for it, errors as the store's own."""
        future = asyncio.run_coroutine_threadsafe(_awaited(coroutine), self._loop)
        try:
            return future.result(timeout=CALL_TIMEOUT_SECONDS)
        except FutureTimeout:
            future.cancel()
            raise StoreError(
                f"database {self.where} did not answer within {CALL_TIMEOUT_SECONDS:.0f} s"
            ) from None
        except asyncpg.IntegrityConstraintViolationError as err:
            raise Conflict(
                f"the change conflicts with stored data in {self.where}: {_broken_rule(err)}"
            ) from err
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as err:
            raise StoreError(f"database {self.where} failed: {err}") from err


def _update_submission(
    submission_id: str, changes: SubmissionChanges, stamp: datetime
) -> tuple[Any, ...]:
    """The UPDATE of the given columns of a submission and its arguments, returning the row."""
    # Column names come from SubmissionChanges, never from the caller's text.
    columns = [column for column in SubmissionChanges.__annotations__ if column in changes]
    assignments = "".join(f", {column} = ${n}" for n, column in enumerate(columns, 3))
    return (
        f"UPDATE submissions SET updated_at = $2{assignments} WHERE id = $1 RETURNING *",  # noqa: S608
        submission_id,
        stamp,
        *(changes[column] for column in columns),  # type: ignore[literal-required]
    )


def _registration_values(change: RegistrationChange, stamp: datetime) -> tuple[Any, ...]:
    """``_UPSERT_REGISTRATION``'s arguments."""
    return (
        change.sender, change.submitter_work_number, change.society, change.status,
        change.society_work_number or None, change.iswc or None, change.title or None, stamp,
    )  # fmt: skip


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


async def _migrate(url: str, schema: str, password: str | None) -> None:
    """Bring the schema up to date in one transaction, one process at a time."""
    conn = await asyncpg.connect(url, password=password, timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            quoted = '"' + schema.replace('"', '""') + '"'
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
            await conn.execute(f"SET LOCAL search_path TO {quoted}")
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)"
            )
            current = await conn.fetchval("SELECT version FROM schema_version")
            if current is not None and current > len(MIGRATIONS):
                raise StoreError(
                    f"database {_server(url)} has schema version {current}, newer than this"
                    f" gateway knows ({len(MIGRATIONS)}); upgrade the gateway"
                )
            for statements in MIGRATIONS[current or 0 :]:
                for statement in statements:
                    await conn.execute(statement)
            if current is None:
                await conn.execute("INSERT INTO schema_version VALUES ($1)", len(MIGRATIONS))
            else:
                await conn.execute("UPDATE schema_version SET version = $1", len(MIGRATIONS))
    finally:
        await conn.close()


async def _require_delivery(conn: Connection, delivery_id: str) -> Delivery:
    row = await conn.fetchrow("SELECT * FROM deliveries WHERE id = $1", delivery_id)
    if row is None:
        raise NotFound(f"no delivery {delivery_id}")
    return delivery_row(row)


def _broken_rule(error: asyncpg.IntegrityConstraintViolationError) -> str:
    """The rule a change broke, worded as SQLite words it (``UNIQUE constraint failed: t.c``).

    Callers and tests read one wording whichever database is behind the store.
    """
    detail = (error.detail or "").strip()
    if isinstance(error, asyncpg.UniqueViolationError):
        key = re.match(r"Key \(([^)]*)\)", detail)
        columns = [c.strip() for c in key.group(1).split(",")] if key else []
        named = ", ".join(f"{error.table_name}.{column}" for column in columns)
        return f"UNIQUE constraint failed: {named or error.constraint_name} ({detail})"
    if isinstance(error, asyncpg.ForeignKeyViolationError):
        return f"FOREIGN KEY constraint failed: {error.table_name} ({detail})"
    return str(error)


def _server(url: str) -> str:
    """Where a database is, for messages: the URL without its password."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}{host}{port}{parts.path}"


_INSERT_CONTENT = "INSERT INTO contents (sha256, data) VALUES ($1, $2) ON CONFLICT DO NOTHING"

_CLAIM_DUE = """
WITH due AS (
    SELECT seq FROM deliveries
    WHERE (state = 'pending' AND next_attempt_at <= $1)
       OR (state = 'in_flight' AND lease_until <= $1)
    ORDER BY next_attempt_at, created_at, seq
    LIMIT $4
    FOR UPDATE SKIP LOCKED
)
UPDATE deliveries AS d
SET state = 'in_flight', lease_until = $2, worker = $3, claims = d.claims + 1, updated_at = $1
FROM due WHERE d.seq = due.seq
RETURNING d.*
"""

_CLAIM_SUBMISSIONS = """
WITH free AS (
    SELECT seq FROM submissions
    WHERE status IN ('received', 'validated')
      AND (lease_until IS NULL OR lease_until <= $1 OR worker = $3)
      AND ($5::text IS NULL OR id = $5)
    ORDER BY received_at, seq
    LIMIT $4
    FOR UPDATE SKIP LOCKED
)
UPDATE submissions AS s SET worker = $3, lease_until = $2
FROM free WHERE s.seq = free.seq
RETURNING s.*
"""

_FINISH_ATTEMPT = """
UPDATE deliveries
SET state = $3, attempts = attempts + 1, last_error = $4,
    next_attempt_at = coalesce($5, next_attempt_at), lease_until = NULL, updated_at = $6,
    worker = CASE WHEN $3 = 'pending' THEN NULL ELSE worker END
WHERE id = $1 AND state = 'in_flight' AND worker = $2
"""

_REQUEUE_DEAD = """
UPDATE deliveries
SET state = 'pending', next_attempt_at = $1, attempts = 0, claims = 0, worker = NULL,
    lease_until = NULL, updated_at = $1
WHERE state = 'dead'
  AND ($2::text[] IS NULL OR id = ANY($2::text[]))
  AND ($3::text IS NULL OR recipient = $3)
RETURNING *
"""

_UPSERT_REGISTRATION = """
INSERT INTO registrations AS r (sender, submitter_work_number, society, status,
                                society_work_number, iswc, title, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (sender, submitter_work_number, society) DO UPDATE SET
    status = excluded.status,
    society_work_number = coalesce(excluded.society_work_number, r.society_work_number),
    iswc = coalesce(excluded.iswc, r.iswc),
    title = coalesce(excluded.title, r.title),
    updated_at = excluded.updated_at
WHERE excluded.updated_at >= r.updated_at
"""
