"""Benchmark: reconciling a large CSV statement against registered works.

    python bench/reconcile.py [--lines 1000000] [--works 100000] [--repeat 3] [--workdir DIR]

Generates, from a fixed seed, ``--works`` registered works as a CWR 2.1 file (written by the
strict ``CwrWriter``: one publisher and one to three writers each, territories, ISWCs with
their check digits) and a CSV statement of ``--lines`` lines paying them (GEMA 035 paying PRS
052 for performing rights, EUR). Each work is paid on several lines (parties x territories x
use types); most lines carry the work's ISWC, some only our submitter work number, a few
percent only the title (some with a typo), and a small share pays works that are not
registered. A few lines are duplicated, pay a share other than the registered one, leave a
registered party out or pay a party that is not registered. The generator records what it
planted: the match methods, discrepancies per kind and the totals.

Then, ``--repeat`` times each, interleaved, medians reported:

* **load** the registrations (``load_registrations`` of the CWR file);
* **end to end**: reconcile the CSV file as ``gateway reconcile`` does (``reconcile_files``:
  the file read and reconciled, then the result), against the registrations already loaded;
* **reconcile only**: the same on statement items read into a list beforehand;
* **read only**: ``read_statement_csv`` over the file, every item consumed;
* **baseline**: bare ``csv.reader`` over the same file.

Peak RSS (``ru_maxrss``) of an end-to-end run (registrations loaded, then the statement
reconciled) and of the baseline is measured in child processes, started through ``sh`` as the
other benches do. Every reconciliation is checked against what the generator planted, so a
broken run is reported, not timed. Results: a table on stdout and ``bench/out/reconcile.json``
(or ``--results``). Target (the issue): end to end >= 200,000 lines/s.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from datetime import time as clock
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from cwr_validate import LAUNCH, OUT, machine, maxrss_mib, say, since
from xml_validate import changed_modules, gateway_sources

from gateway.formats.csv import read_statement_csv
from gateway.formats.cwr.writer import CwrWriter
from gateway.identifiers import ipi_name_number_check_digits, iswc_check_digit
from gateway.model import (
    FileHeader,
    Publisher,
    PublisherForWriter,
    PublisherTerritory,
    Work,
    Writer,
    WriterTerritory,
)
from gateway.reconcile.engine import Reconciler
from gateway.reconcile.money import scale_half_even
from gateway.reconcile.registry import WorkRegistry, load_registrations
from gateway.reconcile.result import Reconciliation
from gateway.reconcile.run import reconcile_files

T = TypeVar("T")
SEED = 20250630
TARGET_LINES_PER_S = 200_000
CWR_VERSION = "2.1"

# -- what the statement says of itself -------------------------------------------------------

SENDER, RECIPIENT = "035", "052"  # GEMA pays PRS
PERIOD = (date(2025, 1, 1), date(2025, 6, 30))
HEADER_FACTS = {
    "distribution_id": "GEMA-PER-2025H1-052",
    "sender_society": SENDER,
    "recipient_society": RECIPIENT,
    "period_start": PERIOD[0].isoformat(),
    "period_end": PERIOD[1].isoformat(),
    "right_type": "PER",
    "currency": "EUR",
    "message_id": "035-DIST-2025H1-052-0001",
}
LINE_COLUMNS = (
    "line_number", "work_title", "iswc", "sender_work_id", "submitter_work_id", "isrcs",
    "ip_name", "ip_ipi_name_number", "ip_role", "share", "territory", "use_type",
    "gross_amount", "deduction_administration_fee", "deduction_social_cultural", "deductions",
    "net_amount",
)  # fmt: skip
TERRITORIES = ("0276", "0040", "0756", "0442", "0250", "0380", "0826", "0056")
TERRITORY_WEIGHTS = (40, 12, 10, 3, 8, 6, 6, 4)
USE_TYPES = (
    "PerformInPublic", "Broadcast", "OnDemandStream", "LiveConcert", "Cinema", "BackgroundMusic",
)  # fmt: skip
USE_WEIGHTS = (30, 25, 25, 8, 4, 8)
ADMINISTRATION_FEE = 12  # percent of the gross
SOCIAL_CULTURAL = 10

# -- how often each case is planted ----------------------------------------------------------

SHARE_OF_FOREIGN = 0.02  # groups paying a work nobody registered: suspense
SHARE_BY_SUBMITTER = 0.10  # works paid without an ISWC, with our work number
SHARE_BY_TITLE = 0.03  # works paid by title and party name only
TYPO_RATE = 0.3  # of the works paid by title, those whose title has a typo
WITH_SUBMITTER_NUMBER = 0.5  # works paid by ISWC that also carry our work number
MISSING_PARTY_RATE = 0.002  # groups leaving a registered party out
UNREGISTERED_PARTY_RATE = 0.001  # groups paying a party the work does not have
SHARE_CHANGE_RATE = 0.003  # lines paying another share than the registered one
DUPLICATE_RATE = 0.001  # lines sent twice
ISRC_RATE = 0.2  # works whose lines carry a recording code
MIN_TYPO_TITLE = 20  # characters: a typo in a shorter title may fall below the threshold
MIN_FUZZY_WORDS = 3

# -- names and words -------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """The words of a block of text, in order."""
    return text.split()


COMMON_WORDS = _words("""
    LOVE YOU ME MY THE I OF A IN TO HEART NIGHT BABY DOWN TIME HOME DAY LIGHT WAY DREAM GIRL
    SONG LIFE SUMMER RAIN BLUE FIRE WORLD MOON STAR ROAD RIVER LONG SWEET WILD GOLD SILVER COLD
    HOT DANCE RUN FALL RISE SOUL SUN SKY WIND STORM SEA OCEAN ISLAND CITY STREET TOWN LOST FOUND
    FOREVER NEVER ALWAYS AGAIN TONIGHT TOMORROW YESTERDAY MORNING EVENING MIDNIGHT ANGEL DEVIL
    HEAVEN HELL KISS TEARS SMILE HAND EYES LIPS BLOOD BONE STONE GLASS PAPER WINGS BIRD HORSE
    WOLF LION TIGER SNAKE ROSE LILY GARDEN FOREST MOUNTAIN VALLEY DESERT WINTER SPRING AUTUMN
    SNOW ICE FLAME SHADOW GHOST SECRET PROMISE LIE TRUTH WAR PEACE KING QUEEN PRINCE CROWN
    THRONE EMPIRE ECHO SILENCE THUNDER LIGHTNING WAVE TIDE HARBOUR FERRY TRAIN STATION BRIDGE
    TOWER WINDOW DOOR CHAIN KEY LOCK MIRROR PICTURE LETTER RADIO ELECTRIC NEON VELVET LEATHER
    DIAMOND PEARL HONEY SUGAR WHISKEY WINE CANDLE SALT CINDERS ASHES DUST SMOKE MEMORY HIGHWAY
    MIDNIGHT RUNAWAY STRANGER LOVER FRIEND BROTHER SISTER MOTHER FATHER CHILD ORPHAN SAILOR
    SOLDIER DRIFTER DREAMER HUNTER PREACHER GAMBLER OUTLAW RAMBLER LONELY BROKEN GOLDEN HOLLOW
    RESTLESS FADED BURNING FALLING RISING CRYING SHINING SLOW FAST HIGH LOW DEEP BRIGHT DARK
