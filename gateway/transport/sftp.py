"""SFTP push and pull with asyncssh, honouring the CWR 3.x delivery and pickup markers.

Push: upload to ``REMOTE_DIR/NAME.part``, check its size, rename it to ``NAME`` (POSIX rename
where the server offers it), then create the zero-byte ``NAME.delivery.complete``. Pull: list
``REMOTE_DIR``, download each ``NAME`` that has a delivery marker and no ``NAME.pickup.complete``
to a temporary file, check its size, rename it into place, then create the pickup marker.

Each send or pull opens its own connection and closes it afterwards. asyncssh and socket errors
are translated at this boundary into TransientError (retry) or PermanentError (do not).
"""

from __future__ import annotations

import asyncio
import hashlib
import posixpath
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast

from gateway.transport._asyncssh import asyncssh
from gateway.transport.base import (
    DELIVERY_MARKER,
    PART_SUFFIX,
    PICKUP_MARKER,
    IncomingFile,
    PermanentError,
    Receipt,
    TransientError,
    TransportError,
    check_file_name,
    file_digest,
    install_copy,
    is_plain_file_name,
    local_error,
    temp_path,
)

KnownHosts = Path | str | asyncssh.SSHKnownHosts | None
ClientKey = Path | str | asyncssh.SSHKey

DEFAULT_CONNECT_TIMEOUT = 15.0
DEFAULT_LOGIN_TIMEOUT = 30.0
DEFAULT_OPERATION_TIMEOUT = 3600.0  # a hang guard for one whole send or pull, not a speed target
DEFAULT_KEEPALIVE_INTERVAL = 15.0
_READ_CHUNK = 1 << 18

# SFTP refusals no retry can change, each with the stable code it is reported under.
_PERMANENT_SFTP: tuple[tuple[type[asyncssh.SFTPError], str], ...] = (
    (asyncssh.SFTPNoSuchFile, "path_invalid"),
    (asyncssh.SFTPNoSuchPath, "path_invalid"),
    (asyncssh.SFTPNotADirectory, "path_invalid"),
    (asyncssh.SFTPInvalidFilename, "path_invalid"),
    (asyncssh.SFTPFileIsADirectory, "path_invalid"),
    (asyncssh.SFTPLinkLoop, "path_invalid"),
    (asyncssh.SFTPPermissionDenied, "permission_denied"),
    (asyncssh.SFTPWriteProtect, "permission_denied"),
    (asyncssh.SFTPOpUnsupported, "unsupported"),
    (asyncssh.SFTPInvalidParameter, "unsupported"),
)
# The whole session is gone: the other files of a pull cannot go on either.
_SESSION_LOST = (asyncssh.DisconnectError, asyncssh.SFTPConnectionLost, asyncssh.SFTPNoConnection)


