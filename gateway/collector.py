"""Python's cyclic garbage collector paused while one pass builds many long-lived objects.

Loading a catalogue of registrations or reconciling a large statement makes millions of objects
that live until the pass ends (interned values, group sums, the registry itself) and hardly
any garbage cycle: CPython's collector walks every tracked object each time the heap has grown
by about a quarter, which took ~15 % of a million-line reconciliation and of loading 100,000
works (docs/benchmarks.md). Reference counting still frees everything acyclic at once while
paused; a cycle made meanwhile waits for the first collection after the pass.

The collector is one per process: pauses nest and overlap across threads, and it runs again
once the last of them ends, and only if it ran before the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    """How many passes hold the collector paused, and whether it ran before the first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.was_enabled = False


_PAUSES = _Pauses()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep the cyclic collector from running inside the ``with`` block (see the module)."""
    with _PAUSES.lock:
        if _PAUSES.holders == 0:
            _PAUSES.was_enabled = gc.isenabled()
            gc.disable()
        _PAUSES.holders += 1
    try:
        yield
    finally:
        with _PAUSES.lock:
            _PAUSES.holders -= 1
            if _PAUSES.holders == 0 and _PAUSES.was_enabled:
                gc.enable()
