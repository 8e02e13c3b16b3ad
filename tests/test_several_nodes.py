"""Several gateway nodes of one society on one PostgreSQL database and one blob folder.

PRS runs two nodes (their own HTTP ports, their own delivery workers and processing) sharing a
real PostgreSQL schema and blob folder; MCSC runs one node on SQLite. MCSC's files reach both PRS
nodes — each file sent to both at once — and every file must be taken in once, answered once, and
its ACK delivered to MCSC once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import unfinished
from test_service import SUBMISSION, free_port, mcsc_key, start, wait_for

from gateway.service.config import ConfigError, ServiceConfig, StoreSpec, load_config
from gateway.service.node import Node, open_store
from gateway.transport.http import HttpTransport

FILES = 12


def variant(number: int) -> bytes:
    """The fixture with its own HDR creation time: other bytes, the same three works."""
    lines = SUBMISSION.read_bytes().split(b"\n")
    header = lines[0]
    lines[0] = header[:72] + f"{number:06d}".encode() + header[78:]
    return b"\n".join(lines)


@pytest.fixture
async def two_prs_and_mcsc(
    tmp_path: Path, postgres_url: str, postgres_schema: str
) -> AsyncIterator[tuple[Node, Node, Node]]:
    ports = {8052: free_port(), 8119: free_port(), 8222: free_port()}
    for folder in ("a", "b", "m"):
        (tmp_path / folder).mkdir()
    shared = StoreSpec(url=postgres_url, schema=postgres_schema, blobs=tmp_path / "prs-blobs")
    prs_a = await start("prs.toml", tmp_path / "a", ports, 8052, store=shared)
    ports_b = {**ports, 8052: free_port()}
    prs_b = await start("prs.toml", tmp_path / "b", ports_b, 8052, store=shared)
    mcsc = await start("mcsc.toml", tmp_path / "m", ports, 8119)
    try:
        yield prs_a, prs_b, mcsc
    finally:
        for node in (prs_a, prs_b, mcsc):
            await node.stop()


async def test_two_nodes_on_one_database_take_each_file_once_and_answer_it_once(
    two_prs_and_mcsc: tuple[Node, Node, Node], tmp_path: Path
) -> None:
    prs_a, prs_b, mcsc = two_prs_and_mcsc
    assert prs_a.worker_id != prs_b.worker_id
    senders = [
        HttpTransport(f"http://127.0.0.1:{node.port}", mcsc_key()) for node in (prs_a, prs_b)
    ]
    files = []
    for number in range(1, FILES + 1):
        path = tmp_path / f"CW26{number:04d}119_052.V21"
        path.write_bytes(variant(number))
        files.append(path)
    # Every file to both nodes at the same moment: one of them takes it in, the other finds it.
    receipts = await asyncio.gather(
        *(sender.send(path.name, path) for path in files for sender in senders)
    )
    taken = {receipt.detail for receipt in receipts}
    assert len(taken) == FILES

    def answered() -> bool:
        return all(prs_a.store.get_submission(s).status == "acked" for s in taken)  # type: ignore[union-attr]

    await wait_for(answered, seconds=60)
    await wait_for(lambda: unfinished(prs_a.store) == 0, seconds=60)
    assert len(prs_b.store.list_submissions("119")) == FILES  # one database, seen from both
    acks = prs_a.store.list_deliveries(state="delivered")
    assert len(acks) == FILES
    assert all(ack.claims == 1 for ack in acks)  # no delivery was sent twice
    assert len({ack.file_name for ack in acks}) == FILES
    # MCSC got each ACK once: one submission per ACK file, none a duplicate.
    await wait_for(lambda: len(mcsc.store.list_submissions("052")) == FILES, seconds=60)
    await asyncio.sleep(0.5)  # anything sent twice would arrive now
    received = mcsc.store.list_submissions("052")
    assert sorted(s.file_name for s in received) == sorted(ack.file_name for ack in acks)
    workers = {ack.worker for ack in acks}
    assert workers <= {prs_a.worker_id, prs_b.worker_id}


def test_the_store_section_of_a_node_config_is_read(tmp_path: Path) -> None:
    """[store] names the database, the password's variable, the schema and a shared blob folder."""
    config_file = tmp_path / "node.toml"
    config_file.write_text(
        'registry = "prs.toml"\n'
        "[store]\n"
        'url = "postgresql://gateway@db:5432/gateway"\n'
        'password_env = "GW_DB_PASSWORD"\n'
        'schema = "prs"\n'
        'blobs = "shared/blobs"\n'
        "processing_lease_seconds = 120\n",
        encoding="utf-8",
    )
    spec = load_config(config_file).store
    assert spec == StoreSpec(
        url="postgresql://gateway@db:5432/gateway",
        password_env="GW_DB_PASSWORD",  # noqa: S106 - a variable name, not a password
        schema="prs",
        blobs=tmp_path / "shared" / "blobs",
        processing_lease_seconds=120.0,
    )
    config_file.write_text('registry = "prs.toml"\n', encoding="utf-8")
    assert load_config(config_file).store == StoreSpec()  # SQLite in data_dir


def test_a_database_password_variable_that_is_not_set_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GW_TEST_NO_SUCH_PASSWORD", raising=False)
    config = ServiceConfig(
        registry=tmp_path / "prs.toml",
        data_dir=tmp_path,
        store=StoreSpec(
            url="postgresql://gateway@127.0.0.1:1/x",
            password_env="GW_TEST_NO_SUCH_PASSWORD",  # noqa: S106 - a variable name
        ),
    )
    with pytest.raises(ConfigError, match="GW_TEST_NO_SUCH_PASSWORD"):
        open_store(config)
