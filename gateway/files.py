"""Durable file system steps the store and the transports share."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make the latest renames and creations in ``directory`` durable."""
    _sync(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0), os.fsync)


def fdatasync_file(path: Path) -> None:
    """Make what was written to ``path`` (by any process) durable; its data, not its times."""
    _sync(path, os.O_RDONLY, os.fdatasync)


def _sync(path: Path, flags: int, sync: Callable[[int], None]) -> None:
    fd = os.open(path, flags)
    try:
        sync(fd)
    finally:
        os.close(fd)
