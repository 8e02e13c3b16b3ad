"""The validation report as plain text for a terminal: a summary, then messages by transaction.

Text from the file is hostile: control characters (an ANSI escape could repaint the terminal)
are shown as their Unicode control pictures, so a report can never drive the terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.model import Issue
    from gateway.validation.report import Report, TransactionSummary

# What each CISAC rejection level does, in the words a registration clerk uses.
REJECTION_MEANING = {
    "ER": "entire file rejected",
    "GR": "group rejected",
    "TR": "transaction rejected",
    "RR": "record rejected",
    "FR": "field replaced by default",
}
STATUS_LABEL = {
    "accepted": "accepted",
    "partially_accepted": "partially accepted",
    "rejected": "rejected",
    "no_participation": "no participation",
}
COUNT_LABEL = {
    "records": "records",
    "groups": "groups",
    "transactions": "transactions",
    "accepted": "accepted",
    "rejected": "rejected",
    "no_participation": "no participation",
}

# C0 and C1 controls, DEL, lone surrogates (undecodable bytes) and XML's two noncharacters.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_FIELD_WIDTH_CAP = 28  # longer field names are not padded, so one long name cannot widen every line


def visible(text: str) -> str:
    """Text with every control character replaced by one visible character (columns are kept)."""
    return _INVISIBLE.sub(_picture, text)


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the control pictures block: U+241B is ␛
    if code == 0x7F:
        return "\u2421"
    return "\ufffd"


@dataclass
class Sections:
    """A report's messages split the way both renderings show them."""

    envelope: list[int] = field(default_factory=list)  # file- and group-level message indexes
    transactions: list[TransactionSummary] = field(default_factory=list)  # those with messages
    omitted_transactions: int = 0  # transactions with messages beyond the cap
    head: list[TransactionSummary] = field(default_factory=list)  # the first ones, for a table


def sections(report: Report, max_transactions: int | None = None, head: int = 0) -> Sections:
    """File- and group-level messages, and the transactions that have messages, in file order.

    One pass over the transaction log, read to its end (it may be a spill file on disk), which
    also keeps the first ``head`` transactions for a table.
    """
    result = Sections()
    owned: set[int] = set()
    for summary in report.transactions:
        if len(result.head) < head:
            result.head.append(summary)
        if not summary.messages:
            continue
        owned.update(summary.messages)
        if max_transactions is None or len(result.transactions) < max_transactions:
            result.transactions.append(summary)
        else:
            result.omitted_transactions += 1
    result.envelope = [i for i in range(len(report.messages)) if i not in owned]
    return result


def in_line_order(report: Report, indexes: tuple[int, ...] | list[int]) -> list[Issue]:
    """The messages at these indexes, in the order of the lines they point at."""
    issues = [(report.messages[i], i) for i in indexes]
    return [issue for issue, _ in sorted(issues, key=lambda pair: (pair[0].line or 0, pair[1]))]


def render_text(report: Report) -> str:
    """The whole report as plain text, ending in a newline."""
    out = _summary(report)
    parts = sections(report)
    if parts.envelope:
        out += ["", "File and group messages"]
        out += _messages(in_line_order(report, parts.envelope))
    for summary in parts.transactions:
        out += ["", _transaction_heading(report, summary)]
        out += _messages(in_line_order(report, summary.messages))
    if not report.messages:
        out += ["", "No messages."]
    return "\n".join(out) + "\n"


def _summary(report: Report) -> list[str]:
    counts = report.counts
    version = f"{report.format.upper()} {report.version}".strip()
    sender = report.sender
    name = str(report.header.get("sender_name", "")).strip()
    if name:
        sender = f"{sender} ({name})" if sender else name
    return [
        f"Validation report: {visible(report.source)}",
        f"  format   {visible(version) or '-'}",
        f"  pack     {visible(report.pack) or '-'}",
        f"  sender   {visible(sender) or '-'}",
        f"  status   {STATUS_LABEL.get(report.status, report.status).upper()}",
        "  " + "  ".join(f"{COUNT_LABEL[k]} {v:,}" for k, v in counts.items()),
    ]


def _transaction_heading(report: Report, summary: TransactionSummary) -> str:
    status = report.effective_status(summary)
    parts = [f"Group {summary.group}", f"transaction {summary.sequence}", visible(summary.type)]
    if summary.submitter_work_id.strip():
        parts.append(f"#{visible(summary.submitter_work_id.strip())}")
    if summary.title.strip():
        parts.append(f'"{visible(summary.title.strip())}"')
    parts.append(STATUS_LABEL.get(status, status))
    return " \u00b7 ".join(parts)


def _messages(issues: list[Issue]) -> list[str]:
    lines = [str(i.line) if i.line is not None else "-" for i in issues]
    fields = [visible(i.field or "-") for i in issues]
    line_width = max(map(len, lines))
    field_width = min(max(map(len, fields)), _FIELD_WIDTH_CAP)
    out = []
    for issue, line, name in zip(issues, lines, fields, strict=True):
        code = f"[{visible(issue.edit)} {visible(issue.level)}/{visible(issue.rejection)}]"
        text = f"  line {line:>{line_width}}  {visible(issue.record_type) or '-':<3}  "
        text += f"{name:<{field_width}}  {code}  {visible(issue.text)}"
        if issue.value is not None and issue.value != "":
            text += f"  ({visible(issue.value)})"
        out.append(text.rstrip())
    return out
