"""Reads the package's own code tables: the TSV files under ``data/``."""

from __future__ import annotations

from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable

_PACKAGE = "gateway.codes"


def data_dir(*parts: str) -> Traversable:
    """A folder or file under ``data/``, as importlib.resources sees it."""
    path = resources.files(_PACKAGE).joinpath("data")
    for part in parts:
        path = path.joinpath(part)
    return path


def read_table(*parts: str) -> list[dict[str, str]]:
    """The rows of one table, each as column name to text (``#`` lines are comments)."""
    text = data_dir(*parts).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def iso_date(text: str) -> date | None:
    """A yyyy-mm-dd cell as a date; a blank cell as None."""
    return date.fromisoformat(text) if text else None
