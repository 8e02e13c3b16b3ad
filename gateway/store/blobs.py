"""Content-addressed raw-file store: every file the gateway receives or sends, kept by SHA-256.

Layout: ``root/sha256/ab/cd/<64 hex digits>``. A blob is written to ``root/tmp/`` (the same
filesystem), fsynced and renamed into place, and then its directory is fsynced: no reader ever sees
a partial file under its final name, and a blob that has been renamed survives a power cut. The same
content stored twice is one file.

Small files (those the gateway makes, and those it receives over HTTP) live in the database instead
(``Store.content``, written with the transaction that refers to them); a store given ``database``
reads those too, so a reader asks for a SHA-256 and need not know where its bytes are.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import re
import tempfile
import threading
import time
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gateway.files import fsync_dir
from gateway.store.errors import InvalidValue, NotFound, StoreError, TooLarge

DEFAULT_WRITE_BUFFER = 1 << 20  # bytes gathered before one write in a worker thread
_READ_CHUNK = 1 << 20
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_BLOB_MODE = 0o444  # blobs are immutable; read-only makes an accidental edit fail loudly


@dataclass(frozen=True, slots=True)
class BlobRef:
    """Where a stored blob lives: its SHA-256 (lower-case hex), size in bytes and path.

    ``data``: set when the bytes were held instead of written (``put_stream``'s ``hold_up_to``);
    the caller keeps them in the database with the row that names them.
    """

    sha256: str
    size: int
    path: Path
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class LocalCopy:
    """A stored blob as a file on disk: the blob itself, or a temporary copy of database bytes."""

    path: Path
    temporary: bool

    def release(self) -> None:
        """Remove the copy if it was made for the caller (a blob file stays)."""
        if self.temporary:
            self.path.unlink(missing_ok=True)


class BlobStore:
    """Files kept by the SHA-256 of their content under ``root`` (and, read only, in a database)."""

    def __init__(
        self,
        root: Path,
        *,
        write_buffer: int = DEFAULT_WRITE_BUFFER,
        database: Callable[[str], bytes | None] | None = None,
    ) -> None:
        if write_buffer < 1:
            raise InvalidValue("write_buffer must be at least 1 byte")
        self.root = root
        self._database = database
        self._blobs = root / "sha256"
        self._tmp = root / "tmp"
        self._write_buffer = write_buffer
        try:
            self._blobs.mkdir(parents=True, exist_ok=True)
            self._tmp.mkdir(exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create the blob store under {root}: {err}") from err

    def path(self, sha256: str) -> Path:
        """The path a blob with this SHA-256 has (whether or not it exists)."""
        if not _SHA256_HEX.fullmatch(sha256):
            # The id becomes a path: anything but 64 lower-case hex digits could escape the root.
            raise InvalidValue(f"not a SHA-256 in lower-case hex: {sha256!r}")
        return self._blobs / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        """Whether a blob with this SHA-256 is stored."""
        return self.path(sha256).is_file() or self._in_database(sha256) is not None

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored blob for reading; NotFound if there is none."""
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError as err:
            data = self._in_database(sha256)
            if data is None:
                raise NotFound(f"no blob {sha256}") from err
            return io.BytesIO(data)
        except OSError as err:
            raise StoreError(f"cannot read blob {sha256}: {err}") from err

    def local_copy(self, sha256: str) -> LocalCopy:
        """The blob as a file (for a transport that sends files); ``release()`` it when done.

        Bytes held in the database are written to a temporary file, not synced: it only lives
        while it is sent, and a crash's leftover goes with the other stale temporary files.
        """
        path = self.path(sha256)
        if path.is_file():
            return LocalCopy(path, temporary=False)
        data = self._in_database(sha256)
        if data is None:
            raise NotFound(f"no blob {sha256}")
        try:
            fd, name = tempfile.mkstemp(prefix="blob-", suffix=".part", dir=self._tmp)
        except OSError as err:
            raise StoreError(f"cannot copy blob {sha256} to {self._tmp}: {err}") from err
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
        except OSError as err:
            Path(name).unlink(missing_ok=True)
            raise StoreError(f"cannot copy blob {sha256} to {self._tmp}: {err}") from err
        return LocalCopy(Path(name), temporary=True)

    def _in_database(self, sha256: str) -> bytes | None:
        return None if self._database is None else self._database(sha256)

    async def put_stream(
        self, chunks: AsyncIterable[bytes], *, max_bytes: int, hold_up_to: int = 0
    ) -> BlobRef:
        """Store a stream of chunks; TooLarge (nothing kept) once it passes ``max_bytes``.

        A stream that ends within ``hold_up_to`` (> 0) bytes is not written at all: the ref
        carries its ``data`` (for ``Store.record_submission(content=...)``, which keeps it in its
        transaction).

        Chunks are counted as they arrive, so no more than ``max_bytes`` ever reach the disk, and
        written in batches from a worker thread, so memory stays at about one write buffer. A
        stream that ends within its first buffer is stored by one call in one thread: the
        temporary file is made only then (most files a society sends are a few kilobytes).
        """
        stream = aiter(chunks)
        first: list[bytes] = []
        size = 0
        async for chunk in stream:
            if max_bytes is not None and size + len(chunk) > max_bytes:
                raise TooLarge(max_bytes)
            first.append(chunk)
            size += len(chunk)
            if size >= self._write_buffer:
                break
        else:
            if hold_up_to and size <= hold_up_to:  # 0: hold nothing, not even an empty stream
                return self.hold(b"".join(first))
            return await asyncio.to_thread(self._put_sync, first, max_bytes)
        pending = await asyncio.to_thread(self._begin, max_bytes)
        try:
            pending.count(size)
            batch, batched = first, size
            async for chunk in stream:
                pending.count(len(chunk))
                batch.append(chunk)
                batched += len(chunk)
                if batched >= self._write_buffer:
                    await asyncio.to_thread(pending.write, batch)
                    batch, batched = [], 0
            if batch:
                await asyncio.to_thread(pending.write, batch)
            return await asyncio.to_thread(self._commit, pending)
        except BaseException:
            pending.abort()  # also on cancellation: a dropped upload leaves no temp file
            raise

    def hold(self, data: bytes) -> BlobRef:
        """A ref to bytes not written here, with its ``data``: the database is to keep them."""
        sha256 = hashlib.sha256(data).hexdigest()
        return BlobRef(sha256, len(data), self.path(sha256), data=data)

    def put_bytes(self, data: bytes, *, max_bytes: int | None = None) -> BlobRef:
        """Store bytes already in memory (a report, an ACK file)."""
        return self._put_sync((data,), max_bytes)

    def put_file(self, source: Path, *, max_bytes: int | None = None) -> BlobRef:
        """Store a copy of a file, reading it in chunks."""
        try:
            with source.open("rb") as file:
                return self._put_sync(iter(lambda: file.read(_READ_CHUNK), b""), max_bytes)
        except OSError as err:
            raise StoreError(f"cannot read {source}: {err}") from err

    def remove_stale_temp(self, older_than_seconds: float) -> int:
        """Remove temporary files older than the given age (left by a crash); the count removed.

        Age, not existence, decides: another process sharing the folder may be writing one now.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        for part in self._tmp.glob("blob-*.part"):
            try:
                if part.stat().st_mtime < cutoff:
                    part.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # its writer finished or aborted meanwhile
        return removed

    def _put_sync(self, chunks: Iterable[bytes], max_bytes: int | None) -> BlobRef:
        pending = self._begin(max_bytes)
        try:
            for chunk in chunks:
                pending.count(len(chunk))
                pending.write((chunk,))
            return self._commit(pending)
        except BaseException:
            pending.abort()
            raise

    def _begin(self, max_bytes: int | None) -> _PendingBlob:
        if max_bytes is not None and max_bytes < 0:
            raise InvalidValue("max_bytes must not be negative")
        try:
            return _PendingBlob(self._tmp, max_bytes)
        except OSError as err:
            raise StoreError(f"cannot create a temporary file in {self._tmp}: {err}") from err

    def _commit(self, pending: _PendingBlob) -> BlobRef:
        try:
            return pending.commit(self)
        except OSError as err:
            raise StoreError(f"cannot store a blob under {self.root}: {err}") from err

    def _install(self, temp: Path, sha256: str, size: int) -> BlobRef:
        """Move a complete, fsynced temporary file to its final name (or drop it if stored)."""
        target = self.path(sha256)
        try:
            if target.stat().st_size == size:
                temp.unlink()  # same content already stored: keep the existing file
                return BlobRef(sha256, size, target)
        except FileNotFoundError:
            pass
        _make_dirs(self._blobs, target.parent)
        temp.chmod(_BLOB_MODE)
        # Atomic: a concurrent writer of the same content only replaces equal bytes.
        temp.replace(target)
        fsync_dir(target.parent)
        return BlobRef(sha256, size, target)


class _PendingBlob:
    """One blob being written to a temporary file: counted, hashed, then committed or aborted."""

    def __init__(self, tmp_dir: Path, max_bytes: int | None) -> None:
        fd, name = tempfile.mkstemp(prefix="blob-", suffix=".part", dir=tmp_dir)
        # Unbuffered: each batch goes straight to the file, so what is on disk is what was counted.
        self._file = os.fdopen(fd, "wb", buffering=0)
        self._path = Path(name)
        self._hash = hashlib.sha256()
        self._max_bytes = max_bytes
        self._counted = 0
        self._done = False
        # A cancelled upload aborts from the event loop while a worker thread may still write.
        self._lock = threading.Lock()

    def count(self, size: int) -> None:
        """Account for ``size`` more bytes before they are written; TooLarge past the limit."""
        if self._max_bytes is not None and self._counted + size > self._max_bytes:
            raise TooLarge(self._max_bytes)
        self._counted += size

    def write(self, chunks: Iterable[bytes]) -> None:
        """Hash and write counted chunks; StoreError when the disk refuses them (full, failing)."""
        with self._lock:
            if self._done:
                return
            try:
                for chunk in chunks:
                    self._hash.update(chunk)
                    view = memoryview(chunk)
                    while view:  # a raw write may take fewer bytes than offered
                        written = self._file.write(view) or 0
                        view = view[written:]
            except OSError as err:
                raise StoreError(f"cannot write a blob in {self._path.parent}: {err}") from err

    def commit(self, store: BlobStore) -> BlobRef:
        """Flush and fsync the file, then install it under its content's name."""
        with self._lock:
            if self._done:
                raise StoreError("the blob was aborted before it was committed")
            os.fsync(self._file.fileno())
            self._file.close()
            self._done = True
            try:
                return store._install(self._path, self._hash.hexdigest(), self._counted)  # noqa: SLF001 - a helper of BlobStore
            except BaseException:
                self._path.unlink(missing_ok=True)
                raise

    def abort(self) -> None:
        """Close and remove the temporary file unless the blob was already committed."""
        with self._lock:
            if self._done:
                return
            self._done = True
            # Closing may report a deferred write error (a full disk); the file goes anyway, and
            # the error that made us abort is the one worth raising.
            with contextlib.suppress(OSError):
                self._file.close()
            self._path.unlink(missing_ok=True)


def _make_dirs(root: Path, directory: Path) -> None:
    """Create ``directory`` below ``root``, fsyncing each parent so the new entry is durable."""
    missing: list[Path] = []
    current = directory
    while current != root and not current.is_dir():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue  # another writer made it; its own fsync covers it
        fsync_dir(path.parent)
