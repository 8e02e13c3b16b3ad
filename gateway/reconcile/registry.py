"""The works a society registered, indexed for matching statement lines to them.

A :class:`WorkRegistry` holds each registered work in the compact form reconciliation needs:
its titles, ISWC, submitter work number and its parties with their ownership and territorial
collection shares. It is filled from the same files the gateway sends and receives:

* works files (CWR 2.x/3.x or the gateway's works XML): each NWR/REV/WRK registers a work; a
  later registration of the same submitter work number replaces the earlier one;
* acknowledgements (CWR ACK or the gateway's ack XML) from the societies that received them:
  the society's own work number and the ISWC it gave, tied to our submitter work number;
* the service's registration state (``Registration`` rows), which holds the same facts.

Facts only add up: an ACK arriving before its work is kept and applied when the work comes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

from gateway.codes import sending_society, territory_countries
from gateway.collector import collector_paused
from gateway.formats.cwr.events import FileStarted, TransactionRead
from gateway.formats.cwr.reader import read_cwr
from gateway.formats.detect import ACK_XML, CWR, WORKS_XML, detect_format
from gateway.formats.xml.ack import AckFileRead, read_ack_xml
from gateway.formats.xml.checked_reader import read_works_checked
from gateway.formats.xml.secure import XmlRefused
from gateway.model import (
    Acknowledgement,
    Publisher,
    PublisherTerritory,
    Share,
    Work,
    Writer,
    WriterTerritory,
)

# The statement right types and the index of their share in (PR, MR, SR) triples.
RIGHT_INDEX = {"PER": 0, "MEC": 1, "SYN": 2}
_REGISTERING = frozenset({"NWR", "REV", "WRK"})
_ACCEPTED = frozenset({"RA", "AS", "AC", "SR", "CO", "DU"})  # statuses that name a registered work


T = TypeVar("T")


class RegistrationFacts(Protocol):
    """What a registration state row (``gateway.store.rows.Registration``) tells about a work."""

    @property
    def submitter_work_number(self) -> str:
        """Our work number."""
        ...

    @property
    def society(self) -> str:
        """The society that answered."""
        ...

    @property
    def society_work_number(self) -> str | None:
        """Its number for the work, when it gave one."""
        ...

    @property
    def iswc(self) -> str | None:
        """The ISWC it gave, if any."""
        ...


class RegistryError(ValueError):
    """A registrations file the gateway cannot read at all."""


@dataclass(frozen=True, slots=True)
class TerritoryShares:
    """One SPT/SWT record: collection shares (PR, MR, SR) in or out of a TIS territory."""

    included: bool
    tis_code: str
    shares: tuple[Share, Share, Share]


@dataclass(frozen=True, slots=True)
class RegisteredParty:
    """A writer or publisher of a registered work, with what it owns and collects where."""

    name: str  # publisher name, or writer "LAST FIRST"
    ipi_name_number: str
    role: str  # writer designation or publisher type
    is_writer: bool
    controlled: bool  # SPU/SWR (the registrant's own) rather than OPU/OWR
    societies: tuple[str, str, str]  # PR, MR, SR affiliation
    ownership: tuple[Share, Share, Share]
    territories: tuple[TerritoryShares, ...] = ()

    def collection_share(self, right: str, territory: str, on: date | None = None) -> Share:
        """What this party collects of ``right`` in ``territory`` (a TIS code) on ``on``.

        Without territory records the ownership share applies everywhere. Otherwise the
        records apply in order, each country taking the share of the last inclusion covering
        it, an exclusion setting it to 0; a territory of several countries (a TIS group) takes
        the smallest share among them, so a partial cover is never read as a full one.
        """
        index = RIGHT_INDEX[right]
        if not self.territories:
            return self.ownership[index]
        countries = _countries(territory, on)
        if not countries:
            return 0
        shares: dict[str, Share] = {}
        for record in self.territories:
            covered = countries & _countries(record.tis_code, on)
            value = record.shares[index] if record.included else 0
            for country in covered:
                shares[country] = value
        return min(shares.get(country, 0) for country in countries)


@lru_cache(maxsize=4096)
def _countries(code: str, on: date | None) -> frozenset[str]:
    try:
        return territory_countries(code, on=on)
    except KeyError:
        return frozenset()  # an unknown TIS code covers nothing; validation reports it


@dataclass(frozen=True, slots=True)
class RegisteredWork:
    """One registered work, as reconciliation needs it."""

    submitter_work_number: str
    title: str
    iswc: str
    registrant: str  # the society (3 digits) or publisher code that registered it
    parties: tuple[RegisteredParty, ...]
    alternate_titles: tuple[str, ...] = ()
    source: str = field(default="", compare=False)  # file (and line) it was read from

    @property
    def titles(self) -> tuple[str, ...]:
        """The title and every alternate title."""
        return (self.title, *self.alternate_titles)


@dataclass(frozen=True, slots=True)
class SocietyNumber:
    """A work number a society gave one of our works, from its ACK or the registration state."""

    society: str
    number: str
    iswc: str = ""


class WorkRegistry:
    """Registered works with indexes by submitter work number, ISWC and society work number."""

    def __init__(self) -> None:
        self.works: list[RegisteredWork] = []
        self._by_submitter: dict[str, int] = {}
        self._by_iswc: dict[str, set[int]] = {}
        self._by_society_number: dict[tuple[str, str], set[int]] = {}
        self._pending: dict[str, list[SocietyNumber]] = {}  # ACK facts waiting for their work
        self._acked_iswcs: set[tuple[str, int]] = set()  # ISWCs a society gave, kept on REV
        self.sources: list[str] = []  # files read, in order
        self.skipped: list[str] = []  # what could not be used, and why
        self.version = 0  # counts changes to the works and their identifiers: tables age
        self._derived: dict[tuple[Hashable, ...], tuple[int, object]] = {}

    def __len__(self) -> int:
        return len(self.works)

    def add_work(self, work: Work, *, registrant: str, source: str = "") -> int | None:
        """Register (or re-register) ``work``; its index, or None without a work number."""
        number = work_key(work.submitter_work_number)
        if not number:
            self.skipped.append(f"{source}: {work.record_type} {work.title!r} has no work number")
            return None
        registered = RegisteredWork(
            submitter_work_number=work.submitter_work_number.strip(),
            title=work.title.strip(),
            iswc=work.iswc.strip(),
            registrant=registrant,
            parties=tuple(_parties(work)),
            alternate_titles=tuple(t.title.strip() for t in work.alternate_titles if t.title),
            source=source,
        )
        self.version += 1
        index = self._by_submitter.get(number)
        if index is None:
            index = len(self.works)
            self.works.append(registered)
            self._by_submitter[number] = index
        else:
            replaced = self.works[index].iswc
            if replaced and (replaced, index) not in self._acked_iswcs:
                self._by_iswc.get(replaced, set()).discard(index)  # the REV's ISWC replaces it
            self.works[index] = registered
        if registered.iswc:
            self._by_iswc.setdefault(registered.iswc, set()).add(index)
        for known in self._pending.pop(number, []):
            self._link(index, known)
        return index

    def add_society_number(self, submitter_work_number: str, known: SocietyNumber) -> None:
        """Tie a society's work number (and ISWC) to our work, now or when it is registered."""
        number = work_key(submitter_work_number)
        if not number:
            return
        index = self._by_submitter.get(number)
        if index is None:
            self._pending.setdefault(number, []).append(known)
        else:
            self._link(index, known)

    def add_acknowledgement(self, ack: Acknowledgement, society: str) -> None:
        """What a society's ACK says about one of our works (only when it registered it)."""
        if ack.transaction_status.strip() not in _ACCEPTED:
            return
        self.add_society_number(
            ack.submitter_creation_number,
            SocietyNumber(society, ack.recipient_creation_number.strip(), ack.iswc.strip()),
        )

    def add_registration(self, row: RegistrationFacts) -> None:
        """A registration state row of the service (society number and ISWC from its ACK)."""
        self.add_society_number(
            row.submitter_work_number,
            SocietyNumber(row.society, row.society_work_number or "", row.iswc or ""),
        )

    def _link(self, index: int, known: SocietyNumber) -> None:
        self.version += 1
        if known.number:
            key = (known.society, work_key(known.number))
            self._by_society_number.setdefault(key, set()).add(index)
        if known.iswc:
            self._by_iswc.setdefault(known.iswc, set()).add(index)
            self._acked_iswcs.add((known.iswc, index))

    def by_submitter_number(self, number: str) -> int | None:
        """The work registered under our submitter work number."""
        return self._by_submitter.get(work_key(number))

    def by_iswc(self, iswc: str) -> frozenset[int]:
        """The works known by ``iswc`` (more than one means the ISWC is ambiguous here)."""
        return frozenset(self._by_iswc.get(iswc, ()))

    def derived(self, build: Callable[..., T], *args: Hashable) -> T:
        """What ``build(registry, *args)`` makes (an index, tables), made once per version."""
        key = (build, *args)
        made = self._derived.get(key)
        if made is None or made[0] != self.version:
            made = self._derived[key] = (self.version, build(self, *args))
        return made[1]  # type: ignore[return-value] # made by this very build

    def unique_iswcs(self) -> dict[str, int]:
        """Each ISWC naming exactly one work, with that work."""
        return {iswc: next(iter(works)) for iswc, works in self._by_iswc.items() if len(works) == 1}

    def by_society_number(self, society: str, number: str) -> frozenset[int]:
        """The works ``society`` numbered ``number`` in its ACKs."""
        return frozenset(self._by_society_number.get((society, work_key(number)), ()))

    def society_numbers(self) -> int:
        """How many (society, work number) pairs are known."""
        return len(self._by_society_number)


