"""Shared fixtures: where the public samples live, and small builders of CWR text."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["log_contract"]  # every test: log lines are JSON and follow docs/events.md

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLES = SHARED / "samples" / "cwr"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def sample_files() -> list[Path]:
    """Every public CWR sample (the README excepted)."""
    return sorted(p for p in SAMPLES.glob("*/*") if p.name != "README.md")


@pytest.fixture
def samples() -> Path:
    """The folder of public CWR samples beside the checkout."""
    if not SAMPLES.is_dir():  # CI always has ../shared; a bare clone elsewhere must say so
        pytest.fail(f"the shared samples are missing: {SAMPLES}")
    return SAMPLES
