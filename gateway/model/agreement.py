"""Agreements between publishers (the AGR transaction) and their parties."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gateway.model.base import Record, Share


@dataclass(frozen=True, slots=True, kw_only=True)
class Agreement(Record):
    """AGR (agreement supporting work registration)."""

    submitter_agreement_number: str = ""
    international_standard_agreement_code: str = ""
    agreement_type: str = ""
    start_date: date | None = None
    end_date: date | None = None
    retention_end_date: date | None = None
    prior_royalty_status: str = ""
    prior_royalty_start_date: date | None = None
    post_term_collection_status: str = ""
    post_term_collection_end_date: date | None = None
    signature_date: date | None = None
    number_of_works: int | None = None
    sales_manufacture_clause: str = ""
    shares_change: str = ""
    advance_given: str = ""
    society_assigned_agreement_number: str = ""
    territories: tuple[AgreementTerritory, ...] = ()
    parties: tuple[AgreementParty, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementTerritory(Record):
    """TER (territory in agreement)."""

    inclusion_exclusion: str = ""
    tis_code: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementParty(Record):
    """IPA (interested party of agreement)."""

    agreement_role: str = ""
    ipi_name_number: str = ""
    ipi_base_number: str = ""
    interested_party_number: str = ""
    last_name: str = ""
    first_name: str = ""
    pr_society: str = ""
    pr_share: Share | None = None
    mr_society: str = ""
    mr_share: Share | None = None
    sr_society: str = ""
    sr_share: Share | None = None
    non_roman_names: tuple[PartyNonRomanName, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyNonRomanName(Record):
    """NPA (non-roman alphabet agreement party name)."""

    interested_party_number: str = ""
    last_name: str = ""
    first_name: str = ""
    language_code: str = ""
