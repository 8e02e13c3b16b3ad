"""The cyclic collector paused for a pass: nested, across threads, and put back as it was."""

from __future__ import annotations

import gc
import io
import threading
from collections.abc import Iterator

import pytest
from conftest import FIXTURES

from gateway.collector import collector_paused
from gateway.reconcile.engine import Reconciler
from gateway.reconcile.registry import WorkRegistry, read_registrations
from gateway.reconcile.run import add_statement, reconcile_files

WORKS = FIXTURES / "reconcile" / "CW250003035_052.V21"
STATEMENT = FIXTURES / "statements" / "distribution-example.csv"


@pytest.fixture(autouse=True)
def _collector_running() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_running_again_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_pauses_end_with_the_outermost() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_lets_it_run_again() -> None:
    with pytest.raises(ValueError, match="boom"), collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_off_before_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_pauses_in_two_threads() -> None:
    """The collector runs again only once the last of overlapping passes has ended."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with collector_paused():
            second_in.set()
            first_out.wait(10)
            seen["after the first left"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"after the first left": False}
    assert gc.isenabled()


class _Watched(io.BytesIO):
    """A stream noting whether the collector ran while it was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.collector_on_reads: set[bool] = set()

    def read(self, size: int | None = -1) -> bytes:
        self.collector_on_reads.add(gc.isenabled())
        return super().read(size)

    def readline(self, size: int | None = -1) -> bytes:
        self.collector_on_reads.add(gc.isenabled())
        return super().readline(size)


def test_registrations_are_read_with_the_collector_paused() -> None:
    works = _Watched(WORKS.read_bytes())
    read_registrations(works, WorkRegistry(), source=WORKS.name)
    assert works.collector_on_reads == {False}
    assert gc.isenabled()


class _Counting(WorkRegistry):
    """A registry noting how often the collector had run each time a line's ISWC is looked up."""

    def __init__(self, runs: list[str]) -> None:
        super().__init__()
        self.runs = runs
        self.runs_at_lookups: list[int] = []

    def by_iswc(self, iswc: str) -> frozenset[int]:
        self.runs_at_lookups.append(len(self.runs))
        return super().by_iswc(iswc)


@pytest.fixture
def runs() -> Iterator[list[str]]:
    """The collector's runs while the test runs, with it set to run at nearly every allocation."""
    seen: list[str] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(f"generation {info['generation']}")

    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    gc.callbacks.append(note)
    yield seen
    gc.callbacks.remove(note)
    gc.set_threshold(*thresholds)


def _counting_registry(runs: list[str]) -> _Counting:
    registry = _Counting(runs)
    read_registrations(io.BytesIO(WORKS.read_bytes()), registry, source=WORKS.name)
    return registry


def test_the_collector_runs_while_a_statement_is_read_unpaused(runs: list[str]) -> None:
    """The control for the next test: reading this statement does make the collector run."""
    registry = _counting_registry(runs)
    with STATEMENT.open("rb") as stream:
        add_statement(Reconciler(registry), stream, source=STATEMENT.name)
    assert len(registry.runs_at_lookups) > 1
    assert registry.runs_at_lookups[0] < registry.runs_at_lookups[-1]


def test_a_whole_reconciliation_runs_with_the_collector_paused(runs: list[str]) -> None:
    registry = _counting_registry(runs)
    result = reconcile_files([], [STATEMENT], registry=registry)
    assert len(registry.runs_at_lookups) > 1
    assert registry.runs_at_lookups[0] == registry.runs_at_lookups[-1]  # none ran between
    assert result.statements
    assert gc.isenabled()
