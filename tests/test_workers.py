"""Processing in worker processes (``[processing] workers``): real child processes, real kills.

PRS takes MCSC's files in over HTTP in the node's process and its workers validate, answer and
route them: every file is answered once and its ACK delivered once. A worker killed with
SIGKILL is replaced and the file it held is answered by its replacement; a file that kills two
workers in a row is marked failed instead of killing workers for ever.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from builders import cwr_bytes, work
from conftest import unfinished
from test_service import free_port, mcsc_key, start, wait_for
from test_several_nodes import variant

from gateway.service.config import ServiceConfig, load_config
from gateway.service.node import Node
from gateway.service.workers import nudge_child, wake_pipe
from gateway.transport.http import HttpTransport

FILES = 8
BIG_WORKS = 4000  # enough records that validating them takes a while: time to kill the worker


@pytest.fixture
async def prs_with_workers_and_mcsc(tmp_path: Path) -> AsyncIterator[tuple[Node, Node]]:
    ports = {8052: free_port(), 8119: free_port(), 8222: free_port()}
    prs = await start("prs.toml", tmp_path, ports, 8052, processing_workers=2)
    mcsc = await start("mcsc.toml", tmp_path, ports, 8119)
    try:
        yield prs, mcsc
    finally:
        await prs.stop()
        await mcsc.stop()


def _pids(node: Node) -> set[int | None]:
    assert node.workers is not None
    return {pid for pid, _ in node.workers.running().values()}


async def test_workers_answer_every_file_the_http_process_takes_in_once(
    prs_with_workers_and_mcsc: tuple[Node, Node], tmp_path: Path
) -> None:
    prs, mcsc = prs_with_workers_and_mcsc
    pids = _pids(prs)
    assert len(pids) == 2
    assert os.getpid() not in pids
    sender = HttpTransport(f"http://127.0.0.1:{prs.port}", mcsc_key())
    files = []
    for number in range(1, FILES + 1):
        path = tmp_path / f"CW26{number:04d}119_052.V21"
        path.write_bytes(variant(number))
        files.append(path)
    receipts = await asyncio.gather(*(sender.send(path.name, path) for path in files))
    ids = {receipt.detail for receipt in receipts}

    def answered() -> bool:
        return all(prs.store.get_submission(i).status == "acked" for i in ids)  # type: ignore[union-attr]

    await wait_for(answered, seconds=60)
    await wait_for(lambda: unfinished(prs.store) == 0, seconds=60)
    acks = prs.store.list_deliveries(state="delivered")
    assert len(acks) == FILES
    assert all(ack.claims == 1 for ack in acks)
    await wait_for(lambda: len(mcsc.store.list_submissions("052")) == FILES, seconds=60)
    assert prs.store.registrations("119")  # the workers registered the works they answered
    assert _pids(prs) == pids  # nobody died


async def test_a_killed_worker_is_replaced_and_the_file_it_held_is_answered(
    prs_with_workers_and_mcsc: tuple[Node, Node], tmp_path: Path
) -> None:
    prs, _ = prs_with_workers_and_mcsc
    assert prs.workers is not None
    path = tmp_path / "CW260001119_052.V21"
    path.write_bytes(cwr_bytes([work(number=f"BIG{n:05d}") for n in range(BIG_WORKS)]))
    sender = HttpTransport(f"http://127.0.0.1:{prs.port}", mcsc_key())
    receipt = await sender.send(path.name, path)
    pid = await _worker_on(prs, receipt.detail)
    os.kill(pid, signal.SIGKILL)
    await wait_for(lambda: pid not in _pids(prs) and len(_pids(prs)) == 2, seconds=30)
    await wait_for(
        lambda: prs.store.get_submission(receipt.detail).status == "acked",  # type: ignore[union-attr]
        seconds=120,
    )


async def test_a_file_that_kills_two_workers_in_a_row_is_marked_failed(
    prs_with_workers_and_mcsc: tuple[Node, Node], tmp_path: Path
) -> None:
    prs, _ = prs_with_workers_and_mcsc
    path = tmp_path / "CW260001119_052.V21"
    path.write_bytes(cwr_bytes([work(number=f"BIG{n:05d}") for n in range(BIG_WORKS)]))
    sender = HttpTransport(f"http://127.0.0.1:{prs.port}", mcsc_key())
    receipt = await sender.send(path.name, path)
    for _ in range(2):
        pid = await _worker_on(prs, receipt.detail)
        os.kill(pid, signal.SIGKILL)
        await wait_for(lambda pid=pid: pid not in _pids(prs), seconds=30)

    def failed() -> bool:
        found = prs.store.get_submission(receipt.detail)
        return found is not None and found.status == "failed"

    await wait_for(failed, seconds=30)
    found = prs.store.get_submission(receipt.detail)
    assert found is not None
    assert "died 2 times" in (found.error or "")
    await wait_for(lambda: len(_pids(prs)) == 2, seconds=30)  # both slots filled again


async def _worker_on(node: Node, submission_id: str) -> int:
    """The pid of the worker processing ``submission_id``, once one has started on it."""
    assert node.workers is not None
    for _ in range(600):
        for pid, current in node.workers.running().values():
            if current == submission_id and pid is not None:
                return pid
        await asyncio.sleep(0.02)
    raise AssertionError(f"no worker took {submission_id} up")


def test_the_processing_section_of_a_node_config_is_read(tmp_path: Path) -> None:
    config_file = tmp_path / "node.toml"
    config_file.write_text('registry = "prs.toml"\n[processing]\nworkers = 3\n', encoding="utf-8")
    assert load_config(config_file).processing_workers == 3
    config_file.write_text('registry = "prs.toml"\n', encoding="utf-8")
    assert load_config(config_file).processing_workers == 0  # threads of the node's process
    config_file.write_text('registry = "prs.toml"\n[processing]\nworkers = -1\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[processing\] workers must be 0 or more"):
        load_config(config_file)
    assert ServiceConfig(registry=tmp_path, data_dir=tmp_path).processing_workers == 0


def test_nudging_a_child_that_reads_none_never_blocks_the_event_loop() -> None:
    """Far more nudges than a pipe holds, to a child busy all along: each returns at once.

    A blocking nudge froze a loaded node: after ~16,000 files without a pause the wake pipe was
    full, the event loop stopped in the write, and the children waited on it in turn.
    """
    child_end, parent_end = wake_pipe(multiprocessing.get_context("spawn"))
    done = threading.Event()

    def nudge_many() -> None:
        for _ in range(100_000):  # 400 kB of nudges; a pipe holds 64 kB
            nudge_child(parent_end)
        done.set()

    threading.Thread(target=nudge_many, daemon=True).start()
    assert done.wait(30), "a nudge blocked on a full wake pipe"
    assert child_end.poll()  # the child still finds its nudges, whole
    assert child_end.recv_bytes() == b""
    parent_end.close()
    child_end.close()
