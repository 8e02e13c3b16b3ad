"""Files to a partner gateway over HTTP(S), each request signed with the society's Ed25519 key.

The file is streamed from disk twice and never held whole: a first pass hashes it (the hash is
signed), the second sends it with that ``Content-Length``. Errors become the transport tree of
``gateway.transport.base``, so the outbox retries by type::

    TransportError
      TransientError   5xx, 408, 425, 429 (code: the partner's, else http_<status>),
                       refused or reset connections (connection_failed), timeouts (timeout),
                       a source file that changed while it was being sent (source_changed)
      PermanentError   other 4xx and 3xx (the partner's JSON error code, else http_<status>),
                       a success without a submission id (bad_answer), a file name that is not
                       plain (invalid_file_name), a missing source (path_invalid, see
                       ``base.local_error``)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from gateway.transport.base import (
    PermanentError,
    Receipt,
    TransientError,
    check_file_name,
    file_digest,
    local_error,
)
from gateway.transport.signing import EMPTY_SHA256, SigningKey, sha256_hex, sign_request

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

SUBMISSIONS_PATH = "/v1/submissions"
DEFAULT_CHUNK_SIZE = 256 * 1024
# aiohttp has no write timeout, so only ``total`` stops a partner that stops reading; an hour
# leaves room for a large file on a slow link.
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=3600, sock_connect=30, sock_read=300)
MAX_ANSWER_BYTES = 1024 * 1024
# Statuses that say "not now" rather than "never": the outbox tries again later.
RETRY_STATUSES = frozenset({408, 425, 429})
SUCCESS_STATUSES = frozenset({200, 201, 202})

_NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)


class HttpTransport:
    """Sends files to ``{base_url}/v1/submissions`` of a partner gateway, signed.

    ``session_factory`` is called once per send and its session closed afterwards; ``timeout``
    is an ``aiohttp.ClientTimeout`` or a total in seconds; ``chunk_size`` bounds each read from
    disk while sending; ``max_answer_bytes`` bounds how much of the partner's answer is read.
    """

    name = "http"

    def __init__(
        self,
        base_url: str,
        signing_key: SigningKey,
        *,
        session_factory: Callable[[], aiohttp.ClientSession] | None = None,
        timeout: aiohttp.ClientTimeout | float = DEFAULT_TIMEOUT,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1 byte")
        self._base = _base_url(base_url)
        self._key = signing_key
        # A fresh session per send (closed after it): sends are rare and nothing leaks.
        self._session_factory = session_factory or aiohttp.ClientSession
        self._timeout = (
            timeout
            if isinstance(timeout, aiohttp.ClientTimeout)
            else aiohttp.ClientTimeout(total=timeout)
        )
        self._chunk_size = chunk_size
        self._max_answer_bytes = max_answer_bytes

    async def send(self, file_name: str, source: Path) -> Receipt:
        """POST the file at ``source`` as ``file_name``; a receipt holds the submission id."""
        check_file_name(file_name)
        try:
            size, digest = await asyncio.to_thread(file_digest, source)
            handle = await asyncio.to_thread(source.open, "rb")
        except OSError as exc:
            raise local_error(exc, f"cannot read {source}") from exc
        target = f"{self._base.raw_path.rstrip('/')}{SUBMISSIONS_PATH}"
        target += f"?file_name={quote(file_name, safe='')}"
        url = _join(self._base, target)
        headers = sign_request("POST", target, digest, self._key)
        headers["Content-Type"] = "application/octet-stream"
        headers["Content-Length"] = str(size)
        body = _FileBody(handle, size, digest, self._chunk_size)
        try:
            status, answer = await self._post(url, headers, body)
        finally:
            await asyncio.to_thread(handle.close)
        where = f"POST {url.with_query(None)} ({file_name})"
        if status in SUCCESS_STATUSES:
            submission_id = _submission_id(answer)
            if not submission_id:
                raise PermanentError(
                    f"{where}: HTTP {status} without a submission_id", code="bad_answer"
                )
            return Receipt(
                transport=self.name,
                location=str(url),
                bytes=size,
                sha256=digest,
                detail=submission_id,
            )
        code = _error_code(answer) or f"http_{status}"
        message = f"{where}: HTTP {status} {code}"
        if status >= 500 or status in RETRY_STATUSES:
            raise TransientError(message, code=code)
        raise PermanentError(message, code=code)

    async def _post(self, url: URL, headers: dict[str, str], body: _FileBody) -> tuple[int, object]:
        try:
            async with (
                self._session_factory() as session,
                session.post(
                    url,
                    data=body.chunks(),
                    headers=headers,
                    timeout=self._timeout,
                    allow_redirects=False,  # a redirect cannot replay a streamed body
                ) as response,
            ):
                return response.status, await _read_json(response, self._max_answer_bytes)
        except _NETWORK_ERRORS as exc:
            if body.problem:
                raise TransientError(
                    f"POST {url.with_query(None)}: {body.problem}", code="source_changed"
                ) from exc
            raise _network_error("POST", url, exc) from exc


async def signed_get(
    session: aiohttp.ClientSession,
    base_url: str,
    path_qs: str,
    signing_key: SigningKey,
    *,
    max_answer_bytes: int = MAX_ANSWER_BYTES,
) -> tuple[int, Any]:
    """GET ``path_qs`` (raw, under ``base_url``) signed; the status and the JSON answer.

    The answer is None when the body is not JSON or is larger than ``max_answer_bytes``.
    Network failures and timeouts raise ``TransientError``.
    """
    base = _base_url(base_url)
    if not path_qs.startswith("/"):
        raise ValueError(f"path must start with '/': {path_qs!r}")
    target = base.raw_path.rstrip("/") + path_qs
    url = _join(base, target)
    headers = sign_request("GET", target, EMPTY_SHA256, signing_key)
    try:
        async with session.get(url, headers=headers, allow_redirects=False) as response:
            return response.status, await _read_json(response, max_answer_bytes)
    except _NETWORK_ERRORS as exc:
        raise _network_error("GET", url, exc) from exc


async def signed_post(
    session: aiohttp.ClientSession,
    base_url: str,
    path_qs: str,
    body: bytes,
    signing_key: SigningKey,
    *,
    max_answer_bytes: int = MAX_ANSWER_BYTES,
) -> tuple[int, Any]:
    """POST ``body`` (small, in memory) to ``path_qs`` under ``base_url``, signed.

    Returns the status and the JSON answer (None when not JSON or too large); network failures
    and timeouts raise ``TransientError``.
    """
    base = _base_url(base_url)
    if not path_qs.startswith("/"):
        raise ValueError(f"path must start with '/': {path_qs!r}")
    target = base.raw_path.rstrip("/") + path_qs
    url = _join(base, target)
    headers = sign_request("POST", target, sha256_hex(body), signing_key)
    headers["Content-Type"] = "application/octet-stream"
    try:
        async with session.post(url, data=body, headers=headers, allow_redirects=False) as response:
            return response.status, await _read_json(response, max_answer_bytes)
    except _NETWORK_ERRORS as exc:
        raise _network_error("POST", url, exc) from exc


class _FileBody:
    """The source's bytes in chunks, checked against the first pass before the last is sent."""

    def __init__(self, handle: IO[bytes], size: int, sha256: str, chunk_size: int) -> None:
        self._handle = handle
        self._size = size
        self._sha256 = sha256
        self._chunk_size = chunk_size
        self.problem = ""  # why sending stopped early, for the error message

    async def chunks(self) -> AsyncIterator[bytes]:
        digest = hashlib.sha256()
        sent = 0
        while sent < self._size:
            want = min(self._chunk_size, self._size - sent)
            chunk = await asyncio.to_thread(self._handle.read, want)
            if not chunk:
                self.problem = "the source file shrank while it was being sent"
                raise _SourceChangedError(self.problem)
            digest.update(chunk)
            sent += len(chunk)
            # The last chunk is held back if the content differs: the partner never gets a
            # complete body that does not match its signed hash.
            if sent == self._size and digest.hexdigest() != self._sha256:
                self.problem = "the source file changed while it was being sent"
                raise _SourceChangedError(self.problem)
            yield chunk


