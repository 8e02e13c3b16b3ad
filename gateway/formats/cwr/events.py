"""What the streaming reader yields: envelope events and whole transactions, with issues."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from gateway.model import (
    FileHeader,
    FileTrailer,
    GroupHeader,
    GroupTrailer,
    Issue,
    Transaction,
)


class RecordInfo(NamedTuple):
    """Where a record of a transaction stood in the file, and its text as read."""

    line: int
    record_type: str
    record_sequence: int | None
    text: str


@dataclass(frozen=True, slots=True)
class FileStarted:
    """The HDR was read; the version and character set are known."""

    header: FileHeader
    version: str
    encoding: str
    line: int
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupStarted:
    """A GRH was read."""

    header: GroupHeader
    line: int
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True, slots=True)
class TransactionRead:
    """One whole transaction: its model, its records' places, and what was wrong with it."""

    transaction: Transaction
    records: tuple[RecordInfo, ...]
    issues: tuple[Issue, ...] = ()
    # id() of each model record of the transaction -> its index in ``records``.
    positions: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GroupEnded:
    """A GRT was read (``trailer`` is None when the group ended without one)."""

    group_id: int
    trailer: GroupTrailer | None
    line: int | None
    transactions: int
    records: int
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True, slots=True)
class FileEnded:
    """The input is exhausted (``trailer`` is None when no TRL came)."""

    trailer: FileTrailer | None
    line: int | None
    groups: int
    transactions: int
    records: int
    issues: tuple[Issue, ...] = ()
    # Text of the envelope records (HDR, GRH, GRT, TRL) by line, for reports to show.
    envelope: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Stray:
    """Issues about lines that belong to no transaction (unknown, misplaced, unreadable)."""

    issues: tuple[Issue, ...]


Event = FileStarted | GroupStarted | TransactionRead | GroupEnded | FileEnded | Stray
