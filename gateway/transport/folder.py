"""A local drop folder as a transport, with the CWR 3.x delivery and pickup markers.

Sending copies the file in as ``NAME.part``, fsyncs it, renames it to ``NAME`` and then writes
the zero-byte ``NAME.delivery.complete``: a reader that honours the marker never sees half a file.
Pulling takes every ``NAME`` that has its delivery marker and no ``NAME.pickup.complete``, copies
it out and then writes the pickup marker. The folder is typically a share both sides can reach.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from gateway.files import fsync_dir
from gateway.transport.base import (
    DELIVERY_MARKER,
    PART_SUFFIX,
    PICKUP_MARKER,
    IncomingFile,
    PermanentError,
    Receipt,
    TransportError,
    check_file_name,
    file_digest,
    install_copy,
    is_plain_file_name,
    local_error,
    temp_path,
    write_marker,
)

_COPY_CHUNK = 1 << 20


class FolderTransport:
    """Deliver files into, and pick files up from, the local folder ``root``.

    The folder must exist: a missing one is a PermanentError (a typo or an unmounted share should
    reach an operator, not be created silently). One sender per file name is assumed.
    """

    name = "folder"

    def __init__(self, root: Path) -> None:
        self.root = root

    async def send(self, file_name: str, source: Path) -> Receipt:
        """Deliver ``source`` as ``file_name`` with its delivery marker.

        Sending a name again with the same content is a success that changes nothing (its
        Receipt's detail says ``already delivered``); different content under a name already
        in the folder, or under a name already picked up and removed, is a PermanentError.
        """
        check_file_name(file_name)
        return await asyncio.to_thread(self._send, file_name, source)

    async def pull(self, dest_dir: Path) -> list[IncomingFile]:
        """Copy each delivered, not yet picked-up file into ``dest_dir``, then mark it picked up.

        Files without a delivery marker (still being written) are left alone. If one file fails,
        the others are still pulled and the first error is raised at the end; files pulled
        before that stay in ``dest_dir`` under their names, so treat ``dest_dir`` as an inbox.
        """
        return await asyncio.to_thread(self._pull, dest_dir)

    def _send(self, name: str, source: Path) -> Receipt:
        try:
            size, sha256 = file_digest(source)
        except OSError as err:
            raise local_error(err, f"cannot read {source}") from err
        target = self.root / name
        if not self.root.is_dir():
            raise PermanentError(f"drop folder {self.root} does not exist", code="path_invalid")
        try:
            if _already_there(target, sha256):
                write_marker(self.root / (name + DELIVERY_MARKER))
                return self._receipt(target, size, sha256, "already delivered")
            _copy_in(source, self.root / (name + PART_SUFFIX), target)
            write_marker(self.root / (name + DELIVERY_MARKER))
        except OSError as err:
            raise local_error(err, f"cannot deliver {name} into {self.root}") from err
        return self._receipt(target, size, sha256, "delivered")

    def _receipt(self, target: Path, size: int, sha256: str, detail: str) -> Receipt:
        return Receipt(self.name, str(target), size, sha256, detail)

    def _pull(self, dest_dir: Path) -> list[IncomingFile]:
        try:
            dest_dir.mkdir(parents=True, exist_ok=True)
            names = sorted(self._ready_names())
        except OSError as err:
            raise local_error(err, f"cannot list {self.root} or prepare {dest_dir}") from err
        pulled: list[IncomingFile] = []
        first_error: TransportError | None = None
        for name in names:
            try:
                pulled.append(self._pull_one(name, dest_dir))
            except TransportError as err:
                first_error = first_error or err
        if first_error is not None:
            raise first_error
        return pulled

    def _ready_names(self) -> list[str]:
        """Regular files (never symlinks) that carry a delivery marker and no pickup marker."""
        with os.scandir(self.root) as entries:
            present = {entry.name for entry in entries if entry.is_file(follow_symlinks=False)}
        return [
            name
            for name in present
            if is_plain_file_name(name)
            and name + DELIVERY_MARKER in present
            and name + PICKUP_MARKER not in present
        ]

    def _pull_one(self, name: str, dest_dir: Path) -> IncomingFile:
        source = self.root / name
        temp = temp_path(dest_dir, name)
        try:
            with source.open("rb") as reader, temp.open("xb") as writer:
                expected = os.fstat(reader.fileno()).st_size
                shutil.copyfileobj(reader, writer, _COPY_CHUNK)
            size, sha256 = install_copy(temp, dest_dir / name, expected_size=expected)
            write_marker(self.root / (name + PICKUP_MARKER))
        except OSError as err:
            temp.unlink(missing_ok=True)
            raise local_error(err, f"cannot pull {name} from {self.root}") from err
        return IncomingFile(name, dest_dir / name, size, sha256)


def _already_there(target: Path, sha256: str) -> bool:
    """Whether ``target`` holds these bytes; PermanentError if other bytes or it cannot tell."""
    try:
        _, existing = file_digest(target)
    except FileNotFoundError:
        if target.with_name(target.name + PICKUP_MARKER).exists():
            raise PermanentError(
                f"{target.name} was already delivered, picked up and removed; its content "
                "cannot be compared, so it is not sent again under the same name",
                code="name_conflict",
            ) from None
        return False
    if existing != sha256:
        raise PermanentError(
            f"{target} already holds different content (sha256 {existing})", code="name_conflict"
        )
    return True


def _copy_in(source: Path, part: Path, target: Path) -> None:
    """Copy ``source`` to ``part`` (replacing a stale one), fsync it and rename it to ``target``."""
    try:
        with source.open("rb") as reader, part.open("wb") as writer:
            shutil.copyfileobj(reader, writer, _COPY_CHUNK)
            writer.flush()
            os.fsync(writer.fileno())
        part.replace(target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
