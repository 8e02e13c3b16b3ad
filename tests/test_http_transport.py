"""Tests of gateway.transport.http against a small real partner gateway on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestServer

from gateway.transport.base import PermanentError, Receipt, TransientError
from gateway.transport.http import HttpTransport, signed_get
from gateway.transport.signing import (
    CONTENT_HEADER,
    AuthError,
    NonceCache,
    VerifyKey,
    check_body_hash,
    generate_signing_key,
    key_ring,
    verify_request,
)

PRS = generate_signing_key()
STRANGER = generate_signing_key()
HANG_GUARD = 20  # seconds; only stops a broken test from hanging the suite


@dataclass
class Arrival:
    """One submission as the partner stored it."""

    society: str
    file_name: str
    path: Path
    sha256: str
    chunks: int
    content_type: str
    content_length: str | None


@dataclass
class Partner:
    """A receiving gateway in miniature: verifies each request, streams bodies to disk."""

    inbox: Path
    keys: dict[str, VerifyKey] = field(default_factory=lambda: key_ring([PRS.verify_key("052")]))
    forced: tuple[int, object] | None = None  # answer every POST with this (status, body)
    stall: asyncio.Event | None = None  # never answer until set
    arrivals: list[Arrival] = field(default_factory=list)
    nonces: NonceCache = field(default_factory=NonceCache)

    def authenticate(self, request: web.Request) -> str:
        return verify_request(
            request.method,
            request.raw_path,
            request.headers,
            self.keys,
            now=time.time(),
            remember_nonce=self.nonces,
        )

    async def submit(self, request: web.Request) -> web.StreamResponse:
        if self.stall is not None:
            await self.stall.wait()
        if self.forced is not None:
            status, body = self.forced
            if isinstance(body, str):
                return web.Response(status=status, text=body)
            return web.json_response(body, status=status)
        try:
            society = self.authenticate(request)
            arrival = await self._store(request, society)
            check_body_hash(request.headers[CONTENT_HEADER], arrival.sha256)
        except AuthError as error:
            return web.json_response({"code": error.code}, status=error.status)
        self.arrivals.append(arrival)
        return web.json_response({"submission_id": f"sub-{len(self.arrivals)}"}, status=201)

    async def status(self, request: web.Request) -> web.StreamResponse:
        try:
            society = self.authenticate(request)
            check_body_hash(request.headers[CONTENT_HEADER], hashlib.sha256(b"").hexdigest())
        except AuthError as error:
            return web.json_response({"code": error.code}, status=error.status)
        if request.match_info["sid"] == "plain":
            return web.Response(text="not json")
        return web.json_response({"society": society, "id": request.match_info["sid"]})

    async def _store(self, request: web.Request, society: str) -> Arrival:
        path = self.inbox / f"{len(self.arrivals)}.bin"
        digest = hashlib.sha256()
        chunks = 0
        with path.open("wb") as out:
            async for chunk in request.content.iter_any():
                digest.update(chunk)
                out.write(chunk)
                chunks += 1
        return Arrival(
            society=society,
            file_name=request.query["file_name"],
            path=path,
            sha256=digest.hexdigest(),
            chunks=chunks,
            content_type=request.headers.get("Content-Type", ""),
            content_length=request.headers.get("Content-Length"),
        )

    def app(self, prefix: str = "") -> web.Application:
        app = web.Application()
        app.router.add_post(prefix + "/v1/submissions", self.submit)
        app.router.add_get(prefix + "/v1/submissions/{sid}", self.status)
        return app


@pytest.fixture
def partner(tmp_path: Path) -> Partner:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return Partner(inbox)


@pytest.fixture
async def server(partner: Partner) -> AsyncIterator[BaseTestServer]:
    async with TestServer(partner.app(), host="127.0.0.1") as running:
        yield running


def _base(server: BaseTestServer, prefix: str = "") -> str:
    return str(server.make_url(prefix))


def _file(tmp_path: Path, data: bytes, name: str = "CW250001052_035.V21") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


async def _send(transport: HttpTransport, name: str, source: Path) -> Receipt:
    return await asyncio.wait_for(transport.send(name, source), HANG_GUARD)


async def test_send_arrives_intact_and_signed(
    server: BaseTestServer, partner: Partner, tmp_path: Path
) -> None:
    """A file is received byte for byte, authenticated as its society, and receipted."""
    data = b"HDRSO000000052PRS\r\n" * 500
    source = _file(tmp_path, data)
    receipt = await _send(HttpTransport(_base(server), PRS), "CW250001052_035.V21", source)
    [arrival] = partner.arrivals
    assert arrival.path.read_bytes() == data
    assert (arrival.society, arrival.file_name) == ("052", "CW250001052_035.V21")
    assert arrival.content_type == "application/octet-stream"
    assert arrival.content_length == str(len(data))
    digest = hashlib.sha256(data).hexdigest()
    assert (receipt.transport, receipt.bytes, receipt.sha256) == ("http", len(data), digest)
    assert receipt.detail == "sub-1"
    assert "/v1/submissions" in receipt.location


@pytest.mark.parametrize("name", ["", "CW25 0001.V21", "../CW250001.V21", "x" * 201, "a.part"])
async def test_unplain_file_name_is_refused_before_sending(
    server: BaseTestServer, partner: Partner, tmp_path: Path, name: str
) -> None:
    """Names other transports could not carry safely are refused here too, with nothing sent."""
    with pytest.raises(PermanentError) as caught:
        await _send(HttpTransport(_base(server), PRS), name, _file(tmp_path, b"HDR"))
    assert caught.value.code == "invalid_file_name"
    assert partner.arrivals == []


async def test_base_url_with_a_path_prefix(partner: Partner, tmp_path: Path) -> None:
    """A partner served under a prefix gets the prefix in the signed target."""
    async with TestServer(partner.app("/gw"), host="127.0.0.1") as running:
        transport = HttpTransport(_base(running, "/gw/"), PRS)
        receipt = await _send(transport, "a.V21", _file(tmp_path, b"x"))
    assert receipt.detail == "sub-1"
    assert "/gw/v1/submissions" in receipt.location


async def test_empty_file_is_sent_with_zero_length(
    server: BaseTestServer, partner: Partner, tmp_path: Path
) -> None:
    """An empty file is still a well-formed signed request (the partner judges its content)."""
    receipt = await _send(HttpTransport(_base(server), PRS), "e.V21", _file(tmp_path, b""))
    assert receipt.bytes == 0
    assert partner.arrivals[0].content_length == "0"


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (500, {"code": "internal"}, "internal"),
        (503, "busy", "http_503"),
        (429, {}, "http_429"),
        (408, {}, "http_408"),
    ],
)
async def test_server_trouble_is_transient(
    server: BaseTestServer,
    partner: Partner,
    tmp_path: Path,
    *,
    status: int,
    body: object,
    code: str,
) -> None:
    """5xx, 429 and 408 answers raise TransientError so the outbox tries again."""
    partner.forced = (status, body)
    with pytest.raises(TransientError, match=str(status)) as caught:
        await _send(HttpTransport(_base(server), PRS), "a.V21", _file(tmp_path, b"x"))
    assert caught.value.code == code


async def test_refusal_is_permanent_with_the_partners_code(
    server: BaseTestServer, partner: Partner, tmp_path: Path
) -> None:
    """A 403 with a JSON error raises PermanentError carrying that error's code."""
    partner.forced = (403, {"code": "not_your_submission", "message": "no"})
    with pytest.raises(PermanentError) as caught:
        await _send(HttpTransport(_base(server), PRS), "a.V21", _file(tmp_path, b"x"))
    assert caught.value.code == "not_your_submission"


