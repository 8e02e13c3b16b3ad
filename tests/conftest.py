"""Shared fixtures: where the public samples live, and small builders of CWR text."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import postgres_for_tests  # the tools folder is not a package: found through sys.path

pytest_plugins = ["log_contract"]  # every test: log lines are JSON and follow docs/events.md

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLES = SHARED / "samples" / "cwr"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def unfinished(store: Store) -> int:
    """How many of the store's deliveries are still to be made (pending or in flight)."""
    counts = store.delivery_counts()
    return counts["pending"] + counts["in_flight"]


def sample_files() -> list[Path]:
    """Every public CWR sample (the README excepted)."""
    return sorted(p for p in SAMPLES.glob("*/*") if p.name != "README.md")


@pytest.fixture
def samples() -> Path:
    """The folder of public CWR samples beside the checkout."""
    if not SAMPLES.is_dir():  # CI always has ../shared; a bare clone elsewhere must say so
        pytest.fail(f"the shared samples are missing: {SAMPLES}")
    return SAMPLES


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server's URL: CI's (``GATEWAY_TEST_POSTGRES``), else one started here.

    Without the server binaries the PostgreSQL tests skip, except in CI, where they must run.
    """
    given = os.environ.get("GATEWAY_TEST_POSTGRES")
    if given:
        yield given
        return
    try:
        url, folder = postgres_for_tests.start()
    except postgres_for_tests.PostgresMissingError as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {error}")
        pytest.skip(str(error))
    except subprocess.CalledProcessError as error:
        pytest.fail(f"{' '.join(error.cmd)} failed: {error.stderr.decode(errors='replace')}")
    try:
        yield url
    finally:
        postgres_for_tests.stop(folder)


@pytest.fixture
def postgres_schema(postgres_url: str) -> str:
    """A schema of the test server no other test uses (the store creates it)."""
    return f"test_{secrets.token_hex(6)}"
