"""Which registered work a statement line pays for, and which of its parties.

Lines are matched in a fixed order, the first method that names exactly one work winning:

1. ``iswc`` — the line's ISWC is the registered work's, or one a society's ACK gave it;
2. ``sender_work_id`` — the paying society's own work number, known from its ACKs;
3. ``submitter_work_id`` — our submitter work number, as registered;
4. ``fuzzy`` — title and interested-party name compared with rapidfuzz: the score is
   ``0.7 * title + 0.3 * name`` (``token_sort_ratio``, 0 to 100, on upper-cased text with accents
   and punctuation dropped); the best work at or above the threshold wins, unless another scores
   the same (``ambiguous``). Below the threshold the line is not matched: it goes to suspense
   with the best candidate and its score as evidence, never silently to a work.

An identifier naming two works (an ISWC on two registrations) does not match; the next method
is tried. Results are remembered per distinct identifying text, so a statement paying the
same work on many lines costs one lookup per work.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from gateway.codes import lookup
from gateway.model import StatementLine
from gateway.reconcile.registry import RegisteredParty, RegisteredWork, WorkRegistry

DEFAULT_THRESHOLD = 90.0
TITLE_WEIGHT = 0.7
NAME_WEIGHT = 0.3
PARTY_NAME_THRESHOLD = 85.0  # a party found by name alone must score at least this
_CANDIDATES_PER_TOKEN = 2  # posting lists (rarest title words) searched per fuzzy query
_SHORTLIST = 20  # works scored in full after the title-only pass
_BATCH_CELLS = 4_000_000  # scores (8 bytes each) in one matrix of a batch of fuzzy queries
_ROUNDING_REACH = 0.011  # a score rounded to 2 decimals moves by at most 0.005 (float slack)
_TITLE_MEMO_SIZE = 4096  # normalized query titles whose title scores are kept
_PUNCTUATION = re.compile(r"[^0-9A-Z]+")


@dataclass(frozen=True, slots=True)
class Match:
    """How a line was matched: the work (index in the registry) or None, with the evidence."""

    work: int | None
    method: str  # iswc | sender_work_id | submitter_work_id | fuzzy | none | ambiguous
    score: float | None = None  # fuzzy score of the chosen (or best rejected) candidate
    candidate: int | None = None  # best fuzzy candidate when it stayed below the threshold


NO_MATCH = Match(None, "none")


def normalize(text: str) -> str:
    """Text as compared: accents dropped, upper case, punctuation as single spaces."""
    if text.isascii():
        bare = text  # nothing to decompose: the usual case, kept cheap
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _PUNCTUATION.sub(" ", bare.upper()).strip()


class Matcher:
    """Matches lines of statements sent by ``societies`` against a registry."""

    def __init__(
        self,
        registry: WorkRegistry,
        *,
        societies: Iterable[str],
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        self.registry = registry
        self.societies = tuple(dict.fromkeys(s for s in societies if s))
        self.threshold = threshold
        self._memo: dict[tuple[str, str, str, str, str], Match] = {}

    def match(self, line: StatementLine) -> Match:
        """The work ``line`` pays for, by the first method that names exactly one."""
        return self.match_values(
            line.iswc, line.sender_work_id, line.submitter_work_id, line.work_title, line.ip_name
        )

    def match_values(
        self, iswc: str, sender_id: str, submitter_id: str, title: str, name: str
    ) -> Match:
        """:meth:`match` on a line's identifying values (as the statement readers give them)."""
        key = (iswc, sender_id, submitter_id, title, name)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._match(*key)
        return found

    def match_many(self, keys: Iterable[tuple[str, str, str, str, str]]) -> list[Match]:
        """:meth:`match_values` of each key (iswc, sender id, submitter id, title, name).

        The same answers, remembered the same way; the fuzzy searches are made together,
        which costs a fraction of one search at a time.
        """
        keys = list(keys)
        memo = self._memo
        fuzzy: dict[tuple[str, str, str, str, str], None] = {}
        for key in keys:
            if key not in memo and key not in fuzzy:
                found = self.by_identifiers(*key[:3])
                if found is None:
                    fuzzy[key] = None
                else:
                    memo[key] = found
        if fuzzy:
            asked = [(title, name) for *_, title, name in fuzzy]
            found_many = fuzzy_index(self.registry).best_many(asked, self.threshold)
            memo.update(zip(fuzzy, found_many, strict=True))
        return [memo[key] for key in keys]

    def by_identifiers(self, iswc: str, sender_id: str, submitter_id: str) -> Match | None:
        """The match by the first identifier that names exactly one work; None: go fuzzy.

        Title and name play no part in it, so a caller may keep it per identifying text.
        """
        registry = self.registry
        if iswc and len(works := registry.by_iswc(iswc)) == 1:
            return Match(next(iter(works)), "iswc")
        if sender_id:
            numbered: set[int] = set()
            for society in self.societies:
                numbered |= registry.by_society_number(society, sender_id)
            if len(numbered) == 1:
                return Match(numbered.pop(), "sender_work_id")
        if submitter_id and (index := registry.by_submitter_number(submitter_id)) is not None:
            return Match(index, "submitter_work_id")
        return None

    def _match(self, iswc: str, sender_id: str, submitter_id: str, title: str, name: str) -> Match:
        found = self.by_identifiers(iswc, sender_id, submitter_id)
        if found is not None:
            return found
        return fuzzy_index(self.registry).best(title, name, self.threshold)


