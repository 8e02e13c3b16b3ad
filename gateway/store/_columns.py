"""Between Python values and the SQLite columns: fixed-width UTC text, row to dataclass."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time
from typing import cast

from gateway.store.errors import InvalidValue
from gateway.store.rows import (
    SUBMISSION_STATUSES,
    Delivery,
    DeliveryState,
    Registration,
    SentTransaction,
    Submission,
    SubmissionStatus,
)


def check_sha256(sha256: str) -> str:
    """The id itself if it is a SHA-256 in lower-case hex, else InvalidValue."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise InvalidValue(f"not a SHA-256 in lower-case hex: {sha256!r}")
    return sha256


def check_status(status: str) -> None:
    """InvalidValue unless ``status`` is a submission status."""
    if status not in SUBMISSION_STATUSES:
        raise InvalidValue(f"unknown submission status {status!r}")


def utc_text(moment: datetime) -> str:
    """A fixed-width UTC text time, so that text order is time order in SQL."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(f"times must carry a timezone: {moment.isoformat()}")
    plain = moment.astimezone(UTC).replace(tzinfo=None)
    return plain.isoformat(timespec="microseconds") + "Z"


def from_utc_text(text: str) -> datetime:
    """The aware datetime a stored time stands for."""
    return datetime.fromisoformat(text)


def maybe_from_utc_text(text: str | None) -> datetime | None:
    """``from_utc_text`` for a column that may be NULL."""
    return None if text is None else from_utc_text(text)


def hms_text(moment: time) -> str:
    """CWR header times have whole seconds; anything finer is not part of the key."""
    return moment.strftime("%H:%M:%S")


def submission_row(row: sqlite3.Row) -> Submission:
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


def delivery_row(row: sqlite3.Row) -> Delivery:
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


def sent_row(row: sqlite3.Row) -> SentTransaction:
    """A ``SentTransaction`` from its table's row."""
    return SentTransaction(
        delivery_id=row["delivery_id"],
        recipient=row["recipient"],
        hdr_creation_date=date.fromisoformat(row["hdr_creation_date"]),
        hdr_creation_time=time.fromisoformat(row["hdr_creation_time"]),
        group_id=row["group_id"],
        transaction_sequence=row["transaction_sequence"],
        transaction_type=row["transaction_type"],
        submitter_work_number=row["submitter_work_number"],
        title=row["title"],
        original_submission_id=row["original_submission_id"],
    )


def registration_row(row: sqlite3.Row) -> Registration:
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
