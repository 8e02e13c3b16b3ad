"""CWR 3.x work edits under their CWR22-0146 numbers (3.1 Rev 0 §3.1, §3.3, §4.1-4.11).

3.0 files carry the 3.1 numbers too. The rules see one transaction and not the file's version:
MAN exists in 3.1 only, so the manuscript-share edits judge a transaction that holds MAN records
and cannot tell a 3.1 WRK without any MAN from a 3.0 one (see ``_manuscript_shares``). EXC gets
the transaction edits 3.1 §3.3 lists for it; its shares may exceed 100 % (p. 18), so no totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import groupby

from gateway.codes import territory_countries
from gateway.model import (
    ManuscriptShare,
    Publisher,
    PublisherTerritory,
    Work,
    Writer,
    WriterTerritory,
)
from gateway.validation.registry import Finding, edit
from gateway.validation.rules._work import RIGHTS, TOLERANCE, chains, percent

WORK = "WRK"
CONFLICT = "EXC"
ALL_RECIPIENTS = "0000"  # 3.1 WRK edit 24: recipient 0000 is "all recipients"
_AUTHORS = frozenset({"C", "A", "CA"})
_ADAPTERS = frozenset({"AR", "AD", "SR", "SA", "TR"})  # 3.1 adds SA and TR to 2.x's ORI edit
_TEXT_WRITERS = frozenset({"CA", "A", "SA", "TR"})
_CHAIN_HEADS = frozenset({"E", "PA"})
_PR_LIMIT = 5000  # SPT/OPT PR collection: 0-50 %
_WHOLE = 10000
_NAMED = 3  # territories a share-total message names before it counts the rest

Shares = tuple[int, int, int]
Party = Publisher | Writer
Territory = PublisherTerritory | WriterTerritory


def _collection(t: Territory) -> Shares:
    return (t.pr_collection_share or 0, t.mr_collection_share or 0, t.sr_collection_share or 0)


def _manuscript(m: ManuscriptShare) -> Shares:
    return (m.pr_manuscript_share or 0, m.mr_manuscript_share or 0, m.sr_manuscript_share or 0)


def _manuscript_shares(work: Work) -> list[ManuscriptShare]:
    """The work's MAN records; a transaction with any is a 3.1 one, where every writer needs one."""
    return [w.manuscript_share for w in work.writers if w.manuscript_share is not None]


# -- writers (3.1 Rev 0 §3.1 WRK edits 4-6, 11, 17, 23; §3.3 EXC edits 4-6, 10, 12, 13) ---------


@edit("WRK T 005", WORK)
def has_a_writer_and_manuscript_shares(work: Work) -> Iterator[Finding]:
    """A WRK has an SWR or OWR and, in 3.1, a MAN after every SWR and OWR."""
    # Edit 5 (p. 14) asks for "one MAN"; the transaction table (p. 13) makes MAN mandatory, once,
    # after each SWR and OWR, which is the reading here. A 3.1 WRK without any MAN passes: the
    # rule cannot tell it from a 3.0 WRK, which has no MAN record (module docstring).
    if not work.writers:
        yield Finding(work)
    elif _manuscript_shares(work):
        for w in work.writers:
            if w.manuscript_share is None:
                yield Finding(w, f"{w.record_type} {w.interested_party_number} has no MAN")


@edit("EXC T 005", CONFLICT)
def has_a_writer(work: Work) -> Iterator[Finding]:
    """An EXC has at least one SWR or OWR."""
    if not work.writers:
        yield Finding(work)


@edit("WRK T 006", WORK)
@edit("EXC T 006", CONFLICT)
def has_an_author(work: Work) -> Iterator[Finding]:
    """At least one writer is a composer or author (C, A, CA)."""
    if work.writers and not any(w.designation in _AUTHORS for w in work.writers):
        yield Finding(work)


@edit("WRK T 004", WORK)
@edit("EXC T 004", CONFLICT)
def modified_work_has_adapter(work: Work) -> Iterator[Finding]:
    """A MOD work has an arranger, adapter, sub-arranger, sub-author or translator."""
    if (
        work.version_type == "MOD"
        and work.writers
        and not any(w.designation in _ADAPTERS for w in work.writers)
    ):
        yield Finding(work, field="version_type", value="MOD")


@edit("WRK T 011", WORK)
@edit("EXC T 010", CONFLICT)
def original_work_has_no_adapter(work: Work) -> Iterator[Finding]:
    """An ORI work has no arranger, adapter, sub-arranger, sub-author or translator."""
    if work.version_type == "ORI":
        for w in work.writers:
            if w.designation in _ADAPTERS:
                yield Finding(w, field="designation", value=w.designation)


