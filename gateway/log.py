"""Structured JSON log events and the catalogue that documents them.

Every step of the gateway emits one event through :func:`emit`: a JSON object on one line with
``event``, ``timestamp`` (ISO-8601 UTC, milliseconds, ``Z``), ``level`` and the event's own fields.
:data:`CATALOGUE` names every event, its level and its fields; ``docs/events.md`` mirrors it and a
test keeps the two in step. A processor checks each event against the catalogue: an unknown event
or a missing documented field is recorded (see :func:`take_violations`) and, in strict mode,
raises :class:`LogContractError`. Keys that name secrets are always redacted.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import Final, Self, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

__all__ = [
    "CATALOGUE",
    "LEVELS",
    "REDACTED",
    "EventSpec",
    "LogContractError",
    "bind",
    "configure",
    "emit",
    "monotonic_ms",
    "take_violations",
]

LEVELS: Final = ("debug", "info", "warning", "error", "critical")
REDACTED: Final = "[redacted]"
# Keys the pipeline itself writes; a caller's value would be silently overwritten.
_RESERVED: Final = frozenset({"timestamp", "level"})
# Substrings of key names whose values must never reach a log line.
_SECRET_KEY = re.compile(
    r"secret|passw(or)?d|passphrase|private_?key|signature|authori[sz]ation|api_?key|token"
    r"|credential|cookie",
    re.IGNORECASE,
)
_PEM_PRIVATE_KEY: Final = "PRIVATE KEY-----"
_MAX_RECORDED: Final = 1000  # violations kept for take_violations(); bounded for long runs


class LogContractError(Exception):
    """An event that the catalogue lacks, or one missing a documented field (strict mode)."""


@dataclass(frozen=True, slots=True)
class EventSpec:
    """What one catalogued event means, the level it logs at and the fields it carries."""

    level: str
    description: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"event level {self.level!r} is not one of {', '.join(LEVELS)}")
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))


_NODE = "society code of this gateway, e.g. `052`"
_SUBMISSION = "id of the stored submission (its raw file)"
_SENDER = "society code of the partner that sent the file"
_DURATION = "time the step took, in milliseconds"
_DELIVERY = "id of the outbox entry being delivered"
_RECIPIENT = "society code of the partner the file goes to"
_TRANSPORT = "how the file moves: `http`, `sftp` or `folder`"

CATALOGUE: Final[Mapping[str, EventSpec]] = MappingProxyType(
    {
        "service.started": EventSpec(
            "info",
            "The service is listening and its outbox worker runs.",
            {
                "node": _NODE,
                "host": "address the HTTP server listens on",
                "port": "TCP port the HTTP server listens on",
                "partners": "number of partners in the registry",
            },
        ),
        "service.stopped": EventSpec("info", "The service shut down cleanly.", {"node": _NODE}),
        "request.refused": EventSpec(
            "warning",
            "An HTTP request was answered with an error.",
            {
                "node": _NODE,
                "method": "HTTP method of the request",
                "path": "path of the request (no query string)",
                "status": "HTTP status answered",
                "code": "stable error code of the answer, e.g. `bad_signature`",
                "sender": "society code the request claimed; empty when unknown",
            },
        ),
        "submission.received": EventSpec(
            "info",
            "A file arrived and its raw bytes are stored.",
            {
                "node": _NODE,
                "submission_id": _SUBMISSION,
                "sender": _SENDER,
                "receiver": "society code the file is addressed to",
                "file_name": "name of the file as sent",
                "bytes": "size of the file in bytes",
                "sha256": "SHA-256 of the file, hex",
                "transport": _TRANSPORT,
                "duration_ms": _DURATION,
            },
        ),
        "submission.duplicate": EventSpec(
            "info",
            "A file that was already received arrived again; it has no new effect.",
            {
                "node": _NODE,
                "submission_id": "id given to the repeated arrival",
                "original_id": "id of the submission first received",
                "sender": _SENDER,
                "file_name": "name of the file as sent",
                "reason": "`same_bytes` (equal SHA-256) or `same_name` (file name already used)",
            },
        ),
        "submission.validated": EventSpec(
            "info",
            "A submission was validated against the receiver's rule pack.",
            {
                "node": _NODE,
                "submission_id": _SUBMISSION,
                "sender": _SENDER,
                "format": "detected format, e.g. `cwr`",
                "version": "format version, e.g. `2.1`",
                "status": "`accepted`, `partially_accepted` or `rejected`",
                "transactions": "number of transactions read",
                "accepted": "number of transactions accepted",
                "rejected": "number of transactions rejected",
                "messages": "number of validation messages",
                "duration_ms": _DURATION,
            },
        ),
        "ack.generated": EventSpec(
            "info",
            "An acknowledgement file was written for a submission.",
            {
                "node": _NODE,
                "submission_id": _SUBMISSION,
                "sender": "society code the acknowledgement goes back to",
                "format": "format of the acknowledgement, e.g. `cwr`",
                "accepted": "transactions acknowledged as accepted",
                "rejected": "transactions acknowledged as rejected",
                "duration_ms": _DURATION,
            },
        ),
        "submission.routed": EventSpec(
            "info",
            "A submission's accepted transactions were split among recipients.",
            {
                "node": _NODE,
                "submission_id": _SUBMISSION,
                "recipients": "list of society codes that receive a file",
                "transactions": "number of transactions routed",
                "unroutable": "number of transactions no partner takes",
                "duration_ms": _DURATION,
            },
        ),
        "delivery.enqueued": EventSpec(
            "info",
            "A file for one recipient was encoded and put in the outbox.",
            {
                "node": _NODE,
                "delivery_id": _DELIVERY,
                "submission_id": _SUBMISSION,
                "recipient": _RECIPIENT,
                "format": "format the recipient takes, e.g. `cwr`",
                "version": "format version the recipient takes, e.g. `2.2`",
                "transport": _TRANSPORT,
                "bytes": "size of the encoded file in bytes",
            },
        ),
        "delivery.attempt": EventSpec(
            "info",
            "One try at handing an outbox file to its recipient.",
            {
                "node": _NODE,
                "delivery_id": _DELIVERY,
                "recipient": _RECIPIENT,
                "attempt": "number of this try, from 1",
                "transport": _TRANSPORT,
                "outcome": "`ok`, `retry` (transient error) or `failed` (permanent error, or "
                "the last attempt failed)",
                "error": "what went wrong; empty when the outcome is `ok`",
                "duration_ms": _DURATION,
            },
        ),
        "delivery.delivered": EventSpec(
            "info",
            "The recipient confirmed receipt of an outbox file.",
            {
                "node": _NODE,
                "delivery_id": _DELIVERY,
                "recipient": _RECIPIENT,
                "attempts": "number of tries it took",
                "duration_ms": "time from enqueue to confirmed receipt, in milliseconds",
            },
        ),
        "delivery.dead_lettered": EventSpec(
            "error",
            "An outbox file was given up on; it needs a person.",
            {
                "node": _NODE,
                "delivery_id": _DELIVERY,
                "recipient": _RECIPIENT,
                "attempts": "number of tries made",
                "reason": "why delivery stopped (permanent error or attempts exhausted)",
            },
        ),
        "delivery.requeued": EventSpec(
            "info",
            "A dead-lettered outbox file was put back in the queue by `gateway deliveries "
            "retry`; the delivery worker sends it at its next poll.",
            {
                "node": _NODE,
                "delivery_id": _DELIVERY,
                "recipient": _RECIPIENT,
                "attempts": "number of tries made before it was dead-lettered",
                "last_error": "why it was dead-lettered (kept on the delivery)",
            },
        ),
        "delivery.worker_error": EventSpec(
            "error",
            "The delivery worker could not read or update the outbox; it carries on and tries "
            "again (an unfinished delivery comes back when its lease runs out).",
            {
                "node": _NODE,
                "worker": "id of the delivery worker, unique among those sharing the outbox",
                "error": "what went wrong",
            },
        ),
        "submission.recovery_failed": EventSpec(
            "error",
            "Looking for unfinished submissions to take up failed (the database is away); the "
            "node tries again at its next turn.",
            {
                "node": _NODE,
                "worker": "id of this process among those sharing the database",
                "error": "what went wrong",
            },
        ),
        "worker.started": EventSpec(
            "info",
            "A processing worker process started (`[processing] workers`); it validates, "
            "answers and routes submissions for the node that started it.",
            {
                "node": _NODE,
                "worker": "id of the worker: its node process's id and its slot (-p0, -p1 ...)",
                "pid": "the worker process's id",
            },
        ),
        "worker.lost": EventSpec(
            "warning",
            "A processing worker process died (killed, out of memory, a crash); the node starts "
            "another in its place. The submission it was on is tried once more by the new one, "
            "and marked failed if it kills that one too.",
            {
                "node": _NODE,
                "worker": "id of the worker (the lease owner its replacement keeps)",
                "pid": "the dead process's id",
                "exit_code": "its exit code (negative: the signal that ended it)",
                "submission_id": "the submission it was processing, or null",
                "action": "none, retried or failed: what became of that submission",
                "restart_in_s": "seconds until the replacement starts (more if they die young)",
            },
        ),
        "ack.received": EventSpec(
            "info",
            "A partner's acknowledgement file arrived.",
            {
                "node": _NODE,
                "submission_id": "id of the stored acknowledgement file",
                "sender": "society code of the partner that acknowledged",
                "transactions": "number of acknowledgement transactions in the file",
            },
        ),
        "ack.correlated": EventSpec(
            "info",
            "A partner's acknowledgement was tied to the transactions it answers.",
            {
                "node": _NODE,
                "submission_id": "id of the stored acknowledgement file",
                "sender": "society code of the partner that acknowledged",
                "matched": "acknowledgement transactions tied to a sent transaction",
                "unmatched": "acknowledgement transactions that answer nothing we sent",
                "duration_ms": _DURATION,
            },
        ),
        "registration.updated": EventSpec(
            "info",
            "A work's registration status at one society changed.",
            {
                "node": _NODE,
                "society": "society code whose registration changed",
                "submitter_work_number": "the submitter's own work number",
                "status": "transaction status from the acknowledgement, e.g. `AS`, `RJ`",
                "society_work_number": "the society's work number; empty when not given",
                "iswc": "ISWC of the work; empty when not known",
            },
        ),
        "transfer.pulled": EventSpec(
            "info",
            "A file was fetched from a partner's SFTP server or a watched folder.",
            {
                "node": _NODE,
                "transport": "`sftp` or `folder`",
                "file_name": "name of the fetched file",
                "bytes": "size of the fetched file in bytes",
            },
        ),
        "transfer.intake_failed": EventSpec(
            "error",
            "A pulled file in the node's inbox could not be taken in. With `retried` true (the "
            "database or disk was away) it stays in the inbox and the next pull turn tries "
            "again; with `retried` false (larger than the upload limit) it was moved to the "
            "inbox's `refused/` folder for a person to look at.",
            {
                "node": _NODE,
                "transport": "`sftp` or `folder`",
                "file_name": "name of the pulled file",
                "error": "why intake failed",
                "retried": "true when the file stays in the inbox for the next turn",
            },
        ),
        "reconcile.completed": EventSpec(
            "info",
            "A posted distribution statement was reconciled against this node's registrations.",
            {
                "node": _NODE,
                "sender": "society code of the society that posted the statement",
                "file_name": "name the statement was posted under",
                "statements": "statements reconciled (one per posted file)",
                "lines": "statement lines read",
                "discrepancies": "discrepancies found (every kind)",
                "currency": "home currency of the totals below",
                "paid": "total paid, home currency, exact decimal string",
                "expected": "total our registrations entitle us to for the matched lines",
                "difference": "expected minus matched: positive when underpaid",
                "duration_ms": "time the reconciliation took, in milliseconds",
            },
        ),
        "demo.summary": EventSpec(
            "info",
            "The `gateway demo` run finished.",
            {
                "societies": "number of society gateways in the demo",
                "submissions": "submissions received across all gateways",
                "deliveries": "files delivered across all gateways",
                "acks": "acknowledgements correlated across all gateways",
                "duration_ms": "time the whole demo took, in milliseconds",
            },
        ),
    }
)

_violations: deque[str] = deque(maxlen=_MAX_RECORDED)
_violations_lock = threading.Lock()


def take_violations() -> list[str]:
    """Return the contract violations recorded since the last call, and forget them."""
    with _violations_lock:
        taken = list(_violations)
        _violations.clear()
    return taken


class _Contract:
    """Processor: check an event against the catalogue before the pipeline adds its own keys."""

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        problem = _violation(event_dict)
        if problem is not None:
            with _violations_lock:
                _violations.append(problem)
            if self.strict:
                raise LogContractError(problem)
        return event_dict


def _violation(event_dict: EventDict) -> str | None:
    """Say what is wrong with an event, or ``None`` when it keeps the contract."""
    name = event_dict.get("event")
    spec = CATALOGUE.get(name) if isinstance(name, str) else None
    if spec is None:
        return f"log event {name!r} is not in gateway.log.CATALOGUE (nor docs/events.md)"
    reserved = sorted(_RESERVED & event_dict.keys())
    if reserved:
        return f"log event {name!r} sets reserved key(s): {', '.join(reserved)}"
    missing = [key for key in spec.fields if key not in event_dict]
    if missing:
        return f"log event {name!r} lacks documented field(s): {', '.join(missing)}"
    return None


def _redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Processor: replace values under secret-sounding keys, and PEM private keys anywhere."""
    for key, value in event_dict.items():
        event_dict[key] = _redacted(key, value)
    return event_dict


