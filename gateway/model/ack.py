"""Acknowledgements and their messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from gateway.model.agreement import Agreement
from gateway.model.base import Record
from gateway.model.parties import IswcWriter
from gateway.model.work import CrossReference, Work


@dataclass(frozen=True, slots=True, kw_only=True)
class Acknowledgement(Record):
    """ACK (acknowledgement of transaction)."""

    creation_date: date | None = None
    creation_time: time | None = None
    original_group_id: int | None = None
    original_transaction_sequence: int | None = None
    original_transaction_type: str = ""
    creation_title: str = ""
    submitter_creation_number: str = ""
    recipient_creation_number: str = ""
    processing_date: date | None = None
    transaction_status: str = ""
    recipient_temporary_creation_number: str = ""
    original_file_name: str = ""
    language_code: str = ""
    iswc: str = ""
    iswc_preferred_indicator: str = ""
    messages: tuple[Message, ...] = ()
    agreement: Agreement | None = None
    work: Work | None = None
    conflict: Work | None = None
    cross_references: tuple[CrossReference, ...] = ()
    iswc_confirmation: Acknowledgement | None = None
    iswc_writers: tuple[IswcWriter, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(Record):
    """MSG (message)."""

    message_type: str = ""
    original_record_sequence: int | None = None
    original_record_type: str = ""
    message_level: str = ""
    validation_number: str = ""
    message_text: str = ""