async def test_nested_error_code_and_plain_text_refusals(
    server: BaseTestServer, partner: Partner, tmp_path: Path
) -> None:
    """Codes nested under "error" are found; a body without one gets http_<status>."""
    transport = HttpTransport(_base(server), PRS)
    source = _file(tmp_path, b"x")
    partner.forced = (413, {"error": {"code": "too_large"}})
    with pytest.raises(PermanentError) as caught:
        await _send(transport, "a.V21", source)
    assert caught.value.code == "too_large"
    partner.forced = (404, "<html>not found</html>")
    with pytest.raises(PermanentError) as caught:
        await _send(transport, "a.V21", source)
    assert caught.value.code == "http_404"


async def test_unknown_key_is_refused_by_the_real_verifier(
    server: BaseTestServer, partner: Partner, tmp_path: Path
) -> None:
    """A society whose key the partner does not list gets a PermanentError unknown_key."""
    with pytest.raises(PermanentError) as caught:
        await _send(HttpTransport(_base(server), STRANGER), "a.V21", _file(tmp_path, b"x"))
    assert caught.value.code == "unknown_key"
    assert partner.arrivals == []


@pytest.mark.parametrize("body", [{}, {"submission_id": ""}, {"submission_id": True}, "ok"])
async def test_success_without_submission_id_is_permanent(
    server: BaseTestServer, partner: Partner, tmp_path: Path, body: object
) -> None:
    """A 2xx that names no submission is a broken partner, not worth retrying."""
    partner.forced = (200, body)
    with pytest.raises(PermanentError, match="submission_id") as caught:
        await _send(HttpTransport(_base(server), PRS), "a.V21", _file(tmp_path, b"x"))
    assert caught.value.code == "bad_answer"


