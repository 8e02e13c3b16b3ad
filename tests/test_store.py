"""The blob store and the SQLite state: atomic blobs, idempotent intake, a crash-safe outbox."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time as clock_time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from conftest import unfinished

from gateway.store import (
    AlreadyFinished,
    BlobStore,
    Conflict,
    InvalidValue,
    NewDelivery,
    NotFound,
    RegistrationChange,
    SentTransaction,
    SqliteStore,
    Store,
    StoreError,
    TooLarge,
)
from gateway.store.postgres import PostgresStore

REPO = Path(__file__).resolve().parents[1]
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
HANG_GUARD = 15  # seconds; only to stop a deadlock from hanging the run


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "sha256").rglob("*") if p.is_file())


def temp_files(root: Path) -> list[Path]:
    return sorted((root / "tmp").iterdir())


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


OpenStore = Callable[[], SqliteStore | PostgresStore]


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> OpenStore:
    """Opens a store on one database, new for the test: SQLite, or a real PostgreSQL server.

    Each call is another store object on the same database, as another process would have.
    """
    if request.param == "sqlite":
        return lambda: SqliteStore(tmp_path / "state.db", clock=clock)
    url = request.getfixturevalue("postgres_url")
    schema = request.getfixturevalue("postgres_schema")
    return lambda: PostgresStore(url, schema=schema, clock=clock)


@pytest.fixture
def store(open_store: OpenStore) -> Iterator[Store]:
    """Each contract test runs on both backends."""
    with open_store() as opened:
        yield opened


def routed_submission(
    store: Store, *, recipients: tuple[str, ...] = ("052",), name: str = "CW240001199_035.V21"
) -> list[str]:
    """Record a submission and route it to each recipient; the delivery ids."""
    submission, _ = store.record_submission("199", "035", name, sha(name.encode()), 10)
    deliveries = [
        NewDelivery(
            recipient=recipient,
            file_name=f"CW240001035_{recipient}.V21",
            sha256=sha(recipient.encode()),
            format="cwr",
            version="2.1",
            transport="http",
        )
        for recipient in recipients
    ]
    store.complete_routing(submission.id, deliveries, [])
    return [d.id for d in deliveries]


# -- blobs -------------------------------------------------------------------------------------


async def test_a_stream_of_exactly_the_limit_is_stored_under_its_hash(tmp_path: Path) -> None:
    """Limit bytes are accepted and land, whole, at sha256/ab/cd/<hex>."""
    blobs = BlobStore(tmp_path)
    data = os.urandom(10_000)
    ref = await blobs.put_stream(chunks_of(data, 777), max_bytes=len(data))
    assert ref.sha256 == sha(data)
    assert ref.size == len(data)
    assert ref.path == tmp_path / "sha256" / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    assert ref.path.read_bytes() == data
    with blobs.open(ref.sha256) as file:
        assert file.read() == data
    assert temp_files(tmp_path) == []


async def test_one_byte_over_the_limit_is_refused_with_at_most_the_limit_on_disk(
    tmp_path: Path,
) -> None:
    """Limit + 1 bytes raise TooLarge; the disk never held more than the limit; nothing is kept."""
    blobs = BlobStore(tmp_path, write_buffer=1)  # write every chunk at once, so the disk shows it
    limit = 1000
    largest_on_disk = 0
    sent = 0

    async def upload() -> AsyncIterator[bytes]:
        nonlocal largest_on_disk, sent
        for _ in range(limit + 1):
            sizes = [p.stat().st_size for p in temp_files(tmp_path)]
            largest_on_disk = max([largest_on_disk, *sizes])
            sent += 1
            yield b"x"
        pytest.fail("the store read past the byte that broke the limit")

    with pytest.raises(TooLarge) as caught:
        await blobs.put_stream(upload(), max_bytes=limit)
    assert caught.value.max_bytes == limit
    assert caught.value.http_status == 413
    assert sent == limit + 1
    assert largest_on_disk == limit
    assert blob_files(tmp_path) == []
    assert temp_files(tmp_path) == []
    assert not blobs.exists(sha(b"x" * (limit + 1)))


def test_the_byte_limit_applies_to_bytes_and_files_too(tmp_path: Path) -> None:
    """put_bytes and put_file keep the same limit: N accepted, N + 1 refused, nothing left over."""
    blobs = BlobStore(tmp_path)
    assert blobs.put_bytes(b"abcd", max_bytes=4).size == 4
    source = tmp_path / "upload.cwr"
    source.write_bytes(b"abcde")
    with pytest.raises(TooLarge):
        blobs.put_file(source, max_bytes=4)
    with pytest.raises(TooLarge):
        blobs.put_bytes(b"abcde", max_bytes=4)
    assert [p.name for p in blob_files(tmp_path)] == [sha(b"abcd")]
    assert temp_files(tmp_path) == []


async def test_the_same_content_stored_three_ways_is_one_file(tmp_path: Path) -> None:
    """Bytes, a file and a stream of the same content give one blob and one file."""
    blobs = BlobStore(tmp_path)
    data = b"HDR" + os.urandom(5000)
    source = tmp_path / "in.cwr"
    source.write_bytes(data)
    refs = {
        blobs.put_bytes(data),
        blobs.put_file(source),
        await blobs.put_stream(chunks_of(data, 64), max_bytes=10_000),
    }
    assert len(refs) == 1
    assert blob_files(tmp_path) == [refs.pop().path]
    assert temp_files(tmp_path) == []


def test_a_damaged_blob_is_replaced_by_a_good_copy(tmp_path: Path) -> None:
    """A stored file of the wrong size is rewritten when its content arrives again."""
    blobs = BlobStore(tmp_path)
    ref = blobs.put_bytes(b"0123456789")
    ref.path.chmod(0o644)
    ref.path.write_bytes(b"01234")
    assert blobs.put_bytes(b"0123456789") == ref
    assert ref.path.read_bytes() == b"0123456789"


async def test_a_cancelled_upload_leaves_no_file(tmp_path: Path) -> None:
    """A client that goes away mid-upload leaves neither a blob nor a temporary file."""
    blobs = BlobStore(tmp_path, write_buffer=1)
    started = asyncio.Event()

    async def stalled() -> AsyncIterator[bytes]:
        yield b"first"
        started.set()
        await asyncio.Event().wait()  # the client never sends more
        yield b"never"

    task = asyncio.create_task(blobs.put_stream(stalled(), max_bytes=100))
    await asyncio.wait_for(started.wait(), HANG_GUARD)
    assert len(temp_files(tmp_path)) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert temp_files(tmp_path) == []
    assert blob_files(tmp_path) == []


async def test_a_short_stream_is_held_for_the_database_only_when_asked(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    for data in (b"", b"short"):
        held = await blobs.put_stream(chunks_of(data, 2), max_bytes=100, hold_up_to=len(data) + 1)
        assert (held.sha256, held.size, held.data) == (sha(data), len(data), data)
        assert not held.path.exists()
        written = await blobs.put_stream(chunks_of(data, 2), max_bytes=100)  # hold_up_to=0
        assert (written.sha256, written.data) == (sha(data), None)
        assert written.path.read_bytes() == data
    longer = await blobs.put_stream(chunks_of(b"x" * 10, 3), max_bytes=100, hold_up_to=9)
    assert longer.data is None
    assert longer.path.exists()


def test_a_blob_store_reads_small_files_kept_in_the_database(tmp_path: Path) -> None:
    """Readers ask by SHA-256; bytes held in the database come back as if they were files."""
    kept = b"ACK kept in the database"
    blobs = BlobStore(tmp_path / "blobs", database={sha(kept): kept}.get)
    on_disk = blobs.put_bytes(b"a blob file")
    assert blobs.exists(sha(kept))
    with blobs.open(sha(kept)) as stream:
        assert stream.read() == kept
    copy = blobs.local_copy(sha(kept))  # for transports, which send files
    assert copy.temporary
    assert copy.path.parent == tmp_path / "blobs" / "tmp"
    assert copy.path.read_bytes() == kept
    copy.release()
    assert not copy.path.exists()
    same = blobs.local_copy(on_disk.sha256)
    assert (same.path, same.temporary) == (on_disk.path, False)
    same.release()
    assert on_disk.path.exists()  # a blob file is never removed by its reader
    assert blob_files(tmp_path / "blobs") == [on_disk.path]
    missing = sha(b"nowhere")
    assert not blobs.exists(missing)
    with pytest.raises(NotFound):
        blobs.open(missing)
    with pytest.raises(NotFound):
        blobs.local_copy(missing)


def test_blob_ids_that_are_not_sha256_are_refused(tmp_path: Path) -> None:
    """Only 64 lower-case hex digits name a blob, so no id can reach outside the store."""
    blobs = BlobStore(tmp_path)
    for bad in ("../../etc/passwd", "A" * 64, "a" * 63, ""):
        with pytest.raises(InvalidValue):
            blobs.path(bad)
    with pytest.raises(NotFound):
        blobs.open("a" * 64)
    assert not blobs.exists("a" * 64)


def test_stale_temporary_files_are_swept_by_age(tmp_path: Path) -> None:
    """Temp files older than the given age go; a recent one (maybe being written) stays."""
    blobs = BlobStore(tmp_path)
    old = tmp_path / "tmp" / "blob-old.part"
    new = tmp_path / "tmp" / "blob-new.part"
    old.write_bytes(b"left by a crash")
    new.write_bytes(b"being written")
    an_hour_ago = clock_time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert blobs.remove_stale_temp(older_than_seconds=600) == 1
    assert temp_files(tmp_path) == [new]


# -- submissions -------------------------------------------------------------------------------


def test_the_same_bytes_or_name_from_one_sender_is_one_submission(store: Store) -> None:
    """Repeats return the original with the reason; another sender's copy is its own."""
    first, why = store.record_submission("199", "035", "CW240001199_035.V21", "a" * 64, 10)
    assert why is None
    assert first.id.startswith("sub_")
    assert len(first.id) == 4 + 16
    assert first.status == "received"
    again, why = store.record_submission("199", "035", "renamed.V21", "a" * 64, 10)
    assert (again, why) == (first, "same_bytes")
    again, why = store.record_submission("199", "035", "CW240001199_035.V21", "b" * 64, 11)
    assert (again, why) == (first, "same_name")
    other, why = store.record_submission("200", "035", "CW240001199_035.V21", "a" * 64, 10)
    assert why is None
    assert other.id != first.id
    assert [s.id for s in store.list_submissions("199")] == [first.id]