""")
SYLLABLES = _words("""
    KA LO MI NE RA TU SO VE LI DA MO RE SI NA TO PA BE KU ZA FI GO HA JE LU WO YA NI DO
""")
TAIL_WORDS = 20_000  # rarer words after the common ones: titles share a Zipf vocabulary
LAST_NAMES = _words("""
    SMITH JONES TAYLOR BROWN WILLIAMS WILSON JOHNSON DAVIES ROBINSON WRIGHT THOMPSON EVANS
    WALKER WHITE ROBERTS GREEN HALL WOOD JACKSON CLARKE HOLLOWAY OKAFOR PRICE MEYER MUELLER
    SCHMIDT SCHNEIDER FISCHER WEBER WAGNER BECKER HOFFMANN KOCH RICHTER KLEIN WOLF SCHROEDER
    NEUMANN SCHWARZ ZIMMERMANN BRAUN KRUEGER HARTMANN LANGE WERNER KRAUSE LEHMANN KOEHLER
    HERRMANN MARTIN BERNARD DUBOIS DURAND LEROY MOREAU SIMON LAURENT LEFEBVRE MICHEL GARCIA
    ROSSI RUSSO FERRARI ESPOSITO BIANCHI ROMANO COLOMBO RICCI MARINO MURPHY KELLY OBRIEN RYAN
    WALSH BYRNE CAMPBELL STEWART ANDERSON MACDONALD SCOTT REID MURRAY HUGHES EDWARDS MORGAN
    GRIFFITHS
""")
FIRST_NAMES = _words("""
    JAMES JOHN ROBERT MICHAEL DAVID WILLIAM RICHARD THOMAS MARY PATRICIA JENNIFER LINDA
    ELIZABETH SUSAN JESSICA SARAH KAREN EVELYN ADAEZE KLAUS ANNA MARIA PETER HANS JUERGEN STEFAN
    ANDREAS SABINE CLAUDIA PIERRE MARIE SOPHIE CAMILLE LUCA GIULIA MARCO PAOLO SEAN AOIFE CIARAN
    NIAMH EMMA OLIVIA LIAM NOAH GRACE CHLOE LUCY JACK HARRY OSCAR
""")
# Parties nobody registered: written apart from the registered names, so no name comes close.
FOREIGN_LAST = _words("""
    TANAKA WATANABE YAMAMOTO NAKAMURA KOBAYASHI KATO YOSHIDA YAMADA SASAKI YAMAGUCHI MATSUMOTO
    INOUE KIMURA HAYASHI SHIMIZU YAMAZAKI MORI ABE IKEDA HASHIMOTO
""")
FOREIGN_FIRST = _words("""
    HIROSHI TAKESHI YUKI HARUKA SAKURA KENJI AKIRA NAOKI MEGUMI KAORI SHINJI TOMOKO
