"""The gateway's state in one SQLite file: submissions, the outbox, ACK correlation, registrations.

Every public method is atomic and safe to call from any thread (the service calls them through
``asyncio.to_thread``): each thread reads on its own connection; writes run one at a time on the
process's writing connection, which takes SQLite's write lock up front (``BEGIN IMMEDIATE``), so
check-then-insert sequences cannot interleave, even between processes. Writers that queue behind
one another share a transaction and its commit (group commit, ``_shared_write``), each in a
savepoint of its own. The file runs in WAL mode: a committed change survives a crash or power
cut, an uncommitted one leaves no trace. The flush that makes a commit durable happens after the
write lock is let go (``_LogFlush``), so that other processes are not kept from the lock for the
disk's sake; a caller returns only once its commit is on disk. Only leases of submissions and
request nonces skip the flush: losing a lease means the work is claimed again, and a nonce
guards a submission that is flushed after it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import monotonic, sleep
from types import TracebackType
from typing import NoReturn, Self, Unpack, cast, get_args

from gateway.files import fdatasync_file
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
    from_utc_text,
    hms_text,
    registration_row,
    sent_row,
    submission_row,
    utc,
    utc_text,
)
from gateway.store.errors import AlreadyFinished, Conflict, InvalidValue, NotFound, StoreError
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
from gateway.store.schema import migrate

DEFAULT_BUSY_TIMEOUT_MS = 10_000
MIN_SQLITE = (3, 37, 0)  # STRICT tables; RETURNING needs 3.35


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def count_by_state(rows: Iterable[Row]) -> dict[DeliveryState, int]:
    """Deliveries per state from ``(state, n)`` rows; a state without a row counts 0."""
    counts: dict[DeliveryState, int] = dict.fromkeys(get_args(DeliveryState), 0)
    for row in rows:
        counts[cast("DeliveryState", row["state"])] = int(row["n"])
    return counts


CLOSE_WAIT_SECONDS = 30.0  # how long close() lets running calls finish


class SqliteStore:
    """The store on one SQLite database file, created and migrated on open."""

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise StoreError(f"SQLite {sqlite3.sqlite_version} is too old; 3.37 or later needed")
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._writer = threading.Lock()  # one writing thread at a time in this process
        self._writer_conn: sqlite3.Connection | None = None
        self._batch: _Batch | None = None  # the write transaction left open for the next writer
        self._queued_writers = 0
        self._log = _LogFlush(path)
        # Transactions under way, by any thread: close() waits for them, because closing a
        # connection another thread is using crashes SQLite.
        self._active = 0
        self._idle = threading.Condition(self._lock)
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            migrate(self._connection(), str(path))
            self._log.flush(self._log.committed())  # the schema, before anything stands on it
        except (OSError, sqlite3.Error) as err:
            self.close()
            raise StoreError(f"cannot open database {path}: {err}") from err
        except StoreError:
            self.close()
            raise

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self, *, wait: float = CLOSE_WAIT_SECONDS) -> None:
        """Refuse new calls, let the ones under way finish (up to ``wait`` s), close everything."""
        with self._lock:
            self._closed = True
            self._idle.wait_for(lambda: self._active == 0, timeout=wait)
            connections, self._connections = self._connections, []
        for conn in connections:
            with suppress(sqlite3.Error):
                conn.close()

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
        now = utc_text(received_at or self._clock())
        new = submission_id or new_id("sub_")
        with self._transaction(write=True) as conn:
            row = conn.execute(
                "SELECT * FROM submissions WHERE sender = ? AND sha256 = ?", (sender, sha256)
            ).fetchone()
            if row is not None:
                return submission_row(row), "same_bytes"
            if file_name:
                row = conn.execute(
                    # The last term lets SQLite use the partial unique index (names not '').
                    "SELECT * FROM submissions WHERE sender = ? AND file_name = ?"
                    " AND file_name <> ''",
                    (sender, file_name),
                ).fetchone()
                if row is not None:
                    return submission_row(row), "same_name"
            row = conn.execute(
                "INSERT INTO submissions (id, sender, receiver, file_name, sha256, size,"
                " received_at, format, version, status, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?) RETURNING *",
                (new, sender, receiver, file_name, sha256, size, now, file_format, version, now),
            ).fetchone()
            conn.executemany(_INSERT_CONTENT, content_rows)
            return submission_row(row), None

    def content(self, sha256: str) -> bytes | None:
        """A file ``record_submission`` or ``complete_routing`` kept, by its SHA-256; or None."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT data FROM contents WHERE sha256 = ?", (check_sha256(sha256),)
            ).fetchone()
        return None if row is None else bytes(row["data"])

    def get_submission(self, submission_id: str) -> Submission | None:
        """A submission by id, or None."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT * FROM submissions WHERE id = ?", (submission_id,)
            ).fetchone()
        return None if row is None else submission_row(row)

    def list_submissions(self, sender: str) -> list[Submission]:
        """A sender's submissions, oldest first."""
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM submissions WHERE sender = ? ORDER BY received_at, rowid", (sender,)
            ).fetchall()
        return [submission_row(row) for row in rows]

    def update_submission(
        self, submission_id: str, **changes: Unpack[SubmissionChanges]
    ) -> Submission:
        """Change some fields of a submission; the updated row (NotFound if there is none)."""
        check_changes(changes)
        params = _change_params(submission_id, changes, utc_text(self._clock()))
        with self._transaction(write=True) as conn:
            row = conn.execute(_UPDATE_SUBMISSION, params).fetchone()
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

        The submission's other ``changes``, the ``registrations`` and the ``contents`` (files by
        SHA-256, such as the report and ACK the changes name) are written in the same
        transaction. Conflict (nothing written) if a delivery id, a recipient's file name or a
        sent transaction's key is already taken; AlreadyFinished if the submission was answered
        or routed already (by another process), so a submission is routed once.
        """
        check_status(status)
        check_routing_changes(changes or {}, registrations)
        content_rows = check_contents(contents or {})
        now = self._clock()
        stamp = utc_text(now)
        with self._transaction(write=True) as conn:
            updated = conn.execute(
                "UPDATE submissions SET status = ?, updated_at = ?, worker = NULL,"
                " lease_until = NULL WHERE id = ? AND status IN ('received', 'validated')",
                (status, stamp, submission_id),
            )
            if updated.rowcount != 1:
                _refuse_routing(conn, submission_id)
            queued = [
                delivery_row(
                    conn.execute(
                        "INSERT INTO deliveries (id, submission_id, recipient, file_name, sha256,"
                        " format, version, transport, state, next_attempt_at, created_at,"
                        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)"
                        " RETURNING *",
                        (
                            item.id,
                            submission_id,
                            item.recipient,
                            item.file_name,
                            check_sha256(item.sha256),
                            item.format,
                            item.version,
                            item.transport,
                            utc_text(item.next_attempt_at or now),
                            stamp,
                            stamp,
                        ),
                    ).fetchone()
                )
                for item in deliveries
            ]
            conn.executemany(
                "INSERT INTO sent_transactions (recipient, hdr_creation_date, hdr_creation_time,"
                " group_id, transaction_sequence, delivery_id, transaction_type,"
                " submitter_work_number, title, original_submission_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        sent.recipient,
                        sent.hdr_creation_date.isoformat(),
                        hms_text(sent.hdr_creation_time),
                        sent.group_id,
                        sent.transaction_sequence,
                        sent.delivery_id,
                        sent.transaction_type,
                        sent.submitter_work_number,
                        sent.title,
                        sent.original_submission_id,
                    )
                    for sent in sent_transactions
                ],
            )
            if changes:
                conn.execute(_UPDATE_SUBMISSION, _change_params(submission_id, changes, stamp))
            conn.executemany(_INSERT_CONTENT, content_rows)
            conn.executemany(
                _UPSERT_REGISTRATION,
                [_registration_params(item, stamp) for item in registrations],
            )
        return queued

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

        Unfinished: received or validated. Free: never leased, its lease ran out (the process
        working on it died), or leased to this worker already (which renews it). Only
        ``submission_id`` when given.
        """
        check_claim(lease_seconds, worker_id, limit)
        params = {
            "now": utc_text(now),
            "lease_until": utc_text(now + timedelta(seconds=lease_seconds)),
            "worker": worker_id,
            "limit": limit,
            "id": submission_id,
        }
        with self._transaction(write=True, durable=False) as conn:
            rows = conn.execute(_CLAIM_SUBMISSIONS, params).fetchall()
        rows.sort(key=lambda r: (r["received_at"], r["seq"]))
        return [submission_row(row) for row in rows]

    def reserve_creation_time(self, recipient: str, not_before: datetime) -> datetime:
        """A CWR header creation time for a file to ``recipient``, never handed out before.

        Whole seconds, at or after ``not_before``, and later than every earlier one for that
        recipient: the recipient's ACK quotes it back as the key of what we sent.
        """
        wanted = utc(not_before).replace(microsecond=0)
        with self._transaction(write=True) as conn:
            row = conn.execute(
                "SELECT last FROM creation_times WHERE recipient = ?", (recipient,)
            ).fetchone()
            if row is not None:
                wanted = max(wanted, from_utc_text(row["last"]) + timedelta(seconds=1))
            conn.execute(
                "INSERT INTO creation_times (recipient, last) VALUES (?, ?)"
                " ON CONFLICT (recipient) DO UPDATE SET last = excluded.last",
                (recipient, utc_text(wanted)),
            )
        return wanted

    def claim_due(
        self, now: datetime, lease_seconds: float, worker_id: str, limit: int
    ) -> list[Delivery]:
        """Lease up to ``limit`` due deliveries to a worker, soonest due first.

        Due: pending with its next attempt at or before ``now``, or in flight with a lease that
        ran out (its worker died or stalled). The lease passes to ``worker_id``; the previous
        worker's later completion is refused.
        """
        check_claim(lease_seconds, worker_id, limit)
        params = {
            "now": utc_text(now),
            "lease_until": utc_text(now + timedelta(seconds=lease_seconds)),
            "worker": worker_id,
            "limit": limit,
        }
        # Flushed: a delivery leaves only once all it stands on (its routing) is on disk.
        with self._transaction(write=True) as conn:
            rows = conn.execute(_CLAIM_DUE, params).fetchall()
        # RETURNING comes in no set order; put the batch back in the order it was chosen.
        rows.sort(key=lambda r: (r["next_attempt_at"], r["created_at"], r["seq"]))
        return [delivery_row(row) for row in rows]

    def mark_delivered(
        self, delivery_id: str, worker_id: str, receipt: str, *, now: datetime | None = None
    ) -> bool:
        """Record a delivery as done; False if its lease now belongs to another worker.

        Repeating the call from the worker that delivered it answers True again.
        """
        with self._transaction(write=True) as conn:
            changed = conn.execute(
                "UPDATE deliveries SET state = 'delivered', receipt = ?, lease_until = NULL,"
                " updated_at = ? WHERE id = ? AND state = 'in_flight' AND worker = ?",
                (receipt, utc_text(now or self._clock()), delivery_id, worker_id),
            ).rowcount
            if changed:
                return True
            current = _require_delivery(conn, delivery_id)
        return current.state == "delivered" and current.worker == worker_id

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
            delivery_id,
            worker_id,
            state="pending",
            error=error,
            next_attempt_at=next_attempt_at,
            now=now,
        )

    def mark_dead(
        self, delivery_id: str, worker_id: str, reason: str, *, now: datetime | None = None
    ) -> bool:
        """Count a final failed attempt and dead-letter the delivery; False if not the lease's."""
        return self._finish_attempt(
            delivery_id, worker_id, state="dead", error=reason, next_attempt_at=None, now=now
        )

    def get_delivery(self, delivery_id: str) -> Delivery | None:
        """A delivery by id, or None."""
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
        return None if row is None else delivery_row(row)

    def list_deliveries(
        self, submission_id: str | None = None, state: DeliveryState | None = None
    ) -> list[Delivery]:
        """Deliveries, oldest first, optionally of one submission and/or in one state."""
        if state is not None and state not in DELIVERY_STATES:
            raise InvalidValue(f"unknown delivery state {state!r}")
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM deliveries"
                " WHERE (:submission_id IS NULL OR submission_id = :submission_id)"
                " AND (:state IS NULL OR state = :state) ORDER BY created_at, rowid",
                {"submission_id": submission_id, "state": state},
            ).fetchall()
        return [delivery_row(row) for row in rows]

    def delivery_counts(self) -> dict[DeliveryState, int]:
        """How many deliveries are in each state; every state is present, 0 when none."""
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT state, count(*) AS n FROM deliveries GROUP BY state"
            ).fetchall()
        return count_by_state(rows)

    def requeue_dead(
        self,
        now: datetime,
        *,
        delivery_ids: Sequence[str] | None = None,
        recipient: str | None = None,
    ) -> list[Delivery]:
        """Put dead deliveries back in the queue, due at ``now``, in one transaction.

        All dead ones when ``delivery_ids`` is None, else only those ids; only ``recipient``'s
        when given. Attempts and claims start again from 0, the lease is cleared, the last
        error stays. Deliveries that are not dead are left as they are. The rows requeued, as
        they now are, oldest first.
        """
        params: dict[str, object] = {"now": utc_text(now), "recipient": recipient, "id": None}
        with self._transaction(write=True) as conn:
            if delivery_ids is None:
                rows = conn.execute(_REQUEUE_DEAD, params).fetchall()
            else:  # one statement per id keeps the SQL static; the transaction makes it one
                rows = [
                    row
                    for delivery_id in dict.fromkeys(delivery_ids)
                    for row in conn.execute(_REQUEUE_DEAD, params | {"id": delivery_id})
                ]
        rows.sort(key=lambda r: (r["created_at"], r["seq"]))
        return [delivery_row(row) for row in rows]

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
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT * FROM sent_transactions WHERE recipient = ? AND hdr_creation_date = ?"
                " AND hdr_creation_time = ? AND group_id = ? AND transaction_sequence = ?",
                (
                    recipient,
                    creation_date.isoformat(),
                    hms_text(creation_time),
                    group_id,
                    transaction_sequence,
                ),
            ).fetchone()
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
        params = _registration_params(change, utc_text(updated_at or self._clock()))
        with self._transaction(write=True) as conn:
            conn.execute(_UPSERT_REGISTRATION, params)
            row = conn.execute(
                "SELECT * FROM registrations"
                " WHERE sender = ? AND submitter_work_number = ? AND society = ?",
                (sender, submitter_work_number, society),
            ).fetchone()
        return registration_row(row)

    def registrations(
        self, sender: str, submitter_work_number: str | None = None
    ) -> list[Registration]:
        """A sender's registrations (of one work if given), by work number then society."""
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM registrations WHERE sender = :sender"
                " AND (:swn IS NULL OR submitter_work_number = :swn)"
                " ORDER BY submitter_work_number, society",
                {"sender": sender, "swn": submitter_work_number},
            ).fetchall()
        return [registration_row(row) for row in rows]

    # -- replay protection -------------------------------------------------------------------

    def remember_nonce(
        self, key_id: str, nonce: str, seen_at: datetime, expires_at: datetime
    ) -> bool:
        """Remember a request nonce until it expires; False if it was already seen (a replay)."""
        with self._transaction(write=True, durable=False) as conn:
            conn.execute("DELETE FROM nonces WHERE expires_at <= ?", (utc_text(seen_at),))
            inserted = conn.execute(
                "INSERT INTO nonces (key_id, nonce, seen_at, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (key_id, nonce, utc_text(seen_at), utc_text(expires_at)),
            ).rowcount
        return inserted == 1

    # -- internals ---------------------------------------------------------------------------

    def _finish_attempt(
        self,
        delivery_id: str,
        worker_id: str,
        *,
        state: DeliveryState,
        error: str,
        next_attempt_at: datetime | None,
        now: datetime | None,
    ) -> bool:
        params = {
            "id": delivery_id,
            "worker": worker_id,
            "state": state,
            "error": error,
            "next": None if next_attempt_at is None else utc_text(next_attempt_at),
            "now": utc_text(now or self._clock()),
        }
        with self._transaction(write=True) as conn:
            if conn.execute(_FINISH_ATTEMPT, params).rowcount:
                return True
            _require_delivery(conn, delivery_id)
        return False

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection for reading."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open_connection()
        elif self._closed:
            raise StoreError(f"the store on {self.path} is closed")
        return conn

    def _open_connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"the store on {self.path} is closed")
        conn = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout_ms / 1000,
            isolation_level=None,  # we issue BEGIN / COMMIT ourselves
            check_same_thread=False,  # close() may run on another thread
        )
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            # NORMAL: COMMIT does not wait for the disk; _LogFlush does, once the lock is free.
            conn.execute("PRAGMA synchronous = NORMAL")
            # Pages read through a mapping, not a pread each: another process's commit empties
            # this connection's page cache, and a submission's queries read ~50 pages anew.
            conn.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}").fetchone()
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        except BaseException:
            conn.close()
            raise
        with self._lock:
            if self._closed:
                conn.close()
                raise StoreError(f"the store on {self.path} is closed")
            self._connections.append(conn)
        return conn

    @contextmanager
    def _transaction(
        self, *, write: bool = False, durable: bool = True
    ) -> Iterator[sqlite3.Connection]:
        """One transaction; SQLite errors become StoreErrors.

        ``durable=False`` (a lease, a nonce): the caller does not wait for the disk, so a power
        cut may undo it, and then the work is only claimed again. The next flush of any process
        makes it durable with its own (the write-ahead log is one sequence).
        """
        with self._lock:
            if self._closed:
                raise StoreError(f"the store on {self.path} is closed")
            self._active += 1
        try:
            with self._transaction_on_connection(write=write, durable=durable) as conn:
                yield conn
        finally:
            with self._lock:
                self._active -= 1
                if not self._active:
                    self._idle.notify_all()

    @contextmanager
    def _transaction_on_connection(
        self, *, write: bool, durable: bool
    ) -> Iterator[sqlite3.Connection]:
        try:
            if write:
                with self._shared_write(durable=durable) as conn:
                    yield conn
            else:
                conn = self._connection()
                conn.execute("BEGIN")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    _rollback(conn)
                    raise
        except sqlite3.IntegrityError as err:
            raise Conflict(f"the change conflicts with stored data in {self.path}: {err}") from err
        except sqlite3.Error as err:
            raise StoreError(f"database {self.path} failed: {err}") from err

    @contextmanager
    def _shared_write(self, *, durable: bool) -> Iterator[sqlite3.Connection]:
        """One caller's changes, inside a write transaction it may share with other threads.

        Group commit: this process's writers queue on a Python lock (woken the moment it is
        free, where SQLite's busy handler would nap up to 100 ms). A writer that finds others
        queued behind it leaves the transaction open for them instead of committing, and the
        last of the run commits for all: one flush and one round of SQLite's lock, shared by
        processes, for many changes. A run ends after ``_LONGEST_OPEN_SECONDS`` or
        ``_MOST_CHANGES_PER_COMMIT`` changes, so that a steady stream of writers neither waits
        long for its commit nor keeps other processes from the lock. Each writer's changes sit
        in a savepoint, so its failure undoes only them; it returns only once a commit holding
        them succeeded and, unless ``durable`` is False, reached the disk.
        """
        with self._lock:
            self._queued_writers += 1
        try:
            self._writer.acquire()
        finally:
            with self._lock:
                self._queued_writers -= 1
        joined: _Batch | None = None
        try:
            conn = self._writer_connection()
            if self._batch is None:
                self._begin_immediate(conn)
                self._batch = _Batch()
            conn.execute("SAVEPOINT change")
            try:
                yield conn
                conn.execute("RELEASE change")
            except BaseException:
                self._undo_change(conn)
                raise
            joined = self._batch
            joined.changes += 1
        finally:
            try:
                self._commit_unless_followed()
            finally:
                self._writer.release()
        joined.committed.wait()
        if joined.error is not None:
            raise joined.error
        if durable:
            self._log.flush(joined.number)

    def _commit_unless_followed(self) -> None:
        """Commit the open transaction, unless a writer queued behind may still add to it."""
        batch = self._batch
        if batch is None:
            return
        followed = (
            self._queued_writers > 0
            and batch.changes < _MOST_CHANGES_PER_COMMIT
            and monotonic() - batch.opened_at < _LONGEST_OPEN_SECONDS
        )
        if not followed:
            self._batch = None
            self._commit(self._writer_connection(), batch)

    def _undo_change(self, conn: sqlite3.Connection) -> None:
        """Undo one writer's changes; if SQLite dropped the whole transaction, fail its batch."""
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK TO change")
                conn.execute("RELEASE change")
            except sqlite3.Error:
                _rollback(conn)
            else:
                return
        batch, self._batch = self._batch, None  # disk full, I/O error: all of it is gone
        if batch is not None:
            batch.fail(StoreError(f"database {self.path} failed: a shared transaction was lost"))

    def _commit(self, conn: sqlite3.Connection, batch: _Batch) -> None:
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            _rollback(conn)
            batch.fail(StoreError(f"database {self.path} failed to commit: {err}"))
        else:
            batch.number = self._log.committed()
            batch.committed.set()

    def _writer_connection(self) -> sqlite3.Connection:
        """The connection every write transaction of this process runs on (under ``_writer``)."""
        if self._writer_conn is None:
            self._writer_conn = self._open_connection()
        return self._writer_conn

    def _begin_immediate(self, conn: sqlite3.Connection) -> None:
        """Take the database's write lock, waiting in short naps while another process has it.

        IMMEDIATE takes the lock now, so a read-then-write cannot race another writer. SQLite's
        own busy handler naps 1, 2, 5, 10 ... 100 ms between tries: against a process that
        commits hundreds of times a second it loses nearly every race and starves. Our naps
        stay at or under a millisecond, until the busy timeout is spent.
        """
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            deadline = monotonic() + self._busy_timeout_ms / 1000
            nap = _FIRST_NAP_SECONDS
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as err:
                    busy = err.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # or BUSY_*
                    if not busy or monotonic() >= deadline:
                        raise
                    sleep(nap)
                    nap = min(nap * 2, _LAST_NAP_SECONDS)
                else:
                    return
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back what is left of a transaction; the error that led here is the one to report."""
    if conn.in_transaction:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def _change_params(submission_id: str, changes: SubmissionChanges, stamp: str) -> dict[str, object]:
    """``_UPDATE_SUBMISSION``'s parameters: each column is set only if its flag says so."""
    params: dict[str, object] = {"id": submission_id, "updated_at": stamp}
    for column in SubmissionChanges.__annotations__:
        params[f"set_{column}"] = column in changes
        params[column] = changes.get(column)
    return params


