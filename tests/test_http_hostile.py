"""Hostile HTTP against real nodes over loopback: each attack gets its documented error, no trace.

Oversized and lying bodies, stalled clients, form-wrapped uploads, unsafe file names and forged
signatures. After each refusal the node still answers ``/v1/health``, and its blob folder holds
no temporary file and no blob of what was refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
import test_service
from aiohttp import web
from test_service import (
    PARTNERS,
    SUBMISSION,
    free_port,
    gema_key,
    mcsc_key,
    registry_text,
    start,
    wait_for,
)
from yarl import URL

from gateway.routing.partners import parse_registry
from gateway.service.api import build_app
from gateway.service.config import PullSpec
from gateway.service.node import Node, pull_inbox
from gateway.service.pipeline import Pipeline
from gateway.service.reconciliations import ReconcileService
from gateway.store.blobs import BlobStore
from gateway.store.sqlite import DEFAULT_BUSY_TIMEOUT_MS, SqliteStore
from gateway.transport.base import DELIVERY_MARKER
from gateway.transport.signing import (
    CLOCK_WINDOW_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    generate_signing_key,
    load_signing_key,
    sign_request,
)

prs_and_mcsc = test_service.prs_and_mcsc  # the running PRS and MCSC nodes, shared by name
HANG_GUARD = 60.0  # seconds; only ever reached by a deadlock
LIMIT = 1 << 20  # PRS's max_upload_bytes in the prs_and_mcsc fixture
DATA = SUBMISSION.read_bytes()
# Wall-clock forgeries sit a minute outside the window: timestamps are whole seconds and the
# request takes time to arrive, so 301 s could land back inside it on a loaded machine.
OUTSIDE_WINDOW = CLOCK_WINDOW_SECONDS + 60


# -- what a node holds -------------------------------------------------------------------------


def temp_files(data_dir: Path) -> list[Path]:
    """Blobs being written (or left half written) in a node's data folder."""
    return sorted((data_dir / "blobs" / "tmp").iterdir())


def nonces(data_dir: Path) -> int:
    """Request nonces a node has recorded: each request that passed its signature check."""
    reader = sqlite3.connect(data_dir / "gateway.db")  # beside the node, as WAL lets a reader
    try:
        return int(reader.execute("SELECT count(*) FROM nonces").fetchone()[0])
    finally:
        reader.close()


def blobs(data_dir: Path) -> set[Path]:
    """Every committed blob of a node."""
    return {p for p in (data_dir / "blobs" / "sha256").rglob("*") if p.is_file()}


def blob_of(data_dir: Path, data: bytes) -> Path:
    """Where the blob of ``data`` is (or would be) stored."""
    sha = hashlib.sha256(data).hexdigest()
    return data_dir / "blobs" / "sha256" / sha[:2] / sha[2:4] / sha


def refusals(log_lines: Callable[[], list[dict[str, object]]]) -> list[tuple[object, object]]:
    """The status and code of each ``request.refused`` event logged so far."""
    return [(e["status"], e["code"]) for e in log_lines() if e["event"] == "request.refused"]


def tree(folder: Path) -> set[Path]:
    """Every path below ``folder``."""
    return set(folder.rglob("*"))


async def assert_healthy(port: int) -> None:
    """The node answers its health check."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/v1/health") as answer,
    ):
        assert answer.status == 200
        assert (await answer.json())["status"] == "ok"


def assert_documented(status: int, body: dict, expected: tuple[int, str]) -> None:
    """The answer is the documented JSON error: this status and code, and a message."""
    assert (status, body["error"]["code"]) == expected, body
    assert body["error"]["message"]


# -- requests as a client of our own makes them ------------------------------------------------


def submission_path(name: str) -> str:
    """The upload target for ``name``, percent-encoded as a careful client would send it."""
    return f"/v1/submissions?file_name={quote(name, safe='')}"


def target(port: int, path: str) -> URL:
    """The URL of ``path`` on the node, sent exactly as signed (no re-quoting)."""
    return URL(f"http://127.0.0.1:{port}{path}", encoded=True)


async def post(
    port: int, path: str, data: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, object]]:
    """POST ``data`` with these headers; the status and the JSON answer."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(target(port, path), data=data, headers=headers) as answer,
    ):
        return answer.status, await answer.json()


