"""What a gateway does with a file once its bytes are stored: the pipeline of DESIGN.md.

stored (content-addressed) -> idempotency -> validate with this society's rule pack -> first ACK
-> route -> encode per recipient -> outbox (one transaction with the routing) ; and for an ACK
coming back: correlate each answer with the transaction it answers and update the work's
registration state. Every step emits its log event. The heavy parts (validation, encoding) run
in a worker thread so the event loop keeps answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import tempfile
import time as clock
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from gateway import log
from gateway.formats.cwr.events import FileStarted, GroupStarted, TransactionRead
from gateway.formats.cwr.reader import read_cwr
from gateway.formats.cwr.writer import CwrWriter
from gateway.formats.detect import ACK_XML, CWR, WORKS_XML, detect_format
from gateway.formats.translate import read_events
from gateway.formats.xml.ack import AckContext, read_ack_xml, write_ack_xml
from gateway.formats.xml.secure import XmlRefused
from gateway.formats.xml.text import MessageInfo
from gateway.formats.xml.works_writer import WorksXmlWriter
from gateway.model import Acknowledgement, FileHeader, Transaction
from gateway.routing.decide import part_file_name, route
from gateway.routing.filenames import CwrFileName, FileNameError, ack_name_for
from gateway.store.blobs import BlobRef
from gateway.store.errors import AlreadyFinished, StoreError
from gateway.store.rows import (
    REGISTRATION_SENT,
    NewDelivery,
    RegistrationChange,
    SentTransaction,
)
from gateway.validation.acknowledge import write_ack
from gateway.validation.engine import validate
from gateway.validation.report import ACCEPTED, ACK_STATUS

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, Callable, Iterator

    from gateway.routing.partners import Partner, Registry
    from gateway.store import Store
    from gateway.store.blobs import BlobStore
    from gateway.store.rows import Submission, SubmissionChanges
    from gateway.validation.report import Report

SEVERAL = "000"
# Files the node makes (reports, ACKs, routed parts) and files received by HTTP up to this size are
# kept in the database with the transaction that refers to them: one flush, where a blob file
# costs two or three.
KEPT_IN_DATABASE_BYTES = 256 << 10
DEFAULT_PROCESSING_LEASE_SECONDS = 600.0  # longer than any one file's validation and routing
RECOVER_BATCH = 100  # unfinished submissions taken over per recovery pass
UNFINISHED = ("received", "validated")


@dataclass(frozen=True, slots=True)
class Intake:
    """What receiving a file did: the submission, and the original when it was a repeat."""

    submission: Submission
    duplicate_of: str | None
    reason: str | None


class Pipeline:
    """One gateway node's handling of files: intake, processing, ACK correlation."""

    def __init__(
        self,
        registry: Registry,
        store: Store,
        blobs: BlobStore,
        *,
        max_upload_bytes: int,
        wake_delivery: asyncio.Event | None = None,
        worker_id: str = "",
        lease_seconds: float = DEFAULT_PROCESSING_LEASE_SECONDS,
        hand_off: Callable[[str], None] | None = None,
    ) -> None:
        self.registry = registry
        self.node = registry.node.society
        self.store = store
        self.blobs = blobs
        self.max_upload_bytes = max_upload_bytes
        self.worker_id = worker_id or f"{self.node}-{os.getpid()}"
        self.lease_seconds = lease_seconds
        self.kept_in_database_bytes = KEPT_IN_DATABASE_BYTES
        self._wake = wake_delivery
        self._tasks: set[asyncio.Task[None]] = set()
        self._running: set[str] = set()  # submissions this process is working on now
        # Set when worker processes take the processing: told of each new submission instead.
        self._hand_off = hand_off

    # -- intake ------------------------------------------------------------------------------

    async def receive(
        self,
        chunks: AsyncIterable[bytes],
        *,
        sender: str,
        file_name: str,
        transport: str,
    ) -> Intake:
        """Store the bytes first, then record the submission (once per content or name)."""
        started = clock.monotonic()
        blob = await self.blobs.put_stream(
            chunks, max_bytes=self.max_upload_bytes, hold_up_to=self.kept_in_database_bytes
        )
        return await self.accept(
            sender, file_name, blob.sha256, blob.size, transport, started, content=blob.data
        )

    async def receive_file(
        self, path: Path, *, sender: str, file_name: str, transport: str
    ) -> Intake:
        """Intake of a file already on disk (pulled by SFTP, dropped in a folder)."""
        started = clock.monotonic()
        blob = await asyncio.to_thread(self.blobs.put_file, path, max_bytes=self.max_upload_bytes)
        return await self.accept(sender, file_name, blob.sha256, blob.size, transport, started)

    async def accept(  # noqa: PLR0917 - every argument is a fact of the intake
        self,
        sender: str,
        file_name: str,
        sha256: str,
        size: int,
        transport: str,
        started: float,
        *,
        content: bytes | None = None,
    ) -> Intake:
        """Record stored bytes as a submission (or find the original) and start processing.

        ``content``: a small file's bytes, not yet stored, kept in the submission's transaction.
        """
        receiver = receiver_of(file_name, self.node)
        submission, reason = await asyncio.to_thread(
            partial(self.store.record_submission, content=content),
            sender,
            receiver,
            file_name,
            sha256,
            size,
        )
        if reason is not None:
            log.emit(
                "submission.duplicate",
                node=self.node,
                submission_id=submission.id,
                original_id=submission.id,
                sender=sender,
                file_name=file_name,
                reason=reason,
            )
            return Intake(submission, submission.id, reason)
        log.emit(
            "submission.received",
            node=self.node,
            submission_id=submission.id,
            sender=sender,
            receiver=receiver,
            file_name=file_name,
            bytes=size,
            sha256=sha256,
            transport=transport,
            duration_ms=log.monotonic_ms(started),
        )
        self.schedule(submission.id)
        return Intake(submission, None, None)

    def schedule(self, submission_id: str) -> None:
        """Process a submission in the background (kept referenced until it is done)."""
        if self._hand_off is not None:
            self._hand_off(submission_id)
            return
        task = asyncio.get_running_loop().create_task(self.process(submission_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every submission being processed."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def recover(self) -> int:
        """Process again what a stopped process left half done (received, not yet routed).

        Only submissions no live process holds: with several processes on one database, each
        takes over what a dead one left once that one's lease has run out.
        """
        claimed = await asyncio.to_thread(
            self.store.claim_submissions,
            datetime.now(UTC),
            self.lease_seconds,
            self.worker_id,
            RECOVER_BATCH,
        )
        for submission in claimed:
            if submission.id not in self._running:
                self.schedule(submission.id)
        return len(claimed)

    # -- processing ------------------------------------------------------------------------

    async def process(self, submission_id: str) -> None:
        """Validate, acknowledge and route a submission, or correlate an ACK; never raises."""
        self._running.add(submission_id)
        try:
            await asyncio.to_thread(self.run_once, submission_id)
        except AlreadyFinished:
            pass  # another process got there first (it held the lease after ours ran out)
        except Exception as error:  # noqa: BLE001 - recorded on the submission, loop goes on
            await asyncio.to_thread(self.fail, submission_id, error)
        finally:
            self._running.discard(submission_id)
        if self._wake is not None:
            self._wake.set()

    def fail(self, submission_id: str, error: Exception | str) -> None:
        """Record that a submission could not be processed, unless it was finished meanwhile."""
        reason = error if isinstance(error, str) else repr(error)
        current = self.store.get_submission(submission_id)
        if current is not None and current.status in UNFINISHED:  # never undo a finished one
            self.store.update_submission(submission_id, status="failed", error=reason[:500])

    def run_once(self, submission_id: str) -> None:
        """Process one submission now, in this thread, if its lease is to be had."""
        claimed = self.store.claim_submissions(
            datetime.now(UTC), self.lease_seconds, self.worker_id, 1, submission_id=submission_id
        )
        if claimed:  # else finished, or another process holds it
            self.handle(claimed[0])

    def handle(self, submission: Submission) -> None:
        """Process a submission this worker has claimed (AlreadyFinished if it lost the lease)."""
        with self.blobs.open(submission.sha256) as stream:
            kind = detect_format(stream)
            if kind == ACK_XML or (kind == CWR and _is_cwr_ack(stream)):
                self._correlate(submission, stream, kind)
                return
        self._validate_and_answer(submission, kind)

    def _validate_and_answer(self, submission: Submission, kind: str) -> None:
        started = clock.monotonic()
        with self.blobs.open(submission.sha256) as stream:
            report = validate(stream, source=submission.file_name, pack=self.node)
        made = _Made(self.blobs, self.kept_in_database_bytes)
        try:
            report_blob = made.keep(json.dumps(report.to_dict()).encode())
            counts = report.counts
            # Recorded with the answer or the routing, in its transaction: one commit fewer.
            validated: SubmissionChanges = {
                "format": report.format,
                "version": report.version,
                "report_sha": report_blob.sha256,
            }
            log.emit(
                "submission.validated",
                node=self.node,
                submission_id=submission.id,
                sender=submission.sender,
                format=report.format,
                version=report.version,
                status=report.status,
                transactions=counts["transactions"],
                accepted=counts["accepted"],
                rejected=counts["rejected"],
                messages=len(report.messages),
                duration_ms=log.monotonic_ms(started),
            )
            try:
                if submission.sender == self.node:
                    self._route(submission, report, kind, validated, made=made)
                else:
                    self._answer(submission, report, kind, validated, made=made)
            except AlreadyFinished:
                raise
            except Exception:
                # The report stays reachable beside the failure the caller records.
                with contextlib.suppress(StoreError):
                    made.put_as_blob(report_blob.sha256)
                    self.store.update_submission(submission.id, **validated)
                raise
        finally:
            report.transactions.close()

    # -- a partner's submission: the first ACK goes back, the works are registered here --------

    def _answer(
        self,
        submission: Submission,
        report: Report,
        kind: str,
        validated: SubmissionChanges,
        *,
        made: _Made,
    ) -> None:
        started = clock.monotonic()
        partner = self.registry.partner_for(submission.sender)
        as_xml = kind != CWR or (partner is not None and partner.receive_as == "xml")
        out = io.BytesIO()
        with self.blobs.open(submission.sha256) as original:
            if as_xml:
                context = AckContext(
                    society=self.node,
                    recipient=submission.sender,
                    file_name=submission.file_name,
                    sha256=submission.sha256,
                )
                write_ack_xml(report, out, context)
            else:
                write_ack(original, report, out, society=self.node)
        ack_blob = made.keep(out.getvalue())
        ack_name = _ack_file_name(submission.file_name, self.node, xml=as_xml)
        counts = report.counts
        registrations = [
            RegistrationChange(
                sender=submission.sender,
                submitter_work_number=summary.submitter_work_id,
                society=self.node,
                status=ACK_STATUS[report.effective_status(summary)],
                society_work_number=summary.society_work_id or None,
                iswc=summary.iswc or None,
                title=summary.title or None,
            )
            for summary in report.transactions
            if summary.submitter_work_id
        ]
        deliveries = []
        if partner is not None:
            deliveries.append(
                NewDelivery(
                    recipient=partner.society,
                    file_name=ack_name,
                    sha256=ack_blob.sha256,
                    format="xml" if as_xml else "cwr",
                    version=report.version,
                    transport=partner.transport,
                )
            )
        # One transaction: the ACK, the works' new state and its delivery stand or fall together.
        queued = self.store.complete_routing(
            submission.id,
            deliveries,
            [],
            status="acked",
            changes={**validated, "ack_sha": ack_blob.sha256, "ack_file_name": ack_name},
            registrations=registrations,
            contents=made.contents,
        )
        log.emit(
            "ack.generated",
            node=self.node,
            submission_id=submission.id,
            sender=submission.sender,
            format="xml" if as_xml else "cwr",
            accepted=counts["accepted"],
            rejected=counts["rejected"],
            duration_ms=log.monotonic_ms(started),
        )
        for delivery in queued:
            self._enqueued(
                delivery.id,
                submission.id,
                delivery.recipient,
                delivery.format,
                delivery.version,
                delivery.transport,
                ack_blob.size,
            )

    # -- our own submission: split per recipient, encode each part, into the outbox ---------

    def _route(
        self,
        submission: Submission,
        report: Report,
        kind: str,
        validated: SubmissionChanges,
        *,
        made: _Made,
    ) -> None:
        started = clock.monotonic()
        accepted = {
            (t.group, t.sequence)
            for t in report.transactions
            if report.effective_status(t) == ACCEPTED
        }
        with self.blobs.open(submission.sha256) as stream:
            header, transactions = _transactions(stream, kind)
            plan = route(
                submission.receiver,
                (t for t in transactions if (t.group_id, t.sequence) in accepted),
                self.registry,
                sender=self.node,
            )
        deliveries: list[NewDelivery] = []
        sent: list[SentTransaction] = []
        sizes: dict[str, int] = {}
        for code, part in plan.parts.items():
            created = self._creation_time(code)
            delivery, rows, size = self._encode(
                submission, part.partner, part.transactions, header, created, made=made
            )
            deliveries.append(delivery)
            sent.extend(rows)
            sizes[delivery.id] = size
        registrations = [
            RegistrationChange(
                sender=self.node,
                submitter_work_number=row.submitter_work_number,
                society=row.recipient,
                status=REGISTRATION_SENT,
                title=row.title or None,
            )
            for row in sent
        ]
        self.store.complete_routing(
            submission.id,
            deliveries,
            sent,
            status="routed",
            changes=validated,
            registrations=registrations,
            contents=made.contents,
        )
        log.emit(
            "submission.routed",
            node=self.node,
            submission_id=submission.id,
            recipients=list(plan.recipients),
            transactions=len(accepted),
            unroutable=len(plan.unroutable),
            duration_ms=log.monotonic_ms(started),
        )
        for delivery in deliveries:
            self._enqueued(
                delivery.id,
                submission.id,
                delivery.recipient,
                delivery.format,
                delivery.version,
                delivery.transport,
                sizes[delivery.id],
            )

    def _creation_time(self, recipient: str) -> datetime:
        """A creation time unique per recipient: the ACK key (HDR date-time) must not repeat.

        The store hands it out, so processes sharing a database never stamp two files alike.
        """
        return self.store.reserve_creation_time(recipient, datetime.now(UTC))

    def _encode(
        self,
        submission: Submission,
        partner: Partner,
        transactions: tuple[Transaction, ...],
        header: FileHeader,
        created: datetime,
        *,
        made: _Made,
    ) -> tuple[NewDelivery, list[SentTransaction], int]:
        as_xml = partner.receive_as == "xml"
        name = part_file_name(
            partner,
            year=created.year % 100,
            sequence=_sequence(submission.file_name),
            sender=self.node,
        )
        ours = replace(
            header,
            sender_type="SO",
            sender_id=f"{int(self.node):09d}",
            sender_name=self.registry.node.name.upper()[:45],
            creation_date=created.date(),
            creation_time=created.time(),
            transmission_date=created.date(),
            sender_code="",
            sender_ipi_name_number="",
            file_name=name,
        )
        with tempfile.SpooledTemporaryFile(max_size=16 << 20) as out:
            if as_xml:
                message = MessageInfo(
                    name.rsplit(".", 1)[0], self.node, (partner.society,), created
                )
                writer: CwrWriter | WorksXmlWriter = WorksXmlWriter(out, message)  # type: ignore[arg-type]
            else:
                writer = CwrWriter(out, partner.cwr_version)  # type: ignore[arg-type]
            writer.header(ours)
            for transaction in transactions:
                writer.transaction(transaction.record)
            writer.close()
            out.seek(0)
            encoded = out.read()
        blob = made.keep(encoded)
        delivery = NewDelivery(
            recipient=partner.society,
            file_name=name,
            sha256=blob.sha256,
            format="xml" if as_xml else "cwr",
            version=partner.cwr_version,
            transport=partner.transport,
        )
        _, written = _transactions(io.BytesIO(encoded), WORKS_XML if as_xml else CWR)
        rows = [
            SentTransaction(
                delivery_id=delivery.id,
                recipient=partner.society,
                hdr_creation_date=created.date(),
                hdr_creation_time=created.time(),
                group_id=t.group_id,
                transaction_sequence=t.sequence,
                transaction_type=t.record.record_type,
                submitter_work_number=getattr(t.record, "submitter_work_number", ""),
                title=getattr(t.record, "title", ""),
                original_submission_id=submission.id,
            )
            for t in written
        ]
        return delivery, rows, len(encoded)

    def _enqueued(  # noqa: PLR0917 - private; the fields of one event
        self,
        delivery_id: str,
        submission_id: str,
        recipient: str,
        fmt: str,
        version: str,
        transport: str,
        size: int,
    ) -> None:
        log.emit(
            "delivery.enqueued",
            node=self.node,
            delivery_id=delivery_id,
            submission_id=submission_id,
            recipient=recipient,
            format=fmt,
            version=version,
            transport=transport,
            bytes=size,
        )

    # -- ACKs coming back ------------------------------------------------------------------

    def _correlate(self, submission: Submission, stream: BinaryIO, kind: str) -> None:
        started = clock.monotonic()
        stream.seek(0)
        acks = list(_acknowledgements(stream, kind))
        log.emit(
            "ack.received",
            node=self.node,
            submission_id=submission.id,
            sender=submission.sender,
            transactions=len(acks),
        )
        matched = unmatched = 0
        for ack in acks:
            if ack.creation_date is None or ack.creation_time is None:
                unmatched += 1
                continue
            sent = self.store.find_sent(
                submission.sender,
                ack.creation_date,
                ack.creation_time,
                ack.original_group_id or 0,
                ack.original_transaction_sequence or 0,
            )
            if sent is None:
                unmatched += 1
                continue
            matched += 1
            registration = self.store.upsert_registration(
                self.node,
                sent.submitter_work_number,
                submission.sender,
                ack.transaction_status or "RA",
                society_work_number=ack.recipient_creation_number or None,
                iswc=ack.iswc or None,
                title=sent.title or None,
            )
            log.emit(
                "registration.updated",
                node=self.node,
                society=submission.sender,
                submitter_work_number=sent.submitter_work_number,
                status=registration.status,
                society_work_number=registration.society_work_number or "",
                iswc=registration.iswc or "",
            )
        self.store.complete_routing(submission.id, [], [], status="acked")
        log.emit(
            "ack.correlated",
            node=self.node,
            submission_id=submission.id,
            sender=submission.sender,
            matched=matched,
            unmatched=unmatched,
            duration_ms=log.monotonic_ms(started),
        )


def receiver_of(file_name: str, node: str) -> str:
    """The receiver a file's name gives (CWR or gateway XML naming); this node when it has none."""
    try:
        return CwrFileName.parse(file_name).receiver
    except FileNameError:
        return node


def _sequence(file_name: str) -> int:
    try:
        return CwrFileName.parse(file_name).sequence
    except FileNameError:
        return 1


def _ack_file_name(file_name: str, node: str, *, xml: bool) -> str:
    try:
        name = ack_name_for(CwrFileName.parse(file_name), responder=node)
    except (FileNameError, ValueError):
        return f"ACK_{file_name}"[:200]
    text = name.format()
    return text.rsplit(".", 1)[0] + "_ACK.xml" if xml and not text.endswith(".xml") else text


def _is_cwr_ack(stream: BinaryIO) -> bool:
    """Whether a CWR file's first group is of ACK transactions (an answer, not a submission)."""
    start = stream.tell()
    try:
        for event in read_cwr(stream):
            if isinstance(event, GroupStarted):
                return event.header.transaction_type == "ACK"
            if isinstance(event, TransactionRead):
                return event.transaction.record.record_type == "ACK"
        return False
    finally:
        stream.seek(start)


def _transactions(stream: BinaryIO, kind: str) -> tuple[FileHeader, list[Transaction]]:
    """The header and the transactions of a works file (CWR or works XML)."""
    events = read_events(stream, kind)
    header = FileHeader(record_type="HDR")
    found: list[Transaction] = []
    for event in events:
        if isinstance(event, FileStarted):
            header = event.header
        elif isinstance(event, TransactionRead):
            found.append(event.transaction)
    return header, found


def _acknowledgements(stream: BinaryIO, kind: str) -> Iterator[Acknowledgement]:
    if kind == ACK_XML:
        try:
            yield from read_ack_xml(stream)
        except XmlRefused:
            return
        return
    for event in read_cwr(stream):
        if isinstance(event, TransactionRead) and isinstance(
            event.transaction.record, Acknowledgement
        ):
            yield event.transaction.record


class _Made:
    """The files one submission's processing makes: small ones for the database, large as blobs.

    ``contents`` goes into the transaction that records what refers to them, so the file and the
    state naming it are durable together, with one flush.
    """

    def __init__(self, blobs: BlobStore, up_to: int) -> None:
        self._blobs = blobs
        self._up_to = up_to
        self.contents: dict[str, bytes] = {}

    def keep(self, data: bytes) -> BlobRef:
        """Where ``data`` will be found: in ``contents`` if small, else stored as a blob now."""
        if not self._up_to or len(data) > self._up_to:  # 0: every file a blob
            return self._blobs.put_bytes(data)
        held = self._blobs.hold(data)
        self.contents[held.sha256] = data
        return held

    def put_as_blob(self, sha256: str) -> None:
        """Store one kept file as a blob after all (its transaction did not happen)."""
        if sha256 in self.contents:
            self._blobs.put_bytes(self.contents[sha256])
