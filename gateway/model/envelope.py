"""Envelope of a CWR file: transmission and group headers and trailers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from gateway.model.base import Record


@dataclass(frozen=True, slots=True, kw_only=True)
class FileHeader(Record):
    """HDR (transmission header)."""

    sender_type: str = ""
    sender_id: str = ""
    sender_name: str = ""
    edi_version: str = ""
    creation_date: date | None = None
    creation_time: time | None = None
    transmission_date: date | None = None
    character_set: str = ""
    version: str = ""
    revision: int | None = None
    software_package: str = ""
    software_package_version: str = ""
    sender_code: str = ""
    sender_ipi_name_number: str = ""
    file_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupHeader(Record):
    """GRH (group header)."""

    transaction_type: str = ""
    group_id: int | None = None
    version_number: str = ""
    batch_request: int | None = None
    submission_distribution_type: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupTrailer(Record):
    """GRT (group trailer)."""

    group_id: int | None = None
    transaction_count: int | None = None
    record_count: int | None = None
    currency_indicator: str = ""
    total_monetary_value: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FileTrailer(Record):
    """TRL (transmission trailer)."""

    group_count: int | None = None
    transaction_count: int | None = None
    record_count: int | None = None
