"""Between Python values and the store's columns: fixed-width UTC text, row to dataclass.

SQLite returns times as the text :func:`utc_text` wrote; PostgreSQL returns them typed. The row
readers take either, so both stores share them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, Protocol, cast

from gateway.codes import lookup
from gateway.store.errors import InvalidValue
from gateway.store.rows import (
    REGISTRATION_SENT,
    SUBMISSION_STATUSES,
    Delivery,
    DeliveryState,
    Registration,
    RegistrationChange,
    SentTransaction,
    Submission,
    SubmissionChanges,
    SubmissionStatus,
)


class Row(Protocol):
    """A result row by column name: ``sqlite3.Row`` or ``asyncpg.Record``."""

    def __getitem__(self, column: str) -> Any:  # noqa: ANN401 - a column holds any SQL value
        ...


def check_sha256(sha256: str) -> str:
    """The id itself if it is a SHA-256 in lower-case hex, else InvalidValue."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise InvalidValue(f"not a SHA-256 in lower-case hex: {sha256!r}")
    return sha256


def check_contents(contents: Mapping[str, bytes]) -> list[tuple[str, bytes]]:
    """Contents as (sha256, data) rows; InvalidValue if a key is not its data's SHA-256."""
    rows = []
    for sha256, data in contents.items():
        if hashlib.sha256(data).hexdigest() != check_sha256(sha256):
            raise InvalidValue(f"content stored as {sha256} has another SHA-256")
        rows.append((sha256, bytes(data)))
    return rows


def check_claim(lease_seconds: float, worker_id: str, limit: int) -> None:
    """InvalidValue unless a claim's lease, worker and limit make sense."""
    if lease_seconds <= 0:
        raise InvalidValue("lease_seconds must be positive")
    if limit < 1:
        raise InvalidValue("limit must be at least 1")
    if not worker_id:
        raise InvalidValue("a claim needs a worker id")


def check_submission(sender: str, sha256: str, size: int) -> None:
    """InvalidValue unless a received file's facts can be recorded."""
    if not sender:
        raise InvalidValue("a submission needs a sender")
    check_sha256(sha256)
    if size < 0:
        raise InvalidValue(f"size must not be negative, got {size}")


def check_changes(changes: Mapping[str, object]) -> None:
    """InvalidValue unless ``changes`` are submission fields that may change to those values."""
    unknown = set(changes) - set(SubmissionChanges.__annotations__)
    if unknown:
        raise InvalidValue(f"submission fields that cannot be changed: {sorted(unknown)}")
    for required in ("receiver", "format", "version", "status"):
        if required in changes and changes[required] is None:
            raise InvalidValue(f"submission {required} cannot be empty")
    if "status" in changes:
        check_status(str(changes["status"]))


def check_routing_changes(
    changes: Mapping[str, object], registrations: Sequence[RegistrationChange]
) -> None:
    """InvalidValue unless ``complete_routing`` may make these changes beside its status."""
    check_changes(changes)
    if "status" in changes:
        raise InvalidValue("complete_routing sets the status by its own argument")
    for registration in registrations:
        check_registration_status(registration.status)


def check_registration_status(status: str) -> None:
    """InvalidValue unless ``status`` is "sent" or a CWR transaction status."""
    if status != REGISTRATION_SENT and status not in lookup("transaction_status"):
        raise InvalidValue(f"unknown registration status {status!r}")


def check_status(status: str) -> None:
    """InvalidValue unless ``status`` is a submission status."""
    if status not in SUBMISSION_STATUSES:
        raise InvalidValue(f"unknown submission status {status!r}")


def utc(moment: datetime) -> datetime:
    """The moment in UTC; InvalidValue for a naive datetime (its zone would be a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(f"times must carry a timezone: {moment.isoformat()}")
    return moment.astimezone(UTC)


def utc_text(moment: datetime) -> str:
    """A fixed-width UTC text time, so that text order is time order in SQL."""
    plain = utc(moment).replace(tzinfo=None)
    return plain.isoformat(timespec="microseconds") + "Z"


def from_utc_text(value: str | datetime) -> datetime:
    """The aware datetime a stored time stands for (text from SQLite, typed from PostgreSQL)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def maybe_from_utc_text(value: str | datetime | None) -> datetime | None:
    """``from_utc_text`` for a column that may be NULL."""
    return None if value is None else from_utc_text(value)


def hms_text(moment: time) -> str:
    """CWR header times have whole seconds; anything finer is not part of the key."""
    return moment.strftime("%H:%M:%S")


def whole_seconds(moment: time) -> time:
    """A CWR header time as the key holds it (see :func:`hms_text`)."""
    return moment.replace(microsecond=0, tzinfo=None)


def submission_row(row: Row) -> Submission:
    """A ``Submission`` from its table's row."""
    return Submission(
        id=row["id"],
        sender=row["sender"],
        receiver=row["receiver"],
        file_name=row["file_name"],
        sha256=row["sha256"],
        size=row["size"],
        received_at=from_utc_text(row["received_at"]),
        format=row["format"],
        version=row["version"],
        status=cast("SubmissionStatus", row["status"]),  # the table's CHECK allows no other
        report_sha=row["report_sha"],
        ack_sha=row["ack_sha"],
        ack_file_name=row["ack_file_name"],
        error=row["error"],
        updated_at=from_utc_text(row["updated_at"]),
    )


def delivery_row(row: Row) -> Delivery:
    """A ``Delivery`` from its table's row."""
    return Delivery(
        id=row["id"],
        submission_id=row["submission_id"],
        recipient=row["recipient"],
        file_name=row["file_name"],
        sha256=row["sha256"],
        format=row["format"],
        version=row["version"],
        transport=row["transport"],
        state=cast("DeliveryState", row["state"]),  # the table's CHECK allows no other
        attempts=row["attempts"],
        claims=row["claims"],
        next_attempt_at=from_utc_text(row["next_attempt_at"]),
        lease_until=maybe_from_utc_text(row["lease_until"]),
        worker=row["worker"],
        last_error=row["last_error"],
        receipt=row["receipt"],
        created_at=from_utc_text(row["created_at"]),
        updated_at=from_utc_text(row["updated_at"]),
    )


def sent_row(row: Row) -> SentTransaction:
    """A ``SentTransaction`` from its table's row."""
    return SentTransaction(
        delivery_id=row["delivery_id"],
        recipient=row["recipient"],
        hdr_creation_date=_date(row["hdr_creation_date"]),
        hdr_creation_time=_time(row["hdr_creation_time"]),
        group_id=row["group_id"],
        transaction_sequence=row["transaction_sequence"],
        transaction_type=row["transaction_type"],
        submitter_work_number=row["submitter_work_number"],
        title=row["title"],
        original_submission_id=row["original_submission_id"],
    )


def registration_row(row: Row) -> Registration:
    """A ``Registration`` from its table's row."""
    return Registration(
        sender=row["sender"],
        submitter_work_number=row["submitter_work_number"],
        society=row["society"],
        status=row["status"],
        society_work_number=row["society_work_number"],
        iswc=row["iswc"],
        title=row["title"],
        updated_at=from_utc_text(row["updated_at"]),
    )


def _date(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _time(value: str | time) -> time:
    return value if isinstance(value, time) else time.fromisoformat(value)