def test_a_small_file_received_is_kept_with_its_submission_and_a_repeat_keeps_nothing(
    store: Store,
) -> None:
    data, other = b"HDR a small CWR file", b"HDR the same name, other bytes"
    first, _ = store.record_submission("199", "052", "s.V21", sha(data), len(data), content=data)
    assert store.content(sha(data)) == data
    again, reason = store.record_submission(
        "199", "052", "s.V21", sha(other), len(other), content=other
    )
    assert (again.id, reason) == (first.id, "same_name")
    assert store.content(sha(other)) is None  # a refused repeat leaves nothing behind
    with pytest.raises(InvalidValue, match="has another SHA-256"):
        store.record_submission("199", "052", "t.V21", sha(data), len(other), content=other)
    assert [s.file_name for s in store.list_submissions("199")] == ["s.V21"]


def test_files_without_a_name_are_told_apart_by_their_bytes(store: Store) -> None:
    """An empty file name is no name: two such uploads with different bytes are two."""
    one, _ = store.record_submission("199", "035", "", "a" * 64, 1)
    two, why = store.record_submission("199", "035", "", "b" * 64, 1)
    assert why is None
    assert one.id != two.id


def test_concurrent_intake_of_one_file_makes_one_row(open_store: OpenStore) -> None:
    """Threads on two store objects recording the same file at once leave exactly one row."""
    stores: list[Store] = [open_store(), open_store()]
    threads_per_store = 6
    barrier = threading.Barrier(len(stores) * threads_per_store)
    results: list[tuple[str, str | None]] = []
    errors: list[BaseException] = []

    def intake(target: Store) -> None:
        try:
            barrier.wait(HANG_GUARD)
            submission, why = target.record_submission("199", "035", "f.V21", "c" * 64, 5)
            results.append((submission.id, why))
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    threads = [
        threading.Thread(target=intake, args=(s,)) for s in stores for _ in range(threads_per_store)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD)
    for opened in stores:
        opened.close()
    assert errors == []
    assert len(results) == len(threads)
    assert len({submission_id for submission_id, _ in results}) == 1
    assert [why for _, why in results].count(None) == 1
    with open_store() as reopened:
        assert len(reopened.list_submissions("199")) == 1


