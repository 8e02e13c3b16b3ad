"""A small real SFTP server on asyncssh: a society's SFTP site for the tests and the demo.

Password logins only, every user confined (chrooted) to the same ``root``, SFTP and nothing else:
no shell, no commands, no port or agent forwarding, no symlinks or hard links. It is meant for
loopback use by the tests and the demo, not as a hardened production server.
"""

from __future__ import annotations

import asyncio
import hmac
import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

from gateway.transport._asyncssh import asyncssh

_HOST_KEY_ALGORITHM = "ssh-ed25519"
_HOST_KEY_MODE = 0o600


class SftpServer:
    """A running SFTP server; ``port`` is the port it listens on (useful after port 0)."""

    def __init__(
        self, acceptor: asyncssh.SSHAcceptor, host: str, host_key: asyncssh.SSHKey
    ) -> None:
        self._acceptor = acceptor
        self.host = host
        self.port = acceptor.get_port()
        self._host_key = host_key

    def known_hosts_line(self) -> str:
        """The known_hosts line that trusts this server's host key at its host and port."""
        public = self._host_key.export_public_key("openssh").decode("ascii").split()
        return f"[{self.host}]:{self.port} {public[0]} {public[1]}\n"

    def known_hosts(self) -> asyncssh.SSHKnownHosts:
        """A known_hosts object trusting only this server, for SftpTransport(known_hosts=...)."""
        return asyncssh.import_known_hosts(self.known_hosts_line())

    def close(self) -> None:
        """Stop accepting connections and close the open ones."""
        self._acceptor.close()

    async def wait_closed(self) -> None:
        """Wait until the server and its connections have shut down."""
        await self._acceptor.wait_closed()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
        await self.wait_closed()


async def start_sftp_server(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    users: Mapping[str, str],
    host_key_path: Path | None = None,
) -> SftpServer:
    """Start an SFTP server serving ``root`` to ``users`` (user name to password).

    ``root`` is created if missing. With ``host_key_path`` the host key is read from that file,
    or generated and saved there (mode 0600) on first use, so a demo keeps one identity across
    runs; without it a fresh key lives in memory for this server only.
    """
    if not users:
        raise ValueError("an SFTP server needs at least one user")
    chroot, host_key = await asyncio.to_thread(_prepare, root, host_key_path)
    frozen_users = dict(users)

    def make_sftp(channel: asyncssh.SSHServerChannel[bytes]) -> asyncssh.SFTPServer:
        return _ConfinedSftp(channel, chroot=chroot)

    acceptor = await asyncssh.listen(
        host,
        port,
        server_host_keys=[host_key],
        server_factory=lambda: _PasswordServer(frozen_users),
        sftp_factory=make_sftp,
        allow_scp=False,
        agent_forwarding=False,
        allow_pty=False,
        config=None,
    )
    return SftpServer(acceptor, host, host_key)


class _PasswordServer(asyncssh.SSHServer):
    """Password authentication against a fixed table, compared in constant time."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self._users = users

    def begin_auth(self, username: str) -> bool:  # noqa: ARG002 - asyncssh's signature
        return True  # authentication is always required

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        expected = self._users.get(username)
        # Compare even for an unknown user so timing does not reveal which names exist.
        matches = hmac.compare_digest(password.encode(), (expected or "").encode())
        return expected is not None and matches


class _ConfinedSftp(asyncssh.SFTPServer):
    """asyncssh's file server under a chroot, refusing links that could point outside it."""

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:  # noqa: ARG002 - see link
        raise asyncssh.SFTPOpUnsupported("symbolic links are not allowed here")

    def link(self, oldpath: bytes, newpath: bytes) -> None:  # noqa: ARG002 - asyncssh's signature
        raise asyncssh.SFTPOpUnsupported("hard links are not allowed here")


def _prepare(root: Path, host_key_path: Path | None) -> tuple[bytes, asyncssh.SSHKey]:
    """Create the root and find the host key (file I/O, run in a worker thread)."""
    root.mkdir(parents=True, exist_ok=True)
    return os.fsencode(root.resolve()), _load_or_create_host_key(host_key_path)


def _load_or_create_host_key(path: Path | None) -> asyncssh.SSHKey:
    if path is None:
        return asyncssh.generate_private_key(_HOST_KEY_ALGORITHM)
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key(_HOST_KEY_ALGORITHM)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _HOST_KEY_MODE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key.export_private_key())
    return key
