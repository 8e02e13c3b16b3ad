"""Builders of canonical works and of the CWR files the strict writer makes of them."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, time
from typing import TypeVar

from gateway.formats.cwr.writer import CwrWriter
from gateway.model import (
    Agreement,
    AgreementParty,
    AgreementTerritory,
    FileHeader,
    Publisher,
    PublisherForWriter,
    PublisherTerritory,
    TransactionRecord,
    Work,
    Writer,
    WriterTerritory,
)

HEADER = FileHeader(
    record_type="HDR",
    sender_type="PB",
    sender_id="000000199",
    sender_name="PUBLISHER ONE",
    edi_version="01.10",
    creation_date=date(2024, 1, 1),
    creation_time=time(12, 0, 0),
    transmission_date=date(2024, 1, 1),
)


T = TypeVar("T", PublisherTerritory, WriterTerritory)


def territory(
    cls: type[T], record_type: str, party: str, shares: tuple[int, int, int], **changes: object
) -> T:
    """A party's PR/MR/SR collection in one territory: worldwide, included, first of its party."""
    pr, mr, sr = shares
    base = cls(
        record_type=record_type,
        interested_party_number=party,
        pr_collection_share=pr,
        mr_collection_share=mr,
        sr_collection_share=sr,
        inclusion_exclusion="I",
        tis_code="2136",
        shares_change="N",
        sequence=1,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def publisher(pr: int = 5000, mr: int = 5000, sr: int = 5000, **changes: object) -> Publisher:
    """The submitter's original publisher, PRS-affiliated, collecting worldwide."""
    base = Publisher(
        record_type="SPU",
        publisher_sequence=1,
        interested_party_number="P000001",
        name="PUBLISHER ONE",
        publisher_type="E",
        ipi_name_number="00014107338",
        pr_society="052",
        pr_ownership_share=pr,
        mr_society="052",
        mr_ownership_share=mr,
        sr_society="052",
        sr_ownership_share=sr,
        territories=(territory(PublisherTerritory, "SPT", "P000001", (pr, mr, sr)),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def writer(pr: int = 5000, mr: int = 5000, sr: int = 5000, **changes: object) -> Writer:
    """A controlled composer-author with the publisher above."""
    base = Writer(
        record_type="SWR",
        interested_party_number="W000001",
        last_name="DOE",
        first_name="JOHN",
        designation="CA",
        ipi_name_number="00014107338",
        pr_society="052",
        pr_ownership_share=pr,
        mr_society="052",
        mr_ownership_share=mr,
        sr_society="052",
        sr_ownership_share=sr,
        territories=(territory(WriterTerritory, "SWT", "W000001", (pr, mr, sr)),),
        publishers=(
            PublisherForWriter(
                record_type="PWR",
                publisher_ip_number="P000001",
                publisher_name="PUBLISHER ONE",
                writer_ip_number="W000001",
                publisher_sequence=1,
            ),
        ),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def work(title: str = "A SONG", number: str = "SW0001", **changes: object) -> Work:
    """A valid original work: one publisher and one writer sharing every right half and half."""
    base = Work(
        record_type="NWR",
        title=title,
        submitter_work_number=number,
        iswc="T0345246801",
        distribution_category="POP",
        recorded_indicator="Y",
        version_type="ORI",
        publishers=(publisher(),),
        writers=(writer(),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def agreement(**changes: object) -> Agreement:
    """A valid agreement: a writer assigns his publishing share worldwide to one publisher."""
    base = Agreement(
        record_type="AGR",
        submitter_agreement_number="AG0001",
        agreement_type="OS",
        start_date=date(2024, 1, 1),
        prior_royalty_status="N",
        post_term_collection_status="N",
        number_of_works=1,
        territories=(
            AgreementTerritory(record_type="TER", inclusion_exclusion="I", tis_code="2136"),
        ),
        parties=(
            AgreementParty(
                record_type="IPA",
                agreement_role="AS",
                interested_party_number="W000001",
                last_name="DOE",
                pr_society="052",
                pr_share=5000,
                mr_society="052",
                mr_share=0,
                sr_society="052",
                sr_share=0,
            ),
            AgreementParty(
                record_type="IPA",
                agreement_role="AC",
                interested_party_number="P000001",
                last_name="PUBLISHER ONE",
                pr_society="052",
                pr_share=5000,
                mr_society="052",
                mr_share=10000,
                sr_society="052",
                sr_share=10000,
            ),
        ),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def cwr_bytes(
    records: list[TransactionRecord], version: str = "2.1", header: FileHeader = HEADER
) -> bytes:
    """A whole CWR file of these transactions, as the strict writer writes it."""
    out = io.BytesIO()
    writer_ = CwrWriter(out, version)
    writer_.header(header)
    for record in records:
        writer_.transaction(record)
    writer_.close()
    return out.getvalue()
