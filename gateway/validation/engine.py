"""The validator: a CWR stream in, a report out, with the receiver's rule pack applied.

The reader finds what is wrong with the file's form (envelope, sequences, fields); the
registered rules find what is wrong with each transaction's content. Every message then
passes the rule pack, which may switch it off or change its rejection, and the rejections
decide each transaction's status (CISAC 2.2 §5.26: FR replaces a field, RR drops a record,
TR rejects the transaction, GR its group, ER the file). Nothing stops at the first error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, BinaryIO

from gateway import codes
from gateway.formats.cwr.events import (
    Event,
    FileEnded,
    FileStarted,
    GroupEnded,
    GroupStarted,
    Stray,
    TransactionRead,
)
from gateway.formats.cwr.layouts import layout_set
from gateway.formats.cwr.reader import ReaderLimits, read_cwr
from gateway.formats.detect import ACK_XML, CWR, DISTRIBUTION_XML, detect_format
from gateway.formats.xml.checked_reader import check_document, read_works_checked
from gateway.model import Issue, Record, values
from gateway.validation.packs import PackError, RulePack, load_pack
from gateway.validation.policy import Policy
from gateway.validation.registry import Finding, Rule
from gateway.validation.report import (
    ACCEPTED,
    NO_PARTICIPATION,
    REJECTED,
    Report,
    TransactionSummary,
)

if TYPE_CHECKING:
    from gateway.formats.cwr.events import RecordInfo

MAX_LINES_KEPT = 20_000
# Messages a report holds; past it they still decide statuses but are only counted, so a file
# failing an edit in every transaction costs bounded memory.
MAX_REPORT_MESSAGES = 100_000  # record texts kept for the report's "show the record" view
Progress = Callable[[int], None]
NO_HEADER_VERSION = "2.1"  # what the reader, the rules and the packs assume without a read HDR


def validate(
    stream: BinaryIO,
    *,
    source: str = "-",
    pack: str | RulePack = "cisac",
    version: str | None = None,
    limits: ReaderLimits | None = None,
    progress: Progress | None = None,
    max_messages: int = MAX_REPORT_MESSAGES,
) -> Report:
    """Validate a CWR file and return its report (the stream is read once, front to back)."""
    report = Report(source=source, message_cap=max_messages)
    policy: Policy | None = None
    pack_name = pack if isinstance(pack, str) else pack.name
    for event in _events(stream, report, version, limits):
        if isinstance(event, FileStarted):
            report.version = event.version
            report.header = {k: v for k, v in values(event.header).items() if v not in ("", None)}
            report.sender = f"{event.header.sender_type} {event.header.sender_id}".strip()
            policy = Policy(pack if isinstance(pack, RulePack) else _pack(pack_name, event.version))
            report.pack = policy.name
        if policy is None:  # no header: judge by the generic CISAC pack of the assumed version
            policy = Policy(
                pack if isinstance(pack, RulePack) else _pack(pack_name, NO_HEADER_VERSION)
            )
            report.pack = policy.name
        if isinstance(event, TransactionRead):
            _transaction(report, policy, event)
            if progress is not None:
                progress(len(report.transactions))
            continue
        kept = _keep(report, policy, event.issues)
        if isinstance(event, GroupStarted):
            report.groups += 1
        if isinstance(event, GroupEnded | GroupStarted | Stray) and any(
            i.rejection == "GR" for i in kept
        ):
            group = event.group_id if isinstance(event, GroupEnded) else kept[0].group
            if group is not None:
                report.rejected_groups.add(group)
        if isinstance(event, FileEnded):
            report.records = event.records
            for message in report.messages:
                text = event.envelope.get(message.line or 0)
                if text is not None and len(report.lines) < MAX_LINES_KEPT:
                    report.lines.setdefault(message.line or 0, text)
        if any(i.rejection == "ER" for i in kept):
            report.file_rejected = True
    return report


def _events(
    stream: BinaryIO, report: Report, version: str | None, limits: ReaderLimits | None
) -> Iterable[Event]:
    """The reader's events for whatever format the stream holds (CWR unless it is XML)."""
    kind = detect_format(stream) if stream.seekable() else CWR
    if kind == CWR:
        return read_cwr(stream, version=version, limits=limits)
    report.format = "xml"
    report.schema = kind.removeprefix("xml:")
    if kind in (ACK_XML, DISTRIBUTION_XML):
        return check_document(stream, report.schema)
    report.schema = "works"  # a works document, or refused (DTD, other root) with the reason
    return read_works_checked(stream)


