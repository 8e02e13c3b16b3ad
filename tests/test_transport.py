"""File transports: SFTP push and pull against a real loopback server, and the local drop folder."""

# ruff: noqa: S105, S106 - throwaway passwords of a loopback test server

from __future__ import annotations

import asyncio
import hashlib
import socket
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from gateway.transport.base import (
    MAX_FILE_NAME,
    PermanentError,
    TransientError,
    TransportError,
    check_file_name,
)
from gateway.transport.folder import FolderTransport
from gateway.transport.sftp import SftpTransport
from gateway.transport.sftp_server import SftpServer, start_sftp_server

USER = "prs"
PASSWORD = "correct horse battery staple"
NAME = "CW260001052_035.V22"
CONTENT = b"HDRSO052PRS FOR MUSIC\r\n" * 200


def _source(tmp_path: Path, content: bytes = CONTENT, name: str = "outbox.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _closed_port() -> int:
    """A loopback port nothing listens on: bound, read, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[SftpServer]:
    root = tmp_path / "site"
    (root / "incoming").mkdir(parents=True)
    (root / "outgoing").mkdir()
    server = await start_sftp_server(root, users={USER: PASSWORD})
    async with server:
        yield server


def _site_root(tmp_path: Path) -> Path:
    return tmp_path / "site"


def _sftp(server: SftpServer, **options: object) -> SftpTransport:
    settings: dict[str, object] = {
        "password": PASSWORD,
        "known_hosts": server.known_hosts(),
        "connect_timeout": 10.0,
    }
    settings.update(options)
    username = str(settings.pop("username", USER))
    return SftpTransport("127.0.0.1", server.port, username, **settings)  # type: ignore[arg-type]


# --- file names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["CW260001052_035.V22", "CW170037SA_058_V3-0-0_SUB.zip", "a", "x" * MAX_FILE_NAME]
)
def test_plain_names_are_accepted(name: str) -> None:
    """CWR, zipped 3.x and limit-length names pass the file-name check unchanged."""
    assert check_file_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        "../etc/passwd",
        "a/b",
        "a\\b",
        ".hidden",
        "a b",
        "a\x00b",
        "x.part",
        "x.delivery.complete",
        "x.pickup.complete",
        "x" * (MAX_FILE_NAME + 1),
    ],
)
def test_unsafe_or_reserved_names_are_refused(name: str) -> None:
    """Names that could leave the folder, hide, or pose as a marker are a PermanentError."""
    with pytest.raises(PermanentError) as caught:
        check_file_name(name)
    assert caught.value.code == "invalid_file_name"


# --- SFTP -------------------------------------------------------------------------------------


async def test_sftp_push_then_pull_round_trip(site: SftpServer, tmp_path: Path) -> None:
    """A pushed file is pulled byte for byte once, and the pickup marker is written."""
    incoming = _site_root(tmp_path) / "incoming"
    receipt = await _sftp(site).send(NAME, _source(tmp_path))

    assert receipt.transport == "sftp"
    assert receipt.bytes == len(CONTENT)
    assert receipt.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert receipt.location.endswith(f":{site.port}/incoming/{NAME}")
    assert receipt.detail == "delivered"
    assert (incoming / NAME).read_bytes() == CONTENT
    assert (incoming / f"{NAME}.delivery.complete").stat().st_size == 0
    assert _names(incoming) == [NAME, f"{NAME}.delivery.complete"]

    inbox = tmp_path / "inbox"
    pulled = await _sftp(site).pull(inbox)
    assert [(f.name, f.size, f.sha256) for f in pulled] == [(NAME, len(CONTENT), receipt.sha256)]
    assert pulled[0].path == inbox / NAME
    assert pulled[0].path.read_bytes() == CONTENT
    assert (incoming / f"{NAME}.pickup.complete").stat().st_size == 0
    assert _names(inbox) == [NAME]  # no temporary file left behind

    assert await _sftp(site).pull(tmp_path / "inbox2") == []


async def test_sftp_pull_ignores_file_without_delivery_marker(
    site: SftpServer, tmp_path: Path
) -> None:
    """A file still being written (no marker) is not pulled; once marked, it is."""
    outgoing = _site_root(tmp_path) / "outgoing"
    (outgoing / "ACK1.zip").write_bytes(b"half")
    transport = _sftp(site, remote_dir="/incoming")

    assert await transport.pull(tmp_path / "inbox", remote_dir="/outgoing") == []
    assert not (outgoing / "ACK1.zip.pickup.complete").exists()
    assert not (tmp_path / "inbox" / "ACK1.zip").exists()

    (outgoing / "ACK1.zip.delivery.complete").touch()
    pulled = await transport.pull(tmp_path / "inbox", remote_dir="/outgoing")
    assert [f.name for f in pulled] == ["ACK1.zip"]
    assert (outgoing / "ACK1.zip.pickup.complete").exists()


async def test_sftp_pull_skips_directories_and_picked_up_files(
    site: SftpServer, tmp_path: Path
) -> None:
    """Only regular, marked, not yet picked-up files are candidates."""
    incoming = _site_root(tmp_path) / "incoming"
    (incoming / "adir").mkdir()
    (incoming / "adir.delivery.complete").touch()
    (incoming / "old.V22").write_bytes(b"old")
    (incoming / "old.V22.delivery.complete").touch()
    (incoming / "old.V22.pickup.complete").touch()
    (incoming / "new.V22").write_bytes(b"new")
    (incoming / "new.V22.delivery.complete").touch()

    pulled = await _sftp(site).pull(tmp_path / "inbox")
    assert [f.name for f in pulled] == ["new.V22"]


async def test_sftp_resend_same_content_is_a_no_op(site: SftpServer, tmp_path: Path) -> None:
    """Sending the same name and bytes again succeeds without rewriting the remote file."""
    delivered = _site_root(tmp_path) / "incoming" / NAME
    first = await _sftp(site).send(NAME, _source(tmp_path))
    inode = delivered.stat().st_ino

    again = await _sftp(site).send(NAME, _source(tmp_path, name="copy.bin"))
    assert again.detail == "already delivered"
    assert (again.sha256, again.bytes) == (first.sha256, first.bytes)
    assert delivered.stat().st_ino == inode


async def test_sftp_resend_restores_a_lost_delivery_marker(
    site: SftpServer, tmp_path: Path
) -> None:
    """A crash between rename and marker is healed by sending again."""
    marker = _site_root(tmp_path) / "incoming" / f"{NAME}.delivery.complete"
    await _sftp(site).send(NAME, _source(tmp_path))
    marker.unlink()

    receipt = await _sftp(site).send(NAME, _source(tmp_path))
    assert receipt.detail == "already delivered"
    assert marker.exists()


async def test_sftp_different_content_under_a_delivered_name_is_permanent(
    site: SftpServer, tmp_path: Path
) -> None:
    """A name never carries two contents: the second send fails and changes nothing."""
    delivered = _site_root(tmp_path) / "incoming" / NAME
    await _sftp(site).send(NAME, _source(tmp_path))

    for other in (CONTENT[:-1] + b"X", CONTENT + b"more"):
        with pytest.raises(PermanentError) as caught:
            await _sftp(site).send(NAME, _source(tmp_path, other, name="other.bin"))
        assert caught.value.code == "name_conflict"
    assert delivered.read_bytes() == CONTENT


async def test_sftp_name_picked_up_and_removed_is_not_sent_again(
    site: SftpServer, tmp_path: Path
) -> None:
    """When only the pickup marker remains, the content cannot be compared: PermanentError."""
    incoming = _site_root(tmp_path) / "incoming"
    await _sftp(site).send(NAME, _source(tmp_path))
    await _sftp(site).pull(tmp_path / "inbox")
    (incoming / NAME).unlink()

    with pytest.raises(PermanentError) as caught:
        await _sftp(site).send(NAME, _source(tmp_path))
    assert caught.value.code == "name_conflict"
    assert not (incoming / NAME).exists()


async def test_sftp_stale_part_file_is_replaced(site: SftpServer, tmp_path: Path) -> None:
    """A .part left by an interrupted upload does not block or leak into the next one."""
    incoming = _site_root(tmp_path) / "incoming"
    (incoming / f"{NAME}.part").write_bytes(
        b"interrupted upload, much longer than the real one" * 99
    )

    await _sftp(site).send(NAME, _source(tmp_path))
    assert (incoming / NAME).read_bytes() == CONTENT
    assert not (incoming / f"{NAME}.part").exists()


async def test_sftp_wrong_password_is_permanent(site: SftpServer, tmp_path: Path) -> None:
    """Refused credentials are not retried, and the message does not echo the password."""
    with pytest.raises(PermanentError) as caught:
        await _sftp(site, password="wrong-password").send(NAME, _source(tmp_path))
    assert caught.value.code == "auth_refused"
    assert "wrong-password" not in str(caught.value)
    assert str(site.port) in str(caught.value)


async def test_sftp_unknown_user_is_permanent(site: SftpServer, tmp_path: Path) -> None:
    """A user the server does not know is refused like a wrong password."""
    with pytest.raises(PermanentError) as caught:
        await _sftp(site, username="gema").pull(tmp_path / "inbox")
    assert caught.value.code == "auth_refused"


async def test_sftp_nothing_listening_is_transient(tmp_path: Path) -> None:
    """A refused connection is worth retrying."""
    transport = SftpTransport(
        "127.0.0.1", _closed_port(), USER, password=PASSWORD, known_hosts=None
    )
    with pytest.raises(TransientError) as caught:
        await transport.send(NAME, _source(tmp_path))
    assert caught.value.code == "connection_refused"
    assert caught.value.retryable


async def test_sftp_silent_server_times_out_as_transient(tmp_path: Path) -> None:
    """A peer that accepts TCP but never speaks SSH ends in a TransientError, not a hang."""
    held: list[asyncio.StreamWriter] = []

    async def accept_and_stay_silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept_and_stay_silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = SftpTransport(
        "127.0.0.1", port, USER, password=PASSWORD, known_hosts=None, connect_timeout=0.3
    )
    try:
        async with asyncio.timeout(20):  # hang guard only
            with pytest.raises(TransientError) as caught:
                await transport.send(NAME, _source(tmp_path))
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
    assert caught.value.code == "timeout"


async def test_sftp_unknown_host_key_is_permanent(site: SftpServer, tmp_path: Path) -> None:
    """A server whose key is not the trusted one is refused: a man in the middle is no retry."""
    impostor = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    trusted = asyncssh.import_known_hosts(f"[127.0.0.1]:{site.port} {impostor}")
    with pytest.raises(PermanentError) as caught:
        await _sftp(site, known_hosts=trusted).send(NAME, _source(tmp_path))
    assert caught.value.code == "host_key_rejected"
    assert not (_site_root(tmp_path) / "incoming" / NAME).exists()


async def test_sftp_known_hosts_file_is_accepted(site: SftpServer, tmp_path: Path) -> None:
    """A known_hosts file on disk, as in production, verifies the server."""
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(site.known_hosts_line())
    receipt = await _sftp(site, known_hosts=known_hosts).send(NAME, _source(tmp_path))
    assert receipt.detail == "delivered"


async def test_sftp_missing_remote_dir_is_permanent(site: SftpServer, tmp_path: Path) -> None:
    """A remote directory that does not exist is a configuration error, not a retry."""
    with pytest.raises(PermanentError) as caught:
        await _sftp(site, remote_dir="/nowhere").send(NAME, _source(tmp_path))
    assert caught.value.code == "path_invalid"


async def test_sftp_server_keeps_clients_inside_its_root(site: SftpServer, tmp_path: Path) -> None:
    """A marked file beside the served root cannot be reached by climbing out with '..'."""
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "keys.txt").write_bytes(b"private")
    (outside / "keys.txt.delivery.complete").touch()

    with pytest.raises(PermanentError):
        await _sftp(site).pull(tmp_path / "inbox", remote_dir="/../secret")
    assert not (outside / "keys.txt.pickup.complete").exists()


async def test_sftp_server_refuses_symlinks(site: SftpServer, tmp_path: Path) -> None:
    """Clients cannot plant links that would point outside the chroot."""
    async with (
        asyncssh.connect(
            "127.0.0.1",
            site.port,
            username=USER,
            password=PASSWORD,
            known_hosts=site.known_hosts(),
            client_keys=None,
            agent_path=None,
            config=None,
        ) as connection,
        connection.start_sftp_client() as sftp,
    ):
        with pytest.raises(asyncssh.SFTPOpUnsupported):
            await sftp.symlink("/etc/passwd", "/incoming/passwd")
    assert not (_site_root(tmp_path) / "incoming" / "passwd").exists()


async def test_sftp_server_host_key_file_survives_restart(tmp_path: Path) -> None:
    """With a host key path, a restarted server keeps its identity; the key file is private."""
    key_path = tmp_path / "keys" / "host_ed25519"
    lines = []
    for _ in range(2):
        async with await start_sftp_server(
            tmp_path / "root", users={USER: PASSWORD}, host_key_path=key_path
        ) as server:
            lines.append(server.known_hosts_line().split(" ", 1)[1])
    assert lines[0] == lines[1]
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


def test_sftp_transport_refuses_bad_settings() -> None:
    """Missing credentials, bad ports and timeouts are clear ValueErrors at construction."""
    with pytest.raises(ValueError, match="password or client keys"):
        SftpTransport("127.0.0.1", 22, USER, known_hosts=None)
    with pytest.raises(ValueError, match="port"):
        SftpTransport("127.0.0.1", 0, USER, password="x", known_hosts=None)
    with pytest.raises(ValueError, match="connect_timeout"):
        SftpTransport("h", 22, USER, password="x", known_hosts=None, connect_timeout=0)


def test_sftp_transport_repr_hides_the_password() -> None:
    """Logging a transport never prints its secret."""
    transport = SftpTransport("127.0.0.1", 2222, USER, password=PASSWORD, known_hosts=None)
    assert PASSWORD not in repr(transport)
    assert "sftp://prs@127.0.0.1:2222/incoming" in repr(transport)


async def test_sftp_bad_file_name_is_refused_before_connecting(tmp_path: Path) -> None:
    """A traversal name fails at once, even with no server to reach."""
    transport = SftpTransport("127.0.0.1", _closed_port(), USER, password="x", known_hosts=None)
    with pytest.raises(PermanentError) as caught:
        await transport.send("../escape", _source(tmp_path))
    assert caught.value.code == "invalid_file_name"


async def test_missing_source_is_permanent(site: SftpServer, tmp_path: Path) -> None:
    """A source file that does not exist is reported with its path, for both transports."""
    missing = tmp_path / "gone.V22"
    for transport in (_sftp(site), FolderTransport(tmp_path)):
        with pytest.raises(PermanentError, match=r"gone\.V22") as caught:
            await transport.send(NAME, missing)
        assert caught.value.code == "path_invalid"


# --- folder -----------------------------------------------------------------------------------


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


async def test_folder_send_then_pull_round_trip(drop: Path, tmp_path: Path) -> None:
    """A sent file is pulled byte for byte once, with both markers in the drop folder."""
    receipt = await FolderTransport(drop).send(NAME, _source(tmp_path))
    assert (receipt.transport, receipt.bytes, receipt.detail) == (
        "folder",
        len(CONTENT),
        "delivered",
    )
    assert receipt.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert _names(drop) == [NAME, f"{NAME}.delivery.complete"]
    assert (drop / f"{NAME}.delivery.complete").stat().st_size == 0

    inbox = tmp_path / "inbox"
    pulled = await FolderTransport(drop).pull(inbox)
    assert [(f.name, f.size, f.sha256) for f in pulled] == [(NAME, len(CONTENT), receipt.sha256)]
    assert (inbox / NAME).read_bytes() == CONTENT
    assert _names(inbox) == [NAME]
    assert (drop / f"{NAME}.pickup.complete").stat().st_size == 0

    assert await FolderTransport(drop).pull(inbox) == []


async def test_folder_pull_ignores_unmarked_and_linked_files(drop: Path, tmp_path: Path) -> None:
    """Half-written files and symlinks (even marked ones) are never picked up."""
    (drop / "half.V22").write_bytes(b"HDR")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"private")
    (drop / "link.V22").symlink_to(secret)
    (drop / "link.V22.delivery.complete").touch()

    assert await FolderTransport(drop).pull(tmp_path / "inbox") == []
    assert not (drop / "half.V22.pickup.complete").exists()

    (drop / "half.V22.delivery.complete").touch()
    assert [f.name for f in await FolderTransport(drop).pull(tmp_path / "inbox")] == ["half.V22"]


async def test_folder_resend_same_content_is_a_no_op(drop: Path, tmp_path: Path) -> None:
    """The same name and bytes again succeed without rewriting, and restore a lost marker."""
    await FolderTransport(drop).send(NAME, _source(tmp_path))
    inode = (drop / NAME).stat().st_ino
    (drop / f"{NAME}.delivery.complete").unlink()

    again = await FolderTransport(drop).send(NAME, _source(tmp_path, name="copy.bin"))
    assert again.detail == "already delivered"
    assert (drop / NAME).stat().st_ino == inode
    assert (drop / f"{NAME}.delivery.complete").exists()


async def test_folder_different_content_under_a_delivered_name_is_permanent(
    drop: Path, tmp_path: Path
) -> None:
    """A second content under a delivered name fails and leaves the first intact."""
    await FolderTransport(drop).send(NAME, _source(tmp_path))
    with pytest.raises(PermanentError) as caught:
        await FolderTransport(drop).send(NAME, _source(tmp_path, b"other", name="other.bin"))
    assert caught.value.code == "name_conflict"
    assert (drop / NAME).read_bytes() == CONTENT


async def test_folder_name_picked_up_and_removed_is_not_sent_again(
    drop: Path, tmp_path: Path
) -> None:
    """When only the pickup marker remains, the same name is refused, not silently re-sent."""
    await FolderTransport(drop).send(NAME, _source(tmp_path))
    await FolderTransport(drop).pull(tmp_path / "inbox")
    (drop / NAME).unlink()
    with pytest.raises(PermanentError, match="picked up"):
        await FolderTransport(drop).send(NAME, _source(tmp_path))


async def test_folder_stale_part_file_is_replaced(drop: Path, tmp_path: Path) -> None:
    """A .part from an interrupted copy is overwritten and gone after the next send."""
    (drop / f"{NAME}.part").write_bytes(b"x" * (len(CONTENT) * 2))
    await FolderTransport(drop).send(NAME, _source(tmp_path))
    assert (drop / NAME).read_bytes() == CONTENT
    assert not (drop / f"{NAME}.part").exists()


async def test_folder_missing_root_is_permanent(tmp_path: Path) -> None:
    """A drop folder that does not exist is reported, not created."""
    transport = FolderTransport(tmp_path / "unmounted")
    with pytest.raises(PermanentError, match="unmounted") as caught:
        await transport.send(NAME, _source(tmp_path))
    assert caught.value.code == "path_invalid"
    with pytest.raises(TransportError, match="unmounted"):
        await transport.pull(tmp_path / "inbox")
    assert not (tmp_path / "unmounted").exists()


async def test_folder_bad_file_name_is_refused(drop: Path, tmp_path: Path) -> None:
    """A traversal name never writes outside the drop folder."""
    with pytest.raises(PermanentError) as caught:
        await FolderTransport(drop).send("../outside.V22", _source(tmp_path))
    assert caught.value.code == "invalid_file_name"
    assert not (tmp_path / "outside.V22").exists()
