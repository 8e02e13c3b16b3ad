"""Transactions: the unit everything downstream handles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from gateway.model.ack import Acknowledgement
from gateway.model.agreement import Agreement
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