class _SourceChangedError(Exception):
    """Raised inside the body stream; aiohttp wraps it in a ClientConnectionError."""


def _network_error(method: str, url: URL, exc: BaseException) -> TransientError:
    """A failure on the way (refused, reset, timed out) as a retryable error saying which."""
    code = "timeout" if isinstance(exc, TimeoutError) else "connection_failed"
    reason = str(exc) or type(exc).__name__
    return TransientError(f"{method} {url.with_query(None)}: {code}: {reason}", code=code)


async def _read_json(response: aiohttp.ClientResponse, limit: int) -> object:
    """The answer's JSON, or None if it is not JSON or is larger than ``limit`` bytes."""
    data = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > limit:
            return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _submission_id(answer: object) -> str:
    """The id a successful answer gives the submission, or "" if it gives none usable."""
    value = answer.get("submission_id") if isinstance(answer, dict) else None
    if isinstance(value, str) and value.isprintable() and 0 < len(value) <= 200:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _error_code(answer: object) -> str:
    """The stable ``code`` of a JSON error, flat (``{"code": ..}``) or nested under ``error``."""
    if not isinstance(answer, dict):
        return ""
    nested = answer.get("error")
    code = nested.get("code") if isinstance(nested, dict) else answer.get("code")
    return code if isinstance(code, str) and code.isprintable() and len(code) <= 100 else ""


def _base_url(base_url: str) -> URL:
    url = URL(base_url)
    if url.scheme not in {"http", "https"} or not url.host:
        raise ValueError(f"base_url must be an http(s) URL with a host: {base_url!r}")
    if url.raw_query_string or url.raw_fragment:
        raise ValueError(f"base_url must not carry a query or fragment: {base_url!r}")
    return url


def _join(base: URL, target: str) -> URL:
    """The absolute URL of a raw target, kept encoded exactly as it was signed."""
    return URL(str(base.origin()) + target, encoded=True)