@edit("WRK T 017", WORK)
@edit("EXC T 012", CONFLICT)
def music_only_has_no_lyricist(work: Work) -> Iterator[Finding]:
    """A MUS (music only) work has no CA, A, SA or TR writer."""
    if work.text_music_relationship == "MUS":
        for w in work.writers:
            if w.designation in _TEXT_WRITERS:
                yield Finding(w, field="designation", value=w.designation)


@edit("WRK T 023", WORK)
@edit("EXC T 013", CONFLICT)
def serious_work_has_instrumentation(work: Work) -> Iterator[Finding]:
    """A SER work carries an INS or an IND."""
    if work.distribution_category == "SER" and not (work.instrumentation or work.instruments):
        yield Finding(work, field="distribution_category", value="SER")


@edit("WRK T 009", WORK)
@edit("EXC T 009", CONFLICT)
def controlled_writer_has_territory(work: Work) -> Iterator[Finding]:
    """Every SWR has at least one SWT (3.x SWRs own nothing: no share exempts them)."""
    for w in work.writers:
        if w.record_type == "SWR" and not any(t.record_type == "SWT" for t in w.territories):
            yield Finding(w, f"SWR {w.interested_party_number} has no SWT")


# -- publisher chains (WRK edits 2, 7, 8; EXC edits 2, 7, 8; SPU edits) -------------------------


@edit("WRK T 002", WORK)
def controlled_chain_has_territory(work: Work) -> Iterator[Finding]:
    """Every chain with an SPU has at least one SPT."""
    # 3.1 p. 14 edit 2 is per chain; the CWR22-0146 text says "publishers ... missing an SPT".
    # The chain is the clear reading: an original publisher that sub-published everything may
    # carry no SPT of its own (compare EXC T 002, which asks it of every SPU).
    for number, chain in chains(work):
        spus = [p for p in chain if p.record_type == "SPU"]
        if spus and not any(t.record_type == "SPT" for p in chain for t in p.territories):
            yield Finding(spus[0], f"chain {number} has no SPT")


@edit("EXC T 002", CONFLICT)
def publisher_in_conflict_has_territory(work: Work) -> Iterator[Finding]:
    """Every SPU of an EXC has at least one SPT."""
    for p in work.publishers:
        if p.record_type == "SPU" and not any(t.record_type == "SPT" for t in p.territories):
            yield Finding(p, f"SPU {p.interested_party_number} has no SPT")


@edit("WRK T 007", WORK)
@edit("EXC T 007", CONFLICT)
def no_other_publisher_in_controlled_chain(work: Work) -> Iterator[Finding]:
    """An OPU never sits in a chain that an SPU started."""
    for _, chain in chains(work):
        if chain[0].record_type == "SPU":
            yield from (
                Finding(p, f"OPU in chain {p.publisher_sequence}")
                for p in chain
                if p.record_type == "OPU"
            )


@edit("WRK T 008", WORK)
@edit("EXC T 008", CONFLICT)
def one_original_publisher_per_chain(work: Work) -> Iterator[Finding]:
    """A chain holds at most one original publisher (role E)."""
    for number, chain in chains(work):
        originals = [p for p in chain if p.publisher_type == "E"]
        if len(originals) > 1:
            yield Finding(originals[1], f"chain {number} has {len(originals)} original publishers")


@edit("SPU R 001", WORK)
def chain_starts_with_original_publisher(work: Work) -> Iterator[Finding]:
    """A chain's first SPU/OPU is an original publisher or income participant (E or PA)."""
    # A blank role is left to the field edits (SPU F 012 for an SPU; an OPU's defaults to E).
    for _, chain in chains(work):
        role = chain[0].publisher_type
        if role and role not in _CHAIN_HEADS:
            yield Finding(chain[0], field="publisher_type", value=role)


@edit("SPU F 021", WORK)
def acquirer_follows_original_publisher(work: Work) -> Iterator[Finding]:
    """An AQ (acquirer) comes after an original publisher (E) of its chain."""
    # 3.1 p. 27 SPU edit 12 "must follow an SPU record with a role code of 'E'": an E earlier in
    # the same chain, not necessarily the record just before (an administrator may sit between).
    for _, chain in chains(work):
        for i, p in enumerate(chain):
            if p.publisher_type == "AQ" and not any(q.publisher_type == "E" for q in chain[:i]):
                yield Finding(p, field="publisher_type", value="AQ")