def _pack(name: str, version: str) -> RulePack:
    """The pack for a name or society code; a society without a pack of its own gets CISAC's."""
    try:
        return load_pack(name, version)
    except PackError:
        if name.isdigit() and codes.society(name) is not None:
            return load_pack("cisac", version)
        raise


def _keep(report: Report, policy: Policy, issues: Iterable[Issue]) -> list[Issue]:
    """Pass issues through the pack and add the survivors to the report (up to its cap)."""
    kept = [i for i in map(policy.apply, issues) if i is not None]
    room = max(report.message_cap - len(report.messages), 0)
    report.messages_dropped += max(len(kept) - room, 0)
    report.messages.extend(kept[:room])
    return kept


def _transaction(report: Report, policy: Policy, event: TransactionRead) -> None:
    transaction = event.transaction
    header = transaction.record
    issues = list(event.issues)
    if header.record_type != "ACK":
        for rule in policy.rules(header.record_type, report.version[:1] or "2"):
            for finding in rule.check(header):  # most find nothing: a loop, not a generator each
                issues.append(_issue(report, policy, rule, finding, event))  # noqa: PERF401
    first = len(report.messages)
    kept = _keep(report, policy, issues)
    indexes = tuple(range(first, len(report.messages)))
    rejections = {i.rejection for i in kept}
    if "ER" in rejections:
        report.file_rejected = True
    if "GR" in rejections:
        report.rejected_groups.add(transaction.group_id)
    # A failed no-participation edit answers NP, unless something else rejects the transaction.
    no_participation = {i.edit for i in kept if policy.no_participation(i.edit)}
    rejecting = [
        i
        for i in kept
        if i.edit not in no_participation
        and (i.rejection in ("ER", "GR", "TR") or (i.rejection == "RR" and i.record_sequence == 0))
    ]
    if rejecting:
        status = REJECTED
    elif no_participation:
        status = NO_PARTICIPATION
    else:
        status = ACCEPTED
    for issue in kept:
        if issue.line is not None and len(report.lines) < MAX_LINES_KEPT:
            info = next((r for r in event.records if r.line == issue.line), None)
            if info is not None:
                report.lines[issue.line] = info.text
    report.add_transaction(
        TransactionSummary(
            group=transaction.group_id,
            sequence=transaction.sequence,
            type=header.record_type,
            submitter_work_id=_text(
                header,
                "submitter_work_number",
                "submitter_agreement_number",
                "submitter_creation_number",
            ),
            title=_text(header, "title", "creation_title"),
            status=status,
            messages=indexes,
            line=event.records[0].line,
            society_work_id=_text(
                header, "recipient_creation_number", "society_assigned_agreement_number"
            ),
            iswc=_text(header, "iswc"),
        )
    )


def _text(record: Record, *names: str) -> str:
    for name in names:
        value = getattr(record, name, "")
        if value:
            return str(value)
    return ""


def _issue(
    report: Report,
    policy: Policy,
    rule: Rule,
    finding: Finding,
    event: TransactionRead,
) -> Issue:
    record = finding.record
    position = event.positions.get(id(record), 0)
    info: RecordInfo = event.records[position]
    column = width = None
    if finding.field is not None and report.format == "cwr":
        layout = layout_set(report.version or NO_HEADER_VERSION).layouts.get(record.record_type)
        column, width = (layout and layout.position(finding.field)) or (None, None)
    edit = rule.edit
    base = policy.text(edit) or rule.text
    text = f"{base} ({finding.text})" if finding.text and base else (finding.text or base or edit)
    return Issue(
        edit=edit,
        level=edit.split()[1],
        rejection=policy.catalogue_rejection(edit) or rule.rejection,
        record_type=record.record_type,
        text=text,
        line=info.line,
        group=event.transaction.group_id,
        transaction=event.transaction.sequence,
        record_sequence=info.record_sequence,
        field=finding.field,
        column=column,
        width=width,
        value=finding.value,
    )