def _registration_params(change: RegistrationChange, stamp: str) -> dict[str, object]:
    return {
        "sender": change.sender,
        "swn": change.submitter_work_number,
        "society": change.society,
        "status": change.status,
        "society_work_number": change.society_work_number or None,
        "iswc": change.iswc or None,
        "title": change.title or None,
        "updated_at": stamp,
    }


_MMAP_BYTES = 256 << 20
_MOST_CHANGES_PER_COMMIT = 64  # a busy process still commits at least this often
_LONGEST_OPEN_SECONDS = 0.001  # and this soon


class _Batch:
    """The writers sharing one write transaction, told together how its commit went."""

    def __init__(self) -> None:
        self.changes = 0
        self.number = 0  # which of this process's commits it was, once committed
        self.opened_at = monotonic()
        self.committed = threading.Event()
        self.error: StoreError | None = None

    def fail(self, error: StoreError) -> None:
        self.error = error
        self.committed.set()


class _LogFlush:
    """Makes this process's commits durable, outside the write lock, one flush for many.

    With ``synchronous=NORMAL`` a WAL commit only writes its frames to the log; the frames reach
    the disk when someone fsyncs the log, and a checkpoint fsyncs the log before copying frames
    into the database and the database after. So an fsync of the log once COMMIT has returned
    makes that commit (and every one before it, of any process: the log is one sequence)
    durable, or, if a checkpoint emptied the log meanwhile, the database holds it already
    synced. Commits are numbered; a flush covers every commit made before it began, so writers
    that wait while one flushes usually find theirs covered and return without a flush.
    """

    def __init__(self, database: Path) -> None:
        self._database = database
        self._log = database.with_name(database.name + "-wal")
        self._lock = threading.Lock()
        self._committed = 0  # commits made, counted under the process's writer lock
        self._flushed = 0  # every commit up to this number is on disk

    def committed(self) -> int:
        """Count a commit that has just returned; its number (called under the writer lock)."""
        self._committed += 1
        return self._committed

    def flush(self, number: int) -> None:
        """Return once commit ``number`` is on disk; StoreError if the disk refused."""
        with self._lock:
            if self._flushed >= number:
                return
            through = self._committed
            try:
                try:
                    fdatasync_file(self._log)
                except FileNotFoundError:  # checkpointed and removed: all of it is in here
                    fdatasync_file(self._database)
            except OSError as err:
                raise StoreError(f"cannot flush the log of {self._database}: {err}") from err
            self._flushed = through