# -- collection shares: SPT/OPT (§4.4-4.5), SWT/OWT (§4.9-4.10), WRK edit 24 ---------------------


def _publisher_territories(work: Work) -> Iterator[tuple[Publisher, PublisherTerritory]]:
    return ((p, t) for p in work.publishers for t in p.territories)


def _writer_territories(work: Work) -> Iterator[tuple[Writer, WriterTerritory]]:
    return ((w, t) for w in work.writers for t in w.territories)


def _over(records: Iterable[tuple[Party, Territory]], right: str, cap: int) -> Iterator[Finding]:
    name = f"{right}_collection_share"
    for _, t in records:
        share = getattr(t, name) or 0
        if share > cap:
            yield Finding(t, field=name, value=percent(share))


@edit("SPT F 008", WORK)
def publisher_territory_pr_range(work: Work) -> Iterator[Finding]:
    """SPT/OPT PR collection lies within 0-50 %."""
    yield from _over(_publisher_territories(work), "pr", _PR_LIMIT)


@edit("SPT F 009", WORK)
def publisher_territory_mr_range(work: Work) -> Iterator[Finding]:
    """SPT/OPT MR collection lies within 0-100 %."""
    yield from _over(_publisher_territories(work), "mr", _WHOLE)


@edit("SPT F 010", WORK)
def publisher_territory_sr_range(work: Work) -> Iterator[Finding]:
    """SPT/OPT SR collection lies within 0-100 %."""
    yield from _over(_publisher_territories(work), "sr", _WHOLE)


# SWT F 007-009 and MAN F 003-005: CWR22-0146 reads "0-100% +/- 0.06%" (as 3.0 p. 47 does);
# 3.1 p. 34 and p. 35 give the bare 0-100 %. The catalogue's tolerance is applied: over 100.06 %.
@edit("SWT F 007", WORK)
def writer_territory_pr_range(work: Work) -> Iterator[Finding]:
    """SWT/OWT PR collection lies within 0-100 % (± 0.06 %)."""
    yield from _over(_writer_territories(work), "pr", _WHOLE + TOLERANCE)


@edit("SWT F 008", WORK)
def writer_territory_mr_range(work: Work) -> Iterator[Finding]:
    """SWT/OWT MR collection lies within 0-100 % (± 0.06 %)."""
    yield from _over(_writer_territories(work), "mr", _WHOLE + TOLERANCE)


@edit("SWT F 009", WORK)
def writer_territory_sr_range(work: Work) -> Iterator[Finding]:
    """SWT/OWT SR collection lies within 0-100 % (± 0.06 %)."""
    yield from _over(_writer_territories(work), "sr", _WHOLE + TOLERANCE)


@edit("SPT R 001", WORK)
def publisher_territory_included_collects(work: Work) -> Iterator[Finding]:
    """An included ('I') SPT/OPT collects something of at least one right."""
    # 3.1 p. 28 says an all-zero SPT may record a publisher's place in a chain; SPT record edit 1
    # (p. 30) rejects it. The edit is applied; a receiver following p. 28 switches it off.
    for _, t in _publisher_territories(work):
        if t.inclusion_exclusion == "I" and not any(_collection(t)):
            yield Finding(t, field="inclusion_exclusion", value="I")


@edit("SWT R 001", WORK)
def writer_territory_included_collects(work: Work) -> Iterator[Finding]:
    """An included ('I') SWT/OWT collects something of at least one right."""
    for _, t in _writer_territories(work):
        if t.inclusion_exclusion == "I" and not any(_collection(t)):
            yield Finding(t, field="inclusion_exclusion", value="I")


@edit("SPT F 007", WORK)
def publisher_territory_names_its_publisher(work: Work) -> Iterator[Finding]:
    """An SPT's interested party number is its SPU's (a blank one is a mandatory-field failure)."""
    for p, t in _publisher_territories(work):
        number = t.interested_party_number
        if t.record_type == "SPT" and number and number != p.interested_party_number:
            yield Finding(t, field="interested_party_number", value=number)


@edit("SWT F 005", WORK)
def controlled_territory_follows_controlled_writer(work: Work) -> Iterator[Finding]:
    """An SWT follows an SWR, never an OWR."""
    for w, t in _writer_territories(work):
        if t.record_type == "SWT" and w.record_type == "OWR":
            yield Finding(t, f"SWT after OWR {w.interested_party_number}")


