"""The service over loopback: real nodes, real HTTP, signed requests, the pipeline end to end."""

from __future__ import annotations

import asyncio
import hashlib
import resource
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from conftest import FIXTURES

from gateway.routing.partners import parse_registry
from gateway.service import pipeline
from gateway.service.config import ServiceConfig
from gateway.service.node import Node
from gateway.transport.http import HttpTransport, signed_get
from gateway.transport.signing import EMPTY_SHA256, load_signing_key, sign_request

PARTNERS = FIXTURES / "partners"
SUBMISSION = FIXTURES / "cwr" / "CW260002119_052.V21"  # three clean works, MCSC to PRS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def registry_text(name: str, ports: dict[int, int]) -> str:
    text = (PARTNERS / name).read_text(encoding="utf-8")
    for old, new in ports.items():
        text = text.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}")
    return text


async def start(name: str, tmp: Path, ports: dict[int, int], own: int, **settings: object) -> Node:
    registry_file = tmp / name
    registry_file.write_text(registry_text(name, ports), encoding="utf-8")
    (tmp / "keys").mkdir(exist_ok=True)
    for key in (PARTNERS / "keys").glob("*.key"):
        (tmp / "keys" / key.name).write_bytes(key.read_bytes())
    registry = parse_registry(
        registry_file.read_text(encoding="utf-8"), str(registry_file), base=tmp
    )
    config = ServiceConfig(
        registry=registry_file,
        data_dir=tmp / name.removesuffix(".toml"),
        port=ports[own],
        initial_wait=0.05,
        max_wait=0.5,
        insecure_host_keys=True,
        **settings,  # type: ignore[arg-type]
    )
    node = Node(config, registry)
    await node.start()
    return node


@pytest.fixture
async def prs_and_mcsc(tmp_path: Path) -> AsyncIterator[tuple[Node, Node]]:
    ports = {8052: free_port(), 8119: free_port(), 8222: free_port()}
    prs = await start("prs.toml", tmp_path, ports, 8052, max_upload_bytes=1 << 20)
    mcsc = await start("mcsc.toml", tmp_path, ports, 8119)
    try:
        yield prs, mcsc
    finally:
        await prs.stop()
        await mcsc.stop()


def mcsc_key():
    return load_signing_key(PARTNERS / "keys" / "mcsc.key", key_id="mcsc-demo")


def gema_key():
    return load_signing_key(PARTNERS / "keys" / "gema.key", key_id="gema-demo")