class SftpTransport:
    """Push files to, and pull files from, one directory on a partner's SFTP server.

    ``known_hosts`` has no default on purpose: pass a known_hosts file (Path or str), an
    ``asyncssh.SSHKnownHosts`` (e.g. from ``asyncssh.import_known_hosts``), or ``None`` to skip
    host key checking, which lets anyone in the middle read and change the files and is only for
    tests and the local demo. Authentication uses ``password`` and/or ``client_keys`` only: no
    ssh-agent, no ``~/.ssh`` keys and no ``~/.ssh/config`` are consulted behind the caller's back.
    """

    name = "sftp"

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        *,
        known_hosts: KnownHosts,
        remote_dir: str = "/incoming",
        password: str | None = None,
        client_keys: Sequence[ClientKey] | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        login_timeout: float = DEFAULT_LOGIN_TIMEOUT,
        operation_timeout: float | None = DEFAULT_OPERATION_TIMEOUT,
        keepalive_interval: float = DEFAULT_KEEPALIVE_INTERVAL,
    ) -> None:
        if not host or not username:
            raise ValueError("SFTP host and username must not be empty")
        if not 0 < port < 65536:
            raise ValueError(f"SFTP port must be 1..65535, not {port}")
        if password is None and not client_keys:
            raise ValueError(f"SFTP user {username!r} needs a password or client keys")
        for label, value in (
            ("connect_timeout", connect_timeout),
            ("login_timeout", login_timeout),
        ):
            if value <= 0:
                raise ValueError(f"{label} must be positive, not {value}")
        self.host = host
        self.port = port
        self.username = username
        self.remote_dir = remote_dir
        self._known_hosts = str(known_hosts) if isinstance(known_hosts, Path) else known_hosts
        self._password = password
        self._client_keys = [str(k) if isinstance(k, Path) else k for k in client_keys or ()]
        self._connect_timeout = connect_timeout
        self._login_timeout = login_timeout
        self._operation_timeout = operation_timeout
        self._keepalive_interval = keepalive_interval

    def __repr__(self) -> str:
        # Never show the password, which a default dataclass-style repr would.
        return f"SftpTransport({self._url(self.remote_dir)!r})"

    async def send(self, file_name: str, source: Path) -> Receipt:
        """Upload ``source`` as ``file_name`` into the remote directory, then mark it delivered.

        Sending a name again with the same content is a success that changes nothing beyond
        restoring a missing delivery marker (detail ``already delivered``); different content
        under that name, or a name already picked up and removed, is a PermanentError.
        """
        check_file_name(file_name)
        try:
            size, sha256 = await asyncio.to_thread(file_digest, source)
        except OSError as err:
            raise local_error(err, f"cannot read {source}") from err
        remote = posixpath.join(self.remote_dir, file_name)
        async with self._session(f"cannot deliver {file_name}") as sftp:
            if await _already_there(sftp, remote, size, sha256):
                await _write_marker(sftp, remote + DELIVERY_MARKER)
                detail = "already delivered"
            else:
                await _upload(sftp, source, remote, size)
                await _write_marker(sftp, remote + DELIVERY_MARKER)
                detail = "delivered"
        return Receipt(self.name, self._url(remote), size, sha256, detail)

    async def pull(self, dest_dir: Path, *, remote_dir: str | None = None) -> list[IncomingFile]:
        """Download each delivered, not yet picked-up file into ``dest_dir`` and mark it picked up.

        ``remote_dir`` defaults to the transport's own (``/outgoing`` is where a partner puts
        its ACKs). Files without a delivery marker are still being written and are left alone.
        If one file fails, the others are still pulled and the first error is raised at the
        end; files pulled before that stay in ``dest_dir``, so treat ``dest_dir`` as an inbox.
        """
        directory = remote_dir or self.remote_dir
        try:
            await asyncio.to_thread(dest_dir.mkdir, parents=True, exist_ok=True)
        except OSError as err:
            raise local_error(err, f"cannot create {dest_dir}") from err
        pulled: list[IncomingFile] = []
        first_error: TransportError | None = None
        async with self._session(f"cannot pull from {directory}") as sftp:
            for name, size in await _ready_files(sftp, directory):
                try:
                    pulled.append(await _pull_one(sftp, directory, name, size, dest_dir))
                except _SESSION_LOST:
                    raise
                except asyncssh.SFTPError as err:
                    first_error = first_error or _translate(err, f"cannot pull {name}")
                except TransportError as err:
                    first_error = first_error or err
        if first_error is not None:
            raise first_error
        return pulled

    def _url(self, path: str) -> str:
        return f"sftp://{self.username}@{self.host}:{self.port}{path}"

    @asynccontextmanager
    async def _session(self, action: str) -> AsyncIterator[asyncssh.SFTPClient]:
        """One connection and SFTP session; every asyncssh or network error leaves translated."""
        where = f"{action} at {self._url('')}"
        try:
            async with (
                asyncio.timeout(self._operation_timeout),
                asyncssh.connect(
                    self.host,
                    self.port,
                    username=self.username,
                    password=self._password,
                    client_keys=self._client_keys or None,
                    known_hosts=self._known_hosts,
                    agent_path=None,
                    config=None,
                    connect_timeout=self._connect_timeout,
                    login_timeout=self._login_timeout,
                    keepalive_interval=self._keepalive_interval,
                ) as connection,
                connection.start_sftp_client() as sftp,
            ):
                yield sftp
        except (OSError, asyncssh.Error, TimeoutError) as err:
            raise _translate(err, where) from err


async def _already_there(sftp: asyncssh.SFTPClient, remote: str, size: int, sha256: str) -> bool:
    """Whether ``remote`` holds these bytes; PermanentError if other bytes or it cannot tell."""
    try:
        attrs = await sftp.stat(remote)
    except asyncssh.SFTPNoSuchFile:
        if await sftp.exists(remote + PICKUP_MARKER):
            raise PermanentError(
                f"{remote} was already delivered, picked up and removed; its content cannot be "
                "compared, so it is not sent again under the same name",
                code="name_conflict",
            ) from None
        return False
    if attrs.size != size or await _remote_sha256(sftp, remote) != sha256:
        raise PermanentError(f"{remote} already holds different content", code="name_conflict")
    return True