def test_workers_on_two_stores_claiming_at_once_never_share_a_delivery(
    open_store: OpenStore,
) -> None:
    """Claims racing on two store objects (two processes' worth) hand each delivery out once."""
    stores: list[Store] = [open_store(), open_store()]
    deliveries = 60
    submission, _ = stores[0].record_submission("199", "035", "f.V21", "d" * 64, 5)
    stores[0].complete_routing(
        submission.id,
        [
            NewDelivery(
                recipient=f"{n:03}",
                file_name=f"CW24{n:04}199_{n:03}.V21",
                sha256=sha(bytes([n])),
                format="cwr",
                version="2.1",
                transport="http",
            )
            for n in range(deliveries)
        ],
        [],
    )
    workers = [(s, f"worker-{i}-{j}") for i, s in enumerate(stores) for j in range(3)]
    barrier = threading.Barrier(len(workers))
    claimed: dict[str, list[str]] = {worker: [] for _, worker in workers}
    errors: list[BaseException] = []

    def work(target: Store, worker: str) -> None:
        try:
            barrier.wait(HANG_GUARD)
            batch = target.claim_due(START + timedelta(hours=1), 600, worker, 4)
            barrier.wait(HANG_GUARD)  # every worker holds its first batch: none may overlap
            while batch:
                claimed[worker].extend(d.id for d in batch)
                for delivery in batch:
                    assert target.mark_delivered(delivery.id, worker, "ok")
                batch = target.claim_due(START + timedelta(hours=1), 600, worker, 4)
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    threads = [threading.Thread(target=work, args=pair) for pair in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD)
    assert errors == []
    every_claim = [d for ids in claimed.values() for d in ids]
    assert len(every_claim) == len(set(every_claim)) == deliveries
    assert all(len(ids) >= 4 for ids in claimed.values())  # each got a full first batch
    done = stores[1].list_deliveries(state="delivered")
    assert len(done) == deliveries
    assert all(d.claims == 1 for d in done)
    for opened in stores:
        opened.close()


def test_update_submission_changes_only_what_it_is_given(store: Store, clock: Clock) -> None:
    """Given fields change (None clears), others stay; bad fields and ids get clear errors."""
    submission, _ = store.record_submission("199", "035", "f.V21", "a" * 64, 3)
    clock.advance(5)
    updated = store.update_submission(
        submission.id, status="acked", ack_sha="b" * 64, ack_file_name="f.ACK", error="late"
    )
    assert (updated.status, updated.ack_sha, updated.ack_file_name) == ("acked", "b" * 64, "f.ACK")
    assert updated.error == "late"
    assert updated.file_name == "f.V21"
    assert updated.updated_at == clock.now
    assert updated.received_at == START
    cleared = store.update_submission(submission.id, error=None)
    assert cleared.error is None
    assert cleared.ack_sha == "b" * 64
    assert store.get_submission(submission.id) == cleared
    with pytest.raises(InvalidValue, match="sender"):
        store.update_submission(submission.id, sender="200")  # type: ignore[call-arg]
    with pytest.raises(InvalidValue, match="'done'"):
        store.update_submission(submission.id, status="done")  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="sub_missing"):
        store.update_submission("sub_missing", status="failed")
    assert store.get_submission("sub_missing") is None


# -- outbox ------------------------------------------------------------------------------------


