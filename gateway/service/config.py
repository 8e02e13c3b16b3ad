"""A gateway node's settings: where its partner registry and data live, how it listens and pulls.

Read from TOML (stdlib ``tomllib``); paths are relative to the file. Secrets are never in it:
passwords are named by environment variable. Every limit is a setting with a safe default.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GIB = 1 << 30


class ConfigError(ValueError):
    """A node configuration the service cannot run with, naming the file and the key."""


@dataclass(frozen=True, slots=True)
class PullSpec:
    """A place the node fetches files from: a partner-facing SFTP site or a drop folder."""

    transport: str  # "sftp" or "folder"
    address: str  # sftp://host:port/dir, or a folder path
    username: str = ""
    password_env: str = ""
    interval: float = 1.0
    own: bool = False  # files here are this society's own submissions (a members' drop folder)


@dataclass(frozen=True, slots=True)
class StoreSpec:
    """Where a node keeps its state: SQLite in its data folder, or a shared PostgreSQL database.

    Several processes of one society share a PostgreSQL ``url`` and one ``blobs`` folder (a
    shared file system); each keeps its own HTTP port.
    """

    url: str = ""  # postgresql://user@host:port/db; empty: SQLite at data_dir/gateway.db
    password_env: str = ""  # the database password, by environment variable
    schema: str = "public"
    blobs: Path | None = None  # the blob folder; default data_dir/blobs
    processing_lease_seconds: float = 600.0  # a submission's processing, then others take over


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Everything ``gateway serve`` needs."""

    registry: Path
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8080
    max_upload_bytes: int = 2 * GIB
    max_attempts: int = 8
    initial_wait: float = 1.0
    max_wait: float = 300.0
    lease_seconds: float = 60.0
    insecure_host_keys: bool = False  # demo and tests only: accept any SFTP host key
    known_hosts: Path | None = None
    pulls: tuple[PullSpec, ...] = field(default=())
    rates: Path | None = None  # FX rates CSV for reconciliations
    home_currency: str | None = None  # reconciliation totals are also given in this currency
    store: StoreSpec = field(default_factory=StoreSpec)
    processing_workers: int = 0  # child processes that validate and answer; 0: threads here


def load_config(path: Path) -> ServiceConfig:
    """Read a node configuration file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    base = path.parent
    try:
        http: dict[str, Any] = raw.get("http", {})
        delivery: dict[str, Any] = raw.get("delivery", {})
        pulls = tuple(
            PullSpec(
                transport=str(p["transport"]),
                address=str(p["address"]) if p["transport"] == "sftp" else str(base / p["address"]),
                username=str(p.get("username", "")),
                password_env=str(p.get("password_env", "")),
                interval=float(p.get("interval", 1.0)),
                own=bool(p.get("own", False)),
            )
            for p in raw.get("pull", [])
        )
        known_hosts = delivery.get("known_hosts")
        reconcile: dict[str, Any] = raw.get("reconcile", {})
        rates = reconcile.get("rates")
        store: dict[str, Any] = raw.get("store", {})
        processing: dict[str, Any] = raw.get("processing", {})
        workers = _at_least_zero(int(processing.get("workers", 0)), "[processing] workers")
        blobs = store.get("blobs")
        return ServiceConfig(
            registry=base / str(raw["registry"]),
            data_dir=base / str(raw.get("data_dir", "data")),
            host=str(http.get("host", "127.0.0.1")),
            port=int(http.get("port", 8080)),
            max_upload_bytes=int(http.get("max_upload_bytes", 2 * GIB)),
            max_attempts=int(delivery.get("max_attempts", 8)),
            initial_wait=float(delivery.get("initial_wait", 1.0)),
            max_wait=float(delivery.get("max_wait", 300.0)),
            lease_seconds=float(delivery.get("lease_seconds", 60.0)),
            insecure_host_keys=bool(delivery.get("insecure_host_keys", False)),
            known_hosts=base / str(known_hosts) if known_hosts else None,
            pulls=pulls,
            rates=base / str(rates) if rates else None,
            home_currency=str(reconcile["home_currency"]) if "home_currency" in reconcile else None,
            store=StoreSpec(
                url=str(store.get("url", "")),
                password_env=str(store.get("password_env", "")),
                schema=str(store.get("schema", "public")),
                blobs=base / str(blobs) if blobs else None,
                processing_lease_seconds=float(store.get("processing_lease_seconds", 600.0)),
            ),
            processing_workers=workers,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(f"{path}: missing or invalid setting {error}") from None


def _at_least_zero(value: int, key: str) -> int:
    if value < 0:
        raise ValueError(f"{key} must be 0 or more, got {value}")
    return value