async def wait_for(condition, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting (hang guard)")


async def test_a_submission_is_validated_acked_and_the_ack_correlated(
    prs_and_mcsc: tuple[Node, Node], log_lines
) -> None:
    prs, mcsc = prs_and_mcsc
    base = f"http://127.0.0.1:{prs.port}"
    receipt = await HttpTransport(base, mcsc_key()).send(SUBMISSION.name, SUBMISSION)
    submission_id = receipt.detail
    await wait_for(lambda: prs.store.get_submission(submission_id).status == "acked")
    # the first ACK went back to MCSC over HTTP and was tied to... nothing MCSC sent: unmatched
    await wait_for(lambda: any(s.status == "acked" for s in mcsc.store.list_submissions("052")))
    registrations = prs.store.registrations("119")
    assert {(r.submitter_work_number, r.status) for r in registrations} == {
        ("MCSC000001", "RA"),
        ("MCSC000002", "RA"),
        ("MCSC000003", "RA"),
    }
    async with aiohttp.ClientSession() as session:
        status, body = await signed_get(
            session, base, f"/v1/submissions/{submission_id}", mcsc_key()
        )
        assert status == 200
        assert body["status"] == "acked"
        assert body["deliveries"][0]["recipient"] == "119"
        status, report = await signed_get(
            session, base, f"/v1/submissions/{submission_id}/report", mcsc_key()
        )
        assert status == 200
        assert report["status"] == "accepted"
        assert report["pack"] == "prs"
    events = [line["event"] for line in log_lines()]
    for expected in (
        "submission.received",
        "submission.validated",
        "ack.generated",
        "delivery.enqueued",
        "delivery.delivered",
        "ack.received",
        "ack.correlated",
    ):
        assert expected in events


@pytest.mark.parametrize("kept_up_to", [pipeline.KEPT_IN_DATABASE_BYTES, 0])
async def test_the_files_a_node_makes_are_kept_in_its_database_when_small(
    prs_and_mcsc: tuple[Node, Node], kept_up_to: int
) -> None:
    """The file received, its report and its ACK: in the database under the limit, blob files
    over it; either way processed, served by the API and delivered byte for byte."""
    prs, mcsc = prs_and_mcsc
    prs.pipeline.kept_in_database_bytes = kept_up_to
    base = f"http://127.0.0.1:{prs.port}"
    receipt = await HttpTransport(base, mcsc_key()).send(SUBMISSION.name, SUBMISSION)
    await wait_for(lambda: prs.store.get_submission(receipt.detail).status == "acked")
    answered = prs.store.get_submission(receipt.detail)
    assert answered is not None
    assert answered.ack_sha is not None
    assert answered.report_sha is not None
    await wait_for(
        lambda: any(s.sha256 == answered.ack_sha for s in mcsc.store.list_submissions("052"))
    )
    files = {p.name for p in (prs.config.data_dir / "blobs" / "sha256").rglob("*") if p.is_file()}
    kept = {answered.sha256, answered.report_sha, answered.ack_sha}
    in_database = {sha for sha in kept if prs.store.content(sha) is not None}
    if kept_up_to:
        assert (files, in_database) == (set(), kept)
    else:
        assert (files, in_database) == (kept, set())
    async with aiohttp.ClientSession() as session:
        url = f"{base}/v1/submissions/{receipt.detail}/ack"
        headers = sign_request(
            "GET", f"/v1/submissions/{receipt.detail}/ack", EMPTY_SHA256, mcsc_key()
        )
        async with session.get(url, headers=headers) as response:
            assert response.status == 200
            served = await response.read()
    assert hashlib.sha256(served).hexdigest() == answered.ack_sha


async def test_the_same_file_twice_has_one_effect(prs_and_mcsc: tuple[Node, Node]) -> None:
    prs, _ = prs_and_mcsc
    transport = HttpTransport(f"http://127.0.0.1:{prs.port}", mcsc_key())
    first = await transport.send(SUBMISSION.name, SUBMISSION)
    second = await transport.send(SUBMISSION.name, SUBMISSION)
    assert first.detail == second.detail
    await wait_for(lambda: prs.store.get_submission(first.detail).status == "acked")
    assert len(prs.store.list_submissions("119")) == 1
    assert len(prs.store.list_deliveries()) == 1  # one ACK


async def test_another_societys_key_sees_nothing(prs_and_mcsc: tuple[Node, Node]) -> None:
    prs, _ = prs_and_mcsc
    base = f"http://127.0.0.1:{prs.port}"
    receipt = await HttpTransport(base, mcsc_key()).send(SUBMISSION.name, SUBMISSION)
    async with aiohttp.ClientSession() as session:
        for path in (
            f"/v1/submissions/{receipt.detail}",
            f"/v1/submissions/{receipt.detail}/report",
            f"/v1/submissions/{receipt.detail}/ack",
        ):
            status, body = await signed_get(session, base, path, gema_key())
            assert status == 404, path
            assert body["error"]["code"] == "not_found"
        status, body = await signed_get(session, base, "/v1/submissions", gema_key())
        assert status == 200
        assert body["submissions"] == []


async def test_a_replayed_or_unsigned_request_is_refused(prs_and_mcsc: tuple[Node, Node]) -> None:
    prs, _ = prs_and_mcsc
    url = f"http://127.0.0.1:{prs.port}/v1/submissions"
    headers = sign_request("GET", "/v1/submissions", EMPTY_SHA256, mcsc_key())
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers=headers) as first:
            assert first.status == 200
        async with session.get(url, headers=headers) as replay:
            assert replay.status == 401
            assert (await replay.json())["error"]["code"] == "replayed"
        async with session.get(url) as unsigned:
            assert unsigned.status == 401
            assert (await unsigned.json())["error"]["code"] == "missing_auth"
        async with session.get(f"http://127.0.0.1:{prs.port}/v1/health") as health:
            assert (await health.json())["node"] == "052"
        async with session.get(f"http://127.0.0.1:{prs.port}/v1/openapi.json") as spec:
            assert "/v1/submissions" in (await spec.json())["paths"]


