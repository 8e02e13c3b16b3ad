"""Rows the store keeps, as frozen dataclasses, and the values their state columns take."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Literal, TypedDict, get_args

SubmissionStatus = Literal["received", "validated", "acked", "routed", "failed"]
DeliveryState = Literal["pending", "in_flight", "delivered", "dead"]
DuplicateReason = Literal["same_bytes", "same_name"]

SUBMISSION_STATUSES: frozenset[str] = frozenset(get_args(SubmissionStatus))
DELIVERY_STATES: frozenset[str] = frozenset(get_args(DeliveryState))
REGISTRATION_SENT = "sent"  # a registration sent and not yet acknowledged


def new_id(prefix: str) -> str:
    """A fresh random id such as ``sub_3f9c0a1b2c3d4e5f`` (prefix plus 16 hex digits)."""
    return prefix + secrets.token_hex(8)


@dataclass(frozen=True, slots=True, kw_only=True)
class Submission:
    """A file received from a partner, and how far the gateway has taken it."""

    id: str
    sender: str
    receiver: str
    file_name: str
    sha256: str
    size: int
    received_at: datetime
    format: str
    version: str
    status: SubmissionStatus
    report_sha: str | None
    ack_sha: str | None
    ack_file_name: str | None
    error: str | None
    updated_at: datetime


class SubmissionChanges(TypedDict, total=False):
    """The submission fields ``update_submission`` may change."""

    receiver: str
    format: str
    version: str
    status: SubmissionStatus
    report_sha: str | None
    ack_sha: str | None
    ack_file_name: str | None
    error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewDelivery:
    """A file to send to one recipient, as routing decides it; the outbox adds its state."""

    recipient: str
    file_name: str
    sha256: str
    format: str
    version: str
    transport: str
    next_attempt_at: datetime | None = None  # None: due at once
    id: str = field(default_factory=lambda: new_id("dlv_"))


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationChange:
    """Where a work now stands at a society, to record with the routing that learnt it."""

    sender: str
    submitter_work_number: str
    society: str
    status: str
    society_work_number: str | None = None
    iswc: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """An outbox entry: one file for one recipient and where its delivery stands."""

    id: str
    submission_id: str
    recipient: str
    file_name: str
    sha256: str
    format: str
    version: str
    transport: str
    state: DeliveryState
    attempts: int  # failed attempts so far (mark_retry, mark_dead)
    claims: int  # times a worker claimed it; more claims than attempts means a worker died
    next_attempt_at: datetime
    lease_until: datetime | None
    worker: str | None
    last_error: str | None
    receipt: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SentTransaction:
    """A transaction sent to a recipient, keyed as the recipient's ACK will quote it back."""

    delivery_id: str
    recipient: str
    hdr_creation_date: date
    hdr_creation_time: time
    group_id: int
    transaction_sequence: int
    transaction_type: str
    submitter_work_number: str
    title: str
    original_submission_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    """Where one work stands at one society: ACK status, society work number, ISWC."""

    sender: str  # the original submitter whose work this is
    submitter_work_number: str
    society: str
    status: str  # "sent" or a CWR transaction status code (RA, RJ, AS, ...)
    society_work_number: str | None
    iswc: str | None
    title: str | None
    updated_at: datetime