@edit("SWT F 006", WORK)
def controlled_territory_names_its_writer(work: Work) -> Iterator[Finding]:
    """An SWT carries its SWR's interested party number."""
    for w, t in _writer_territories(work):
        number = t.interested_party_number
        if (
            t.record_type == "SWT"
            and w.record_type == "SWR"
            and number != w.interested_party_number
        ):
            yield Finding(t, field="interested_party_number", value=number)


@edit("SWT F 015", WORK)
def other_territory_not_in_controlled_chain(work: Work) -> Iterator[Finding]:
    """An OWT never follows an SWR."""
    for w, t in _writer_territories(work):
        if t.record_type == "OWT" and w.record_type == "SWR":
            yield Finding(t, f"OWT after SWR {w.interested_party_number}")


@edit("SWT F 016", WORK)
def other_territory_names_its_writer(work: Work) -> Iterator[Finding]:
    """An OWT's interested party number, when entered, is its OWR's."""
    for w, t in _writer_territories(work):
        number = t.interested_party_number
        if (
            t.record_type == "OWT"
            and w.record_type == "OWR"
            and number
            and number != w.interested_party_number
        ):
            yield Finding(t, field="interested_party_number", value=number)


@edit("WRK T 024", WORK)
def collection_totals(work: Work) -> Iterator[Finding]:
    """Where publishers collect a right, SPT+OPT+SWT+OWT total 100 % (± 0.06 %) per territory."""
    # 3.1 p. 15 edit 24, per territory, Recipient Code and right. Territories are compared country
    # by country (TIS groups resolved); a party's records apply in file order, an 'E' removing
    # countries an earlier 'I' gave (the SWT example, p. 32-33). Recipient 0000 counts towards
    # every other recipient's total as well as its own. The catalogue says "a tolerance of plus
    # 00006", 3.1 p. 15 "a tolerance of 00006": ± is applied, as for every other CISAC total (three
    # writers at 33.33 % make 99.99 %).
    publishers = list(_publisher_territories(work))
    writers = list(_writer_territories(work))
    records: list[tuple[Party, Territory]] = [*publishers, *writers]
    atoms = _atoms(tuple(sorted({t.tis_code for _, t in records})))
    paid_by = _layers(publishers, atoms)
    written_by = _layers(writers, atoms)
    for recipient in sorted(paid_by.keys() | written_by.keys()):
        keys = (recipient,) if recipient == ALL_RECIPIENTS else (recipient, ALL_RECIPIENTS)
        paid = _sum(paid_by.get(k, {}) for k in keys)
        total = _sum([paid, *(written_by.get(k, {}) for k in keys)])
        for i, right in enumerate(RIGHTS):
            wrong = {
                atom: total[atom][i]
                for atom, shares in paid.items()
                if shares[i] and abs(total[atom][i] - _WHOLE) > TOLERANCE
            }
            by_total = sorted(wrong, key=wrong.__getitem__)
            for value, group in groupby(by_total, key=wrong.__getitem__):
                where = _written(records, set(group), keys, atoms)
                yield Finding(
                    work,
                    f"{right.upper()} collection for recipient {recipient} "
                    f"totals {percent(value)} in {where}",
                )


@lru_cache(maxsize=1024)
def _atoms(codes: tuple[str, ...]) -> dict[str, frozenset[int]]:
    """For each TIS code, its atoms: the classes of countries that no code of ``codes`` splits.

    Totals are kept by atom rather than by country: a work written for the world alone has one
    atom, not the 200-odd countries of TIS 2136.
    """
    signatures: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        for country in _countries(code):
            signatures.setdefault(country, []).append(i)
    numbered: dict[tuple[int, ...], int] = {}
    of_code: list[set[int]] = [set() for _ in codes]
    for signature in map(tuple, signatures.values()):
        if signature not in numbered:
            numbered[signature] = atom = len(numbered)
            for i in signature:
                of_code[i].add(atom)
    return {code: frozenset(of_code[i]) for i, code in enumerate(codes)}


def _layers(
    records: Iterable[tuple[Party, Territory]], atoms: dict[str, frozenset[int]]
) -> dict[str, dict[int, Shares]]:
    """Collection by recipient code and atom: each party's records in order, then summed."""
    per_party: dict[tuple[int, str], dict[int, Shares]] = {}
    for party, t in records:
        layer = per_party.setdefault((id(party), t.recipient_code), {})
        if t.inclusion_exclusion == "E":
            for atom in atoms[t.tis_code]:
                layer.pop(atom, None)
        elif t.inclusion_exclusion == "I":
            layer.update(dict.fromkeys(atoms[t.tis_code], _collection(t)))
    by_recipient: dict[str, list[dict[int, Shares]]] = {}
    for (_, recipient), layer in per_party.items():
        by_recipient.setdefault(recipient, []).append(layer)
    return {recipient: _sum(layers) for recipient, layers in by_recipient.items()}


