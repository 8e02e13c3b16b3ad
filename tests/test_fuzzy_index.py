"""The fuzzy title index: its quick shortlist gives what scoring the candidates' union gives.

The index scores each rare word's titles on their own, with each text's words sorted once
(``fuzz.ratio`` of sorted texts), and merges the lists. These tests hold it to the plain
definition: ``token_sort_ratio`` over the union of the rarest words' postings, in their order,
the best ``_SHORTLIST`` kept (ties in that order), over titles drawn from a few words so that
postings overlap and scores tie.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process
from reconcile_data import CINDERS_ISWC, cinders, registry_of

from gateway.reconcile.match import (
    _SHORTLIST,
    DEFAULT_THRESHOLD,
    Matcher,
    _FuzzyIndex,
    _top,
    fuzzy_index,
    normalize,
)
from gateway.reconcile.registry import RegisteredParty, RegisteredWork

WORDS = ("LOVE", "THE", "NIGHT", "OF", "MY", "HEART", "RAIN", "A", "LOVES", "NIGH")

titles = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
names = st.lists(st.sampled_from(("SMITH", "JOHN", "JON", "SMYTHE", "MARY")), max_size=3).map(
    " ".join
)


def _work(number: int, title: str, alternates: list[str], party_names: list[str]) -> RegisteredWork:
    parties = tuple(
        RegisteredParty(
            name=name,
            ipi_name_number="",
            role="CA",
            is_writer=True,
            controlled=True,
            societies=("052", "052", "052"),
            ownership=(5000, 5000, 5000),
        )
        for name in party_names
    )
    return RegisteredWork(f"W{number}", title, "", "052", parties, tuple(alternates))


works = st.lists(
    st.tuples(titles, st.lists(titles, max_size=2), st.lists(names, max_size=3)),
    min_size=1,
    max_size=60,
).map(lambda rows: [_work(i, *row) for i, row in enumerate(rows)])


def _plain_title_scores(index: _FuzzyIndex, query: str) -> dict[int, float]:
    """The definition: the union of the rarest words' postings, scored by token_sort_ratio."""
    words = index._rarest_words(query)
    if words:
        entries = list(dict.fromkeys(e for w in words for e in index.postings[w]))
    else:
        entries = list(range(len(index.titles)))
    choices = [index.titles[e] for e in entries]
    scored = process.extract(query, choices, scorer=fuzz.token_sort_ratio, limit=_SHORTLIST)
    by_work: dict[int, float] = {}
    for _, score, at in scored:
        work = index.owner[entries[at]]
        by_work[work] = max(score, by_work.get(work, 0.0))
    return by_work


@settings(max_examples=300, deadline=None)
@given(works=works, queries=st.lists(st.one_of(titles, st.just("UNKNOWN WORDS")), max_size=8))
def test_the_shortlist_is_the_best_of_the_union_of_postings(
    works: list[RegisteredWork], queries: list[str]
) -> None:
    index = _FuzzyIndex(works)
    for query in queries:
        wanted = normalize(query)
        assert index._title_scores(wanted) == _plain_title_scores(index, wanted)


@settings(max_examples=200, deadline=None)
@given(works=works, name=names, title_score=st.floats(0, 100))
def test_a_name_scores_as_token_sort_ratio(
    works: list[RegisteredWork], name: str, title_score: float
) -> None:
    index = _FuzzyIndex(works)
    for number, work in enumerate(works):
        plain = max(
            (fuzz.token_sort_ratio(normalize(name), normalize(p.name)) for p in work.parties),
            default=0.0,
        )
        ranked = index._ranked({number: title_score}, name, threshold=101.0)  # all below it
        assert (ranked.candidate, ranked.score) == (
            number,
            round(0.7 * title_score + 0.3 * plain, 2),
        )


def test_a_common_word_shared_by_many_titles_keeps_the_first_of_equal_scores() -> None:
    # 30 identical titles tie: the shortlist keeps the first _SHORTLIST, in registration order.
    index = _FuzzyIndex([_work(i, "LOVE OF MY HEART", [], []) for i in range(30)])
    assert list(index._title_scores("HEART MY OF LOVE")) == list(range(_SHORTLIST))