_FIRST_NAP_SECONDS = 0.0001
_LAST_NAP_SECONDS = 0.001

_INSERT_CONTENT = "INSERT INTO contents (sha256, data) VALUES (?, ?) ON CONFLICT DO NOTHING"

_UPDATE_SUBMISSION = """
UPDATE submissions SET
    receiver = CASE WHEN :set_receiver THEN :receiver ELSE receiver END,
    format = CASE WHEN :set_format THEN :format ELSE format END,
    version = CASE WHEN :set_version THEN :version ELSE version END,
    status = CASE WHEN :set_status THEN :status ELSE status END,
    report_sha = CASE WHEN :set_report_sha THEN :report_sha ELSE report_sha END,
    ack_sha = CASE WHEN :set_ack_sha THEN :ack_sha ELSE ack_sha END,
    ack_file_name = CASE WHEN :set_ack_file_name THEN :ack_file_name ELSE ack_file_name END,
    error = CASE WHEN :set_error THEN :error ELSE error END,
    updated_at = :updated_at
WHERE id = :id
RETURNING *
"""

_CLAIM_DUE = """
UPDATE deliveries
SET state = 'in_flight', lease_until = :lease_until, worker = :worker, claims = claims + 1,
    updated_at = :now
WHERE id IN (
    -- Each branch is read in order from an index and cut at the limit, so a long queue is never
    -- sorted whole: one OR over both made every claim sort all due rows (3 ms at 8,000).
    SELECT id FROM (
        SELECT id, next_attempt_at, created_at, seq FROM (
            SELECT id, next_attempt_at, created_at, rowid AS seq FROM deliveries
            WHERE state = 'pending' AND next_attempt_at <= :now
            ORDER BY next_attempt_at, created_at, rowid
            LIMIT :limit
        )
        UNION ALL
        SELECT id, next_attempt_at, created_at, seq FROM (
            SELECT id, next_attempt_at, created_at, rowid AS seq FROM deliveries
            WHERE state = 'in_flight' AND lease_until <= :now
            ORDER BY next_attempt_at, created_at, rowid
            LIMIT :limit
        )
    )
    ORDER BY next_attempt_at, created_at, seq
    LIMIT :limit
)
RETURNING rowid AS seq, *
"""

