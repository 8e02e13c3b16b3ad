"""Dead letters: list a node's outbox and put dead deliveries back in its queue.

The logic behind ``gateway deliveries list`` and ``gateway deliveries retry``; the command line
only parses arguments and prints. The command works on the node's store (SQLite or PostgreSQL)
beside the running node, not through it: a requeued delivery is due at once, and the node's
delivery worker, which polls the outbox every 0.2 s when idle, claims it at its next poll.

Errors::

    OutboxError        the node's configuration, registry or database cannot be used
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gateway import log
from gateway.routing.partners import load_registry
from gateway.service.config import load_config
from gateway.service.node import open_store
from gateway.store import Delivery, DeliveryState, StoreError

if TYPE_CHECKING:
    from pathlib import Path

    from gateway.service.config import ServiceConfig
    from gateway.store import Store

NO_SUCH_DELIVERY = "no such delivery"
_WHITESPACE = re.compile(r"\s+")


class OutboxError(Exception):
    """The node's outbox cannot be reached: bad configuration or registry, or no database."""


@dataclass(frozen=True, slots=True)
class Outbox:
    """A node's outbox as the command sees it: the node's society code and its store."""

    node: str
    store: Store


@dataclass(frozen=True, slots=True)
class RetryResult:
    """What a retry did: the deliveries requeued, and why each other one asked for was not."""

    requeued: tuple[Delivery, ...]
    refused: dict[str, str]  # delivery id -> why it was not requeued

    @property
    def complete(self) -> bool:
        """True when every delivery asked for was requeued."""
        return not self.refused


@contextmanager
def open_outbox(config_path: Path) -> Iterator[Outbox]:
    """The outbox of the node ``config_path`` configures, closed on leaving the block."""
    try:
        config = load_config(config_path)
        node = load_registry(config.registry).node.society
        _require_database(config)
        store = open_store(config)
    except (ValueError, StoreError) as error:  # ConfigError and RegistryError are ValueErrors
        raise OutboxError(str(error)) from error
    try:
        yield Outbox(node, store)
    finally:
        store.close()


def _require_database(config: ServiceConfig) -> None:
    """Refuse a SQLite node that has no database yet, rather than create an empty one."""
    database = config.data_dir / "gateway.db"  # where node.open_store keeps a SQLite node's state
    if not config.store.url and not database.is_file():
        raise OutboxError(f"no database at {database}: has this node run yet?")


def list_deliveries(
    store: Store, *, state: DeliveryState | None = None, recipient: str | None = None
) -> list[Delivery]:
    """The outbox's deliveries, oldest first, in one state and to one recipient if given."""
    return [
        delivery
        for delivery in store.list_deliveries(state=state)
        if recipient is None or delivery.recipient == recipient
    ]


def retry_dead(
    outbox: Outbox,
    now: datetime,
    *,
    delivery_ids: Sequence[str] | None = None,
    recipient: str | None = None,
) -> RetryResult:
    """Requeue the dead deliveries asked for (all of them when ``delivery_ids`` is None).

    Only ``recipient``'s when given. Emits ``delivery.requeued`` for each one requeued, with the
    tries it had made before it died; says why each other one asked for was not requeued.
    """
    before = _as_they_are(outbox.store, delivery_ids, recipient)
    dead = [id_ for id_, found in before.items() if _requeueable(found, recipient)]
    requeued = outbox.store.requeue_dead(now, delivery_ids=dead, recipient=recipient)
    for delivery in requeued:
        _log_requeued(outbox.node, before[delivery.id] or delivery)
    done = {delivery.id for delivery in requeued}
    refused = {
        id_: _why_not_requeued(found, recipient) for id_, found in before.items() if id_ not in done
    }
    return RetryResult(tuple(requeued), refused)


def _as_they_are(
    store: Store, delivery_ids: Sequence[str] | None, recipient: str | None
) -> dict[str, Delivery | None]:
    """The deliveries asked for, read before the retry: what they died of stays known."""
    if delivery_ids is None:
        return {d.id: d for d in list_deliveries(store, state="dead", recipient=recipient)}
    return {id_: store.get_delivery(id_) for id_ in dict.fromkeys(delivery_ids)}


def _requeueable(delivery: Delivery | None, recipient: str | None) -> bool:
    return (
        delivery is not None
        and delivery.state == "dead"
        and (recipient is None or delivery.recipient == recipient)
    )


def _why_not_requeued(delivery: Delivery | None, recipient: str | None) -> str:
    if delivery is None:
        return NO_SUCH_DELIVERY
    if delivery.state != "dead":
        return f"is {delivery.state}, not dead"
    if recipient is not None and delivery.recipient != recipient:
        return f"goes to {delivery.recipient}, not {recipient}"
    return "is no longer dead (requeued by someone else meanwhile)"


def _log_requeued(node: str, dead: Delivery) -> None:
    log.emit(
        "delivery.requeued",
        node=node,
        delivery_id=dead.id,
        recipient=dead.recipient,
        attempts=dead.attempts,
        last_error=dead.last_error or "",
    )


def delivery_record(delivery: Delivery) -> dict[str, object]:
    """A delivery as a JSON object for ``gateway deliveries list --format json``."""
    return {
        "id": delivery.id,
        "submission_id": delivery.submission_id,
        "recipient": delivery.recipient,
        "file_name": delivery.file_name,
        "transport": delivery.transport,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "next_attempt_at": _stamp(delivery.next_attempt_at),
        "created_at": _stamp(delivery.created_at),
        "updated_at": _stamp(delivery.updated_at),
    }


def delivery_line(delivery: Delivery) -> str:
    """A delivery as one tab-separated line: id, submission, recipient, file, state, ..."""
    fields = (
        delivery.id,
        delivery.submission_id,
        delivery.recipient,
        delivery.file_name,
        delivery.state,
        str(delivery.attempts),
        _one_line(delivery.last_error) or "-",
        _stamp(delivery.updated_at),
    )
    return "\t".join(fields)


def retry_lines(result: RetryResult) -> list[str]:
    """The retry's report: one line per delivery requeued, one per id that was not."""
    lines = [f"requeued {d.id} to {d.recipient}: {d.file_name}" for d in result.requeued]
    lines += [f"not requeued {id_}: {why}" for id_, why in result.refused.items()]
    return lines


def _one_line(text: str | None) -> str:
    """An error message that may span lines, kept to one so the listing stays one per line."""
    return _WHITESPACE.sub(" ", text or "").strip()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
