"""Transactions and the file they travel in: the unit everything downstream handles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from gateway.model.ack import Acknowledgement
from gateway.model.agreement import Agreement
from gateway.model.envelope import FileHeader, GroupHeader
from gateway.model.work import Work

TransactionRecord: TypeAlias = Work | Agreement | Acknowledgement


@dataclass(frozen=True, slots=True)
class Transaction:
    """One transaction of a group: its header record with every detail beneath it."""

    group_id: int
    sequence: int
    record: TransactionRecord

    @property
    def transaction_type(self) -> str:
        """NWR, REV, ACK, AGR, WRK ... as the header record says."""
        return self.record.record_type


@dataclass(frozen=True, slots=True)
class Group:
    """A group of transactions of one type."""

    header: GroupHeader
    transactions: tuple[Transaction, ...]


@dataclass(frozen=True, slots=True)
class CwrFile:
    """A whole CWR file held in memory (small files, tests, translation of one file)."""

    version: str
    header: FileHeader
    groups: tuple[Group, ...]

    @property
    def transactions(self) -> tuple[Transaction, ...]:
        """Every transaction of every group, in file order."""
        return tuple(t for g in self.groups for t in g.transactions)
