"""The gateway's HTTP API, versioned under ``/v1/`` (described by ``/v1/openapi.json``).

Every route but health and the OpenAPI document needs a signed request (see
docs/authentication.md); a society sees only its own submissions, reports, ACKs and works —
another society's answer 404, exactly as if they did not exist. Errors are JSON with a stable
``code``. Uploads stream to the blob store and are counted as they come: past the configured cap
the answer is 413 and nothing is kept (aiohttp enforces its own body limit only on ``read()``).
A body is the file's bytes, never a form; one that stalls longer than the idle timeout is cut off
(408), and one that does not hash to its signed value is dropped before it is stored (400). A
store that cannot write (disk full, database busy past its timeout) answers 503
``store_unavailable``; whatever the refusal, no partial file is left behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.http import HttpProcessingError, HttpVersion11
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gateway import log
from gateway.reconcile.claims import claims_by_society
from gateway.reconcile.result import ReconcileError, Reconciliation
from gateway.reports.reconciliation import render_reconciliation_csv, render_reconciliation_html
from gateway.service.openapi import OPENAPI
from gateway.service.reconciliations import (
    ReconcileRequest,
    ReconcileService,
    remittance_from_query,
)
from gateway.store.errors import NotFound, StoreError, TooLarge
from gateway.transport.base import TransportError, check_file_name
from gateway.transport.signing import (
    CONTENT_HEADER,
    AuthError,
    VerifyKey,
    check_body_hash,
    key_ring,
    verify_request,
)

if TYPE_CHECKING:
    from gateway.routing.partners import Registry
    from gateway.service.pipeline import Intake, Pipeline
    from gateway.store.blobs import BlobRef
    from gateway.store.rows import Submission

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC = frozenset({"/v1/health", "/v1/openapi.json"})
CHUNK = 1 << 16
SOCIETY = web.RequestKey("society", str)
RECONCILE_FORMATS = ("json", "csv", "html", "claims")
# aiohttp has no timeout on a request body: without this a client that stops sending holds its
# connection, its handler and a temporary file for as long as it likes.
BODY_IDLE_TIMEOUT_SECONDS = 60.0
# Form encodings wrap the file in an envelope; storing the envelope as the file would also claim
# the file name, so the real upload afterwards would be answered as a duplicate of it.
_FORM_TYPES = ("multipart/", "application/x-www-form-urlencoded")
# The store's own messages name server paths; a partner is told only what it can act on.
STORE_UNAVAILABLE = "the gateway cannot store data right now (disk full or database busy); retry"


class _BodyStalled(Exception):  # noqa: N818 - names the condition, like the store's errors
    """No byte of the request body arrived within the idle timeout."""


def error(status: int, code: str, message: str) -> web.Response:
    """A JSON error with its stable code."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def partner_keys(registry: Registry) -> dict[str, VerifyKey]:
    """The request-signing keys of every partner, by key id."""
    keys = [
        VerifyKey(
            p.credentials.key_id,
            p.society,
            Ed25519PublicKey.from_public_bytes(p.credentials.public_key),
        )
        for p in registry.partners.values()
        if p.credentials.key_id and p.credentials.public_key
    ]
    return key_ring(keys)