def work_key(number: str) -> str:
    """A work number as compared: blanks trimmed, upper case."""
    return number.strip().upper()


def _parties(work: Work) -> Iterator[RegisteredParty]:
    for publisher in work.publishers:
        yield _publisher(publisher)
    for writer in work.writers:
        yield _writer(writer)


def _publisher(publisher: Publisher) -> RegisteredParty:
    return RegisteredParty(
        name=publisher.name.strip(),
        ipi_name_number=publisher.ipi_name_number.strip(),
        role=publisher.publisher_type.strip(),
        is_writer=False,
        controlled=publisher.record_type == "SPU",
        societies=_societies(publisher),
        ownership=_ownership(publisher),
        territories=_territories(publisher.territories),
    )


def _writer(writer: Writer) -> RegisteredParty:
    return RegisteredParty(
        name=" ".join(
            part for part in (writer.last_name.strip(), writer.first_name.strip()) if part
        ),
        ipi_name_number=writer.ipi_name_number.strip(),
        role=writer.designation.strip(),
        is_writer=True,
        controlled=writer.record_type == "SWR",
        societies=_societies(writer),
        ownership=_ownership(writer),
        territories=_territories(writer.territories),
    )


def _territories(
    records: Iterable[PublisherTerritory | WriterTerritory],
) -> tuple[TerritoryShares, ...]:
    return tuple(
        TerritoryShares(
            included=record.inclusion_exclusion.strip().upper() != "E",
            tis_code=record.tis_code,
            shares=(
                record.pr_collection_share or 0,
                record.mr_collection_share or 0,
                record.sr_collection_share or 0,
            ),
        )
        for record in records
    )