_FINISH_ATTEMPT = """
UPDATE deliveries
SET state = :state, attempts = attempts + 1, last_error = :error,
    next_attempt_at = coalesce(:next, next_attempt_at), lease_until = NULL, updated_at = :now,
    worker = CASE WHEN :state = 'pending' THEN NULL ELSE worker END
WHERE id = :id AND state = 'in_flight' AND worker = :worker
"""

_REQUEUE_DEAD = """
UPDATE deliveries
SET state = 'pending', next_attempt_at = :now, attempts = 0, claims = 0, worker = NULL,
    lease_until = NULL, updated_at = :now
WHERE state = 'dead'
  AND (:id IS NULL OR id = :id)
  AND (:recipient IS NULL OR recipient = :recipient)
RETURNING rowid AS seq, *
"""

_UPSERT_REGISTRATION = """
INSERT INTO registrations (sender, submitter_work_number, society, status, society_work_number,
                           iswc, title, updated_at)
VALUES (:sender, :swn, :society, :status, :society_work_number, :iswc, :title, :updated_at)
ON CONFLICT (sender, submitter_work_number, society) DO UPDATE SET
    status = excluded.status,
    society_work_number = coalesce(excluded.society_work_number, society_work_number),
    iswc = coalesce(excluded.iswc, iswc),
    title = coalesce(excluded.title, title),
    updated_at = excluded.updated_at
WHERE excluded.updated_at >= registrations.updated_at
"""


_CLAIM_SUBMISSIONS = """
UPDATE submissions
SET worker = :worker, lease_until = :lease_until
WHERE id IN (
    SELECT id FROM submissions
    WHERE status IN ('received', 'validated')
      AND (lease_until IS NULL OR lease_until <= :now OR worker = :worker)
      AND (:id IS NULL OR id = :id)
    ORDER BY received_at, rowid
    LIMIT :limit
)
RETURNING rowid AS seq, *
"""


def _refuse_routing(conn: sqlite3.Connection, submission_id: str) -> NoReturn:
    """Why a submission cannot be routed: there is none, or it is finished already."""
    row = conn.execute("SELECT status FROM submissions WHERE id = ?", (submission_id,)).fetchone()
    if row is None:
        raise NotFound(f"no submission {submission_id}")
    raise AlreadyFinished(f"submission {submission_id} is {row['status']} already")


def _require_delivery(conn: sqlite3.Connection, delivery_id: str) -> Delivery:
    row = conn.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
    if row is None:
        raise NotFound(f"no delivery {delivery_id}")
    return delivery_row(row)