def build_app(
    pipeline: Pipeline,
    reconciler: ReconcileService,
    *,
    body_idle_timeout: float = BODY_IDLE_TIMEOUT_SECONDS,
) -> web.Application:
    """The aiohttp application of one gateway node.

    ``body_idle_timeout`` is how many seconds an upload may go without sending a byte before it
    is answered 408 ``body_timeout`` and its temporary file removed.
    """
    if not body_idle_timeout > 0:
        raise ValueError(f"body_idle_timeout must be positive, got {body_idle_timeout}")
    keys = partner_keys(pipeline.registry)
    node = pipeline.node

    @web.middleware
    async def translate_store_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        """A store failure anywhere (the nonce check included) is a JSON error, not a 500."""
        try:
            return await handler(request)
        except StoreError as failed:
            log.emit(
                "request.refused",
                node=node,
                method=request.method,
                path=request.path,
                status=failed.http_status,
                code=failed.code,
                sender=request.get(SOCIETY, ""),
            )
            message = STORE_UNAVAILABLE if failed.http_status >= 500 else str(failed)
            return error(failed.http_status, failed.code, message)

    def remember(key_id: str, nonce: str, expires_at: float) -> bool:
        now = datetime.now(UTC)
        until = datetime.fromtimestamp(expires_at, UTC)
        return pipeline.store.remember_nonce(key_id, nonce, now, until)

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC:
            return await handler(request)
        try:
            society = await asyncio.to_thread(
                verify_request,
                request.method,
                request.raw_path,
                request.headers,
                keys,
                now=time.time(),
                remember_nonce=remember,
            )
        except AuthError as refused:
            log.emit(
                "request.refused",
                node=node,
                method=request.method,
                path=request.path,
                status=refused.status,
                code=refused.code,
                sender=request.headers.get("X-Gateway-Key", "")[:64],
            )
            return error(refused.status, refused.code, refused.message)
        request[SOCIETY] = society
        return await handler(request)

    app = web.Application(
        middlewares=[translate_store_errors, authenticate], client_max_size=1 << 20
    )
    routes = _Routes(pipeline, reconciler, body_idle_timeout)
    app.router.add_get("/v1/health", routes.health)
    app.router.add_get("/v1/openapi.json", routes.openapi)
    app.router.add_post("/v1/submissions", routes.submit, expect_handler=routes.expect_body)
    app.router.add_get("/v1/submissions", routes.list_submissions)
    app.router.add_get("/v1/submissions/{id}", routes.submission)
    app.router.add_get("/v1/submissions/{id}/report", routes.report)
    app.router.add_get("/v1/submissions/{id}/ack", routes.ack)
    app.router.add_get("/v1/registrations", routes.registrations)
    app.router.add_post("/v1/reconciliations", routes.reconcile, expect_handler=routes.expect_body)
    return app