def fuzzy_index(registry: WorkRegistry) -> _FuzzyIndex:
    """The registry's fuzzy index, built once per version of it, not once per statement."""
    return registry.derived(_index_of)


def _index_of(registry: WorkRegistry) -> _FuzzyIndex:
    return _FuzzyIndex(registry.works)


class _FuzzyIndex:
    """Normalized titles with an inverted index of their words, to shortlist candidates."""

    def __init__(self, works: list[RegisteredWork]) -> None:
        self.works = works
        self.titles: list[str] = []  # one entry per (work, title)
        self.owner: list[int] = []  # the work of each entry
        self.postings: dict[str, list[int]] = {}
        for index, work in enumerate(works):
            for title in dict.fromkeys(normalize(t) for t in work.titles if t):
                entry = len(self.titles)
                self.titles.append(title)
                self.owner.append(index)
                for word in set(title.split()):
                    self.postings.setdefault(word, []).append(entry)
        # Compared as token_sort_ratio compares them, with each text's words sorted once here:
        # fuzz.ratio of the sorted texts is that score, about five times faster than sorting
        # every candidate's words again for every query.
        self.sorted_titles = [_sorted_words(title) for title in self.titles]
        compared: dict[str, str] = {}  # a party's name as compared (a name recurs on works)
        for work in works:
            for party in work.parties:
                if party.name not in compared:
                    compared[party.name] = _sorted_words(normalize(party.name))
        self.names = [tuple(compared[p.name] for p in work.parties) for work in works]
        # Each word's titles, the choices rapidfuzz scores as they are: a query then builds no
        # list of its candidates (a common word's are 20,000 titles).
        self.choices = {
            word: [self.sorted_titles[e] for e in entries]
            for word, entries in self.postings.items()
        }
        self._title_memo: dict[str, dict[int, float]] = {}

    def best(self, title: str, name: str, threshold: float) -> Match:
        query = normalize(title)
        if not query or not self.titles:
            return NO_MATCH
        by_work = self._title_memo.get(query)
        if by_work is None:
            if len(self._title_memo) >= _TITLE_MEMO_SIZE:
                self._title_memo.clear()
            by_work = self._title_memo[query] = self._title_scores(query)
        return self._ranked(by_work, name, threshold)

    def best_many(self, asked: list[tuple[str, str]], threshold: float) -> list[Match]:
        """:meth:`best` of each (title, name), the titles' scores worked out together."""
        queries = [normalize(title) for title, _ in asked]
        scores = self._title_scores_many({q for q in queries if q}) if self.titles else {}
        names_of: dict[str, dict[str, None]] = {}  # query -> its names, each once
        for query, (_, name) in zip(queries, asked, strict=True):
            if query in scores:
                names_of.setdefault(query, {})[name] = None
        decided: dict[tuple[str, str], Match] = {}
        for query, names in names_of.items():
            matches = self._ranked_many(scores[query], list(names), threshold)
            decided.update(zip(((query, name) for name in names), matches, strict=True))
        return [
            decided.get((q, name), NO_MATCH) for q, (_, name) in zip(queries, asked, strict=True)
        ]

    def _title_scores(self, query: str) -> dict[int, float]:
        """The best title score of each shortlisted work (the title alone decides them).

        The shortlist is the best ``_SHORTLIST`` titles sharing the query's rarest words (ties
        in the order the words' postings list them), by ``token_sort_ratio``. Several parties
        of a work share its title: the title pass runs once per title.
        """
        words = self._rarest_words(query)
        query = _sorted_words(query)
        if not words:  # no word of the title is known: score every title
            scored = process.extract(query, self.sorted_titles, scorer=fuzz.ratio, limit=_SHORTLIST)
            return self._by_work((score, entry) for _, score, entry in scored)
        tops = [
            [(score, at) for _, score, at in process.extract(
                query, self.choices[word], scorer=fuzz.ratio, limit=_SHORTLIST)]
            for word in words
        ]  # fmt: skip
        return self._by_work(self._merged(words, tops))

    def _title_scores_many(self, queries: set[str]) -> dict[str, dict[int, float]]:
        """:meth:`_title_scores` of each query, worked out together.

        Each word's titles are scored against all the queries that search them at once
        (``cdist``, several queries in one SIMD pass: about six times less than a query at a
        time).
        """
        found: dict[str, dict[int, float]] = {}
        planned: dict[str, tuple[str, list[str]]] = {}  # query -> its sorted words, rarest
        asking: dict[str, list[str]] = {}  # word -> the queries that search its titles
        for query in sorted(queries):
            words = self._rarest_words(query)
            if not words:
                found[query] = self._title_scores(query)
                continue
            planned[query] = (_sorted_words(query), words)
            for word in words:
                asking.setdefault(word, []).append(query)
        tops: dict[tuple[str, str], list[tuple[float, int]]] = {}
        for word, asked in asking.items():
            choices = self.choices[word]
            rows = max(1, _BATCH_CELLS // len(choices))  # bounds the score matrix's memory
            for at in range(0, len(asked), rows):
                chunk = asked[at : at + rows]
                matrix = process.cdist(
                    [planned[q][0] for q in chunk], choices, scorer=fuzz.ratio, dtype=np.float64
                )
                for query, row in zip(chunk, matrix, strict=True):
                    tops[query, word] = _top(row, _SHORTLIST)
        for query, (_, words) in planned.items():
            found[query] = self._by_work(self._merged(words, [tops[query, w] for w in words]))
        return found

    def _merged(
        self, words: list[str], tops: list[list[tuple[float, int]]]
    ) -> list[tuple[float, int]]:
        """The best titles of the union of ``words``' postings: (score, entry), best first.

        ``tops``: each word's best ``_SHORTLIST`` titles, (score, position in its postings),
        best first, ties in the postings' order. The union's best are among them, an entry
        met in an earlier word's postings counting there, since the union lists those first.
        """
        first = self.postings[words[0]]
        # (-score, word, position, entry); the first word's titles are the union's first.
        ranked = [(-score, 0, at, first[at]) for score, at in tops[0]]
        for rank in range(1, len(words)):
            entries = self.postings[words[rank]]
            earlier = [self.postings[w] for w in words[:rank]]
            for score, at in tops[rank]:
                entry = entries[at]
                for postings in earlier:  # inline: a call a title cost a third of the merge
                    found = bisect_left(postings, entry)
                    if found < len(postings) and postings[found] == entry:
                        break
                else:
                    ranked.append((-score, rank, at, entry))
        ranked.sort()
        return [(-score, entry) for score, _, _, entry in ranked[:_SHORTLIST]]

    def _by_work(self, scored: Iterable[tuple[float, int]]) -> dict[int, float]:
        """Each work's best title score of (score, entry) pairs."""
        by_work: dict[int, float] = {}
        for score, entry in scored:
            work = self.owner[entry]
            by_work[work] = max(score, by_work.get(work, 0.0))
        return by_work

    def _ranked(self, by_work: dict[int, float], name: str, threshold: float) -> Match:
        return self._ranked_many(by_work, [name], threshold)[0]

    def _ranked_many(
        self, by_work: dict[int, float], names: list[str], threshold: float
    ) -> list[Match]:
        """For each name, the shortlisted work it and the title point to, or none.

        A work scores ``TITLE_WEIGHT * title + NAME_WEIGHT * name`` (the name's best score
        among the work's parties', 0 without any), rounded to 2 decimals; the best wins unless
        another work scores the same. All the names against all the candidates' parties in
        one rapidfuzz call (a call per pair cost several times more).
        """
        if not by_work:
            return [NO_MATCH] * len(names)
        works = list(by_work)
        known: list[str] = []
        starts: list[int] = []  # where each named work's parties start in ``known``
        named: list[int] = []  # the position in ``works`` of each work with parties
        for position, work in enumerate(works):
            if parties := self.names[work]:
                named.append(position)
                starts.append(len(known))
                known.extend(parties)
        wanted = [_sorted_words(normalize(name)) for name in names]
        best = np.zeros((len(names), len(works)), dtype=np.float64)
        if known:
            scores = process.cdist(wanted, known, scorer=fuzz.ratio, dtype=np.float64)
            best[:, named] = np.maximum.reduceat(scores, starts, axis=1)
        title = np.array([by_work[work] for work in works], dtype=np.float64)
        combined = TITLE_WEIGHT * title + NAME_WEIGHT * best
        return [self._decided(works, row, threshold) for row in combined]

    @staticmethod
    def _decided(works: list[int], combined: npt.NDArray[np.float64], threshold: float) -> Match:
        # Rounding keeps the order, so the best rounded score is that of the best score, and
        # only scores within a hundredth of it can round to it: those alone are rounded.
        near = np.flatnonzero(combined >= combined.max() - _ROUNDING_REACH)
        scores = [round(value, 2) for value in combined[near].tolist()]
        score = max(scores)
        tied = [
            works[at] for at, value in zip(near.tolist(), scores, strict=True) if value == score
        ]
        work = min(tied)
        if score < threshold:
            return Match(None, "none", score=score, candidate=work)
        if len(tied) > 1:
            return Match(None, "ambiguous", score=score, candidate=work)
        return Match(work, "fuzzy", score=score)

    def _rarest_words(self, query: str) -> list[str]:
        """The query's known words with the shortest postings, at most _CANDIDATES_PER_TOKEN."""
        postings = self.postings
        # Ties by the word itself: a set's order changes with the process's string hashing.
        known = sorted(
            (w for w in set(query.split()) if w in postings), key=lambda w: (len(postings[w]), w)
        )
        return known[:_CANDIDATES_PER_TOKEN]


def _top(row: npt.NDArray[np.float64], count: int) -> list[tuple[float, int]]:
    """The ``count`` best scores of ``row`` with their positions, best first, ties in order."""
    size = len(row)
    if size > count:
        least = np.partition(row, size - count)[size - count]  # the count-th best
        candidates = np.flatnonzero(row >= least)
    else:
        candidates = np.arange(size)
    best = candidates[np.argsort(-row[candidates], kind="stable")][:count]
    return list(zip(row[best].tolist(), best.tolist(), strict=True))


def _sorted_words(text: str) -> str:
    """A normalized text with its words sorted: what ``fuzz.token_sort_ratio`` compares."""
    return " ".join(sorted(text.split()))


def find_party(work: RegisteredWork, line: StatementLine) -> int | None:
    """The index of the work's party a line pays: by IPI name number, else by name and kind.

    Callers remember the answer per work and party: the name comparison is not free.
    """
    return find_party_by(work, line.ip_ipi_name_number, line.ip_name, line.ip_role)


def find_party_by(work: RegisteredWork, ipi: str, name: str, role: str) -> int | None:
    """:func:`find_party` on a line's party values."""
    return _find_party(work.parties, ipi, name, role)


def _find_party(parties: tuple[RegisteredParty, ...], ipi: str, name: str, role: str) -> int | None:
    writer = _is_writer_role(role)
    if ipi:
        number = ipi.lstrip("0")
        same = [
            index
            for index, party in enumerate(parties)
            if party.ipi_name_number and party.ipi_name_number.lstrip("0") == number
        ]
        # One IPI may name a writer and the publisher company they own: prefer the same kind.
        for index in same:
            if parties[index].is_writer == writer:
                return index
        if same:
            return same[0]
    wanted = normalize(name)
    best, best_score = None, PARTY_NAME_THRESHOLD
    for index, party in enumerate(parties):
        if party.is_writer != writer:
            continue
        score = fuzz.token_sort_ratio(wanted, normalize(party.name))
        if score > best_score or (best is None and score >= best_score):
            best, best_score = index, score
    return best


def _is_writer_role(role: str) -> bool:
    return role in lookup("writer_designation")