def _societies(party: Publisher | Writer) -> tuple[str, str, str]:
    return (
        _society(party.pr_society),
        _society(party.mr_society),
        _society(party.sr_society),
    )


def _society(code: str) -> str:
    stripped = code.strip()
    return stripped.zfill(3) if stripped.isdigit() else stripped


def _ownership(party: Publisher | Writer) -> tuple[Share, Share, Share]:
    return (
        party.pr_ownership_share or 0,
        party.mr_ownership_share or 0,
        party.sr_ownership_share or 0,
    )


def load_registrations(
    paths: Iterable[str | Path], registry: WorkRegistry | None = None
) -> WorkRegistry:
    """A registry filled from works and acknowledgement files (CWR or XML, told apart by content).

    Raises :class:`RegistryError` for a file that is none of these, or cannot be opened.
    """
    registry = registry if registry is not None else WorkRegistry()
    for path in paths:
        name = Path(path).name
        try:
            with Path(path).open("rb") as stream:
                read_registrations(stream, registry, source=name)
        except OSError as error:
            raise RegistryError(f"{path}: cannot be read ({error.strerror or error})") from None
        registry.sources.append(name)
    return registry


def read_registrations(stream: BinaryIO, registry: WorkRegistry, *, source: str) -> None:
    """Add what one works or acknowledgement file says to ``registry``."""
    with collector_paused():  # a catalogue is ~12 long-lived objects a work
        _read_registrations(stream, registry, source)


def _read_registrations(stream: BinaryIO, registry: WorkRegistry, source: str) -> None:
    kind = detect_format(stream)
    try:
        if kind == ACK_XML:
            about = AckFileRead()
            acks = list(read_ack_xml(stream, about=about))  # the sender is read with the header
            for ack in acks:
                registry.add_acknowledgement(ack, about.sender)
        elif kind == WORKS_XML:
            _read_events(read_works_checked(stream), registry, source)
        elif kind == CWR:
            _read_events(read_cwr(stream), registry, source)
        else:
            raise RegistryError(
                f"{source}: not a works or acknowledgement file (CWR, works XML or ack XML); "
                f"detected {kind}"
            )
    except XmlRefused as refusal:
        raise RegistryError(f"{source}: {refusal}") from None


def _read_events(events: Iterable[object], registry: WorkRegistry, source: str) -> None:
    sender = "000"
    registrant = ""
    started = False
    for event in events:
        if isinstance(event, FileStarted):
            started = True
            header = event.header
            sender = sending_society(header.sender_type, header.sender_code or header.sender_id)
            registrant = sender if sender != "000" else (header.sender_code or header.sender_id)
        elif isinstance(event, TransactionRead):
            record = event.transaction.record
            if isinstance(record, Acknowledgement):
                registry.add_acknowledgement(record, sender)
            elif isinstance(record, Work) and record.record_type in _REGISTERING:
                line = event.records[0].line if event.records else None
                where = f"{source} line {line}" if line else source
                registry.add_work(record, registrant=registrant.strip(), source=where)
    if not started:
        raise RegistryError(f"{source}: not a works or acknowledgement file (no HDR record)")
