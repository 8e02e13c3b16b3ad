"""The transport that carries a partner's files, built from its registry entry once and reused.

::

    http    address "http://host:port" or ".../v1/submissions"  -> HttpTransport, signed
    sftp    address "sftp://host:port/dir", credentials.username  -> SftpTransport
            password from $password_env or the file password_file, and/or client_key_file
    folder  address is a path (relative: to base_dir)             -> FolderTransport

SFTP host keys are checked against the ``known_hosts`` file given to the factory. Without one,
an SFTP partner is refused, unless the factory is built with ``insecure_host_keys=True``, which
accepts any host key (anyone in the middle could read and change the files): for tests and the
local demo only. A partner whose entry cannot be turned into a transport gets a
``TransportConfigError`` naming the partner; secrets never appear in its message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiohttp

from gateway.routing.partners import Partner, Registry
from gateway.transport.base import PermanentError, Transport
from gateway.transport.folder import FolderTransport
from gateway.transport.http import DEFAULT_TIMEOUT, SUBMISSIONS_PATH, HttpTransport
from gateway.transport.sftp import ClientKey, SftpTransport
from gateway.transport.signing import SigningKey

DEFAULT_SFTP_PORT = 22


class TransportConfigError(PermanentError):
    """A partner's registry entry, or a secret it names, cannot make a working transport.

    A PermanentError, so the outbox dead-letters the delivery with this message: retrying cannot
    help until an operator fixes the entry or the environment.
    """

    code = "partner_config"


class TransportFactory:
    """Builds and caches each partner's transport from the registry and this node's settings.

    ``signing_key`` signs HTTP requests; ``base_dir`` anchors relative folder, password-file and
    key-file paths (normally the registry's folder); ``known_hosts`` is the SFTP known_hosts file,
    and ``insecure_host_keys`` (tests and demo only) skips host key checks when there is none.
    ``environ`` is where ``password_env`` names are looked up (default: the process environment).
    """

    def __init__(
        self,
        registry: Registry,
        *,
        signing_key: SigningKey,
        base_dir: Path,
        known_hosts: Path | None = None,
        insecure_host_keys: bool = False,
        http_timeout: aiohttp.ClientTimeout | float = DEFAULT_TIMEOUT,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.registry = registry
        self._signing_key = signing_key
        self._base_dir = base_dir
        self._known_hosts = known_hosts
        self._insecure_host_keys = insecure_host_keys
        self._http_timeout = http_timeout
        self._environ = environ
        # Keyed by society, holding the entry it was built from: a changed entry is rebuilt.
        self._cache: dict[str, tuple[Partner, Transport]] = {}

    def for_partner(self, partner: Partner) -> Transport:
        """The transport for ``partner``, built on first use; TransportConfigError if it cannot."""
        cached = self._cache.get(partner.society)
        if cached is not None and cached[0] == partner:
            return cached[1]
        transport = self._build(partner)
        self._cache[partner.society] = (partner, transport)
        return transport

    def check_all(self) -> None:
        """Build every partner's transport now, so a bad entry or missing secret fails at start."""
        for partner in self.registry.partners.values():
            self.for_partner(partner)

    def _build(self, partner: Partner) -> Transport:
        if partner.transport == "http":
            return self._http(partner)
        if partner.transport == "sftp":
            return self._sftp(partner)
        if partner.transport == "folder":
            return FolderTransport(self._path(partner.address))
        raise _error(partner, f"unknown transport {partner.transport!r}")

    def _http(self, partner: Partner) -> HttpTransport:
        base = partner.address.rstrip("/")
        # Registries may give the full submissions URL; HttpTransport appends that path itself.
        base = base.removesuffix(SUBMISSIONS_PATH)
        try:
            return HttpTransport(base, self._signing_key, timeout=self._http_timeout)
        except ValueError as err:
            raise _error(partner, f"address {partner.address!r}: {err}") from None

    def _sftp(self, partner: Partner) -> SftpTransport:
        try:
            url = urlsplit(partner.address)
            port = url.port or DEFAULT_SFTP_PORT
        except ValueError as err:
            raise _error(partner, f"address {partner.address!r} is not a URL: {err}") from None
        if url.scheme != "sftp" or not url.hostname:
            raise _error(partner, f"address {partner.address!r} is not sftp://host[:port]/dir")
        credentials = partner.credentials
        if not credentials.username:
            raise _error(partner, "an SFTP partner needs credentials.username")
        password = self._password(partner)
        client_keys: list[ClientKey] = []
        if credentials.client_key_file:
            client_keys.append(self._path(credentials.client_key_file))
        if password is None and not client_keys:
            raise _error(
                partner, "an SFTP partner needs password_env, password_file or client_key_file"
            )
        if self._known_hosts is None and not self._insecure_host_keys:
            raise _error(
                partner,
                "SFTP needs a known_hosts file to check the server's host key "
                "(insecure_host_keys is for tests and the demo only)",
            )
        try:
            return SftpTransport(
                url.hostname,
                port,
                credentials.username,
                known_hosts=self._known_hosts,
                remote_dir=unquote(url.path) or "/",
                password=password,
                client_keys=client_keys or None,
            )
        except ValueError as err:
            raise _error(partner, str(err)) from None

    def _password(self, partner: Partner) -> str | None:
        """The SFTP password the entry names, or None when it names none; never in a message."""
        credentials = partner.credentials
        if credentials.password_env:
            environ = os.environ if self._environ is None else self._environ
            value = environ.get(credentials.password_env, "")
            if not value:
                raise _error(
                    partner,
                    f"the SFTP password is missing: environment variable "
                    f"{credentials.password_env} is not set or empty",
                )
            return value
        if credentials.password_file:
            path = self._path(credentials.password_file)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as err:
                reason = err.strerror or type(err).__name__
                raise _error(
                    partner, f"cannot read the SFTP password file {path}: {reason}"
                ) from None
            except UnicodeDecodeError:
                # The decoder's message quotes the offending bytes: part of the secret.
                raise _error(partner, f"the SFTP password file {path} is not UTF-8") from None
            value = text.rstrip("\r\n")  # an editor's final newline is not part of the password
            if not value:
                raise _error(partner, f"the SFTP password file {path} is empty")
            return value
        return None

    def _path(self, text: str) -> Path:
        path = Path(text)
        return path if path.is_absolute() else self._base_dir / path


def _error(partner: Partner, problem: str) -> TransportConfigError:
    return TransportConfigError(f"partner {partner.society} ({partner.name}): {problem}")