def test_routing_queues_pending_deliveries_and_marks_the_submission(store: Store) -> None:
    """complete_routing writes the deliveries as pending, due now, and sets the status."""
    ids = routed_submission(store, recipients=("052", "058"))
    deliveries = store.list_deliveries()
    assert [d.id for d in deliveries] == ids
    assert {d.state for d in deliveries} == {"pending"}
    assert {(d.attempts, d.claims, d.next_attempt_at) for d in deliveries} == {(0, 0, START)}
    submission = store.get_submission(deliveries[0].submission_id)
    assert submission is not None
    assert submission.status == "routed"
    assert unfinished(store) == 2


def test_a_failure_in_the_middle_of_routing_writes_nothing(store: Store) -> None:
    """A duplicate delivery id, or a bad sent row after good ones, rolls the whole call back."""
    submission, _ = store.record_submission("199", "035", "f.V21", "a" * 64, 3)
    first = NewDelivery(
        recipient="052", file_name="a.V21", sha256="b" * 64, format="cwr", version="2.1",
        transport="http", id="dlv_1",
    )  # fmt: skip
    clash = NewDelivery(
        recipient="058", file_name="b.V21", sha256="c" * 64, format="cwr", version="2.1",
        transport="sftp", id="dlv_1",
    )  # fmt: skip
    with pytest.raises(Conflict, match=r"deliveries\.id"):
        store.complete_routing(submission.id, [first, clash], [])
    orphan = sent_row(delivery_id="dlv_nowhere", original_submission_id=submission.id)
    with pytest.raises(Conflict, match="FOREIGN KEY"):
        store.complete_routing(submission.id, [first], [orphan])
    assert store.list_deliveries() == []
    assert unfinished(store) == 0
    assert store.find_sent("052", date(2024, 5, 1), time(12, 0), 1, 0) is None
    unchanged = store.get_submission(submission.id)
    assert unchanged is not None
    assert unchanged.status == "received"
    with pytest.raises(NotFound):
        store.complete_routing("sub_missing", [first], [])


def test_small_files_are_kept_with_the_routing_that_names_them_or_not_at_all(
    store: Store,
) -> None:
    """``contents`` land in routing's transaction: readable after it, absent if it failed."""
    report, ack = b'{"status": "accepted"}', b"HDRSO000000052PRS\r\n"
    submission, _ = store.record_submission("199", "052", "k.V21", "a" * 64, 3)
    delivery = NewDelivery(
        recipient="199", file_name="k.V21", sha256=sha(ack), format="cwr", version="2.1",
        transport="http", id="dlv_k",
    )  # fmt: skip
    clash = NewDelivery(
        recipient="058", file_name="l.V21", sha256=sha(ack), format="cwr", version="2.1",
        transport="http", id="dlv_k",
    )  # fmt: skip
    with pytest.raises(Conflict):
        store.complete_routing(
            submission.id, [delivery, clash], [], contents={sha(report): report, sha(ack): ack}
        )
    assert store.content(sha(report)) is None  # rolled back with the rest
    with pytest.raises(InvalidValue, match="has another SHA-256"):
        store.complete_routing(submission.id, [delivery], [], contents={sha(report): ack})
    unchanged = store.get_submission(submission.id)
    assert unchanged is not None
    assert unchanged.status == "received"
    store.complete_routing(
        submission.id,
        [delivery],
        [],
        status="acked",
        changes={"report_sha": sha(report), "ack_sha": sha(ack)},
        contents={sha(report): report, sha(ack): ack},
    )
    assert store.content(sha(report)) == report
    assert store.content(sha(ack)) == ack
    assert store.content("f" * 64) is None
    with pytest.raises(InvalidValue):
        store.content("../../etc/passwd")


def test_a_recipient_never_gets_two_files_of_one_name(store: Store) -> None:
    """Routing a second file under a name the recipient already has is a Conflict."""
    routed_submission(store, recipients=("052",), name="one.V21")
    with pytest.raises(Conflict, match="file_name"):
        routed_submission(store, recipients=("052",), name="two.V21")
    assert len(store.list_deliveries()) == 1


def test_a_lease_keeps_others_off_until_it_expires_then_the_late_worker_is_refused(
    store: Store,
) -> None:
    """Worker B takes over an expired lease; A's late completion is refused, B's accepted."""
    [delivery_id] = routed_submission(store)
    [claimed] = store.claim_due(START, 30, "worker-a", 10)
    assert (claimed.id, claimed.state, claimed.worker) == (delivery_id, "in_flight", "worker-a")
    assert claimed.lease_until == START + timedelta(seconds=30)
    assert store.claim_due(START + timedelta(seconds=29), 30, "worker-b", 10) == []
    [taken] = store.claim_due(START + timedelta(seconds=30), 30, "worker-b", 10)
    assert (taken.worker, taken.claims, taken.attempts) == ("worker-b", 2, 0)
    assert not store.mark_delivered(delivery_id, "worker-a", "receipt-a")
    assert not store.mark_retry(delivery_id, "worker-a", "late", START)
    assert not store.mark_dead(delivery_id, "worker-a", "late")
    assert store.mark_delivered(delivery_id, "worker-b", "receipt-b")
    assert store.mark_delivered(delivery_id, "worker-b", "receipt-b")  # a repeat is harmless
    done = store.get_delivery(delivery_id)
    assert done is not None
    assert (done.state, done.receipt, done.worker, done.lease_until) == (
        "delivered",
        "receipt-b",
        "worker-b",
        None,
    )
    assert store.claim_due(START + timedelta(days=1), 30, "worker-c", 10) == []
    assert unfinished(store) == 0
    with pytest.raises(NotFound):
        store.mark_delivered("dlv_missing", "worker-a", "x")


