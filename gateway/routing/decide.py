"""Routing decisions: which partners each transaction of a file goes to.

Pure functions of a file's receiver, its transactions and the partner registry; no I/O.

* A file addressed to one society goes to that society's partner entry, or to the hub that
  serves it, whole.
* A file addressed to several (``000``, or ``0000`` in 3.x) is split: each transaction goes to
  the partners entitled to it (``recipients_of``), each part later encoded in its recipient's
  format and version (``RoutedPart.partner.receive_as`` / ``.cwr_version``).

Who is entitled to a work:

1. every society named in a PR, MR or SR affiliation of one of its publishers or writers
   (controlled or not), or on an included 3.x territory record; and
2. every partner with a ``territories`` entry overlapping the countries the work's parties
   collect in. A party collects in the countries of its included (``I``) territory records
   with a non-zero PR, MR or SR collection share, taken in order so that a later excluded
   (``E``) record removes its countries (``I 2136`` then ``E 0276``: the world but Germany).
   Groups such as 2136 (world) are expanded with the TIS tables; a partner collecting in a
   group is entitled when any of its countries is covered.

Agreements are routed the same way: the societies of their parties, the territories of their
TER records. Only registry partners count, a society served by a hub counting as the hub; the
file's sender and this gateway's own society never do. A transaction that cannot be placed is
listed as ``Unroutable`` with a stable ``code`` (``UNROUTABLE_CODES``) and a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from gateway.codes import territory_countries
from gateway.codes._societies import society_key
from gateway.model import (
    Acknowledgement,
    Agreement,
    Publisher,
    PublisherTerritory,
    Transaction,
    Work,
    Writer,
    WriterTerritory,
)
from gateway.routing.filenames import CwrFileName, xml_file_name
from gateway.routing.partners import Partner, Registry

__all__ = [
    "SEVERAL",
    "UNROUTABLE_CODES",
    "RoutedPart",
    "RoutingPlan",
    "Unroutable",
    "decide",
    "part_file_name",
    "recipients_of",
    "route",
]

SEVERAL = "000"  # the receiver of a file for several societies (3.x writes 0000)
# CWR's own society codes, never a recipient: public domain and no society.
_NO_SOCIETY = frozenset({"000", "099"})

UNROUTABLE_CODES: Mapping[str, str] = MappingProxyType(
    {
        "no_recipient": "sent to several societies, but no partner is entitled to it",
        "not_splittable": "an acknowledgement cannot be split by shares",
        "unknown_receiver": "the receiver is neither a partner nor served by a partner hub",
        "receiver_is_node": "addressed to this gateway's own society: nothing to forward",
        "receiver_is_sender": "addressed back to its own sender",
    }
)


@dataclass(frozen=True, slots=True)
class Unroutable:
    """A transaction no partner receives, with a stable code and a reason a person can act on."""

    transaction: Transaction
    code: str  # one of UNROUTABLE_CODES
    reason: str


@dataclass(frozen=True, slots=True)
class RoutedPart:
    """The transactions one partner receives, in their original order."""

    partner: Partner
    transactions: tuple[Transaction, ...]

    @property
    def recipient(self) -> str:
        """The partner's society code: the receiver of the file this part becomes."""
        return self.partner.society


@dataclass(frozen=True, slots=True)
class RoutingPlan:
    """Where every transaction of one file goes: parts by recipient, and what cannot go."""

    receiver: str
    sender: str
    parts: Mapping[str, RoutedPart]  # by recipient society code, sorted
    unroutable: tuple[Unroutable, ...]

    @property
    def recipients(self) -> tuple[str, ...]:
        """The society codes of the partners that receive a part, sorted."""
        return tuple(self.parts)


def recipients_of(record: Work | Agreement, registry: Registry, *, sender: str) -> frozenset[str]:
    """The society codes of the partners entitled to a work (or agreement); see the module."""
    return _recipients(record, registry, sender=sender)[0]


def decide(
    transaction: Transaction, receiver: str, registry: Registry, *, sender: str
) -> frozenset[str] | Unroutable:
    """The partners one transaction of a file from ``sender`` to ``receiver`` goes to.

    Never empty: a transaction no partner receives comes back as ``Unroutable``.
    """
    to = _code(receiver)
    if to != SEVERAL:
        return _to_receiver(transaction, to, registry, sender=sender)
    record = transaction.record
    if isinstance(record, Acknowledgement):
        return _unroutable(transaction, "not_splittable", "an ACK answers one file; not split")
    found, named, covered = _recipients(record, registry, sender=sender)
    if found:
        return found
    why = _why_nobody(record, named, covered, registry, sender=_code(sender))
    return _unroutable(transaction, "no_recipient", why)


def route(
    receiver: str, transactions: Iterable[Transaction], registry: Registry, *, sender: str
) -> RoutingPlan:
    """Split a file's transactions per recipient partner (or send them all to its receiver).

    ``transactions`` may be a stream; only the per-recipient lists are held.
    """
    lists: dict[str, list[Transaction]] = {}
    unroutable: list[Unroutable] = []
    for transaction in transactions:
        decision = decide(transaction, receiver, registry, sender=sender)
        if isinstance(decision, Unroutable):
            unroutable.append(decision)
            continue
        for code in decision:
            lists.setdefault(code, []).append(transaction)
    parts = {
        code: RoutedPart(registry.partners[code], tuple(lists[code])) for code in sorted(lists)
    }
    return RoutingPlan(
        receiver=_code(receiver),
        sender=_code(sender),
        parts=MappingProxyType(parts),
        unroutable=tuple(unroutable),
    )


