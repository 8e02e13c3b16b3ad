"""Interested parties of a work: publishers and writers in chains, with their shares."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.model.base import Record, Share


@dataclass(frozen=True, slots=True, kw_only=True)
class Publisher(Record):
    """SPU (publisher controlled by submitter) / OPU (other publisher)."""

    publisher_sequence: int | None = None
    interested_party_number: str = ""
    name: str = ""
    unknown_indicator: str = ""
    publisher_type: str = ""
    tax_id: str = ""
    ipi_name_number: str = ""
    submitter_agreement_number: str = ""
    pr_society: str = ""
    pr_ownership_share: Share | None = None
    mr_society: str = ""
    mr_ownership_share: Share | None = None
    sr_society: str = ""
    sr_ownership_share: Share | None = None
    special_agreement_indicator: str = ""
    first_recording_refusal: str = ""
    ipi_base_number: str = ""
    international_standard_agreement_code: str = ""
    society_assigned_agreement_number: str = ""
    agreement_type: str = ""
    usa_license_indicator: str = ""
    non_roman_names: tuple[PublisherNonRomanName, ...] = ()
    territories: tuple[PublisherTerritory, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PublisherNonRomanName(Record):
    """NPN (non-roman alphabet publisher name)."""

    publisher_sequence: int | None = None
    interested_party_number: str = ""
    name: str = ""
    language_code: str = ""
    script_code: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PublisherTerritory(Record):
    """SPT (publisher territory of control) / OPT (publisher non-controlled collection)."""

    interested_party_number: str = ""
    pr_collection_share: Share | None = None
    mr_collection_share: Share | None = None
    sr_collection_share: Share | None = None
    inclusion_exclusion: str = ""
    tis_code: str = ""
    shares_change: str = ""
    sequence: int | None = None
    pr_society: str = ""
    mr_society: str = ""
    sr_society: str = ""
    special_agreement_indicator: str = ""
    first_recording_refusal: str = ""
    submitter_agreement_number: str = ""
    society_assigned_agreement_number: str = ""
    agreement_type: str = ""
    recipient_code: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Writer(Record):
    """SWR (writer controlled by submitter) / OWR (other writer)."""

    interested_party_number: str = ""
    last_name: str = ""
    first_name: str = ""
    unknown_indicator: str = ""
    designation: str = ""
    tax_id: str = ""
    ipi_name_number: str = ""
    pr_society: str = ""
    pr_ownership_share: Share | None = None
    mr_society: str = ""
    mr_ownership_share: Share | None = None
    sr_society: str = ""
    sr_ownership_share: Share | None = None
    reversionary_indicator: str = ""
    first_recording_refusal: str = ""
    work_for_hire: str = ""
    ipi_base_number: str = ""
    personal_number: str = ""
    usa_license_indicator: str = ""
    non_roman_names: tuple[WriterNonRomanName, ...] = ()
    territories: tuple[WriterTerritory, ...] = ()
    publishers: tuple[PublisherForWriter, ...] = ()
    manuscript_share: ManuscriptShare | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WriterNonRomanName(Record):
    """NWN (non-roman alphabet writer name) / NOW (non-roman alphabet other writer name)."""

    interested_party_number: str = ""
    last_name: str = ""
    first_name: str = ""
    language_code: str = ""
    writer_position: str = ""
    script_code: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class WriterTerritory(Record):
    """SWT (writer territory of control) / OWT (other writer collection)."""

    interested_party_number: str = ""
    pr_collection_share: Share | None = None
    mr_collection_share: Share | None = None
    sr_collection_share: Share | None = None
    inclusion_exclusion: str = ""
    tis_code: str = ""
    shares_change: str = ""
    sequence: int | None = None
    pr_society: str = ""
    mr_society: str = ""
    sr_society: str = ""
    recipient_code: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PublisherForWriter(Record):
    """PWR (publisher for writer)."""

    publisher_ip_number: str = ""
    publisher_name: str = ""
    submitter_agreement_number: str = ""
    society_assigned_agreement_number: str = ""
    writer_ip_number: str = ""
    publisher_sequence: int | None = None
    recipient_code: str = ""
    agreement_type: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ManuscriptShare(Record):
    """MAN (writer manuscript share, 3.1): the writer's part of the work as the writers agreed."""

    writer_ip_number: str = ""
    pr_manuscript_share: Share | None = None
    mr_manuscript_share: Share | None = None
    sr_manuscript_share: Share | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IswcWriter(Record):
    """WRI (writer for ISR/ISA, 3.0): a writer named to identify the work an ISWC is for."""

    submitter_work_number: str = ""
    ipi_name_number: str = ""
    last_name: str = ""
    first_name: str = ""
    designation: str = ""