async def submit(port: int, name: str, data: bytes) -> tuple[int, dict[str, object]]:
    """A correctly signed upload of ``data`` as ``name`` from MCSC."""
    path = submission_path(name)
    headers = sign_request("POST", path, hashlib.sha256(data).hexdigest(), mcsc_key())
    return await post(port, path, data, headers)


# -- raw sockets, for clients no HTTP library would be ---------------------------------------


def raw_head(
    port: int, path: str, body: bytes, *, length: int, extra: tuple[str, ...] = ()
) -> bytes:
    """A signed POST's request line and headers announcing ``length`` bytes of ``body``."""
    signed = sign_request("POST", path, hashlib.sha256(body).hexdigest(), mcsc_key())
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/octet-stream",
        f"Content-Length: {length}",
        *(f"{name}: {value}" for name, value in signed.items()),
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


@asynccontextmanager
async def raw_client(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A bare TCP connection to the node, closed on the way out."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):  # the node may have closed first
            await writer.wait_closed()


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, object]]:
    """The status and JSON body of the next HTTP response on a raw connection."""
    async with asyncio.timeout(HANG_GUARD):
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        assert length is not None, head
        body = await reader.readexactly(int(length[1]))
    return int(head.split(b" ", 2)[1]), json.loads(body)


# -- a node assembled from its parts, for settings Node does not expose ------------------------


@dataclass
class Intake:
    """PRS's intake (API, pipeline, store, blobs) with no delivery worker or pullers."""

    port: int
    data_dir: Path
    store: SqliteStore
    pipeline: Pipeline