def test_claims_take_the_soonest_due_first_and_respect_the_limit(store: Store) -> None:
    """Only due deliveries are claimed, soonest first, at most ``limit`` at a time."""
    submission, _ = store.record_submission("199", "035", "f.V21", "a" * 64, 3)
    later = NewDelivery(
        recipient="052", file_name="later", sha256="b" * 64, format="cwr", version="2.1",
        transport="http", next_attempt_at=START + timedelta(minutes=5),
    )  # fmt: skip
    sooner = NewDelivery(
        recipient="058", file_name="sooner", sha256="b" * 64, format="cwr", version="2.1",
        transport="http", next_attempt_at=START + timedelta(minutes=1),
    )  # fmt: skip
    store.complete_routing(submission.id, [later, sooner], [])
    assert store.claim_due(START, 60, "w", 10) == []
    [first] = store.claim_due(START + timedelta(minutes=10), 60, "w", 1)
    assert first.id == sooner.id
    [second] = store.claim_due(START + timedelta(minutes=10), 60, "w", 1)
    assert second.id == later.id
    with pytest.raises(InvalidValue):
        store.claim_due(START, 60, "w", 0)
    with pytest.raises(InvalidValue):
        store.claim_due(START, 0, "w", 1)


def test_retries_wait_for_their_time_and_the_last_failure_dead_letters(
    store: Store,
) -> None:
    """mark_retry counts the attempt and delays it; mark_dead counts the last and parks it."""
    [delivery_id] = routed_submission(store)
    store.claim_due(START, 60, "w", 10)
    retry_at = START + timedelta(minutes=2)
    assert store.mark_retry(delivery_id, "w", "503 from partner", retry_at)
    waiting = store.get_delivery(delivery_id)
    assert waiting is not None
    assert (waiting.state, waiting.attempts, waiting.last_error) == (
        "pending",
        1,
        "503 from partner",
    )
    assert (waiting.next_attempt_at, waiting.worker, waiting.lease_until) == (retry_at, None, None)
    assert unfinished(store) == 1
    assert store.claim_due(retry_at - timedelta(seconds=1), 60, "w", 10) == []
    [again] = store.claim_due(retry_at, 60, "w", 10)
    assert again.attempts == 1
    assert store.mark_dead(delivery_id, "w", "gave up after 2 attempts")
    dead = store.get_delivery(delivery_id)
    assert dead is not None
    assert (dead.state, dead.attempts, dead.last_error) == ("dead", 2, "gave up after 2 attempts")
    assert store.list_deliveries(state="dead") == [dead]
    assert store.list_deliveries(submission_id=dead.submission_id, state="pending") == []
    assert store.claim_due(START + timedelta(days=1), 60, "w", 10) == []
    assert unfinished(store) == 0
    assert not store.mark_retry(delivery_id, "w", "too late", retry_at)


def test_dead_deliveries_are_requeued_by_id_recipient_or_all(store: Store) -> None:
    """requeue_dead takes only dead rows: due now, attempts and claims from 0, the error kept."""
    dead_a, dead_b, alive = routed_submission(store, recipients=("052", "058", "010"))
    store.claim_due(START, 7200, "w", 10)  # a lease that outlasts the test's hour
    assert store.mark_dead(dead_a, "w", "HTTP 201 without a submission_id")
    assert store.mark_dead(dead_b, "w", "gave up after 8 attempts")
    later = START + timedelta(hours=1)
    assert store.delivery_counts() == {"pending": 0, "in_flight": 1, "delivered": 0, "dead": 2}
    assert store.requeue_dead(later, delivery_ids=[alive, "dlv_missing"]) == []
    assert store.requeue_dead(later, recipient="010") == []  # 010's delivery is not dead
    [only_a] = store.requeue_dead(later, delivery_ids=[dead_a, dead_a, dead_b], recipient="052")
    assert (only_a.id, only_a.state, only_a.attempts) == (dead_a, "pending", 0)
    assert (only_a.next_attempt_at, only_a.worker, only_a.lease_until) == (later, None, None)
    assert only_a.last_error == "HTTP 201 without a submission_id"
    [rest] = store.requeue_dead(later)
    assert rest.id == dead_b
    assert store.requeue_dead(later) == []
    assert store.delivery_counts() == {"pending": 2, "in_flight": 1, "delivered": 0, "dead": 0}
    claimed = store.claim_due(later, 60, "w2", 10)
    assert sorted(d.id for d in claimed) == sorted([dead_a, dead_b])
    current = store.get_delivery(alive)
    assert current is not None
    assert (current.state, current.worker) == ("in_flight", "w")


# -- ACK correlation and registrations ---------------------------------------------------------


def sent_row(**changes: object) -> SentTransaction:
    fields: dict[str, object] = {
        "delivery_id": "dlv_1",
        "recipient": "052",
        "hdr_creation_date": date(2024, 5, 1),
        "hdr_creation_time": time(12, 0, 0),
        "group_id": 1,
        "transaction_sequence": 0,
        "transaction_type": "NWR",
        "submitter_work_number": "W-001",
        "title": "SONG ONE",
        "original_submission_id": "sub_1",
    }
    fields.update(changes)
    return SentTransaction(**fields)  # type: ignore[arg-type]


