"""The validation report: the contract of ``gateway validate`` (see docs/reports.md).

Transactions are logged as they are validated; past a threshold the log spills to a
temporary file so a ten-million-record file costs no more memory than a small one.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field, fields
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from gateway.model import Issue

# Transaction statuses in the report, and the CWR ACK status each becomes.
ACCEPTED, REJECTED, NO_PARTICIPATION = "accepted", "rejected", "no_participation"
ACK_STATUS = {ACCEPTED: "RA", REJECTED: "RJ", NO_PARTICIPATION: "NP"}


@dataclass(frozen=True, slots=True)
class TransactionSummary:
    """One transaction's verdict, as the report lists it."""

    group: int
    sequence: int
    type: str
    submitter_work_id: str
    title: str
    status: str
    messages: tuple[int, ...]  # indexes into Report.messages
    line: int
    # The header's fields an ACK needs beyond the above.
    society_work_id: str = ""
    iswc: str = ""


_SUMMARY_FIELDS = tuple(f.name for f in fields(TransactionSummary))


class TransactionLog:
    """Transaction summaries in file order, held in memory up to ``spill_after``, then on disk."""

    def __init__(self, spill_after: int = 50_000) -> None:
        self._items: list[TransactionSummary] = []
        self._spill_after = spill_after
        self._file: IO[str] | None = None
        self._count = 0

    def append(self, summary: TransactionSummary) -> None:
        """Add a summary, spilling to disk when the memory share is used up."""
        self._count += 1
        if self._file is None and len(self._items) < self._spill_after:
            self._items.append(summary)
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed in close()
        # Field by field: dataclasses.asdict copies deeply, several times the cost of the rest.
        self._file.write(json.dumps({f: getattr(summary, f) for f in _SUMMARY_FIELDS}) + "\n")

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[TransactionSummary]:
        yield from self._items
        if self._file is not None:
            self._file.seek(0)
            try:
                for line in self._file:
                    row = json.loads(line)
                    row["messages"] = tuple(row["messages"])
                    yield TransactionSummary(**row)
            finally:  # appends go to the end even when a reader stopped early
                self._file.seek(0, 2)

    def close(self) -> None:
        """Remove the spill file, if any."""
        if self._file is not None:
            self._file.close()
            self._file = None


@dataclass
class Report:
    """Everything ``gateway validate`` found in one file."""

    source: str
    format: str = "cwr"
    schema: str = ""  # for XML: works, ack or distribution
    version: str = ""
    pack: str = "cisac"
    sender: str = ""
    header: dict[str, Any] = field(default_factory=dict)
    messages: list[Issue] = field(default_factory=list)
    messages_dropped: int = 0  # found past the engine's message cap: counted, not kept
    message_cap: int = 100_000
    transactions: TransactionLog = field(default_factory=TransactionLog)
    # Text of every line a message points at, so a report can show the record beside it.
    lines: dict[int, str] = field(default_factory=dict)
    records: int = 0
    groups: int = 0
    rejected_groups: set[int] = field(default_factory=set)
    file_rejected: bool = False
    counted: dict[str, int] = field(
        default_factory=lambda: {ACCEPTED: 0, REJECTED: 0, NO_PARTICIPATION: 0}
    )
    group_counts: dict[int, dict[str, int]] = field(default_factory=dict)

    def effective_status(self, summary: TransactionSummary) -> str:
        """A transaction's status once group and file rejections are applied."""
        if self.file_rejected or summary.group in self.rejected_groups:
            return REJECTED
        return summary.status

    @property
    def counts(self) -> dict[str, int]:
        """Records, groups, transactions, accepted, rejected, no participation."""
        accepted = rejected = no_participation = 0
        for group, counts in self.group_counts.items():
            if self.file_rejected or group in self.rejected_groups:
                rejected += sum(counts.values())
            else:
                accepted += counts[ACCEPTED]
                rejected += counts[REJECTED]
                no_participation += counts[NO_PARTICIPATION]
        return {
            "records": self.records,
            "groups": self.groups,
            "transactions": len(self.transactions),
            "accepted": accepted,
            "rejected": rejected,
            "no_participation": no_participation,
        }

    @property
    def status(self) -> str:
        """accepted, partially_accepted or rejected, per the DESIGN contract."""
        counts = self.counts
        if self.file_rejected or (
            counts["transactions"] and counts["rejected"] == counts["transactions"]
        ):
            return "rejected"
        if counts["transactions"] == 0:  # a works file must hold work; an ack or statement not
            return "accepted" if self.schema in ("ack", "distribution") else "rejected"
        if counts["rejected"]:
            return "partially_accepted"
        return "accepted"

    def add_transaction(self, summary: TransactionSummary) -> None:
        """Log a transaction and count it under its group."""
        self.transactions.append(summary)
        self.group_counts.setdefault(
            summary.group, {ACCEPTED: 0, REJECTED: 0, NO_PARTICIPATION: 0}
        )[summary.status] += 1

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (docs/reports.md)."""
        return {
            "source": self.source,
            "status": self.status,
            "format": self.format,
            "schema": self.schema or None,
            "version": self.version,
            "pack": self.pack,
            "sender": self.sender,
            "counts": self.counts,
            "messages_dropped": self.messages_dropped,
            "messages": [message_dict(m) for m in self.messages],
            "transactions": [
                {
                    "group": t.group,
                    "sequence": t.sequence,
                    "type": t.type,
                    "submitter_work_id": t.submitter_work_id,
                    "title": t.title,
                    "status": self.effective_status(t),
                    "messages": list(t.messages),
                }
                for t in self.transactions
            ],
        }


def message_dict(issue: Issue) -> dict[str, Any]:
    """One message as the JSON report carries it."""
    return {
        "level": issue.level,
        "rejection": issue.rejection,
        "record_type": issue.record_type,
        "line": issue.line,
        "group": issue.group,
        "transaction": issue.transaction,
        "field": issue.field,
        "column": issue.column,
        "width": issue.width,
        "code": issue.edit,
        "text": issue.text,
        "value": issue.value,
    }
