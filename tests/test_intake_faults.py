"""Intake when the node's own storage fails: a full disk, a database locked by another writer.

Each upload is refused with the documented 503 ``store_unavailable``, leaves no temporary file, no
partial blob and no submission row, and goes through once the fault is gone. The disk is a real
tmpfs mounted small under the blob folder; the lock is a real ``BEGIN IMMEDIATE`` held from
another connection.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_http_hostile import (
    DATA,
    assert_documented,
    assert_healthy,
    blob_of,
    blobs,
    nonces,
    raw_client,
    raw_head,
    read_answer,
    refusals,
    serve_intake,
    submission_path,
    submit,
    temp_files,
)
from test_service import SUBMISSION, free_port, start, upload, wait_for

from gateway.store.blobs import DEFAULT_WRITE_BUFFER

BUSY_TIMEOUT_MS = 100  # the store gives up on a locked database after this


# -- a small real disk -------------------------------------------------------------------------


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` (made here), unmounted on the way out.

    Skips where mounting is not permitted (not root), except in CI, which must run it.
    """
    folder.mkdir(parents=True)
    mount, umount = shutil.which("mount"), shutil.which("umount")
    done = (
        subprocess.run(
            [mount, "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        if mount and umount
        else None
    )
    if done is None or done.returncode != 0:
        why = done.stderr.strip() if done is not None else "no mount/umount command"
        reason = f"cannot mount a small tmpfs here (needs root): {why}"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the full-disk test: {reason}")
        pytest.skip(reason)
    try:
        yield folder
    finally:
        subprocess.run([str(umount), str(folder)], check=True)


def fill(disk: Path, *, leave: int) -> Path:
    """Fill ``disk`` with a ballast file until only ``leave`` bytes stay free; the ballast."""
    stats = os.statvfs(disk)
    ballast = disk / "ballast"
    ballast.write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - leave))
    return ballast


async def test_a_full_disk_refuses_the_upload_cleanly_and_the_retry_succeeds(
    tmp_path: Path, log_lines
) -> None:
    """1 MiB into 256 KiB of free space: 503, nothing left; once space is freed, 202."""
    blob_dir = tmp_path / "prs" / "blobs"  # the node's blob folder, on a 4 MiB disk
    size, name = 1 << 20, "CW260040119_052.V21"
    assert size <= DEFAULT_WRITE_BUFFER  # one write, bigger than the space left
    with small_disk(blob_dir, "4m"):
        ports = {8052: free_port(), 8119: free_port(), 8222: free_port()}
        prs = await start("prs.toml", tmp_path, ports, 8052, max_upload_bytes=8 << 20)
        try:
            ballast = fill(blob_dir, leave=256 << 10)
            status, body = await upload(prs.port, size, name)
            assert_documented(status, body, (503, "store_unavailable"))
            assert str(tmp_path) not in body["error"]["message"]  # no server path to a partner
            assert refusals(log_lines) == [(503, "store_unavailable")]
            assert temp_files(prs.config.data_dir) == []
            assert blobs(prs.config.data_dir) == set()
            assert prs.store.list_submissions("119") == []
            await assert_healthy(prs.port)

            ballast.unlink()
            status, receipt = await upload(prs.port, size, name)
            assert status == 202, receipt
            assert receipt["size"] == size
            assert len(prs.store.list_submissions("119")) == 1
            await prs.pipeline.drain()
        finally:
            await prs.stop()


# -- a locked database -------------------------------------------------------------------------


@contextmanager
def write_lock(database: Path) -> Iterator[None]:
    """Hold SQLite's write lock on ``database`` from another connection, as another writer would."""
    other = sqlite3.connect(database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_database_locked_before_the_request_refuses_it_cleanly(
    tmp_path: Path, log_lines
) -> None:
    """The nonce cannot be recorded: 503 before any byte is stored; after the lock, once."""
    async with serve_intake(tmp_path, busy_timeout_ms=BUSY_TIMEOUT_MS) as intake:
        with write_lock(intake.data_dir / "gateway.db"):
            status, body = await submit(intake.port, SUBMISSION.name, DATA)
            assert_documented(status, body, (503, "store_unavailable"))
            await assert_healthy(intake.port)  # readers still get through (WAL)
        assert refusals(log_lines) == [(503, "store_unavailable")]
        assert temp_files(intake.data_dir) == []
        assert blobs(intake.data_dir) == set()
        assert intake.store.list_submissions("119") == []

        status, receipt = await submit(intake.port, SUBMISSION.name, DATA)
        assert (status, receipt["duplicate"]) == (202, False)
        await intake.pipeline.drain()  # its processing writes too: let it finish first
        status, again = await submit(intake.port, SUBMISSION.name, DATA)
        assert (status, again["duplicate"]) == (200, True)
        assert len(intake.store.list_submissions("119")) == 1


@pytest.mark.parametrize("held", [True, False], ids=["kept-in-database", "blob-file"])
async def test_a_database_locked_during_the_body_keeps_only_the_whole_blob(
    tmp_path: Path, log_lines, held: bool
) -> None:
    """Locked between the signature check and the record: 503, no row; the retry records once.

    A small file is held in memory for the database: nothing of it stays. Past the size kept in
    the database it is a blob file, written whole before the database is asked.
    """
    async with serve_intake(tmp_path, busy_timeout_ms=BUSY_TIMEOUT_MS) as intake:
        if not held:
            intake.pipeline.kept_in_database_bytes = 0
        path = submission_path(SUBMISSION.name)
        async with raw_client(intake.port) as (reader, writer):
            writer.write(raw_head(intake.port, path, DATA, length=len(DATA)))
            writer.write(DATA[:100])
            await writer.drain()
            # its nonce recorded: the request passed its signature check, its body is awaited
            await wait_for(lambda: nonces(intake.data_dir) == 1)
            with write_lock(intake.data_dir / "gateway.db"):
                writer.write(DATA[100:])
                status, body = await read_answer(reader)
        assert_documented(status, body, (503, "store_unavailable"))
        assert refusals(log_lines) == [(503, "store_unavailable")]
        assert intake.store.list_submissions("119") == []
        assert temp_files(intake.data_dir) == []
        assert intake.store.content(blob_of(intake.data_dir, DATA).name) is None
        if held:
            assert blobs(intake.data_dir) == set()
        else:
            # The blob is not half written: it is named by the SHA-256 of all its bytes and was
            # fsynced and renamed into place in one step before the database was asked; no row
            # points to it, and the retry below finds it whole and reuses it.
            assert blobs(intake.data_dir) == {blob_of(intake.data_dir, DATA)}
            assert blob_of(intake.data_dir, DATA).read_bytes() == DATA

        status, receipt = await submit(intake.port, SUBMISSION.name, DATA)
        assert (status, receipt["duplicate"]) == (202, False)
        await intake.pipeline.drain()
        status, again = await submit(intake.port, SUBMISSION.name, DATA)
        assert (status, again["duplicate"]) == (200, True)
        assert [s.sha256 for s in intake.store.list_submissions("119")] == [
            blob_of(intake.data_dir, DATA).name
        ]