def test_the_rarest_words_do_not_depend_on_string_hashing() -> None:
    """Words as rare as each other are taken in their own order, whatever a set's order is.

    Every word here is in one title, so all tie: the pick must not follow the process's hash
    seed (it did: a fuzzy score then changed from one run of the same files to the next).
    """
    program = (
        "from gateway.reconcile.match import _FuzzyIndex\n"
        "from gateway.reconcile.registry import RegisteredWork\n"
        "titles = ['ALPHA', 'BRAVO', 'CHARLIE', 'DELTA', 'ECHO', 'FOXTROT']\n"
        "index = _FuzzyIndex([RegisteredWork(f'W{i}', t, '', '052', ()) "
        "for i, t in enumerate(titles)])\n"
        "print(index._rarest_words('FOXTROT ECHO DELTA CHARLIE BRAVO ALPHA'))\n"
    )
    picked = {
        subprocess.run(
            [sys.executable, "-c", program],
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(8)
    }
    assert picked == {"['ALPHA', 'BRAVO']\n"}


def test_the_index_is_built_once_per_state_of_the_registry() -> None:
    """Matchers of one registry share its index; a work added builds it anew, and finds it."""
    registry = registry_of()
    index = fuzzy_index(registry)
    first = Matcher(registry, societies=["035"])
    assert first.match_values("", "", "", "SALT AND CINDERS", "OKAFOR ADAEZE").method == "fuzzy"
    assert fuzzy_index(registry) is index
    embers = registry.add_work(
        cinders(title="SALT AND EMBERS", submitter_work_number="NBM000999", iswc=""),
        registrant="052",
    )
    assert fuzzy_index(registry) is not index
    found = Matcher(registry, societies=["035"]).match_values(
        "", "", "", "SALT AND EMBERS", "OKAFOR ADAEZE"
    )
    assert (found.method, found.work) == ("fuzzy", embers)


@settings(max_examples=300, deadline=None)
@given(
    works=works,
    asked=st.lists(st.tuples(st.one_of(titles, st.sampled_from(["UNKNOWN WORDS", "", "-"])), names),
                   max_size=10),
    threshold=st.sampled_from([50.0, DEFAULT_THRESHOLD]),
)  # fmt: skip
def test_searches_made_together_find_what_searches_one_at_a_time_find(
    works: list[RegisteredWork], asked: list[tuple[str, str]], threshold: float
) -> None:
    index = _FuzzyIndex(works)
    expected = [_FuzzyIndex(works).best(title, name, threshold) for title, name in asked]
    assert index.best_many(asked, threshold) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0.0, 12.5, 50.0, 66.67, 100.0]), max_size=40), st.integers(1, 25))
def test_the_best_scores_of_a_row_come_best_first_ties_in_order(
    row: list[float], count: int
) -> None:
    """As ``process.extract`` lists them, which the one-at-a-time search uses."""
    expected = sorted(range(len(row)), key=lambda at: (-row[at], at))[:count]
    assert _top(np.array(row, dtype=np.float64), count) == [(row[at], at) for at in expected]


def test_matches_made_together_are_those_made_one_at_a_time() -> None:
    """By identifier, by title, or none; remembered alike."""
    keys = [
        (CINDERS_ISWC, "", "", "SALT AND CINDERS", "OKAFOR ADAEZE"),
        ("", "", "NBM000214", "", ""),
        ("", "", "", "SALT AND CINDRES", "OKAFOR ADAEZE"),
        ("", "", "", "SALT AND CINDRES", "OKAFOR ADAEZE"),
        ("", "", "", "NOTHING LIKE IT", "NOBODY"),
        ("", "", "", "", ""),
    ]
    registry = registry_of()
    together = Matcher(registry, societies=["035"]).match_many(keys)
    alone = Matcher(registry, societies=["035"])
    assert together == [alone.match_values(*key) for key in keys]
    assert [m.method for m in together] == [
        "iswc",
        "submitter_work_id",
        "fuzzy",
        "fuzzy",
        "none",
        "none",
    ]