""")
PUBLISHER_SUFFIXES = ("MUSIC LTD", "PUBLISHING", "MUSIC GMBH", "EDITIONS", "SONGS")
PUBLISHERS = 2_000
WRITERS = 20_000

# -- the registrations file ------------------------------------------------------------------

CWR_HEADER = FileHeader(
    record_type="HDR",
    sender_type="PB",
    sender_id="000000199",
    sender_name="BENCH PUBLISHING GROUP",
    edi_version="01.10",
    creation_date=date(2025, 7, 1),
    creation_time=clock(12, 0, 0),
    transmission_date=date(2025, 7, 1),
)
WORLD = "2136"


@dataclass(frozen=True, slots=True)
class Party:
    """A writer or publisher as the generator knows it."""

    name: str  # as the statement writes it (writers: "LAST FIRST", as registered)
    ipi: str
    role: str
    is_writer: bool
    last: str = ""
    first: str = ""


@dataclass(frozen=True, slots=True)
class PlannedWork:
    """A work (registered or foreign) with its parties and their performing-right shares."""

    number: str
    title: str
    iswc: str
    sender_id: str
    parties: tuple[Party, ...]
    shares: tuple[int, ...]  # PR collection share of each party, hundredths
    isrc: str = ""


@dataclass(slots=True)
class Expected:
    """What reconciling the statement must find (money in cents)."""

    lines: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    paid: int = 0
    suspense: int = 0
    expected: int = 0

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON (counters as plain dicts)."""
        data = asdict(self)
        data["methods"], data["kinds"] = dict(self.methods), dict(self.kinds)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Expected:
        """The plan read back."""
        return cls(
            lines=data["lines"],
            methods=Counter(data["methods"]),
            kinds=Counter(data["kinds"]),
            paid=data["paid"],
            suspense=data["suspense"],
            expected=data["expected"],
        )


def ipi_name_number(serial: int) -> str:
    """A valid 11-digit IPI name number."""
    digits = f"{serial:09d}"
    return digits + ipi_name_number_check_digits(digits)


def iswc(serial: int) -> str:
    """A valid ISWC."""
    digits = f"{serial:09d}"
    return f"T{digits}{iswc_check_digit(digits)}"


class Vocabulary:
    """Title words drawn by Zipf's law: common words first, then a long tail of rarer ones."""

    def __init__(self, rng: random.Random) -> None:
        words = list(dict.fromkeys(COMMON_WORDS))
        known = set(words)
        size = len(words) + TAIL_WORDS
        while len(words) < size:
            word = "".join(rng.choices(SYLLABLES, k=rng.choice((2, 3, 3, 4))))
            if word not in known:
                known.add(word)
                words.append(word)
        self.words = words
        self.weights = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))
        self.rng = rng
        self.used: set[tuple[str, ...]] = set()

    def title(self, *, min_words: int = 1) -> str:
        """A title no work has yet (no two titles have the same words in another order)."""
        while True:
            size = max(min_words, self.rng.choices((1, 2, 3, 4, 5), (10, 30, 35, 20, 5))[0])
            words = self.rng.choices(self.words, cum_weights=self.weights, k=size)
            key = tuple(sorted(words))
            title = " ".join(words)
            if key not in self.used and len(title) <= 60 and len(set(words)) == size:
                self.used.add(key)
                return title


def typo(title: str, rng: random.Random) -> str:
    """The title with one letter of its longest word replaced, its words' order kept.

    The matcher compares titles with their words sorted; a typo that moved a word elsewhere in
    that order would score far lower than one letter is worth (an unmatched line, not a
    planted fuzzy match), so such typos are drawn again.
    """
    words = title.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    order = sorted(range(len(words)), key=words.__getitem__)
    while True:
        at = rng.randrange(1, len(word))
        letter = rng.choice([c for c in "AEIOUNRST" if c != word[at]])
        changed = [*words[:longest], word[:at] + letter + word[at + 1 :], *words[longest + 1 :]]
        if sorted(range(len(changed)), key=changed.__getitem__) == order:
            return " ".join(changed)


def _people(rng: random.Random) -> tuple[list[Party], list[Party]]:
    publishers = []
    for serial in range(PUBLISHERS):
        words = rng.sample(COMMON_WORDS, rng.choice((1, 2)))
        name = f"{' '.join(words)} {rng.choice(PUBLISHER_SUFFIXES)} {serial}"
        publishers.append(Party(name, ipi_name_number(10_000_000 + serial), "E", is_writer=False))
    writers = []
    for serial in range(WRITERS):
        last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
        role = rng.choices(("CA", "C", "A"), (70, 15, 15))[0]
        ipi = ipi_name_number(20_000_000 + serial)
        writers.append(Party(f"{last} {first}", ipi, role, is_writer=True, last=last, first=first))
    return publishers, writers


def _split(total: int, parts: int) -> list[int]:
    """``total`` hundredths in ``parts`` nearly equal shares, the first ones the larger."""
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def plan_works(count: int, rng: random.Random, vocabulary: Vocabulary) -> list[PlannedWork]:
    """The registered works: one publisher (50 % PR) and one to three writers sharing 50 %."""
    publishers, writers = _people(rng)
    works = []
    for serial in range(count):
        authors = rng.sample(writers, rng.choices((1, 2, 3), (45, 40, 15))[0])
        parties = (rng.choice(publishers), *authors)
        isrc = f"DEUM7{25 + serial % 2}{serial % 100_000:05d}" if rng.random() < ISRC_RATE else ""
        works.append(
            PlannedWork(
                number=f"SW{serial:010d}",
                title=vocabulary.title(),
                iswc=iswc(100_000_000 + serial),
                sender_id=str(12_000_000_000 + serial * 7),
                parties=parties,
                shares=(5000, *_split(5000, len(authors))),
                isrc=isrc,
            )
        )
    return works