def _redacted(key: object, value: object) -> object:
    if isinstance(key, str) and _SECRET_KEY.search(key):
        return REDACTED
    if isinstance(value, str):
        return REDACTED if _PEM_PRIVATE_KEY in value else value
    if isinstance(value, Mapping):
        return {k: _redacted(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted(None, item) for item in value]
    return value


def _milliseconds(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Processor: cut TimeStamper's microseconds (``.123456Z``) to milliseconds (``.123Z``)."""
    stamp = event_dict["timestamp"]
    event_dict["timestamp"] = stamp[:-4] + "Z"
    return event_dict


def _standard_keys_first(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Processor: put ``event``, ``timestamp`` and ``level`` first so lines read alike."""
    ordered: EventDict = {key: event_dict.pop(key) for key in ("event", "timestamp", "level")}
    ordered.update(event_dict)
    return ordered


def configure(*, stream: TextIO | None = None, level: str = "info", strict: bool = False) -> None:
    """Set structlog up to write one JSON object a line to ``stream`` (default: stdout).

    Events below ``level`` are dropped. With ``strict``, an event the catalogue lacks or one
    missing a documented field raises :class:`LogContractError`. Calling again reconfigures.
    """
    if level not in LEVELS:
        raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        _Contract(strict=strict),
        _redact_secrets,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="%Y-%m-%dT%H:%M:%S.%fZ", utc=True),
        _milliseconds,
        _standard_keys_first,
        structlog.processors.JSONRenderer(),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # One write call a line: worker processes share the node's stdout, and print() writes
        # the text and its newline apart, so lines of two processes ran into each other. No
        # stream means sys.stdout as it is at each event, so redirection keeps working.
        logger_factory=structlog.WriteLoggerFactory(stream),
        cache_logger_on_first_use=False,  # so a later configure() reaches every caller
    )


def emit(event: str, **fields: object) -> None:
    """Log ``event`` with ``fields`` at the level the catalogue gives it."""
    if not structlog.is_configured():
        configure()
    spec = CATALOGUE.get(event)
    logger = structlog.get_logger("gateway")
    getattr(logger, spec.level if spec is not None else "info")(event, **fields)


class _Binding:
    """Fields bound to the current context; leaving a ``with`` block restores what was there."""

    def __init__(self, fields: Mapping[str, object]) -> None:
        self._tokens = structlog.contextvars.bind_contextvars(**fields)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        structlog.contextvars.reset_contextvars(**self._tokens)


def bind(**fields: object) -> _Binding:
    """Add ``fields`` to every later event in this context (thread or asyncio task).

    Called plainly (``bind(node="052")`` at start-up) the fields stay; used as
    ``with bind(submission_id=...):`` they are restored when the block ends. Tasks created
    afterwards inherit the fields; bind before starting them.
    """
    return _Binding(fields)


def monotonic_ms(start: float) -> int:
    """Milliseconds elapsed since ``start``, a value of :func:`time.monotonic`."""
    return max(0, round((time.monotonic() - start) * 1000))
