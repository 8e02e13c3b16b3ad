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


def test_registrations_and_statements_are_read_with_the_collector_paused() -> None:
    works = _Watched(WORKS.read_bytes())
    registry = WorkRegistry()
    read_registrations(works, registry, source=WORKS.name)
    statement = _Watched(STATEMENT.read_bytes())
    reconciler = Reconciler(registry)
    add_statement(reconciler, statement, source=STATEMENT.name)
    assert works.collector_on_reads == {False}
    assert statement.collector_on_reads == {False}
    assert gc.isenabled()
    assert reconciler.result().statements  # the statement was read, not only opened


def test_a_whole_reconciliation_leaves_the_collector_running() -> None:
    result = reconcile_files([WORKS], [STATEMENT])
    assert result.statements
    assert gc.isenabled()