def part_file_name(partner: Partner, *, year: int, sequence: int, sender: str) -> str:
    """The name of the file a part becomes, in the partner's format and CWR version."""
    if partner.receive_as == "xml":
        return xml_file_name(year, sequence, sender, partner.society)
    kind = "SUB" if partner.cwr_version.startswith("3") else ""
    return CwrFileName(
        year=year,
        sequence=sequence,
        sender=sender,
        receiver=partner.society,
        version=partner.cwr_version,
        kind=kind,
    ).format()


def _to_receiver(
    transaction: Transaction, to: str, registry: Registry, *, sender: str
) -> frozenset[str] | Unroutable:
    if to == registry.node.society:
        return _unroutable(transaction, "receiver_is_node", f"the file is addressed to us ({to})")
    if to == _code(sender):
        return _unroutable(transaction, "receiver_is_sender", f"{to} sent it to itself")
    partner = registry.partner_for(to)
    if partner is None:
        return _unroutable(
            transaction, "unknown_receiver", f"receiver {to} is not in the partner registry"
        )
    return frozenset({partner.society})


def _recipients(
    record: Work | Agreement, registry: Registry, *, sender: str
) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The entitled partners, and the societies named and countries covered that led there."""
    named = frozenset(_named_societies(record))
    covered = _covered_countries(record)
    excluded = {_code(sender), registry.node.society}
    found: set[str] = set()
    for code in named - excluded:
        partner = registry.partner_for(code)
        if partner is not None:
            found.add(partner.society)
    if covered:
        for partner in registry.partners.values():
            if _countries_of(partner.territories) & covered:
                found.add(partner.society)
    return frozenset(found - excluded), named, covered


def _named_societies(record: Work | Agreement) -> Iterator[str]:
    codes: list[str] = []
    if isinstance(record, Agreement):
        for ipa in record.parties:
            codes += (ipa.pr_society, ipa.mr_society, ipa.sr_society)
    else:
        for party in _parties(record):
            codes += (party.pr_society, party.mr_society, party.sr_society)
            for place in party.territories:
                if place.inclusion_exclusion.strip().upper() == "I":
                    codes += (place.pr_society, place.mr_society, place.sr_society)
    for code in codes:
        key = society_key(code)
        if key is not None and key not in _NO_SOCIETY:
            yield key


def _parties(work: Work) -> tuple[Publisher | Writer, ...]:
    return (*work.publishers, *work.writers)


def _covered_countries(record: Work | Agreement) -> frozenset[str]:
    if isinstance(record, Agreement):
        # TER records carry no shares: every included territory counts.
        return _apply_in_order(
            (t.inclusion_exclusion, t.tis_code, True) for t in record.territories
        )
    covered: set[str] = set()
    for party in _parties(record):
        covered |= _apply_in_order(
            (t.inclusion_exclusion, t.tis_code, _collects(t)) for t in party.territories
        )
    return frozenset(covered)


def _collects(record: PublisherTerritory | WriterTerritory) -> bool:
    shares = (record.pr_collection_share, record.mr_collection_share, record.sr_collection_share)
    return any(share for share in shares)


def _apply_in_order(entries: Iterable[tuple[str, str, bool]]) -> frozenset[str]:
    """Countries after applying inclusions and exclusions in record order."""
    countries: set[str] = set()
    for flag, code, collects in entries:
        try:
            members = territory_countries(code)
        except KeyError:
            continue  # an unknown TIS code covers nothing; validation reports it
        if flag.strip().upper() == "I" and collects:
            countries |= members
        elif flag.strip().upper() == "E":
            countries -= members
    return frozenset(countries)


@lru_cache(maxsize=512)
def _countries_of(codes: tuple[str, ...]) -> frozenset[str]:
    found: set[str] = set()
    for code in codes:
        found |= territory_countries(code)  # registry codes were checked on load
    return frozenset(found)


def _code(party: str) -> str:
    """A society code as 3 digits (``0000`` is ``000``); a publisher code upper-cased."""
    return society_key(party) or party.strip().upper()


def _unroutable(transaction: Transaction, code: str, detail: str) -> Unroutable:
    what = _describe(transaction)
    return Unroutable(transaction, code, f"{what}: {UNROUTABLE_CODES[code]} ({detail})")


def _describe(transaction: Transaction) -> str:
    record = transaction.record
    label = f"{transaction.transaction_type} group {transaction.group_id} "
    label += f"transaction {transaction.sequence}"
    if isinstance(record, Work) and (record.title or record.submitter_work_number):
        label += f" {record.title!r} ({record.submitter_work_number})"
    elif isinstance(record, Agreement) and record.submitter_agreement_number:
        label += f" agreement {record.submitter_agreement_number}"
    return label


def _why_nobody(
    record: Work | Agreement,
    named: frozenset[str],
    covered: frozenset[str],
    registry: Registry,
    *,
    sender: str,
) -> str:
    def status(code: str) -> str:
        partner = registry.partner_for(code)
        if code == registry.node.society:
            return f"{code} (this gateway)"
        if code == sender:
            return f"{code} (the sender)"
        if partner is not None:
            return f"{code} (through {partner.society}, the sender)"
        return f"{code} (not a partner)"

    societies = ", ".join(status(code) for code in sorted(named)) or "none"
    if covered:
        where = f"its parties collect in {len(covered)} countries, none a partner's"
    elif isinstance(record, Agreement):
        where = "it includes no territory"
    else:
        where = "no included territory with a collection share"
    return f"societies named: {societies}; {where}"
