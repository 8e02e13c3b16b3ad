"""The vocabulary every transport speaks: receipts, incoming files, errors and protocols.

::

    TransportError             a file could not be moved
    ├── TransientError         worth retrying: refused, reset, timed out, server busy (5xx-like)
    └── PermanentError         retrying cannot help: auth refused, bad path or name (4xx-like)

The outbox decides by type alone: retry a ``TransientError`` with back-off, dead-letter a
``PermanentError`` with its message. Each error carries a stable ``code`` for reports and logs.

Delivery markers follow CWR 3.x (functional specification section 2.4): a zero-byte
``NAME.delivery.complete`` says ``NAME`` is fully written and may be collected, and a zero-byte
``NAME.pickup.complete`` says the receiver has read it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from gateway.files import fsync_dir

DELIVERY_MARKER = ".delivery.complete"
PICKUP_MARKER = ".pickup.complete"
PART_SUFFIX = ".part"
RESERVED_SUFFIXES = (DELIVERY_MARKER, PICKUP_MARKER, PART_SUFFIX)
MAX_FILE_NAME = 200  # leaves room for the marker suffixes under the usual 255-byte limit

_HASH_CHUNK = 1 << 20
# Letters, digits, dot, dash, underscore: every CWR, ACK and DDEX file name fits, and nothing
# in it can climb out of a folder or mean something to a shell or an SFTP server.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Local failures a retry can outlive: full disk, quota, a flaky device or mount.
_TRANSIENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN, errno.EBUSY})


class TransportError(Exception):
    """A file could not be sent or fetched; ``code`` names why in a stable word."""

    code = "transport_error"
    retryable = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class TransientError(TransportError):
    """A failure worth retrying later: refused or lost connection, timeout, busy server."""

    code = "transient_failure"
    retryable = True


class PermanentError(TransportError):
    """A failure no retry can mend: refused credentials, invalid path or name, content conflict."""

    code = "permanent_failure"


@dataclass(frozen=True, slots=True)
class Receipt:
    """Proof of one delivery: where the file went, how many bytes, and their SHA-256."""

    transport: str
    location: str
    bytes: int
    sha256: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """A file fetched by a pull: its name at the partner, and its local copy's path, size, hash."""

    name: str
    path: Path
    size: int
    sha256: str


class Transport(Protocol):
    """Something that delivers a local file to a partner under a given name."""

    async def send(self, file_name: str, source: Path) -> Receipt:
        """Deliver ``source`` as ``file_name``; TransientError or PermanentError on failure."""
        ...


class PullSource(Protocol):
    """Something that fetches a partner's delivered files into a local folder."""

    async def pull(self, dest_dir: Path) -> list[IncomingFile]:
        """Copy every delivered, not yet picked-up file into ``dest_dir`` and mark it picked up."""
        ...


def check_file_name(name: str) -> str:
    """Return ``name`` if it is a plain file name a transport may use; PermanentError if not.

    Plain means one path component of letters, digits, ``.``, ``-`` and ``_``, starting with a
    letter or digit, at most MAX_FILE_NAME characters, and not ending in a marker or ``.part``.
    """
    if len(name) > MAX_FILE_NAME:
        raise PermanentError(
            f"file name is longer than {MAX_FILE_NAME} characters: {name[:40]!r}...",
            code="invalid_file_name",
        )
    if not _FILE_NAME.fullmatch(name):
        raise PermanentError(
            f"file name {name!r} is not a plain name (letters, digits, '.', '-', '_')",
            code="invalid_file_name",
        )
    if name.endswith(RESERVED_SUFFIXES):
        raise PermanentError(
            f"file name {name!r} ends in a reserved suffix {RESERVED_SUFFIXES}",
            code="invalid_file_name",
        )
    return name


def is_plain_file_name(name: str) -> bool:
    """Whether ``name`` passes check_file_name (used to skip markers and strangers in listings)."""
    try:
        check_file_name(name)
    except PermanentError:
        return False
    return True


def file_digest(path: Path) -> tuple[int, str]:
    """Size in bytes and SHA-256 (lower-case hex) of a local file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def local_error(err: OSError, what: str) -> TransportError:
    """Translate a local file-system error into a transport error that says what failed."""
    message = f"{what}: {err.strerror or err}"
    if err.errno in _TRANSIENT_ERRNOS:
        return TransientError(message, code="local_io_error")
    if isinstance(err, FileNotFoundError | NotADirectoryError):
        return PermanentError(message, code="path_invalid")
    if isinstance(err, PermissionError):
        return PermanentError(message, code="permission_denied")
    return PermanentError(message, code="local_io_error")


# Local file helpers shared by the folder transport and the SFTP pull: a file appears under its
# final name only when complete and fsynced, and its directory entry is fsynced too.


def write_marker(path: Path) -> None:
    """Create the zero-byte marker file ``path`` (kept if it exists) and make it durable."""
    path.touch(exist_ok=True)
    fsync_dir(path.parent)


def temp_path(directory: Path, name: str) -> Path:
    """A fresh hidden temporary path in ``directory`` for a copy of ``name``."""
    return directory / f".{name}.{secrets.token_hex(6)}{PART_SUFFIX}"


def install_copy(temp: Path, target: Path, *, expected_size: int) -> tuple[int, str]:
    """Check, fsync and rename a finished temporary copy to ``target``; its size and SHA-256.

    The temporary file is removed on any failure; a size other than ``expected_size`` is a
    TransientError (the copy was cut short or the source changed), so the next attempt refetches.
    """
    try:
        size, sha256 = file_digest(temp)
        if size == expected_size:
            with temp.open("rb+") as file:
                os.fsync(file.fileno())
            temp.replace(target)
            fsync_dir(target.parent)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if size != expected_size:
        temp.unlink(missing_ok=True)
        raise TransientError(
            f"copy of {target.name} has {size} bytes, the source announced {expected_size}",
            code="size_mismatch",
        )
    return size, sha256
