"""The canonical model: pure, frozen data every codec maps to and from."""

from gateway.model.ack import Acknowledgement, Message
from gateway.model.agreement import Agreement, AgreementParty, AgreementTerritory, PartyNonRomanName
from gateway.model.base import SHARE_WHOLE, Record, Share, values
from gateway.model.issue import Issue
from gateway.model.envelope import FileHeader, FileTrailer, GroupHeader, GroupTrailer
from gateway.model.parties import (
    Publisher,
    PublisherForWriter,
    PublisherNonRomanName,
    PublisherTerritory,
    Writer,
    WriterNonRomanName,
    WriterTerritory,
)
from gateway.model.transaction import CwrFile, Group, Transaction, TransactionRecord
from gateway.model.work import (
    AdditionalInfo,
    AlternateTitle,
    CrossReference,
    Instrumentation,
    InstrumentDetail,
    NonRomanPerformer,
    NonRomanTitle,
    Origin,
    Performer,
    Recording,
    SourceWork,
    Work,
)

# Model classes by name, as the record-type table names them.
MODEL_CLASSES: dict[str, type[Record]] = {
    cls.__name__: cls
    for cls in (
        Acknowledgement,
        Message,
        Agreement,
        AgreementParty,
        AgreementTerritory,
        PartyNonRomanName,
        FileHeader,
        FileTrailer,
        GroupHeader,
        GroupTrailer,
        Publisher,
        PublisherForWriter,
        PublisherNonRomanName,
        PublisherTerritory,
        Writer,
        WriterNonRomanName,
        WriterTerritory,
        AdditionalInfo,
        AlternateTitle,
        CrossReference,
        InstrumentDetail,
        Instrumentation,
        NonRomanPerformer,
        NonRomanTitle,
        Origin,
        Performer,
        Recording,
        SourceWork,
        Work,
    )
}

__all__ = [
    "MODEL_CLASSES",
    "SHARE_WHOLE",
    "Acknowledgement",
    "AdditionalInfo",
    "Agreement",
    "AgreementParty",
    "AgreementTerritory",
    "AlternateTitle",
    "CrossReference",
    "CwrFile",
    "FileHeader",
    "FileTrailer",
    "Group",
    "GroupHeader",
    "GroupTrailer",
    "InstrumentDetail",
    "Instrumentation",
    "Message",
    "NonRomanPerformer",
    "NonRomanTitle",
    "Origin",
    "PartyNonRomanName",
    "Performer",
    "Publisher",
    "PublisherForWriter",
    "PublisherNonRomanName",
    "PublisherTerritory",
    "Record",
    "Recording",
    "Share",
    "SourceWork",
    "Transaction",
    "TransactionRecord",
    "Work",
    "Writer",
    "WriterNonRomanName",
    "WriterTerritory",
    "values",
]
