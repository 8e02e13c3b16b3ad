"""A throwaway PostgreSQL server for the test suite: a fresh cluster in a folder, on loopback.

    python tools/postgres_for_tests.py start        # prints the server's URL, then its folder
    python tools/postgres_for_tests.py stop FOLDER

Uses the server binaries of Debian's ``postgresql`` package (``/usr/lib/postgresql/N/bin``, or
``pg_ctl`` on the PATH). PostgreSQL refuses to run as root: as root, the cluster belongs to the
``postgres`` user the package creates, and its commands run as that user (so the cluster lives in
a fresh folder under the system's temporary folder, which that user can reach). The cluster trusts
loopback connections and skips fsync: it is for tests, and it is thrown away.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

USER = "gateway"
DATABASE = "gateway"
START_TIMEOUT_SECONDS = 60


class PostgresMissingError(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def server_bin() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``, newest version first."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True
    )
    for folder in versions:
        if (folder / "initdb").exists():
            return folder
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise PostgresMissingError("PostgreSQL server binaries not found (Debian package: postgresql)")


def _as_owner(command: list[str]) -> list[str]:
    """The command as run by the cluster's owner: ``postgres`` when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start() -> tuple[str, Path]:
    """Create and start a cluster in a new folder; its URL and the folder (for :func:`stop`)."""
    binaries = server_bin()
    folder = Path(tempfile.mkdtemp(prefix="gateway-postgres-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
    initdb = [str(binaries / "initdb"), "-D", str(data), "-U", USER, "-A", "trust"]
    subprocess.run(
        _as_owner([*initdb, "--no-sync", "-E", "UTF8", "--locale", "C"]),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log")]
    subprocess.run(
        _as_owner([*pg_ctl, "-o", options, "-w", "-t", str(START_TIMEOUT_SECONDS), "start"]),
        check=True,
        capture_output=True,
    )
    createdb = [str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER]
    subprocess.run([*createdb, DATABASE], check=True, capture_output=True)
    url = f"postgresql://{USER}@127.0.0.1:{port}/{DATABASE}"
    return url, folder


def stop(folder: Path) -> None:
    """Stop the cluster in ``folder`` and remove the folder."""
    data = folder / "data"
    if (data / "postmaster.pid").exists():
        pg_ctl = [str(server_bin() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
        subprocess.run(_as_owner(pg_ctl), check=False, capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    """``start`` or ``stop FOLDER``."""
    if argv != ["start"] and not (len(argv) == 2 and argv[0] == "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if argv[0] == "start":
            url, folder = start()
            print(url)
            print(folder)
        else:
            stop(Path(argv[1]))
    except PostgresMissingError as error:
        print(f"postgres_for_tests: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        output = (error.stderr or b"").decode(errors="replace").strip()
        print(f"postgres_for_tests: {' '.join(error.cmd)} failed: {output}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
