"""A pull's inbox: files a killed process left between pickup and intake are taken in later.

A puller copies a partner's file into the node's inbox (fsynced) and marks it picked up at the
source before intake records it. These tests lay out what a process killed in between leaves
behind and start a node on it: nothing may be lost, nothing taken in twice.
"""

from __future__ import annotations

from pathlib import Path

from log_contract import LogLines
from test_service import SUBMISSION, free_port, start, wait_for

from gateway.service.config import PullSpec
from gateway.service.node import REFUSED_FOLDER, Node, pull_inbox
from gateway.store import SqliteStore, Submission
from gateway.transport.base import DELIVERY_MARKER, PICKUP_MARKER

DATA = SUBMISSION.read_bytes()


def picked_up_drop(tmp_path: Path) -> tuple[Path, PullSpec]:
    """A drop folder whose one file was already marked picked up by the killed process."""
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / SUBMISSION.name).write_bytes(DATA)
    (drop / (SUBMISSION.name + DELIVERY_MARKER)).touch()
    (drop / (SUBMISSION.name + PICKUP_MARKER)).touch()
    return drop, PullSpec(transport="folder", address=str(drop), interval=0.05)


async def start_prs(tmp_path: Path, pull: PullSpec, **settings: object) -> Node:
    ports = {8052: free_port(), 8119: free_port(), 8222: free_port()}
    return await start("prs.toml", tmp_path, ports, 8052, pulls=(pull,), **settings)


def submissions(tmp_path: Path) -> list[Submission]:
    """What PRS took in from MCSC, read after the node stopped."""
    with SqliteStore(tmp_path / "prs" / "gateway.db") as store:
        return store.list_submissions("119")


def events(log_lines: LogLines, name: str) -> list[dict[str, object]]:
    return [line for line in log_lines() if line["event"] == name]


async def test_a_copy_left_in_the_inbox_is_taken_in_at_the_next_start(
    tmp_path: Path, log_lines: LogLines
) -> None:
    _, pull = picked_up_drop(tmp_path)
    inbox = pull_inbox(tmp_path / "prs", pull)
    inbox.mkdir(parents=True)
    (inbox / SUBMISSION.name).write_bytes(DATA)  # copied and marked, then the process died
    partial = inbox / f".{SUBMISSION.name}.0123456789ab.part"  # a copy cut short by the kill
    partial.write_bytes(DATA[:100])
    prs = await start_prs(tmp_path, pull)
    try:
        await wait_for(lambda: len(prs.store.list_submissions("119")) == 1)
        await wait_for(lambda: not (inbox / SUBMISSION.name).exists())
        await prs.pipeline.drain()
    finally:
        await prs.stop()
    [submission] = submissions(tmp_path)
    assert submission.file_name == SUBMISSION.name
    assert submission.size == len(DATA)
    assert sorted(p.name for p in inbox.iterdir()) == []  # taken in; the partial copy removed
    [pulled] = events(log_lines, "transfer.pulled")
    assert pulled["file_name"] == SUBMISSION.name


async def test_a_copy_taken_in_but_not_removed_is_one_submission(
    tmp_path: Path, log_lines: LogLines
) -> None:
    """Killed after intake recorded it, before the inbox copy went: the restart is a duplicate."""
    _, pull = picked_up_drop(tmp_path)
    killed = await start_prs(tmp_path, PullSpec(transport="folder", address=str(tmp_path / "x")))
    try:  # the killed run's intake of its inbox copy (its own pull loop is not needed for it)
        inbox = pull_inbox(tmp_path / "prs", pull)
        inbox.mkdir(parents=True)
        (inbox / SUBMISSION.name).write_bytes(DATA)
        intake = await killed.pipeline.receive_file(
            inbox / SUBMISSION.name, sender="119", file_name=SUBMISSION.name, transport="folder"
        )
        await killed.pipeline.drain()
    finally:
        await killed.stop()
    prs = await start_prs(tmp_path, pull)
    try:
        await wait_for(lambda: not (inbox / SUBMISSION.name).exists())
        await prs.pipeline.drain()
    finally:
        await prs.stop()
    assert [s.id for s in submissions(tmp_path)] == [intake.submission.id]
    [duplicate] = events(log_lines, "submission.duplicate")
    assert duplicate["submission_id"] == intake.submission.id


async def test_a_file_over_the_upload_limit_is_set_aside_not_retried(
    tmp_path: Path, log_lines: LogLines
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / SUBMISSION.name).write_bytes(DATA)
    (drop / (SUBMISSION.name + DELIVERY_MARKER)).touch()
    pull = PullSpec(transport="folder", address=str(drop), interval=0.05)
    prs = await start_prs(tmp_path, pull, max_upload_bytes=len(DATA) - 1)
    inbox = pull_inbox(tmp_path / "prs", pull)
    try:
        await wait_for((inbox / REFUSED_FOLDER / SUBMISSION.name).exists)
    finally:
        await prs.stop()
    assert submissions(tmp_path) == []
    assert (inbox / REFUSED_FOLDER / SUBMISSION.name).read_bytes() == DATA
    assert (drop / (SUBMISSION.name + PICKUP_MARKER)).exists()
    [failed] = events(log_lines, "transfer.intake_failed")
    assert failed["retried"] is False
    assert failed["file_name"] == SUBMISSION.name
    assert events(log_lines, "transfer.pulled") == []