async def test_a_body_not_matching_its_signature_is_refused(
    prs_and_mcsc: tuple[Node, Node],
) -> None:
    prs, _ = prs_and_mcsc
    data = SUBMISSION.read_bytes()
    path = f"/v1/submissions?file_name={SUBMISSION.name}"
    headers = sign_request("POST", path, hashlib.sha256(data).hexdigest(), mcsc_key())
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{prs.port}{path}", data=data + b"X", headers=headers
        ) as answer,
    ):
        assert answer.status == 400
        assert (await answer.json())["error"]["code"] == "body_mismatch"
    assert prs.store.list_submissions("119") == []


async def upload(port: int, size: int, name: str) -> tuple[int, dict]:
    """POST ``size`` bytes, generated in chunks (never held whole), signed as MCSC."""
    chunk = (b"NWR" + b" " * 1021) * 64  # 64 KiB
    digest = hashlib.sha256()
    for _ in range(size // len(chunk)):
        digest.update(chunk)
    path = f"/v1/submissions?file_name={name}"
    headers = sign_request("POST", path, digest.hexdigest(), mcsc_key())

    async def body() -> AsyncIterator[bytes]:
        for _ in range(size // len(chunk)):
            yield chunk

    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}{path}", data=body(), headers=headers) as answer,
    ):
        return answer.status, await answer.json()


async def test_past_the_upload_limit_the_answer_is_413(prs_and_mcsc: tuple[Node, Node]) -> None:
    prs, _ = prs_and_mcsc  # PRS takes at most 1 MiB here
    status, body = await upload(prs.port, 1 << 20, "CW260009119_052.V21")
    assert status == 202, body
    status, body = await upload(prs.port, (1 << 20) + (64 << 10), "CW260010119_052.V21")
    assert status == 413
    assert body["error"]["code"] == "too_large"
    blobs = [p for p in (prs.config.data_dir / "blobs").rglob("*") if p.is_file()]
    assert all(p.stat().st_size <= 1 << 20 for p in blobs)


async def test_a_large_upload_streams_to_disk(tmp_path: Path) -> None:
    """1 GiB through the API: the process's peak memory grows by far less than the file."""
    ports = {8052: free_port(), 8119: free_port(), 8222: free_port()}
    prs = await start("prs.toml", tmp_path, ports, 8052, max_upload_bytes=2 << 30)
    try:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        status, body = await upload(prs.port, 1 << 30, "CW260011119_052.V21")
        grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert status == 202, body
        assert body["size"] == 1 << 30
        assert grown_mib < 100, f"peak memory grew {grown_mib:.0f} MiB for a 1 GiB upload"
    finally:
        await prs.stop()


async def test_a_file_whose_answer_fails_is_marked_failed_with_its_report_kept(
    prs_and_mcsc: tuple[Node, Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validated, then the ACK cannot be written: failed, the error kept, the report reachable."""
    prs, _ = prs_and_mcsc

    def broken(*_args: object, **_kwargs: object) -> int:
        raise OSError("the ACK writer broke")

    monkeypatch.setattr("gateway.service.pipeline.write_ack", broken)
    base = f"http://127.0.0.1:{prs.port}"
    receipt = await HttpTransport(base, mcsc_key()).send(SUBMISSION.name, SUBMISSION)
    await wait_for(lambda: prs.store.get_submission(receipt.detail).status == "failed")
    failed = prs.store.get_submission(receipt.detail)
    assert failed is not None
    assert "the ACK writer broke" in (failed.error or "")
    assert failed.report_sha is not None
    assert failed.ack_sha is None
    assert prs.store.registrations("119") == []  # nothing of the answer was written
    assert prs.store.list_deliveries(submission_id=receipt.detail) == []
    async with aiohttp.ClientSession() as session:
        status, report = await signed_get(
            session, base, f"/v1/submissions/{receipt.detail}/report", mcsc_key()
        )
    assert status == 200
    assert report["status"] == "accepted"