async def _remote_sha256(sftp: asyncssh.SFTPClient, remote: str) -> str:
    digest = hashlib.sha256()
    async with sftp.open(remote, "rb", encoding=None) as file:
        while chunk := cast("bytes", await file.read(_READ_CHUNK)):
            digest.update(chunk)
    return digest.hexdigest()


async def _upload(sftp: asyncssh.SFTPClient, source: Path, remote: str, size: int) -> None:
    """Upload to ``remote.part``, check the size the server holds, then rename into place."""
    part = remote + PART_SUFFIX
    await sftp.put(str(source), part)
    uploaded = (await sftp.stat(part)).size
    if uploaded != size:
        raise TransientError(
            f"{part} holds {uploaded} bytes after upload, expected {size}", code="size_mismatch"
        )
    try:
        await sftp.posix_rename(part, remote)
    except asyncssh.SFTPOpUnsupported:
        # Plain SFTPv3 rename refuses to replace an existing file, which is what we want here.
        await sftp.rename(part, remote)


async def _write_marker(sftp: asyncssh.SFTPClient, remote: str) -> None:
    async with sftp.open(remote, "wb"):
        pass  # a zero-byte file: its existence is the message


async def _ready_files(sftp: asyncssh.SFTPClient, directory: str) -> list[tuple[str, int | None]]:
    """Names and listed sizes of regular files with a delivery marker and no pickup marker."""
    present: dict[str, asyncssh.SFTPAttrs] = {}
    for entry in await sftp.readdir(directory):
        if isinstance(entry.filename, str):
            present[entry.filename] = entry.attrs
    return [
        (name, attrs.size)
        for name, attrs in sorted(present.items())
        if attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
        and is_plain_file_name(name)
        and name + DELIVERY_MARKER in present
        and name + PICKUP_MARKER not in present
    ]


async def _pull_one(
    sftp: asyncssh.SFTPClient, directory: str, name: str, size: int | None, dest_dir: Path
) -> IncomingFile:
    """Download one file to a temporary copy, install it locally, then mark it picked up."""
    remote = posixpath.join(directory, name)
    if size is None:
        size = (await sftp.stat(remote)).size or 0
    temp = temp_path(dest_dir, name)
    try:
        await sftp.get(remote, str(temp))
        got, sha256 = await asyncio.to_thread(
            install_copy, temp, dest_dir / name, expected_size=size
        )
    except OSError as err:
        temp.unlink(missing_ok=True)
        raise local_error(err, f"cannot store {name} in {dest_dir}") from err
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    await _write_marker(sftp, remote + PICKUP_MARKER)
    return IncomingFile(name, dest_dir / name, got, sha256)


def _translate(err: BaseException, where: str) -> TransportError:
    """The transport error an asyncssh, socket or timeout failure amounts to."""
    message = f"{where}: {_reason(err)}"
    permanent: str | None = None
    transient = "network_error"
    if isinstance(err, TimeoutError):
        transient = "timeout"
    elif isinstance(err, ConnectionRefusedError):
        transient = "connection_refused"
    elif isinstance(err, asyncssh.PermissionDenied | asyncssh.IllegalUserName):
        permanent = "auth_refused"
    elif isinstance(err, asyncssh.HostKeyNotVerifiable):
        permanent = "host_key_rejected"
    elif isinstance(err, asyncssh.KeyExchangeFailed | asyncssh.ProtocolNotSupported):
        permanent = "ssh_negotiation_failed"
    elif isinstance(err, asyncssh.DisconnectError):
        transient = "connection_lost"
    elif isinstance(err, asyncssh.ChannelOpenError):
        if err.code != asyncssh.OPEN_RESOURCE_SHORTAGE:
            permanent = "sftp_unavailable"
    elif isinstance(err, asyncssh.SFTPError):
        transient = "sftp_failure"
        permanent = next((code for kind, code in _PERMANENT_SFTP if isinstance(err, kind)), None)
    if permanent is not None:
        return PermanentError(message, code=permanent)
    return TransientError(message, code=transient)


def _reason(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return "timed out"
    if isinstance(err, asyncssh.Error):
        return err.reason or type(err).__name__
    return str(err) or type(err).__name__
