"""Persistence: the raw-file blob store and the gateway's state (SQLite by default).

``Store`` is the contract the service and the delivery worker rely on; ``SqliteStore`` serves one
host. ``PostgresStore`` (:mod:`gateway.store.postgres`, imported where chosen) serves several
processes on one database: it claims the outbox and the submissions to process with ``SELECT ...
FOR UPDATE SKIP LOCKED`` under the same lease rules, so nothing above this package changes. Every
method is synchronous and one transaction; async code calls it through ``asyncio.to_thread``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Protocol, Unpack

from gateway.store.blobs import BlobRef, BlobStore
from gateway.store.errors import (
    AlreadyFinished,
    Conflict,
    InvalidValue,
    NotFound,
    StoreError,
    TooLarge,
)
from gateway.store.rows import (
    Delivery,
    DeliveryState,
    DuplicateReason,
    NewDelivery,
    Registration,
    RegistrationChange,
    SentTransaction,
    Submission,
    SubmissionChanges,
    SubmissionStatus,
    new_id,
)
from gateway.store.sqlite import SqliteStore


class Store(Protocol):
    """The gateway's state: submissions, outbox, ACK correlation, registrations and nonces.

    Lease rules every implementation keeps: ``claim_due`` hands a delivery to one worker until
    its lease ends; after that another worker may claim it, and the ``mark_*`` calls of a worker
    that no longer holds the lease answer False and change nothing.
    """

    def close(self) -> None:
        """Release the database; the store refuses calls afterwards."""

    def record_submission(
        self,
        sender: str,
        receiver: str,
        file_name: str,
        sha256: str,
        size: int,
        *,
        file_format: str = "",
        version: str = "",
        received_at: datetime | None = None,
        submission_id: str | None = None,
        content: bytes | None = None,
    ) -> tuple[Submission, DuplicateReason | None]:
        """Record a received file once; a repeat returns the original and why it is one.

        ``content``: the file's bytes, kept in the database with a new submission (InvalidValue
        if they do not hash to ``sha256``); a repeat writes nothing.
        """
        ...

    def get_submission(self, submission_id: str) -> Submission | None:
        """A submission by id, or None."""
        ...

    def list_submissions(self, sender: str) -> list[Submission]:
        """A sender's submissions, oldest first."""
        ...

    def update_submission(
        self, submission_id: str, **changes: Unpack[SubmissionChanges]
    ) -> Submission:
        """Change some fields of a submission; the updated row."""
        ...

    def complete_routing(
        self,
        submission_id: str,
        deliveries: Sequence[NewDelivery],
        sent_transactions: Sequence[SentTransaction],
        status: SubmissionStatus = "routed",
        *,
        changes: SubmissionChanges | None = None,
        registrations: Sequence[RegistrationChange] = (),
        contents: Mapping[str, bytes] | None = None,
    ) -> list[Delivery]:
        """Queue deliveries, index the sent transactions and set the status, all or none.

        In the same transaction: the submission's other ``changes`` (not its status), the
        ``registrations`` upserted as ``upsert_registration`` would, and ``contents``: small
        files by SHA-256 (InvalidValue if one is not its data's hash), kept in the database
        from then on (``content``). AlreadyFinished if the submission is no longer received or
        validated.
        """
        ...

    def content(self, sha256: str) -> bytes | None:
        """A file ``record_submission`` or ``complete_routing`` kept, by its SHA-256; or None."""
        ...

    def claim_submissions(
        self,
        now: datetime,
        lease_seconds: float,
        worker_id: str,
        limit: int,
        *,
        submission_id: str | None = None,
    ) -> list[Submission]:
        """Lease unfinished submissions (or just ``submission_id``) to a worker for processing."""
        ...

    def reserve_creation_time(self, recipient: str, not_before: datetime) -> datetime:
        """A CWR header creation time for ``recipient`` (whole seconds) never handed out before."""
        ...

    def claim_due(
        self, now: datetime, lease_seconds: float, worker_id: str, limit: int
    ) -> list[Delivery]:
        """Lease up to ``limit`` due deliveries (or ones with an expired lease) to a worker."""
        ...

    def mark_delivered(
        self, delivery_id: str, worker_id: str, receipt: str, *, now: datetime | None = None
    ) -> bool:
        """Record a delivery as done; False if the lease belongs to another worker."""
        ...

    def mark_retry(
        self,
        delivery_id: str,
        worker_id: str,
        error: str,
        next_attempt_at: datetime,
        *,
        now: datetime | None = None,
    ) -> bool:
        """Count a failed attempt and queue the next; False if the lease is not this worker's."""
        ...

    def mark_dead(
        self, delivery_id: str, worker_id: str, reason: str, *, now: datetime | None = None
    ) -> bool:
        """Dead-letter a delivery after a final failure; False if the lease is not its."""
        ...

    def get_delivery(self, delivery_id: str) -> Delivery | None:
        """A delivery by id, or None."""
        ...

    def list_deliveries(
        self, submission_id: str | None = None, state: DeliveryState | None = None
    ) -> list[Delivery]:
        """Deliveries, oldest first, optionally of one submission and/or in one state."""
        ...

    def delivery_counts(self) -> dict[DeliveryState, int]:
        """How many deliveries are in each state; every state is present, 0 when none."""
        ...

    def requeue_dead(
        self,
        now: datetime,
        *,
        delivery_ids: Sequence[str] | None = None,
        recipient: str | None = None,
    ) -> list[Delivery]:
        """Put dead deliveries back in the queue, due at ``now``, in one transaction.

        All dead ones when ``delivery_ids`` is None, else only those ids; only ``recipient``'s
        when given. Attempts and claims start again from 0 and the lease is cleared; the last
        error stays (it says why the delivery died). Deliveries that are not dead are left as
        they are. The rows requeued, as they now are, oldest first.
        """
        ...

    def find_sent(
        self,
        recipient: str,
        creation_date: date,
        creation_time: time,
        group_id: int,
        transaction_sequence: int,
    ) -> SentTransaction | None:
        """The sent transaction an ACK from ``recipient`` answers."""
        ...

    def upsert_registration(
        self,
        sender: str,
        submitter_work_number: str,
        society: str,
        status: str,
        *,
        society_work_number: str | None = None,
        iswc: str | None = None,
        title: str | None = None,
        updated_at: datetime | None = None,
    ) -> Registration:
        """Record where a work stands at a society; the row as it now is."""
        ...

    def registrations(
        self, sender: str, submitter_work_number: str | None = None
    ) -> list[Registration]:
        """A sender's registrations, of one work if given."""
        ...

    def remember_nonce(
        self, key_id: str, nonce: str, seen_at: datetime, expires_at: datetime
    ) -> bool:
        """Remember a request nonce until it expires; False if it was already seen."""
        ...


if TYPE_CHECKING:  # mypy checks both classes keep the contract
    from gateway.store.postgres import PostgresStore

    _SQLITE_IS_A_STORE: type[Store] = SqliteStore
    _POSTGRES_IS_A_STORE: type[Store] = PostgresStore

__all__ = [
    "AlreadyFinished",
    "BlobRef",
    "BlobStore",
    "Conflict",
    "Delivery",
    "DeliveryState",
    "DuplicateReason",
    "InvalidValue",
    "NewDelivery",
    "NotFound",
    "Registration",
    "RegistrationChange",
    "SentTransaction",
    "SqliteStore",
    "Store",
    "StoreError",
    "Submission",
    "SubmissionChanges",
    "SubmissionStatus",
    "TooLarge",
    "new_id",
]