@asynccontextmanager
async def serve_intake(
    tmp_path: Path,
    *,
    body_idle_timeout: float = 60.0,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
) -> AsyncIterator[Intake]:
    """PRS's HTTP intake built as Node builds it, with the timeouts a test needs.

    Node takes neither timeout from its configuration yet, so the parts are put together here.
    """
    registry = parse_registry(registry_text("prs.toml", {}), "prs.toml", base=tmp_path)
    data_dir = tmp_path / "intake"
    store = SqliteStore(data_dir / "gateway.db", busy_timeout_ms=busy_timeout_ms)
    blob_store = BlobStore(data_dir / "blobs")
    pipeline = Pipeline(registry, store, blob_store, max_upload_bytes=LIMIT)
    app = build_app(
        pipeline, ReconcileService("052", store, blob_store), body_idle_timeout=body_idle_timeout
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield Intake(int(runner.addresses[0][1]), data_dir, store, pipeline)
    finally:
        await runner.cleanup()
        await pipeline.drain()
        store.close()


# -- oversized and lying bodies ----------------------------------------------------------------


async def test_a_declared_length_past_the_limit_is_refused_before_the_body_is_asked_for(
    prs_and_mcsc: tuple[Node, Node],
) -> None:
    """Content-Length of limit + 1, Expect: 100-continue: 413 at once, no 100, nothing written."""
    prs, _ = prs_and_mcsc
    path = submission_path("CW260020119_052.V21")
    async with raw_client(prs.port) as (reader, writer):
        writer.write(
            raw_head(prs.port, path, b"", length=LIMIT + 1, extra=("Expect: 100-continue",))
        )
        status, body = await read_answer(reader)  # the first answer: no "100 Continue" before it
    assert_documented(status, body, (413, "too_large"))
    assert temp_files(prs.config.data_dir) == []
    assert blobs(prs.config.data_dir) == set()
    assert prs.store.list_submissions("119") == []
    await assert_healthy(prs.port)


async def test_one_byte_past_the_limit_without_a_length_is_413_and_nothing_is_kept(
    prs_and_mcsc: tuple[Node, Node],
) -> None:
    """A chunked body of limit + 1 bytes is refused; exactly the limit is accepted."""
    prs, _ = prs_and_mcsc

    async def chunked(size: int) -> AsyncIterator[bytes]:
        for offset in range(0, size, 1 << 16):
            yield b"x" * min(1 << 16, size - offset)

    for name, size, expected in (
        ("CW260026119_052.V21", LIMIT + 1, 413),
        ("CW260027119_052.V21", LIMIT, 202),
    ):
        path = submission_path(name)
        digest = hashlib.sha256(b"x" * size).hexdigest()
        headers = sign_request("POST", path, digest, mcsc_key())
        async with (
            aiohttp.ClientSession() as session,
            session.post(target(prs.port, path), data=chunked(size), headers=headers) as answer,
        ):
            assert answer.status == expected, await answer.text()
            if expected == 413:
                assert_documented(answer.status, await answer.json(), (413, "too_large"))
                assert temp_files(prs.config.data_dir) == []
                assert blobs(prs.config.data_dir) == set()
                assert prs.store.list_submissions("119") == []
    assert [s.size for s in prs.store.list_submissions("119")] == [LIMIT]
    await assert_healthy(prs.port)


async def test_a_body_shorter_than_its_length_then_a_hang_up_leaves_nothing(
    prs_and_mcsc: tuple[Node, Node], log_lines, caplog: pytest.LogCaptureFixture
) -> None:
    """Content-Length promises 100 000 bytes, 1 000 come, the client leaves: no file, no row.

    The node logs the refusal as its own event, not as an unhandled exception in aiohttp.
    """
    prs, _ = prs_and_mcsc
    path = submission_path("CW260021119_052.V21")
    promised = b"x" * 100_000
    async with raw_client(prs.port) as (_, writer):
        writer.write(raw_head(prs.port, path, promised, length=len(promised)))
        writer.write(promised[:1000])
        await writer.drain()
        # the request passed its signature check: the node is reading the body
        await wait_for(lambda: nonces(prs.config.data_dir) == 1)
    await wait_for(lambda: refusals(log_lines) != [])
    assert refusals(log_lines) == [(400, "bad_body")]
    assert temp_files(prs.config.data_dir) == []
    assert blobs(prs.config.data_dir) == set()
    assert prs.store.list_submissions("119") == []
    await assert_healthy(prs.port)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


BROKEN_CHUNKS = {
    "a chunk size that is not hex": b"zz\r\nabc\r\n0\r\n\r\n",
    "a chunk longer than its size": b"3\r\nabcdef\r\n0\r\n\r\n",
    "a chunk shorter than its size": b"5\r\nabc\r\n0\r\n\r\n",
}


def chunked_head(port: int, path: str) -> bytes:
    """A signed chunked POST's request line and headers (the body signed as ``abc``)."""
    signed = sign_request("POST", path, hashlib.sha256(b"abc").hexdigest(), mcsc_key())
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Transfer-Encoding: chunked",
        *(f"{name}: {value}" for name, value in signed.items()),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii")


@pytest.mark.parametrize("chunks", BROKEN_CHUNKS.values(), ids=BROKEN_CHUNKS.keys())
async def test_chunked_framing_that_breaks_mid_body_ends_at_the_idle_timeout(
    tmp_path: Path, chunks: bytes
) -> None:
    """aiohttp's parser never ends a body whose framing breaks mid-way: the idle timeout does.

    Without it the upload would wait for the rest of that body for ever.
    """
    async with serve_intake(tmp_path, body_idle_timeout=0.2) as intake:
        async with raw_client(intake.port) as (reader, writer):
            writer.write(chunked_head(intake.port, submission_path("CW260024119_052.V21")))
            writer.write(b"2\r\nab\r\n")
            await writer.drain()
            await wait_for(lambda: nonces(intake.data_dir) == 1)  # the body is being read
            writer.write(chunks)
            status, body = await read_answer(reader)
        assert_documented(status, body, (408, "body_timeout"))
        assert temp_files(intake.data_dir) == []
        assert blobs(intake.data_dir) == set()
        assert intake.store.list_submissions("119") == []
        await assert_healthy(intake.port)


async def test_broken_framing_in_the_first_packet_is_refused_by_the_http_parser(
    prs_and_mcsc: tuple[Node, Node],
) -> None:
    """Framing broken before any route runs gets aiohttp's plain 400, as documented."""
    prs, _ = prs_and_mcsc
    async with raw_client(prs.port) as (reader, writer):
        head = chunked_head(prs.port, submission_path("CW260025119_052.V21"))
        writer.write(head + BROKEN_CHUNKS["a chunk size that is not hex"])
        async with asyncio.timeout(HANG_GUARD):
            answer = await reader.read()
    assert answer.startswith(b"HTTP/1.0 400 Bad Request\r\n")
    assert temp_files(prs.config.data_dir) == []
    assert prs.store.list_submissions("119") == []
    await assert_healthy(prs.port)


# -- slow clients ------------------------------------------------------------------------------


async def test_a_stalled_body_holds_up_no_one_and_leaves_nothing_when_it_hangs_up(
    tmp_path: Path,
) -> None:
    """While one client sits on half a body, others submit and check health; then it leaves."""
    async with serve_intake(tmp_path, body_idle_timeout=HANG_GUARD) as intake:
        path = submission_path("CW260022119_052.V21")
        async with raw_client(intake.port) as (_, writer):
            writer.write(raw_head(intake.port, path, DATA, length=len(DATA)))
            writer.write(DATA[:100])
            await writer.drain()
            await wait_for(lambda: nonces(intake.data_dir) == 1)  # its body is being read
            status, receipt = await submit(intake.port, SUBMISSION.name, DATA)
            assert status == 202, receipt
            await assert_healthy(intake.port)
            await intake.pipeline.drain()  # its report and ACK pass through temporary files too
            # The stalled one holds no file: a body within one write buffer waits in memory.
            assert temp_files(intake.data_dir) == []
        await wait_for(lambda: temp_files(intake.data_dir) == [])
        assert [s.file_name for s in intake.store.list_submissions("119")] == [SUBMISSION.name]


async def test_a_body_that_stops_arriving_is_cut_off_with_408(tmp_path: Path) -> None:
    """Past the idle timeout the stalled upload gets 408 body_timeout, its temp file removed."""
    async with serve_intake(tmp_path, body_idle_timeout=0.2) as intake:
        path = submission_path("CW260023119_052.V21")
        async with raw_client(intake.port) as (reader, writer):
            writer.write(raw_head(intake.port, path, DATA, length=len(DATA)))
            writer.write(DATA[:100])
            await writer.drain()
            status, body = await read_answer(reader)
            assert_documented(status, body, (408, "body_timeout"))
        assert temp_files(intake.data_dir) == []
        assert blobs(intake.data_dir) == set()
        assert intake.store.list_submissions("119") == []
        await assert_healthy(intake.port)
        status, _ = await submit(intake.port, "CW260023119_052.V21", DATA)
        assert status == 202  # the name was not taken by the stalled attempt


def test_the_idle_timeout_must_be_positive(tmp_path: Path) -> None:
    """A zero or negative body idle timeout is a configuration error, not 'no timeout'."""
    registry = parse_registry(registry_text("prs.toml", {}), "prs.toml", base=tmp_path)
    with SqliteStore(tmp_path / "gateway.db") as store:
        blob_store = BlobStore(tmp_path / "blobs")
        pipeline = Pipeline(registry, store, blob_store, max_upload_bytes=LIMIT)
        reconciler = ReconcileService("052", store, blob_store)
        for bad in (0.0, -1.0, float("nan")):
            with pytest.raises(ValueError, match="body_idle_timeout"):
                build_app(pipeline, reconciler, body_idle_timeout=bad)


# -- forms instead of a file -------------------------------------------------------------------

GOOD_FORM = (
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="file"; filename="../../etc/passwd"\r\n'
    b"Content-Type: application/octet-stream\r\n\r\n" + DATA + b"\r\n--XyZ--\r\n"
)
FORMS = {
    "a well-formed form": ("multipart/form-data; boundary=XyZ", GOOD_FORM),
    "a boundary that never comes": ("multipart/form-data; boundary=Other", GOOD_FORM),
    "no boundary parameter": ("multipart/form-data", GOOD_FORM),
    "a part without a file name": (
        "multipart/form-data; boundary=XyZ",
        b'--XyZ\r\nContent-Disposition: form-data; name="file"\r\n\r\n' + DATA + b"\r\n--XyZ--\r\n",
    ),
    "no parts at all": ("multipart/form-data; boundary=XyZ", b"--XyZ--\r\n"),
    "nested junk": (
        "Multipart/Mixed; boundary=a",
        b"--a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\x00\xff--b--\r\n--a",
    ),
    "a urlencoded form": ("application/x-www-form-urlencoded", b"file=" + DATA[:80]),
}


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
async def test_a_form_is_refused_and_does_not_take_the_file_name(
    prs_and_mcsc: tuple[Node, Node], form: tuple[str, bytes]
) -> None:
    """The body is the file: a form of any shape gets 415, is not stored, claims no name."""
    prs, _ = prs_and_mcsc
    content_type, body = form
    path = submission_path(SUBMISSION.name)
    headers = sign_request("POST", path, hashlib.sha256(body).hexdigest(), mcsc_key())
    status, answer = await post(prs.port, path, body, {**headers, "Content-Type": content_type})
    assert_documented(status, answer, (415, "unsupported_media_type"))
    assert blobs(prs.config.data_dir) == set()
    assert temp_files(prs.config.data_dir) == []
    status, receipt = await submit(prs.port, SUBMISSION.name, DATA)
    assert (status, receipt["duplicate"]) == (202, False)


# -- file names --------------------------------------------------------------------------------

UNSAFE_NAMES = {
    "parent folders": "../../etc/passwd",
    "a Windows climb": "..\\..\\x.V21",
    "an absolute path": "/etc/passwd",
    "a sub-folder": "incoming/CW260001119_052.V21",
    "a NUL byte": "CW260001119_052.V21\x00.txt",
    "a line break": "CW260001119_052.V21\r\nX-Injected: 1",
    "a hidden file": ".CW260001119_052.V21",
    "a leading dash": "-rf.V21",
    "dots only": "..",
    "a double-encoded climb": "%2e%2e%2fpasswd",
    "a look-alike digit": "CW26\uff10001119_052.V21",
    "a temporary name": "CW260001119_052.V21.part",
    "a delivery marker": "CW260001119_052.V21.delivery.complete",
    "201 characters": "C" * 197 + ".V21",
    "empty": "",
}


@pytest.mark.parametrize("name", UNSAFE_NAMES.values(), ids=UNSAFE_NAMES.keys())
async def test_an_unsafe_file_name_is_refused_and_nothing_is_written(
    prs_and_mcsc: tuple[Node, Node], tmp_path: Path, name: str
) -> None:
    """A name that is not one plain component gets 400 bad_file_name before a byte is stored."""
    prs, _ = prs_and_mcsc
    before = tree(tmp_path.parent)
    status, answer = await submit(prs.port, name, DATA)
    assert_documented(status, answer, (400, "bad_file_name"))
    assert tree(tmp_path.parent) == before  # nothing new anywhere, inside the data folder or out
    assert prs.store.list_submissions("119") == []
    await assert_healthy(prs.port)


async def test_the_longest_plain_name_is_accepted(prs_and_mcsc: tuple[Node, Node]) -> None:
    """200 characters is the limit (N), 201 the refusal above (N + 1)."""
    prs, _ = prs_and_mcsc
    status, receipt = await submit(prs.port, "C" * 196 + ".V21", DATA)
    assert status == 202, receipt


async def test_a_folder_drop_never_pulls_a_file_with_an_unsafe_name(tmp_path: Path) -> None:
    """The drop-folder puller takes only plain names: the others stay where they were left."""
    drop = tmp_path / "drop"
    drop.mkdir()
    unsafe = ["..\\x.V21", ".hidden.V21", "-rf.V21", "a b.V21", "CW\n.V21", "x.V21.part"]
    for name in [*unsafe, SUBMISSION.name]:
        (drop / name).write_bytes(DATA)
        (drop / (name + DELIVERY_MARKER)).touch()
    ports = {8052: free_port(), 8119: free_port(), 8222: free_port()}
    pull = PullSpec(transport="folder", address=str(drop), interval=0.05)
    prs = await start("prs.toml", tmp_path, ports, 8052, pulls=(pull,))
    try:
        await wait_for(lambda: len(prs.store.list_submissions("119")) == 1)
        await prs.pipeline.drain()
    finally:
        await prs.stop()
    inbox = pull_inbox(prs.config.data_dir, pull)
    assert sorted(p.name for p in inbox.iterdir()) == []  # the plain one was pulled and consumed
    for name in unsafe:
        assert (drop / name).read_bytes() == DATA
        assert not (drop / (name + ".pickup.complete")).exists()


# -- signatures --------------------------------------------------------------------------------


def _signed(path: str, digest: str, **options: float) -> dict[str, str]:
    return sign_request("POST", path, digest, mcsc_key(), **options)


def _without_signature(path: str, digest: str) -> dict[str, str]:
    headers = _signed(path, digest)
    del headers[SIGNATURE_HEADER]
    return headers


def _timestamp_changed(path: str, digest: str) -> dict[str, str]:
    headers = _signed(path, digest)
    headers[TIMESTAMP_HEADER] = str(int(headers[TIMESTAMP_HEADER]) - 1)
    return headers


# Each forgery of an upload's authentication headers, and the code that refuses it.
Forge = Callable[[str, str], dict[str, str]]
FORGERIES: dict[str, tuple[Forge, str]] = {
    "another key under MCSC's id": (
        lambda path, digest: sign_request(
            "POST",
            path,
            digest,
            load_signing_key(PARTNERS / "keys" / "gema.key", key_id="mcsc-demo"),
        ),
        "bad_signature",
    ),
    "a key no one lists": (
        lambda path, digest: sign_request("POST", path, digest, generate_signing_key()),
        "unknown_key",
    ),
    "signed a minute before the window": (
        lambda p, d: _signed(p, d, now=time.time() - OUTSIDE_WINDOW),
        "clock_skew",
    ),
    "signed a minute past the window": (
        lambda p, d: _signed(p, d, now=time.time() + OUTSIDE_WINDOW),
        "clock_skew",
    ),
    "no signature header": (_without_signature, "missing_auth"),
    "a timestamp changed after signing": (_timestamp_changed, "bad_signature"),
    "signed for another file name": (
        lambda _, d: _signed(submission_path("CW260099119_052.V21"), d),
        "bad_signature",
    ),
    "signed as a GET": (
        lambda path, digest: sign_request("GET", path, digest, mcsc_key()),
        "bad_signature",
    ),
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
async def test_a_forged_upload_is_refused_before_its_body_is_stored(
    prs_and_mcsc: tuple[Node, Node], forgery: tuple[Forge, str]
) -> None:
    """Each forgery gets 401 with its documented code; no byte of the body reaches the disk."""
    prs, _ = prs_and_mcsc
    forge, code = forgery
    path = submission_path(SUBMISSION.name)
    headers = forge(path, hashlib.sha256(DATA).hexdigest())
    status, answer = await post(prs.port, path, DATA, headers)
    assert_documented(status, answer, (401, code))
    assert blobs(prs.config.data_dir) == set()
    assert temp_files(prs.config.data_dir) == []
    assert prs.store.list_submissions("119") == []
    await assert_healthy(prs.port)


async def test_a_tampered_body_leaves_no_blob(prs_and_mcsc: tuple[Node, Node]) -> None:
    """A body that does not hash to its signed value is dropped before it becomes a blob."""
    prs, _ = prs_and_mcsc
    path = submission_path(SUBMISSION.name)
    headers = sign_request("POST", path, hashlib.sha256(DATA).hexdigest(), mcsc_key())
    tampered = DATA.replace(b"NWR", b"REV", 1)
    status, answer = await post(prs.port, path, tampered, headers)
    assert_documented(status, answer, (400, "body_mismatch"))
    assert not blob_of(prs.config.data_dir, tampered).exists()
    assert blobs(prs.config.data_dir) == set()
    assert temp_files(prs.config.data_dir) == []


async def test_another_societys_key_submits_only_as_that_society(
    prs_and_mcsc: tuple[Node, Node],
) -> None:
    """GEMA's key on a file named as MCSC's: the file is GEMA's, MCSC's list stays empty."""
    prs, _ = prs_and_mcsc
    path = submission_path(SUBMISSION.name)  # CW260002119_052.V21: MCSC's name
    headers = sign_request("POST", path, hashlib.sha256(DATA).hexdigest(), gema_key())
    status, receipt = await post(prs.port, path, DATA, headers)
    assert status == 202, receipt
    assert receipt["sender"] == "035"
    assert prs.store.list_submissions("119") == []
