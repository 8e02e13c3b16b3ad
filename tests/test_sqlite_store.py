"""The SQLite store beyond the contract both backends keep (tests/test_store.py).

Group commit: concurrent writers of one process share a transaction. The writers are made to
queue deterministically by holding the store's writer lock while they start, so the run shares
transactions every time (no reliance on scheduling luck). The flush that makes a commit durable
comes after the write lock is free, before the writer returns, one for many writers (seen
through ``os.fdatasync``, the store's only way to the disk). And intake's lookups use the indexes.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.store import Conflict, NewDelivery, SqliteStore
from gateway.store.errors import StoreError
from gateway.store.sqlite import _LogFlush

HANG_GUARD = 15.0  # seconds; only to stop a deadlock from hanging the run


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "state.db") as opened:
        yield opened


class Statements:
    """The statements the store's writing connection runs, as SQLite traces them."""

    def __init__(self, store: SqliteStore) -> None:
        self.seen: list[str] = []
        store._writer_connection().set_trace_callback(self.seen.append)

    def count(self, statement: str) -> int:
        return sum(1 for text in self.seen if text.strip().upper() == statement)


def queued(store: SqliteStore, calls: list[Callable[[], object]]) -> list[object]:
    """Run each call in its own thread, all queued behind the writer lock before it opens.

    The result of each call, or the exception it raised, in the order given.
    """
    results: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[index] = error

    writer = store._writer
    writer.acquire()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + HANG_GUARD
        while store._queued_writers < len(calls):
            assert time.monotonic() < deadline, "the writers never queued"
            time.sleep(0.001)
    finally:
        writer.release()
    for thread in threads:
        thread.join(HANG_GUARD)
        assert not thread.is_alive(), "a writer never returned"
    return results


def fresh(store: SqliteStore) -> sqlite3.Connection:
    """Another connection, to see only what was committed."""
    conn = sqlite3.connect(store.path)
    conn.row_factory = sqlite3.Row
    return conn


def test_queued_writers_share_commits_and_each_change_lands(store: SqliteStore) -> None:
    statements = Statements(store)
    names = [f"CW2400{i:04d}199_052.V21" for i in range(20)]
    calls: list[Callable[[], object]] = [
        lambda name=name: store.record_submission("199", "052", name, sha(name), 10)
        for name in names
    ]
    results = queued(store, calls)
    assert all(isinstance(result, tuple) for result in results)
    ids = {result[0].id for result in results if isinstance(result, tuple)}
    assert len(ids) == 20
    with fresh(store) as conn:
        stored = {row["id"] for row in conn.execute("SELECT id FROM submissions")}
    assert stored == ids
    # Twenty changes, far fewer commits: the run shares its transactions (one each unshared).
    assert statements.count("COMMIT") < 10
    assert statements.count("SAVEPOINT CHANGE") == 20


def test_a_writer_that_fails_undoes_only_its_own_changes(store: SqliteStore) -> None:
    """One routing conflicts inside a shared transaction; the others commit, it leaves no trace."""
    submissions = [
        store.record_submission("199", "052", f"F{i}.V21", sha(f"F{i}"), 10)[0] for i in range(6)
    ]

    def route(index: int, delivery_id: str) -> Callable[[], object]:
        delivery = NewDelivery(
            recipient="035",
            file_name=f"CW24000{index}052_035.V21",
            sha256=sha(f"out{index}"),
            format="cwr",
            version="2.1",
            transport="http",
            id=delivery_id,
        )
        return lambda: store.complete_routing(submissions[index].id, [delivery], [])

    taken = "dlv_taken"
    store.complete_routing(
        store.record_submission("199", "052", "X.V21", sha("X"), 10)[0].id,
        [
            NewDelivery(
                recipient="035",
                file_name="CW240009052_035.V21",
                sha256=sha("x"),
                format="cwr",
                version="2.1",
                transport="http",
                id=taken,
            )
        ],
        [],
    )
    calls = [route(i, taken if i == 3 else f"dlv_{i}") for i in range(6)]
    results = queued(store, calls)
    assert isinstance(results[3], Conflict)
    assert [type(r) for i, r in enumerate(results) if i != 3] == [list] * 5
    with fresh(store) as conn:
        status = {
            row["id"]: row["status"] for row in conn.execute("SELECT id, status FROM submissions")
        }
        delivered_for = {
            row["submission_id"] for row in conn.execute("SELECT submission_id FROM deliveries")
        }
    assert status[submissions[3].id] == "received"  # its status change was undone with it
    assert submissions[3].id not in delivered_for
    for index in (0, 1, 2, 4, 5):
        assert status[submissions[index].id] == "routed"
        assert submissions[index].id in delivered_for


