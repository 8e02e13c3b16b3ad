"""Identifier edits: ISWC, IPI name and base numbers, ISRC and EAN carry valid check digits."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from gateway import identifiers
from gateway.model import Record, Work
from gateway.validation.registry import Finding, edit
from gateway.validation.rules._work import WORK_TYPES


def _bad(records: tuple[Record, ...], name: str, valid: Callable[[str], bool]) -> Iterator[Finding]:
    for record in records:
        value = getattr(record, name)
        if value and not valid(value):
            yield Finding(record, field=name, value=value)


@edit("NWR F 004", *WORK_TYPES, rejection="FR")
def work_iswc(work: Work) -> Iterator[Finding]:
    """An ISWC, when given, is valid (FR: replaced with spaces)."""
    yield from _bad((work,), "iswc", identifiers.iswc_is_valid)


@edit("SPU F 010", *WORK_TYPES, rejection="FR")
def publisher_ipi_name(work: Work) -> Iterator[Finding]:
    """A publisher's IPI name number, when given, has a valid check digit."""
    yield from _bad(work.publishers, "ipi_name_number", identifiers.ipi_name_number_is_valid)


@edit("SPU F 024", *WORK_TYPES, rejection="FR")
def publisher_ipi_base(work: Work) -> Iterator[Finding]:
    """A publisher's IPI base number, when given, is well formed with a valid check digit."""
    yield from _bad(work.publishers, "ipi_base_number", identifiers.ipi_base_number_is_valid)


@edit("SWR F 009", *WORK_TYPES, rejection="FR")
def writer_ipi_name(work: Work) -> Iterator[Finding]:
    """A writer's IPI name number, when given, has a valid check digit."""
    yield from _bad(work.writers, "ipi_name_number", identifiers.ipi_name_number_is_valid)


@edit("SWR F 022", *WORK_TYPES, rejection="FR")
def writer_ipi_base(work: Work) -> Iterator[Finding]:
    """A writer's IPI base number, when given, is well formed with a valid check digit."""
    yield from _bad(work.writers, "ipi_base_number", identifiers.ipi_base_number_is_valid)


@edit("REC F 010", *WORK_TYPES, rejection="FR")
def recording_isrc(work: Work) -> Iterator[Finding]:
    """A recording's ISRC, when given, is well formed (FR: replaced with spaces)."""
    yield from _bad(work.recordings, "isrc", identifiers.isrc_is_valid)


@edit("REC F 009", *WORK_TYPES, rejection="FR")
def recording_ean(work: Work) -> Iterator[Finding]:
    """A recording's EAN, when given, has a valid check digit (FR: replaced with spaces)."""
    yield from _bad(work.recordings, "ean", identifiers.ean13_is_valid)