def test_an_ack_finds_the_transaction_it_answers(store: Store) -> None:
    """find_sent matches recipient, HDR date and time, group and sequence, and nothing else."""
    submission, _ = store.record_submission("199", "035", "f.V21", "a" * 64, 3)
    delivery = NewDelivery(
        recipient="052", file_name="out.V21", sha256="b" * 64, format="cwr", version="2.1",
        transport="http", id="dlv_1",
    )  # fmt: skip
    sent = [
        sent_row(original_submission_id=submission.id, transaction_sequence=seq, title=f"T{seq}")
        for seq in range(3)
    ]
    store.complete_routing(submission.id, [delivery], sent)
    found = store.find_sent("052", date(2024, 5, 1), time(12, 0, 0, 999), 1, 2)
    assert found == sent[2]
    assert store.find_sent("058", date(2024, 5, 1), time(12, 0), 1, 2) is None
    assert store.find_sent("052", date(2024, 5, 2), time(12, 0), 1, 2) is None
    assert store.find_sent("052", date(2024, 5, 1), time(12, 0, 1), 1, 2) is None
    assert store.find_sent("052", date(2024, 5, 1), time(12, 0), 2, 2) is None
    assert store.find_sent("052", date(2024, 5, 1), time(12, 0), 1, 3) is None


def test_registrations_take_ack_news_without_losing_numbers_or_going_back(
    store: Store,
) -> None:
    """Status follows the newest ACK; numbers are kept when omitted; older news is ignored."""
    store.upsert_registration("199", "W-001", "052", "sent", title="SONG ONE", updated_at=START)
    accepted = store.upsert_registration(
        "199", "W-001", "052", "AS", society_work_number="PRS-9", iswc="T0345246801",
        updated_at=START + timedelta(days=2),
    )  # fmt: skip
    assert (accepted.status, accepted.society_work_number, accepted.iswc) == (
        "AS",
        "PRS-9",
        "T0345246801",
    )
    assert accepted.title == "SONG ONE"
    stale = store.upsert_registration("199", "W-001", "052", "RA", updated_at=START + timedelta(1))
    assert stale == accepted
    conflict = store.upsert_registration(
        "199", "W-001", "052", "CO", society_work_number="", updated_at=START + timedelta(days=3)
    )
    assert (conflict.status, conflict.society_work_number) == ("CO", "PRS-9")
    store.upsert_registration("199", "W-001", "035", "sent")
    store.upsert_registration("199", "W-002", "052", "sent")
    assert [(r.submitter_work_number, r.society) for r in store.registrations("199")] == [
        ("W-001", "035"),
        ("W-001", "052"),
        ("W-002", "052"),
    ]
    assert [r.society for r in store.registrations("199", "W-001")] == ["035", "052"]
    assert store.registrations("200") == []
    with pytest.raises(InvalidValue, match="'XX'"):
        store.upsert_registration("199", "W-001", "052", "XX")


def test_a_replayed_nonce_is_refused_until_it_expires(store: Store) -> None:
    """A nonce is accepted once per key while remembered; after expiry it is pruned."""
    expires = START + timedelta(minutes=5)
    assert store.remember_nonce("key-1", "n-1", START, expires)
    assert not store.remember_nonce("key-1", "n-1", START + timedelta(seconds=1), expires)
    assert store.remember_nonce("key-2", "n-1", START, expires)
    after = expires + timedelta(seconds=1)
    assert store.remember_nonce("key-1", "n-1", after, after + timedelta(minutes=5))


def test_times_without_a_timezone_are_refused(store: Store) -> None:
    """A naive datetime would sort wrongly against UTC text; it is refused, not guessed."""
    with pytest.raises(InvalidValue, match="timezone"):
        store.claim_due(datetime(2024, 5, 1, 12), 30, "w", 1)  # noqa: DTZ001 - the point


# -- durability and bad databases --------------------------------------------------------------

CRASH_SCRIPT = """
import os, sqlite3, sys
from datetime import datetime, UTC
from pathlib import Path
from gateway.store import NewDelivery, SqliteStore

path = Path(sys.argv[1])
store = SqliteStore(path)
sub, _ = store.record_submission("199", "035", "f.V21", "a" * 64, 3)
store.complete_routing(sub.id, [NewDelivery(recipient="052", file_name="out", sha256="b" * 64,
    format="cwr", version="2.1", transport="http", id="dlv_1")], [])
store.claim_due(datetime.now(UTC), 60, "dying-worker", 10)
store.remember_nonce("k", "n", datetime.now(UTC), datetime(2999, 1, 1, tzinfo=UTC))
half = sqlite3.connect(path, isolation_level=None)
half.execute("BEGIN IMMEDIATE")
half.execute("UPDATE deliveries SET state = 'delivered'")
half.execute("DELETE FROM submissions")
os._exit(0)  # no close, no commit, no cleanup: as a kill -9 would leave it
"""


def test_a_crash_keeps_every_commit_and_nothing_uncommitted(tmp_path: Path) -> None:
    """After a process dies mid-transaction, reopening shows the commits and a usable lock."""
    path = tmp_path / "state.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(path)], check=True, env=env, timeout=HANG_GUARD
    )
    with SqliteStore(path) as reopened:
        [submission] = reopened.list_submissions("199")
        assert submission.status == "routed"
        delivery = reopened.get_delivery("dlv_1")
        assert delivery is not None
        assert (delivery.state, delivery.worker) == ("in_flight", "dying-worker")
        assert not reopened.remember_nonce("k", "n", START, START)
        # The dead worker's lease runs out and another takes the delivery over.
        assert delivery.lease_until is not None
        [taken] = reopened.claim_due(delivery.lease_until, 60, "next-worker", 10)
        assert reopened.mark_delivered(taken.id, "next-worker", "ok")