def _sum(layers: Iterable[dict[int, Shares]]) -> dict[int, Shares]:
    total: dict[int, Shares] = {}
    for layer in layers:
        for atom, (pr, mr, sr) in layer.items():
            a, b, c = total.get(atom, (0, 0, 0))
            total[atom] = (a + pr, b + mr, c + sr)
    return total


def _countries(tis: str) -> frozenset[str]:
    try:
        return territory_countries(tis)
    except KeyError:  # unknown or blank: the TIS field edit reports it
        return frozenset()


def _written(
    records: list[tuple[Party, Territory]],
    group: set[int],
    recipients: tuple[str, ...],
    atoms: dict[str, frozenset[int]],
) -> str:
    """The TIS codes, as written, of the included records that cover these atoms."""
    written = sorted(
        {
            t.tis_code
            for _, t in records
            if t.recipient_code in recipients
            and t.inclusion_exclusion == "I"
            and group & atoms[t.tis_code]
        }
    )
    named = ", ".join(written[:_NAMED])
    rest = len(written) - _NAMED
    return f"TIS {named} and {rest} more" if rest > 0 else f"TIS {named}"


# -- manuscript shares: MAN (3.1 §4.11), WRK edit 25 ---------------------------------------------


@edit("WRK T 025", WORK)
def manuscript_totals(work: Work) -> Iterator[Finding]:
    """The writers' MAN shares of each right total 100 % (± 0.06 %)."""
    # 3.1 p. 15 edit 25; "plus 00006" in the catalogue read as ± (see WRK T 024). A WRK without
    # MAN is a 3.0 one (or fails WRK T 005 per writer): nothing to total.
    shares = [_manuscript(m) for m in _manuscript_shares(work)]
    if not shares:
        return
    for i, right in enumerate(RIGHTS):
        total = sum(s[i] for s in shares)
        if abs(total - _WHOLE) > TOLERANCE:
            yield Finding(work, f"{right.upper()} manuscript shares total {percent(total)}")


@edit("MAN F 002", WORK)
def manuscript_share_names_its_writer(work: Work) -> Iterator[Finding]:
    """A MAN's writer IP number, when entered, is its SWR's or OWR's."""
    # CWR22-0146 says "writer IP number was missing"; 3.1 p. 35 field edit 1 that it "must match
    # the Interested Party Number entered on the preceding SWR/OWR". A blank one is MAN F 001's
    # case, which the reader reports as a mandatory-field failure (GW F 005).
    for w in work.writers:
        m = w.manuscript_share
        if m is not None and m.writer_ip_number and m.writer_ip_number != w.interested_party_number:
            yield Finding(m, field="writer_ip_number", value=m.writer_ip_number)


def _manuscript_over(work: Work, right: str) -> Iterator[Finding]:
    name = f"{right}_manuscript_share"
    for m in _manuscript_shares(work):
        share = getattr(m, name) or 0
        if share > _WHOLE + TOLERANCE:
            yield Finding(m, field=name, value=percent(share))


@edit("MAN F 003", WORK)
def manuscript_pr_range(work: Work) -> Iterator[Finding]:
    """A MAN's PR share lies within 0-100 % (± 0.06 %)."""
    yield from _manuscript_over(work, "pr")


@edit("MAN F 004", WORK)
def manuscript_mr_range(work: Work) -> Iterator[Finding]:
    """A MAN's MR share lies within 0-100 % (± 0.06 %)."""
    yield from _manuscript_over(work, "mr")


@edit("MAN F 005", WORK)
def manuscript_sr_range(work: Work) -> Iterator[Finding]:
    """A MAN's SR share lies within 0-100 % (± 0.06 %)."""
    yield from _manuscript_over(work, "sr")


# -- publisher for writer (3.1 §4.12) ------------------------------------------------------------


@edit("PWR F 003", WORK)
def publisher_for_writer_names_a_chain(work: Work) -> Iterator[Finding]:
    """A PWR's publisher sequence number is one of the work's chains."""
    numbers = {p.publisher_sequence for p in work.publishers}
    for w in work.writers:
        for link in w.publishers:
            number = link.publisher_sequence
            if number is not None and number not in numbers:
                yield Finding(link, field="publisher_sequence", value=f"{number:02d}")