async def test_redirect_is_not_followed(
    server: BaseTestServer, partner: Partner, tmp_path: Path
) -> None:
    """A 3xx is refused: a streamed, signed body cannot be replayed elsewhere."""
    partner.forced = (307, {})
    with pytest.raises(PermanentError, match="307"):
        await _send(HttpTransport(_base(server), PRS), "a.V21", _file(tmp_path, b"x"))


async def test_server_down_is_transient(tmp_path: Path) -> None:
    """A refused connection raises TransientError."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = HttpTransport(f"http://127.0.0.1:{port}", PRS)
    with pytest.raises(TransientError, match=str(port)) as caught:
        await _send(transport, "a.V21", _file(tmp_path, b"x"))
    assert caught.value.code == "connection_failed"


async def test_stalled_partner_times_out_as_transient(
    server: BaseTestServer, partner: Partner, tmp_path: Path
) -> None:
    """A partner that never answers trips the injected timeout, a TransientError."""
    partner.stall = asyncio.Event()
    transport = HttpTransport(_base(server), PRS, timeout=0.2)
    try:
        with pytest.raises(TransientError) as caught:
            await _send(transport, "a.V21", _file(tmp_path, b"x"))
        assert caught.value.code == "timeout"
    finally:
        partner.stall.set()


async def test_missing_source_is_permanent(server: BaseTestServer, tmp_path: Path) -> None:
    """A source file that does not exist raises PermanentError naming it."""
    with pytest.raises(PermanentError, match=r"absent\.V21") as caught:
        await _send(HttpTransport(_base(server), PRS), "a.V21", tmp_path / "absent.V21")
    assert caught.value.code == "path_invalid"


def _changing_session(source: Path, data: bytes) -> Callable[[], aiohttp.ClientSession]:
    """A session factory that rewrites the source between the hashing pass and the sending one."""

    def factory() -> aiohttp.ClientSession:
        source.write_bytes(data)
        return aiohttp.ClientSession()

    return factory


@pytest.mark.parametrize(
    ("replacement", "reason"), [(b"HDR", "shrank"), (b"HDRx" * 5000, "changed")]
)
async def test_source_changed_during_send_is_caught(
    server: BaseTestServer,
    partner: Partner,
    tmp_path: Path,
    replacement: bytes,
    reason: str,
) -> None:
    """A file rewritten after hashing is not delivered as if it were what was signed."""
    source = _file(tmp_path, b"HDRy" * 5000)
    factory = _changing_session(source, replacement)
    transport = HttpTransport(_base(server), PRS, session_factory=factory, chunk_size=4096)
    with pytest.raises(TransientError, match=reason) as caught:
        await _send(transport, "a.V21", source)
    assert caught.value.code == "source_changed"
    assert partner.arrivals == []


async def test_large_file_is_streamed_not_read_whole(
    server: BaseTestServer, partner: Partner, tmp_path: Path
) -> None:
    """A 20 MB file arrives in many chunks while the process never holds a fraction of it."""
    size = 20 * 1024 * 1024
    source = tmp_path / "big.V21"
    block = bytes(range(256)) * 4096  # 1 MiB
    with source.open("wb") as out:
        for _ in range(size // len(block)):
            out.write(block)
    transport = HttpTransport(_base(server), PRS, chunk_size=64 * 1024)
    tracemalloc.start()
    try:
        receipt = await _send(transport, "big.V21", source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [arrival] = partner.arrivals
    assert receipt.bytes == size
    assert arrival.sha256 == receipt.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert arrival.chunks > 10
    assert peak < size // 4, f"peak {peak} bytes while sending {size}"


async def test_signed_get_returns_status_and_json(server: BaseTestServer) -> None:
    """A signed GET is authenticated by the partner; a non-JSON answer comes back as None."""
    async with aiohttp.ClientSession() as session:
        status, answer = await signed_get(session, _base(server), "/v1/submissions/7", PRS)
        assert (status, answer) == (200, {"society": "052", "id": "7"})
        status, answer = await signed_get(session, _base(server), "/v1/submissions/plain", PRS)
        assert (status, answer) == (200, None)
        status, answer = await signed_get(session, _base(server), "/v1/submissions/7", STRANGER)
        assert (status, answer) == (401, {"code": "unknown_key"})


async def test_signed_get_to_a_dead_server_is_transient() -> None:
    """Connection failures of a signed GET raise TransientError."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TransientError):
            await signed_get(session, f"http://127.0.0.1:{port}", "/v1/submissions/1", PRS)


@pytest.mark.parametrize("base", ["ftp://host", "127.0.0.1:8080", "http://h/?q=1", "http:///x"])
def test_unusable_base_url_is_refused(base: str) -> None:
    """Only an http(s) URL with a host and without a query is a base URL."""
    with pytest.raises(ValueError, match="base_url"):
        HttpTransport(base, PRS)