def test_everything_survives_a_reopen_without_close(tmp_path: Path, clock: Clock) -> None:
    """A second store on the file, the first never closed, sees every table as it was."""
    first = SqliteStore(tmp_path / "state.db", clock=clock)
    [delivery_id] = routed_submission(first)
    first.upsert_registration("199", "W-1", "052", "RA")
    second = SqliteStore(tmp_path / "state.db", clock=clock)
    assert second.list_submissions("199") == first.list_submissions("199")
    assert second.get_delivery(delivery_id) == first.get_delivery(delivery_id)
    assert second.registrations("199") == first.registrations("199")
    second.close()
    first.close()


def test_a_file_that_is_not_a_database_gets_a_clear_error(tmp_path: Path) -> None:
    """Garbage where the database should be raises StoreError naming the file."""
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not an SQLite file at all " * 100)
    with pytest.raises(StoreError, match=r"state\.db.*not a database"):
        SqliteStore(path)


def test_a_directory_where_the_database_should_be_gets_a_clear_error(tmp_path: Path) -> None:
    """A path that cannot be opened as a file raises StoreError naming it."""
    (tmp_path / "state.db").mkdir()
    with pytest.raises(StoreError, match=r"cannot open database .*state\.db"):
        SqliteStore(tmp_path / "state.db")


def test_a_database_from_a_newer_gateway_is_refused(tmp_path: Path) -> None:
    """A schema version beyond this code's migrations is refused, not downgraded."""
    path = tmp_path / "state.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE schema_version SET version = 99")
    raw.close()
    with pytest.raises(StoreError, match="schema version 99"):
        SqliteStore(path)


def test_a_closed_store_refuses_calls(tmp_path: Path) -> None:
    """Calls after close raise StoreError instead of reopening silently."""
    store = SqliteStore(tmp_path / "state.db")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.delivery_counts()