def foreign_work(serial: int, rng: random.Random, vocabulary: Vocabulary) -> PlannedWork:
    """A work nobody registered, with parties nobody registered either."""
    authors = []
    for number in range(rng.choice((1, 2))):
        last, first = rng.choice(FOREIGN_LAST), rng.choice(FOREIGN_FIRST)
        ipi = ipi_name_number(80_000_000 + serial * 3 + number)
        authors.append(Party(f"{last} {first}", ipi, "CA", is_writer=True, last=last, first=first))
    return PlannedWork(
        number=f"XX{serial:010d}",
        title=vocabulary.title(),
        iswc=iswc(900_000_000 + serial) if rng.random() < 0.5 else "",
        sender_id=str(19_000_000_000 + serial * 7),
        parties=tuple(authors),
        shares=tuple(_split(10000, len(authors))),
    )


# -- the CWR file ----------------------------------------------------------------------------


def _cwr_work(planned: PlannedWork) -> Work:
    publisher, *authors = planned.parties
    spu = Publisher(
        record_type="SPU",
        publisher_sequence=1,
        interested_party_number="P000001",
        name=publisher.name,
        publisher_type="E",
        ipi_name_number=publisher.ipi,
        pr_society=RECIPIENT,
        pr_ownership_share=planned.shares[0],
        mr_society=RECIPIENT,
        mr_ownership_share=10000,
        sr_society=RECIPIENT,
        sr_ownership_share=10000,
        territories=(
            PublisherTerritory(
                record_type="SPT",
                interested_party_number="P000001",
                pr_collection_share=planned.shares[0],
                mr_collection_share=10000,
                sr_collection_share=10000,
                inclusion_exclusion="I",
                tis_code=WORLD,
                shares_change="N",
                sequence=1,
            ),
        ),
    )
    swrs = []
    for index, (author, share) in enumerate(zip(authors, planned.shares[1:], strict=True)):
        number = f"W{index + 1:06d}"
        swrs.append(
            Writer(
                record_type="SWR",
                interested_party_number=number,
                last_name=author.last,
                first_name=author.first,
                designation=author.role,
                ipi_name_number=author.ipi,
                pr_society=RECIPIENT,
                pr_ownership_share=share,
                mr_society=RECIPIENT,
                mr_ownership_share=0,
                sr_society=RECIPIENT,
                sr_ownership_share=0,
                territories=(
                    WriterTerritory(
                        record_type="SWT",
                        interested_party_number=number,
                        pr_collection_share=share,
                        mr_collection_share=0,
                        sr_collection_share=0,
                        inclusion_exclusion="I",
                        tis_code=WORLD,
                        shares_change="N",
                        sequence=1,
                    ),
                ),
                publishers=(
                    PublisherForWriter(
                        record_type="PWR",
                        publisher_ip_number="P000001",
                        publisher_name=publisher.name,
                        writer_ip_number=number,
                    ),
                ),
            )
        )
    return Work(
        record_type="NWR",
        title=planned.title,
        submitter_work_number=planned.number,
        iswc=planned.iswc,
        distribution_category="POP",
        recorded_indicator="Y",
        version_type="ORI",
        publishers=(spu,),
        writers=tuple(swrs),
    )


def write_works(path: Path, works: Sequence[PlannedWork]) -> None:
    """The registrations as one CWR 2.1 file of NWR transactions."""
    with path.open("wb", buffering=1 << 20) as out:
        writer = CwrWriter(out, CWR_VERSION)
        writer.header(CWR_HEADER)
        for planned in works:
            writer.transaction(_cwr_work(planned))
        writer.close()
    if writer.losses:
        raise RuntimeError(f"the CWR writer lost values: {writer.losses[:3]}")