class Flushes:
    """The flushes (fdatasync) the store makes: which file, and whether the write lock was held."""

    def __init__(self, store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[tuple[str, bool]] = []
        self.entered = threading.Event()  # a flush has begun
        self.go_on = threading.Event()  # flushes return (set at once unless a test holds them)
        self.go_on.set()
        real = os.fdatasync
        writer = store._writer

        def spy(fd: int) -> None:
            name = Path(f"/proc/self/fd/{fd}").readlink().name
            self.seen.append((name, writer.locked()))
            self.entered.set()
            assert self.go_on.wait(HANG_GUARD), "the test never let the flush finish"
            real(fd)

        monkeypatch.setattr(os, "fdatasync", spy)

    def files(self) -> list[str]:
        return [name for name, _ in self.seen]


def test_a_change_is_flushed_once_the_write_lock_is_free_and_leases_are_not(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushes = Flushes(store, monkeypatch)
    now = datetime.now(UTC)
    submission, _ = store.record_submission("199", "052", "A.V21", sha("A"), 10)
    assert flushes.seen == [("state.db-wal", False)]  # the log, after the lock was let go
    assert store.remember_nonce("key", "n-1", now, now + timedelta(minutes=5))
    store.claim_submissions(now, 60, "w1", 1)
    assert len(flushes.seen) == 1  # a nonce and a lease ride on the next flush
    store.complete_routing(submission.id, [_delivery("dlv_1")], [], status="routed")
    assert flushes.files() == ["state.db-wal"] * 2
    assert [d.id for d in store.claim_due(now + timedelta(minutes=1), 60, "d1", 5)] == ["dlv_1"]
    # A delivery leaves only once all it stands on is on disk: its claim is flushed too.
    assert flushes.files() == ["state.db-wal"] * 3
    assert not any(locked for _, locked in flushes.seen)


def test_a_writer_returns_only_once_its_commit_is_on_disk(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushes = Flushes(store, monkeypatch)
    flushes.go_on.clear()
    done = threading.Event()
    writer = threading.Thread(
        target=lambda: (store.record_submission("199", "052", "A.V21", sha("A"), 10), done.set())
    )
    writer.start()
    assert flushes.entered.wait(HANG_GUARD)
    with fresh(store) as conn:  # committed, and other connections see it ...
        assert conn.execute("SELECT count(*) FROM submissions").fetchone()[0] == 1
    assert not done.wait(0.2)  # ... but the writer is not told so before the disk has it
    flushes.go_on.set()
    writer.join(HANG_GUARD)
    assert done.is_set()


def test_writers_that_wait_for_a_flush_share_the_next_one(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushes = Flushes(store, monkeypatch)
    flushes.go_on.clear()
    names = [f"F{i}.V21" for i in range(6)]
    threads = [
        threading.Thread(target=store.record_submission, args=("199", "052", name, sha(name), 10))
        for name in names
    ]
    threads[0].start()
    assert flushes.entered.wait(HANG_GUARD)  # the first writer's flush is under way
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + HANG_GUARD
    with fresh(store) as conn:  # the others commit meanwhile, then wait for a flush
        while conn.execute("SELECT count(*) FROM submissions").fetchone()[0] < len(names):
            assert time.monotonic() < deadline, "the other writers never committed"
            time.sleep(0.001)
    flushes.go_on.set()
    for thread in threads:
        thread.join(HANG_GUARD)
        assert not thread.is_alive()
    assert len(flushes.seen) == 2  # the first one's, and one for the five that waited


def test_a_flush_the_disk_refuses_is_a_store_error(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", failing)
    with pytest.raises(StoreError, match=r"cannot flush the log of .*Input/output error"):
        store.record_submission("199", "052", "A.V21", sha("A"), 10)


def test_without_a_log_the_database_file_is_flushed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint may empty and remove the log: then what was in it is in the database."""
    database = tmp_path / "alone.db"
    sqlite3.connect(database).close()  # no -wal beside it
    flushed: list[str] = []
    monkeypatch.setattr(
        os, "fdatasync", lambda fd: flushed.append(Path(f"/proc/self/fd/{fd}").readlink().name)
    )
    log = _LogFlush(database)
    log.flush(log.committed())
    assert flushed == ["alone.db"]


def _delivery(delivery_id: str) -> NewDelivery:
    return NewDelivery(
        recipient="052",
        file_name=f"{delivery_id}.V21",
        sha256=sha(delivery_id),
        format="cwr",
        version="2.1",
        transport="http",
        id=delivery_id,
    )


class _CommitFails:
    """The writing connection, but its COMMIT fails as SQLite's does on a disk I/O error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, *params: object) -> sqlite3.Cursor:
        if sql.strip().upper() == "COMMIT":
            raise sqlite3.OperationalError("disk I/O error")
        return self._conn.execute(sql, *params)

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)


def test_a_commit_that_fails_fails_every_writer_that_shared_it(store: SqliteStore) -> None:
    """No writer is told its change is stored unless the commit holding it succeeded."""
    real = store._writer_connection()
    store._writer_conn = _CommitFails(real)  # type: ignore[assignment]
    names = [f"G{i}.V21" for i in range(5)]
    results = queued(
        store,
        [
            lambda name=name: store.record_submission("199", "052", name, sha(name), 10)
            for name in names
        ],
    )
    assert all(isinstance(result, StoreError) for result in results)
    assert all("failed to commit: disk I/O error" in str(result) for result in results)
    store._writer_conn = real
    assert not real.in_transaction  # rolled back, not left open
    with fresh(store) as conn:
        assert conn.execute("SELECT count(*) FROM submissions").fetchone()[0] == 0
    # The store is still usable afterwards.
    submission, duplicate = store.record_submission("199", "052", "G0.V21", sha("G0.V21"), 10)
    assert duplicate is None
    assert submission.file_name == "G0.V21"


def test_intake_finds_repeats_through_the_unique_indexes_not_a_scan(store: SqliteStore) -> None:
    """The same-bytes and same-name lookups stay one index probe however many files a sender sent.

    The name index is partial (names not ''): a lookup that does not say so cannot use it and
    scanned every submission of the sender instead (1.3 ms a file at 10,000, under the lock).
    """
    for i in range(3):
        store.record_submission("199", "052", f"CW24{i:06d}199_052.V21", sha(str(i)), 10)
    statements = Statements(store)
    store.record_submission("199", "052", "CW24999999199_052.V21", sha("new"), 10)
    lookups = [text for text in statements.seen if text.lstrip().upper().startswith("SELECT")]
    assert len(lookups) == 2  # same bytes, then same name
    with fresh(store) as conn:
        plans = [
            " ".join(row["detail"] for row in conn.execute(f"EXPLAIN QUERY PLAN {text}"))
            for text in lookups
        ]
    assert "USING INDEX submissions_same_bytes" in plans[0]
    assert "USING INDEX submissions_same_name" in plans[1]