def test_closing_while_other_threads_use_the_store_waits_for_them(tmp_path: Path) -> None:
    """close() lets calls under way finish and refuses new ones: no crash, a clear error."""
    store = SqliteStore(tmp_path / "state.db")
    outcomes: list[str] = []
    started = threading.Barrier(5)

    def busy() -> None:
        started.wait()
        try:
            while True:
                store.claim_due(datetime.now(UTC), 60, "w", 10)
        except StoreError as error:
            outcomes.append("closed" if "closed" in str(error) else repr(error))

    threads = [threading.Thread(target=busy) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.wait()
    clock_time.sleep(0.05)
    store.close()
    for thread in threads:
        thread.join(timeout=10)
    assert outcomes == ["closed"] * 4


# -- PostgreSQL's own failures -------------------------------------------------------------------


def test_a_postgres_server_that_is_not_there_gets_a_clear_error() -> None:
    """No server on the port: StoreError naming the server, never the password."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free now, and nothing listens on it
    with pytest.raises(StoreError, match=rf"postgresql://gateway@127\.0\.0\.1:{port}/x") as caught:
        PostgresStore(f"postgresql://gateway:s3cret@127.0.0.1:{port}/x")
    assert "s3cret" not in str(caught.value)


def test_a_postgres_database_that_does_not_exist_gets_a_clear_error(postgres_url: str) -> None:
    """A wrong database name is the server's answer, passed on as a StoreError."""
    missing = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    with pytest.raises(StoreError, match='database "no_such_database" does not exist'):
        PostgresStore(missing)


def test_a_postgres_schema_from_a_newer_gateway_is_refused(
    postgres_url: str, postgres_schema: str
) -> None:
    """A schema_version beyond what this gateway knows stops the open, as with SQLite."""
    with PostgresStore(postgres_url, schema=postgres_schema) as opened:
        opened._fetch(f'UPDATE "{postgres_schema}".schema_version SET version = 99')  # noqa: S608
    with pytest.raises(StoreError, match="schema version 99"):
        PostgresStore(postgres_url, schema=postgres_schema)


def test_gateways_opening_one_new_postgres_schema_at_once_migrate_it_once(
    postgres_url: str, postgres_schema: str
) -> None:
    """Four stores opening a fresh schema together: one migration, all four usable."""
    barrier = threading.Barrier(4)
    opened: list[PostgresStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            barrier.wait(HANG_GUARD)
            opened.append(PostgresStore(postgres_url, schema=postgres_schema))
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD)
    assert errors == []
    for index, one in enumerate(opened):
        one.record_submission("199", "035", f"f{index}.V21", sha(bytes([index])), 1)
    assert len(opened[0].list_submissions("199")) == 4
    for one in opened:
        one.close()
    with pytest.raises(StoreError, match="closed"):
        opened[0].get_submission("sub_x")


# -- several processes: processing leases, HDR times, routing once -------------------------------


def test_a_submission_is_processed_under_a_lease_that_a_dead_worker_loses(store: Store) -> None:
    """One worker at a time; the lease passes on when it runs out; finished ones stay put."""
    first, _ = store.record_submission("199", "035", "a.V21", "a" * 64, 1, received_at=START)
    second, _ = store.record_submission(
        "199", "035", "b.V21", "b" * 64, 1, received_at=START + timedelta(seconds=1)
    )
    claimed = store.claim_submissions(START, 60, "node-a", 10)
    assert [s.id for s in claimed] == [first.id, second.id]  # oldest first
    assert store.claim_submissions(START + timedelta(seconds=59), 60, "node-b", 10) == []
    renewed = store.claim_submissions(START, 60, "node-a", 10, submission_id=second.id)
    assert [s.id for s in renewed] == [second.id]  # the holder may renew, one id at a time
    store.complete_routing(first.id, [], [], status="acked")
    taken = store.claim_submissions(START + timedelta(seconds=60), 60, "node-b", 10)
    assert [s.id for s in taken] == [second.id]  # node-a died: its lease ran out
    assert (
        store.claim_submissions(START + timedelta(days=1), 60, "node-c", 10, submission_id=first.id)
        == []
    )
    with pytest.raises(InvalidValue):
        store.claim_submissions(START, 0, "node-a", 1)


def test_a_submission_is_routed_once_even_when_two_workers_finish_it(store: Store) -> None:
    """The second completion is refused as AlreadyFinished and writes nothing."""
    submission, _ = store.record_submission("199", "035", "a.V21", "a" * 64, 1)
    one = NewDelivery(
        recipient="052", file_name="one.V21", sha256="b" * 64, format="cwr", version="2.1",
        transport="http",
    )  # fmt: skip
    other = NewDelivery(
        recipient="052", file_name="other.V21", sha256="c" * 64, format="cwr", version="2.1",
        transport="http",
    )  # fmt: skip
    store.complete_routing(submission.id, [one], [], status="routed")
    with pytest.raises(AlreadyFinished, match="routed already"):
        store.complete_routing(submission.id, [other], [], status="routed")
    assert [d.file_name for d in store.list_deliveries()] == ["one.V21"]
    with pytest.raises(NotFound):
        store.complete_routing("sub_missing", [], [])


def test_routing_writes_the_answer_and_the_works_state_with_it_or_nothing(store: Store) -> None:
    """complete_routing's changes and registrations stand or fall with the routing itself."""
    submission, _ = store.record_submission("119", "052", "a.V21", "a" * 64, 1)
    answer = NewDelivery(
        recipient="119", file_name="ack.V21", sha256="b" * 64, format="cwr", version="2.1",
        transport="http",
    )  # fmt: skip
    works = [
        RegistrationChange(
            sender="119", submitter_work_number="W1", society="052", status="AS",
            society_work_number="PRS-1", iswc="T0345246801", title="ONE",
        ),
        RegistrationChange(sender="119", submitter_work_number="W2", society="052", status="RJ"),
    ]  # fmt: skip
    with pytest.raises(InvalidValue):  # the status is complete_routing's own argument
        store.complete_routing(
            submission.id, [answer], [], status="acked", changes={"status": "failed"}
        )
    bad = RegistrationChange(sender="119", submitter_work_number="W3", society="052", status="??")
    with pytest.raises(InvalidValue):
        store.complete_routing(submission.id, [answer], [], status="acked", registrations=[bad])
    queued = store.complete_routing(
        submission.id,
        [answer],
        [],
        status="acked",
        changes={"ack_sha": "b" * 64, "ack_file_name": "ack.V21"},
        registrations=works,
    )
    assert [d.file_name for d in queued] == ["ack.V21"]
    found = store.get_submission(submission.id)
    assert found is not None
    assert (found.status, found.ack_sha, found.ack_file_name) == ("acked", "b" * 64, "ack.V21")
    rows = store.registrations("119")
    assert [(r.submitter_work_number, r.status, r.society_work_number) for r in rows] == [
        ("W1", "AS", "PRS-1"),
        ("W2", "RJ", None),
    ]
    # A second completion (another process's) is refused and changes nothing.
    late = [
        RegistrationChange(sender="119", submitter_work_number="W1", society="052", status="RJ")
    ]
    with pytest.raises(AlreadyFinished):
        store.complete_routing(
            submission.id, [], [], status="acked", changes={"ack_sha": "c" * 64}, registrations=late
        )
    assert store.registrations("119", "W1")[0].status == "AS"
    assert store.get_submission(submission.id).ack_sha == "b" * 64  # type: ignore[union-attr]


def test_hdr_creation_times_are_handed_out_once_per_recipient(open_store: OpenStore) -> None:
    """Whole seconds, never before asked, strictly increasing per recipient, across stores."""
    stores: list[Store] = [open_store(), open_store()]
    asked = START + timedelta(microseconds=250)
    assert stores[0].reserve_creation_time("052", asked) == START
    assert stores[1].reserve_creation_time("052", asked) == START + timedelta(seconds=1)
    assert stores[0].reserve_creation_time("058", asked) == START  # another recipient's own
    later = START + timedelta(hours=1)
    assert stores[1].reserve_creation_time("052", later) == later
    handed: list[datetime] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def reserve(target: Store) -> None:
        try:
            barrier.wait(HANG_GUARD)
            handed.extend(target.reserve_creation_time("052", START) for _ in range(10))
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    threads = [threading.Thread(target=reserve, args=(s,)) for s in stores for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD)
    assert errors == []
    assert len(handed) == len(set(handed)) == 60
    assert min(handed) == later + timedelta(seconds=1)
    for opened in stores:
        opened.close()