class _Routes:
    def __init__(
        self, pipeline: Pipeline, reconciler: ReconcileService, body_idle_timeout: float
    ) -> None:
        self.pipeline = pipeline
        self.node = pipeline.node
        self.reconciler = reconciler
        self.body_idle_timeout = body_idle_timeout

    async def health(self, _request: web.Request) -> web.Response:
        counts = await asyncio.to_thread(self.pipeline.store.delivery_counts)
        return web.json_response(
            {
                "status": "ok",
                "node": self.node,
                "pending_deliveries": counts["pending"] + counts["in_flight"],
                "dead_deliveries": counts["dead"],
            }
        )

    async def openapi(self, _request: web.Request) -> web.Response:
        return web.json_response(OPENAPI)

    async def submit(self, request: web.Request) -> web.Response:
        sender = request[SOCIETY]
        name = request.query.get("file_name", "")
        try:
            check_file_name(name)
        except TransportError as bad:
            return self._refuse(request, 400, "bad_file_name", str(bad), sender)
        started = time.monotonic()
        blob = await self._store_body(
            request, sender, hold_up_to=self.pipeline.kept_in_database_bytes
        )
        if isinstance(blob, web.Response):
            return blob
        intake = await self.pipeline.accept(
            sender, name, blob.sha256, blob.size, "http", started, content=blob.data
        )
        return web.json_response(_receipt(intake), status=200 if intake.duplicate_of else 202)

    async def expect_body(self, request: web.Request) -> web.Response | None:
        """Before a client sends its body (``Expect: 100-continue``): refuse it or invite it.

        aiohttp's own handler invites every body, even one whose headers already condemn it.
        """
        refusal = self._refuse_by_headers(request, "")  # not authenticated yet: no sender
        if refusal is not None:
            return refusal
        expects = request.headers.get("Expect", "").lower() == "100-continue"
        if expects and request.version == HttpVersion11:
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            request.writer.output_size = 0  # the interim answer is not part of the response
        return None

    def _refuse_by_headers(self, request: web.Request, sender: str) -> web.Response | None:
        """The refusal of a body its headers condemn (a form, a length past the cap), if any."""
        limit = self.pipeline.max_upload_bytes
        if request.content_type.startswith(_FORM_TYPES):
            message = "send the file's bytes as the body (application/octet-stream), not a form"
            return self._refuse(request, 415, "unsupported_media_type", message, sender)
        if request.content_length is not None and request.content_length > limit:
            return self._refuse(
                request, 413, "too_large", f"the file exceeds {limit} bytes", sender
            )
        return None

    async def _store_body(
        self, request: web.Request, sender: str, *, hold_up_to: int = 0
    ) -> BlobRef | web.Response:
        """The request body in the blob store (size capped, hash checked), or the refusal.

        Every refusal happens before the blob is committed, so it leaves no file behind. A body
        within ``hold_up_to`` bytes is held, not written (see ``BlobStore.put_stream``).
        """
        limit = self.pipeline.max_upload_bytes
        refusal = self._refuse_by_headers(request, sender)
        if refusal is not None:
            return refusal
        try:
            return await self.pipeline.blobs.put_stream(
                self._body(request), max_bytes=limit, hold_up_to=hold_up_to
            )
        except TooLarge:
            return self._refuse(
                request, 413, "too_large", f"the file exceeds {limit} bytes", sender
            )
        except AuthError as mismatch:
            return self._refuse(request, mismatch.status, mismatch.code, mismatch.message, sender)
        except _BodyStalled:
            message = f"no body bytes arrived for {self.body_idle_timeout:g} s"
            refusal = self._refuse(request, 408, "body_timeout", message, sender)
            refusal.force_close()  # the rest of a stalled body is not worth waiting for
            return refusal
        except (HttpProcessingError, ConnectionError):
            # Broken chunked framing, or a hang-up before Content-Length bytes: the client may
            # be gone, but the refusal is still logged rather than left to aiohttp's traceback.
            message = "the body could not be read whole (broken framing or connection lost)"
            refusal = self._refuse(request, 400, "bad_body", message, sender)
            refusal.force_close()
            return refusal

    async def _body(self, request: web.Request) -> AsyncIterator[bytes]:
        """The body's chunks, each due within the idle timeout; its hash is checked at the end.

        Raising from here (stalled, or not the signed bytes) makes the blob store abort the blob.
        """
        digest = hashlib.sha256()
        while True:
            try:
                async with asyncio.timeout(self.body_idle_timeout):
                    chunk = await request.content.read(CHUNK)
            except TimeoutError:
                raise _BodyStalled from None
            if not chunk:
                break
            digest.update(chunk)
            yield chunk
        check_body_hash(request.headers.get(CONTENT_HEADER, ""), digest.hexdigest())

    async def reconcile(self, request: web.Request) -> web.Response:
        sender = request[SOCIETY]
        answer = request.query.get("format", "json")
        if answer not in RECONCILE_FORMATS:
            return error(400, "bad_format", f"format must be one of {', '.join(RECONCILE_FORMATS)}")
        try:
            remittance = remittance_from_query(dict(request.query))
        except ReconcileError as bad:
            return self._refuse(request, 400, "bad_remittance", str(bad), sender)
        blob = await self._store_body(request, sender)
        if isinstance(blob, web.Response):
            return blob
        asked = ReconcileRequest(
            sender=sender,
            statement_sha=blob.sha256,
            file_name=request.query.get("file_name", "")[:200] or f"statement-{blob.sha256[:12]}",
            remittance=remittance,
            home=request.query.get("home") or None,
        )
        try:
            result = await asyncio.to_thread(self.reconciler.reconcile, asked)
        except ReconcileError as refused:
            return self._refuse(request, 422, refused.code, str(refused), sender)
        return _rendered(result, answer, blob.sha256)

    def _refuse(
        self, request: web.Request, status: int, code: str, message: str, sender: str
    ) -> web.Response:
        log.emit(
            "request.refused",
            node=self.node,
            method=request.method,
            path=request.path,
            status=status,
            code=code,
            sender=sender,
        )
        return error(status, code, message)

    async def _own(self, request: web.Request) -> Submission | web.Response:
        submission = await asyncio.to_thread(
            self.pipeline.store.get_submission, request.match_info["id"]
        )
        if submission is None or submission.sender != request[SOCIETY]:
            return error(404, "not_found", "no such submission")
        return submission

    async def list_submissions(self, request: web.Request) -> web.Response:
        found = await asyncio.to_thread(self.pipeline.store.list_submissions, request[SOCIETY])
        return web.json_response({"submissions": [_submission(s) for s in found]})

    async def submission(self, request: web.Request) -> web.Response:
        found = await self._own(request)
        if isinstance(found, web.Response):
            return found
        deliveries = await asyncio.to_thread(
            self.pipeline.store.list_deliveries, submission_id=found.id
        )
        body = _submission(found)
        body["deliveries"] = [
            {
                "id": d.id,
                "recipient": d.recipient,
                "file_name": d.file_name,
                "state": d.state,
                "attempts": d.attempts,
            }
            for d in deliveries
        ]
        return web.json_response(body)

    async def report(self, request: web.Request) -> web.StreamResponse:
        found = await self._own(request)
        if isinstance(found, web.Response):
            return found
        if not found.report_sha:
            return error(409, "not_ready", "the submission has not been validated yet")
        return await self._blob(found.report_sha, "application/json")

    async def ack(self, request: web.Request) -> web.StreamResponse:
        found = await self._own(request)
        if isinstance(found, web.Response):
            return found
        if not found.ack_sha:
            return error(409, "not_ready", "no acknowledgement has been made yet")
        xml = (found.ack_file_name or "").endswith(".xml")
        return await self._blob(found.ack_sha, "application/xml" if xml else "text/plain")

    async def _blob(self, sha256: str, content_type: str) -> web.StreamResponse:
        blobs = self.pipeline.blobs
        try:
            path = blobs.path(sha256)
            if not path.is_file():  # a small file kept in the database
                with await asyncio.to_thread(blobs.open, sha256) as stream:
                    return web.Response(body=stream.read(), headers={"Content-Type": content_type})
        except (NotFound, ValueError):
            return error(404, "not_found", "gone")
        return web.FileResponse(path, headers={"Content-Type": content_type})

    async def registrations(self, request: web.Request) -> web.Response:
        work = request.query.get("submitter_work_number") or None
        found = await asyncio.to_thread(self.pipeline.store.registrations, request[SOCIETY], work)
        return web.json_response({"registrations": [_plain(asdict(r)) for r in found]})


def _rendered(result: Reconciliation, answer: str, statement_sha: str) -> web.Response:
    """The reconciliation in the format asked for."""
    if answer == "csv":
        return web.Response(text=render_reconciliation_csv(result), content_type="text/csv")
    if answer == "html":
        return web.Response(text=render_reconciliation_html(result), content_type="text/html")
    if answer == "claims":
        return web.json_response({"claims": claims_by_society(result)})
    body = result.to_dict()
    body["statement_sha256"] = statement_sha
    return web.json_response(body)


def _receipt(intake: Intake) -> dict[str, Any]:
    body = _submission(intake.submission)
    body["submission_id"] = intake.submission.id
    body["duplicate"] = intake.duplicate_of is not None
    if intake.reason:
        body["duplicate_reason"] = intake.reason
    return body


def _submission(submission: Submission) -> dict[str, Any]:
    return _plain(asdict(submission))


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(row, default=str))  # type: ignore[no-any-return]