# -- the statement ---------------------------------------------------------------------------


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _percent(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


@dataclass(slots=True)
class _Group:
    """One work paid for one territory and use: the lines with a share, for the party rate."""

    net: int = 0
    share: int = 0


class StatementWriter:
    """Writes statement lines and keeps the account of what reconciling them must find."""

    def __init__(self, out: Any, rng: random.Random) -> None:  # noqa: ANN401 - csv's writer
        self.rows = out
        self.rng = rng
        self.expected = Expected()
        self.number = 0

    def _row(self, work: PlannedWork, party: Party, share: int, group: tuple[str, str],
             gross: int, *, title: str, iswc: str, submitter: str) -> tuple[str, ...]:  # fmt: skip
        fee = gross * ADMINISTRATION_FEE // 100
        social = gross * SOCIAL_CULTURAL // 100
        self.number += 1
        return (
            str(self.number), title, iswc, work.sender_id, submitter, work.isrc, party.name,
            party.ipi, party.role, _percent(share), group[0], group[1], _money(gross),
            _money(fee), _money(social), _money(fee + social), _money(gross - fee - social),
        )  # fmt: skip

    def _write(self, row: tuple[str, ...], method: str) -> int:
        """Write a row; its net in cents."""
        self.rows.writerow((*HEADER_FACTS.values(), *row))
        net = int(row[-1].replace(".", ""))
        self.expected.lines += 1
        self.expected.paid += net
        self.expected.methods[method] += 1
        return net

    def group(self, work: PlannedWork, method: str, key: tuple[str, str], room: int) -> int:
        """Every party's line for one territory and use, with what is planted in them.

        ``room`` is how many lines may still be written; extra lines (a duplicate, a party
        nobody registered) are planted only while there is room for them.
        """
        rng, expected = self.rng, self.expected
        room -= len(work.parties)
        title, iswc, submitter = work.title, work.iswc, work.number
        if method == "submitter_work_id":
            iswc = ""
        elif method in {"fuzzy", "none"}:
            iswc, submitter = (work.iswc if method == "none" else ""), ""
            if method == "fuzzy" and len(title) >= MIN_TYPO_TITLE and rng.random() < TYPO_RATE:
                title = typo(title, rng)
        elif rng.random() >= WITH_SUBMITTER_NUMBER:
            submitter = ""
        registered = method != "none"
        planting = method in {"iswc", "submitter_work_id"}
        amount = int(rng.paretovariate(1.3) * 400)  # the work's gross here, in cents
        parties = list(zip(work.parties, work.shares, strict=True))
        missing: tuple[Party, int] | None = None
        if planting and len(parties) > 1 and rng.random() < MISSING_PARTY_RATE:
            missing = parties.pop(rng.randrange(len(parties)))
        group = _Group()
        written = 0
        for party, registered_share in parties:
            share = registered_share
            changed = planting and rng.random() < SHARE_CHANGE_RATE
            if changed:
                share = registered_share + rng.choice((-1000, -500, 500, 1000))
            gross = max(1, amount * share // 10000)
            row = self._row(work, party, share, key, gross, title=title, iswc=iswc,
                            submitter=submitter)  # fmt: skip
            net = self._write(row, method)
            written += 1
            if not registered:
                expected.suspense += net
                expected.kinds["unmatched_line"] += 1
                continue
            group.net += net
            group.share += share
            if changed:
                expected.expected += scale_half_even(net, registered_share, share)
                kind = "underpaid_share" if share < registered_share else "overpaid_share"
                expected.kinds[kind] += 1
            else:
                expected.expected += net
                if planting and room > 0 and rng.random() < DUPLICATE_RATE:
                    room -= 1
                    self.number += 1
                    self._write((str(self.number), *row[1:]), method)
                    written += 1
                    expected.kinds["duplicate_line"] += 1
        if missing is not None:
            party, share = missing
            expected.expected += scale_half_even(group.net, share, group.share)
            expected.kinds["missing_party"] += 1
        if planting and room > 0 and rng.random() < UNREGISTERED_PARTY_RATE:
            stranger = Party("SASAKI KAORI", ipi_name_number(79_000_000 + self.number), "CA",
                             is_writer=True)  # fmt: skip
            row = self._row(work, stranger, 2500, key, max(1, amount // 4), title=title,
                            iswc=iswc, submitter=submitter)  # fmt: skip
            self._write(row, method)
            written += 1
            expected.kinds["unregistered_party"] += 1
        return written


def _method(rng: random.Random, work: PlannedWork) -> str:
    """How the lines of a registered work will find it."""
    draw = rng.random()
    fuzzy_ok = len(work.title.split()) >= MIN_FUZZY_WORDS
    if draw < SHARE_BY_TITLE and fuzzy_ok:
        return "fuzzy"
    if draw < SHARE_BY_TITLE + SHARE_BY_SUBMITTER:
        return "submitter_work_id"
    return "iswc"


def write_statement(
    path: Path, works: Sequence[PlannedWork], lines: int, rng: random.Random,
    vocabulary: Vocabulary,
) -> Expected:  # fmt: skip
    """A statement of exactly ``lines`` lines paying ``works`` (and some works nobody has)."""
    combos = [(t, u) for t in TERRITORIES for u in USE_TYPES]
    weights = [tw * uw for tw in TERRITORY_WEIGHTS for uw in USE_WEIGHTS]
    parties = sum(len(w.parties) for w in works) or 1
    per_work = lines * (1 - SHARE_OF_FOREIGN) / parties  # groups per work, on average
    methods = {index: _method(rng, work) for index, work in enumerate(works)}
    used: dict[int, set[tuple[str, str]]] = {}
    foreign = 0
    with path.open("w", newline="", encoding="utf-8", buffering=1 << 20) as out:
        rows = csv.writer(out)
        rows.writerow((*HEADER_FACTS, *LINE_COLUMNS))
        statement = StatementWriter(rows, rng)
        left = lines
        order = list(range(len(works)))
        rng.shuffle(order)
        passes = 0
        while left > 0 and passes < len(combos):  # later passes top up what the first left
            passes += 1
            for index in order:
                work = works[index]
                taken = used.setdefault(index, set())
                wanted = int(per_work) + (rng.random() < per_work % 1)
                for _ in range(wanted if passes == 1 else 1):
                    if rng.random() < SHARE_OF_FOREIGN * (1 - SHARE_OF_FOREIGN):
                        foreign += 1
                        stranger = foreign_work(foreign, rng, vocabulary)
                        if left < len(stranger.parties):
                            break
                        left -= statement.group(stranger, "none", rng.choice(combos), left)
                    if left < len(work.parties) or len(taken) == len(combos):
                        break
                    key = rng.choices(combos, weights)[0]
                    while key in taken:
                        key = rng.choice(combos)
                    taken.add(key)
                    left -= statement.group(work, methods[index], key, left)
                if left <= 0:
                    break
        while left > 0:  # the last few lines: single lines of works nobody registered
            foreign += 1
            stranger = foreign_work(foreign, rng, vocabulary)
            stranger = PlannedWork(stranger.number, stranger.title, stranger.iswc,
                                   stranger.sender_id, stranger.parties[:1], (10000,))  # fmt: skip
            left -= statement.group(stranger, "none", rng.choice(combos), left)
    result = statement.expected
    if result.lines != lines:
        raise RuntimeError(f"wrote {result.lines} lines, not {lines}")
    return result


# -- files -----------------------------------------------------------------------------------


def _generator_digest() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def ensure_files(workdir: Path, works: int, lines: int) -> tuple[Path, Path, Expected]:
    """The registrations and the statement in ``workdir``, generated unless already there."""
    works_path = workdir / f"works_{works}.V21"
    statement_path = workdir / f"statement_{lines}_{works}.csv"
    meta_path = workdir / f"statement_{lines}_{works}.meta.json"
    digest = _generator_digest()
    if works_path.exists() and statement_path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if (
            meta.get("generator") == digest
            and meta.get("works_bytes") == works_path.stat().st_size
            and meta.get("statement_bytes") == statement_path.stat().st_size
        ):
            say(f"reusing {works_path.name} and {statement_path.name}")
            return works_path, statement_path, Expected.from_json(meta["expected"])
    rng = random.Random(SEED)
    vocabulary = Vocabulary(rng)
    say(f"generating {works:,} works ...")
    started = time.perf_counter()
    planned = plan_works(works, rng, vocabulary)
    write_works(works_path, planned)
    say(f"  {works_path.name}: {works_path.stat().st_size / 1e6:,.1f} MB in {since(started):.1f} s")
    say(f"generating a statement of {lines:,} lines ...")
    started = time.perf_counter()
    expected = write_statement(statement_path, planned, lines, rng, vocabulary)
    say(
        f"  {statement_path.name}: {statement_path.stat().st_size / 1e6:,.1f} MB in "
        f"{since(started):.1f} s"
    )
    meta = {
        "generator": digest,
        "seed": SEED,
        "works": works,
        "lines": lines,
        "works_bytes": works_path.stat().st_size,
        "statement_bytes": statement_path.stat().st_size,
        "expected": expected.to_json(),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return works_path, statement_path, expected


# -- what is timed ---------------------------------------------------------------------------


def load(works_path: Path) -> WorkRegistry:
    """The registrations, read from the CWR file."""
    return load_registrations([works_path])


def reconcile_file(registry: WorkRegistry, statement: Path) -> Reconciliation:
    """End to end: the statement read from its file and reconciled, then the result.

    Through ``reconcile_files``, what ``gateway reconcile`` runs, with the registrations
    already loaded (its ``registry``; no works file added).
    """
    return reconcile_files([], [statement], registry=registry)


def read_items(statement: Path) -> list[object]:
    """Everything the CSV reader yields, in a list."""
    with statement.open("rb") as stream:
        return list(read_statement_csv(stream, source=statement.name))


def reconcile_items(registry: WorkRegistry, items: list[object]) -> Reconciliation:
    """The reconciliation alone, on items read beforehand."""
    reconciler = Reconciler(registry)
    reconciler.add_statement(items)
    return reconciler.result()


def read_only(statement: Path) -> int:
    """The CSV reader alone: every item consumed; returns how many."""
    with statement.open("rb") as stream:
        return sum(1 for _ in read_statement_csv(stream, source=statement.name))


def baseline(statement: Path) -> int:
    """Bare ``csv.reader`` over the file; returns the data rows."""
    with statement.open(newline="", encoding="utf-8") as stream:
        return sum(1 for _ in csv.reader(stream)) - 1


# -- the check -------------------------------------------------------------------------------


def check(result: Reconciliation, expected: Expected) -> list[str]:
    """Where the reconciliation differs from what the generator planted (empty: all found)."""
    problems = []
    if len(result.statements) != 1:
        return [f"{len(result.statements)} statements in the result, not 1"]
    statement = result.statements[0]
    cents = {name: int(getattr(statement.totals, name).amount.scaleb(2))
             for name in ("paid", "matched", "suspense", "expected")}  # fmt: skip
    wanted_methods = {k: v for k, v in expected.methods.items() if v}
    kinds = {k: v for k, v in result.counts().items() if v}
    facts = [
        ("lines", statement.lines, expected.lines),
        ("issues", statement.issue_count, 0),
        ("suspense lines", statement.suspense_lines, expected.methods["none"]),
        ("match methods", dict(statement.methods), wanted_methods),
        ("discrepancies", kinds, {k: v for k, v in expected.kinds.items() if v}),
        ("paid", cents["paid"], expected.paid),
        ("suspense", cents["suspense"], expected.suspense),
        ("matched", cents["matched"], expected.paid - expected.suspense),
        ("expected", cents["expected"], expected.expected),
        ("paid = matched + suspense", cents["matched"] + cents["suspense"], cents["paid"]),
    ]
    for name, found, wanted in facts:
        if found != wanted:
            problems.append(f"{name}: found {found}, planted {wanted}")
    return problems


def summary(result: Reconciliation) -> dict[str, Any]:
    """What one reconciliation found, for the verdict."""
    statement = result.statements[0]
    return {
        "lines": statement.lines,
        "matched_lines": statement.matched_lines,
        "suspense_lines": statement.suspense_lines,
        "methods": dict(statement.methods),
        "discrepancies": {k: v for k, v in result.counts().items() if v},
        "totals": statement.totals.to_dict(),
    }


# -- child processes (peak memory) -----------------------------------------------------------


def _vmhwm_mib() -> float | None:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def child(kind: str, works_path: Path, statement: Path) -> dict[str, Any]:
    """One measurement in this fresh process: its time and peak RSS."""
    imported = maxrss_mib()
    started = time.perf_counter()
    result: dict[str, Any] = {"kind": kind, "maxrss_after_import_mib": imported}
    if kind == "end_to_end":
        registry = load(works_path)
        result["maxrss_after_registry_mib"] = maxrss_mib()
        loaded = time.perf_counter()
        result["lines"] = reconcile_file(registry, statement).statements[0].lines
        result["reconcile_seconds"] = since(loaded)
    else:
        result["lines"] = baseline(statement)
    return result | {
        "seconds": since(started),
        "maxrss_mib": maxrss_mib(),
        "vmhwm_mib": _vmhwm_mib(),
    }


def measure_in_child(kind: str, works_path: Path, statement: Path) -> dict[str, Any]:
    """``child`` in a subprocess started through sh, so the parent's memory does not count."""
    script = str(Path(__file__).resolve())
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [*LAUNCH, sys.executable, script, "--child", kind, str(works_path), str(statement)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    say(f"  {kind}: peak RSS {result['maxrss_mib']:.1f} MiB ({result['seconds']:.1f} s)")
    return result


# -- the run ---------------------------------------------------------------------------------


def _timed(function: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    value = function()
    return since(started), value


def bench_timed(works_path: Path, statement: Path, expected: Expected, repeat: int
                ) -> tuple[dict[str, list[float]], list[str], dict[str, Any]]:  # fmt: skip
    """Every measurement, interleaved, ``repeat`` times: times, problems found, last summary."""
    baseline(statement)  # warm the page cache; untimed
    registry = load(works_path)
    times: dict[str, list[float]] = {k: [] for k in ("load", "e2e", "reconcile", "read", "csv")}
    problems: list[str] = []
    last: dict[str, Any] = {}
    for run in range(1, repeat + 1):
        seconds, loaded = _timed(lambda: load(works_path))
        times["load"].append(seconds)
        if len(loaded) != len(registry):
            problems.append(f"run {run}: loaded {len(loaded)} works, then {len(registry)}")
        del loaded  # so each end-to-end run sees the process `gateway reconcile` is
        # Run 1 is the registry's first statement: it builds the fuzzy index and the bulk
        # path's tables, which later statements against the same registry reuse.
        seconds, result = _timed(lambda: reconcile_file(registry, statement))
        times["e2e"].append(seconds)
        problems.extend(f"run {run}, end to end: {p}" for p in check(result, expected))
        items = read_items(statement)  # held for reconcile only, not while the others run
        seconds, result = _timed(partial(reconcile_items, registry, items))
        times["reconcile"].append(seconds)
        problems.extend(f"run {run}, reconcile only: {p}" for p in check(result, expected))
        last = summary(result)
        read = len(items)
        del items, result
        seconds, count = _timed(lambda: read_only(statement))
        times["read"].append(seconds)
        if count != read:
            problems.append(f"run {run}: the reader yielded {count} items, then {read}")
        seconds, rows = _timed(lambda: baseline(statement))
        times["csv"].append(seconds)
        if rows != expected.lines:
            problems.append(f"run {run}: csv.reader read {rows} rows, planted {expected.lines}")
        say(f"  run {run}/{repeat}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    return times, problems, last


LABELS = {
    "load": "load registrations (CWR)",
    "e2e": "end to end (CSV file)",
    "reconcile": "reconcile only (lines read)",
    "read": "read only (read_statement_csv)",
    "csv": "csv.reader (baseline)",
}


def print_table(rows: list[dict[str, Any]]) -> None:
    """One row per measurement: median time, lines/s, ratio to the baseline, peak RSS."""
    header = (
        f"{'measurement':<32} {'median s':>9} {'lines/s':>10} {'x baseline':>10}"
        f" {'peak RSS MiB':>13}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        rate = f"{r['lines_per_s']:>10,.0f}" if r["lines_per_s"] else f"{'':>10}"
        ratio = f"{r['x_baseline']:>9.1f}x" if r["x_baseline"] else f"{'':>10}"
        rss = f"{r['peak_rss_mib']:>13.1f}" if r["peak_rss_mib"] else f"{'':>13}"
        print(f"{r['label']:<32} {r['median_s']:>9.2f} {rate} {ratio} {rss}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--child``, one measurement for the parent)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="statement lines")
    parser.add_argument("--works", type=int, default=100_000, help="registered works")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--workdir", type=Path, help="keep (and reuse) the files here")
    parser.add_argument("--results", type=Path, default=OUT / "reconcile.json", help="JSON out")
    parser.add_argument(
        "--child", nargs=3, metavar=("KIND", "WORKS", "CSV"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        kind, works_file, statement_file = args.child
        if kind not in {"end_to_end", "baseline"}:
            parser.error("--child KIND is end_to_end or baseline")
        print(json.dumps(child(kind, Path(works_file), Path(statement_file))))
        return 0
    if args.lines < 100 or args.works < 10 or args.repeat < 1:
        parser.error("use at least --lines 100, --works 10 and --repeat 1")
    with tempfile.TemporaryDirectory(prefix="bench-reconcile-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        return run(args, workdir)


def run(args: argparse.Namespace, workdir: Path) -> int:
    """Generate (or reuse) the files, time, measure, check and report."""
    info, sources = machine(), gateway_sources()
    say(f"{info['cpu']}, {info['cpus']} CPUs, {info['memory_gb']} GB, Python {info['python']}")
    works_path, statement, expected = ensure_files(workdir, args.works, args.lines)
    say(f"timing {args.lines:,} lines against {args.works:,} works, {args.repeat} runs each ...")
    times, problems, last = bench_timed(works_path, statement, expected, args.repeat)
    say("peak RSS, one child process per measurement ...")
    memory = {
        "e2e": measure_in_child("end_to_end", works_path, statement),
        "csv": measure_in_child("baseline", works_path, statement),
    }
    median = {kind: statistics.median(values) for kind, values in times.items()}
    rows = [
        {
            "kind": kind,
            "label": label,
            "median_s": median[kind],
            "times": times[kind],
            "lines_per_s": args.lines / median[kind] if kind != "load" else None,
            "works_per_s": args.works / median[kind] if kind == "load" else None,
            "x_baseline": median[kind] / median["csv"] if kind != "load" else None,
            "peak_rss_mib": memory[kind]["maxrss_mib"] if kind in memory else None,
        }
        for kind, label in LABELS.items()
    ]
    e2e_rate = args.lines / median["e2e"]
    print()
    print(
        f"{args.lines:,} statement lines ({statement.stat().st_size / 1e6:,.1f} MB) against "
        f"{args.works:,} registered works ({works_path.stat().st_size / 1e6:,.1f} MB CWR "
        f"{CWR_VERSION}), {args.repeat} runs, medians"
    )
    print_table(rows)
    print(
        "end-to-end child: registrations loaded at"
        f" {memory['e2e']['maxrss_after_registry_mib']:.1f} MiB peak RSS"
        f" (imports {memory['e2e']['maxrss_after_import_mib']:.1f} MiB); reconciled in"
        f" {memory['e2e']['reconcile_seconds']:.2f} s, a fresh process's first statement"
        f" ({args.lines / memory['e2e']['reconcile_seconds']:,.0f} lines/s)"
    )
    print(
        f"end to end, run 1 (the registry's first statement): {times['e2e'][0]:.2f} s"
        f" ({args.lines / times['e2e'][0]:,.0f} lines/s); later runs reuse its fuzzy index"
        " and tables"
    )
    methods = ", ".join(f"{k} {v:,}" for k, v in sorted(last["methods"].items()))
    kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(last["discrepancies"].items()))
    totals = last["totals"]
    print(f"matched by: {methods}")
    print(f"discrepancies: {kinds}")
    print(
        f"totals {totals['currency']}: paid {totals['paid']} = matched {totals['matched']} + "
        f"suspense {totals['suspense']}; expected {totals['expected']}"
    )
    sane = not problems
    print(f"sanity check: {'passed' if sane else 'FAILED'} (every run against the planted counts)")
    for problem in problems[:20]:
        print(f"    {problem}")
    print(
        f"target: end to end >= {TARGET_LINES_PER_S:,} lines/s: "
        f"{'met' if e2e_rate >= TARGET_LINES_PER_S else 'NOT met'} ({e2e_rate:,.0f} lines/s)"
    )
    changed = changed_modules(sources)
    if changed:
        print(f"WARNING: gateway modules this run used changed during it: {', '.join(changed)}")
    result = {
        "machine": info,
        "gateway_sources": sources,
        "gateway_changed_mid_run": changed,
        "lines": args.lines,
        "works": args.works,
        "repeat": args.repeat,
        "statement_bytes": statement.stat().st_size,
        "works_bytes": works_path.stat().st_size,
        "rows": rows,
        "children": memory,
        "expected": expected.to_json(),
        "found": last,
        "sane": sane,
        "problems": problems,
        "target_lines_per_s": TARGET_LINES_PER_S,
        "target_met": e2e_rate >= TARGET_LINES_PER_S,
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n")
    say(f"results written to {args.results}")
    return 0 if sane else 1


if __name__ == "__main__":
    sys.exit(main())
