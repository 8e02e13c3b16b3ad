"""The partner registry: who this gateway exchanges files with, and how.

A registry is one TOML file (read with the standard ``tomllib``); ``docs/partners.md`` is the
reference. Its layout::

    [gateway]                       # this node
    society = "052"                 # CISAC society code (gateway.codes.society)
    name = "PRS for Music"
    key_id = "prs-demo"             # optional: the id partners list our public key under
    private_key_file = "keys/prs.key"  # optional: our Ed25519 signing key (PEM), relative to
                                       # the registry file

    [[partner]]
    society = "035"                 # CISAC society code; not this node's, not 000 or 099
    name = "GEMA"
    formats = ["cwr", "xml"]        # what it accepts
    receive_as = "xml"              # what we send it: one of formats
    cwr_version = "2.2"             # 2.1 / 2.2 / 3.0 / 3.1
    transport = "sftp"              # http | sftp | folder
    address = "sftp://127.0.0.1:8222/incoming"  # http(s) URL, sftp URL or folder path
    rule_pack = "gema"              # a pack of gateway/validation/packs (load_pack)
    territories = ["0276"]          # optional: TIS codes where it collects
    serves = []                     # optional, for a hub: the society codes it serves
    [partner.credentials]           # optional; secrets never in this file
    key_id = "gema-demo"            # its request-signing key id (default: key fingerprint)
    public_key = "base64..."        # its Ed25519 public key: 32 raw bytes, base64
    username = "prs"                # our login on its SFTP server
    password_env = "GW_GEMA_SFTP_PASSWORD"  # or password_file = "secrets/gema" (not both)
    client_key_file = "keys/prs_ssh"        # optional SSH key for its SFTP server

Loading is strict: bad TOML, an unknown key (a literal ``password`` included), a wrong type, an
unknown society or territory, a bad format, version, transport or address, a duplicate society
or key id, an unknown rule pack, or a hub serving an unknown (or doubly served) society each
raise ``RegistryError`` naming the file, the partner and the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn
from urllib.parse import urlsplit

from gateway.codes import society, territory
from gateway.codes._societies import society_key
from gateway.codes._territories import territory_key
from gateway.routing.errors import RegistryError
from gateway.validation.packs import PackError, load_pack

__all__ = [
    "CWR_VERSIONS",
    "FORMATS",
    "TRANSPORTS",
    "Credentials",
    "NodeInfo",
    "Partner",
    "Registry",
    "RegistryError",
    "load_registry",
    "parse_registry",
]

FORMATS = ("cwr", "xml")
CWR_VERSIONS = ("2.1", "2.2", "3.0", "3.1")
TRANSPORTS = ("http", "sftp", "folder")
# CWR's own codes, not societies a file can be delivered to.
_NOT_PARTNERS = frozenset({"000", "099"})
_NODE_KEYS = frozenset({"society", "name", "key_id", "private_key_file"})
_REQUIRED = (
    "society",
    "name",
    "formats",
    "receive_as",
    "cwr_version",
    "transport",
    "address",
    "rule_pack",
)
_PARTNER_KEYS = frozenset({*_REQUIRED, "territories", "serves", "credentials"})
_CREDENTIAL_KEYS = frozenset(
    {"key_id", "public_key", "username", "password_env", "password_file", "client_key_file"}
)
_KEY_ID = re.compile(r"[\x21-\x7e]{1,128}")  # what the signed-request header carries
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_URL_SCHEMES = {"http": ("http", "https"), "sftp": ("sftp",)}
_ED25519_KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """This gateway: the society it acts for, and where its signing key is."""

    society: str
    name: str
    key_id: str = ""
    private_key_file: str = ""


@dataclass(frozen=True, slots=True)
class Credentials:
    """How a partner authenticates to us and we to it; secrets only by reference."""

    key_id: str = ""
    public_key: bytes = field(default=b"", repr=False)  # raw Ed25519, 32 bytes
    username: str = ""
    password_env: str = ""
    password_file: str = ""
    client_key_file: str = ""


@dataclass(frozen=True, slots=True)
class Partner:
    """A society (or hub) this gateway sends files to and accepts files from."""

    society: str
    name: str
    formats: tuple[str, ...]
    receive_as: str
    cwr_version: str
    transport: str
    address: str
    rule_pack: str
    territories: tuple[str, ...] = ()
    serves: tuple[str, ...] = ()
    credentials: Credentials = field(default_factory=Credentials)

    @property
    def is_hub(self) -> bool:
        """True when the partner receives files for other societies."""
        return bool(self.serves)


@dataclass(frozen=True, slots=True)
class Registry:
    """This node and its partners by society code, with hub-served societies resolved."""

    node: NodeInfo
    partners: Mapping[str, Partner]
    _hubs: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hubs = {served: p.society for p in self.partners.values() for served in p.serves}
        object.__setattr__(self, "_hubs", MappingProxyType(hubs))
        object.__setattr__(self, "partners", MappingProxyType(dict(self.partners)))

    def partner_for(self, society_code: str) -> Partner | None:
        """The partner a file for this society goes to: itself, or the hub serving it."""
        key = society_key(society_code)
        if key is None:
            return None
        direct = self.partners.get(key)
        if direct is not None:
            return direct
        hub = self._hubs.get(key)
        return None if hub is None else self.partners[hub]

    def partner_by_key_id(self, key_id: str) -> Partner | None:
        """The partner whose request-signing key has this id."""
        for partner in self.partners.values():
            if partner.credentials.key_id and partner.credentials.key_id == key_id:
                return partner
        return None


def load_registry(path: Path | str) -> Registry:
    """Read a registry file; relative key and secret file paths resolve against its folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RegistryError(f"cannot read the registry: {error}", source=str(path)) from None
    return parse_registry(text, source=str(path), base=path.parent)


def parse_registry(text: str, source: str = "", *, base: Path | None = None) -> Registry:
    """Read a registry from TOML text; ``source`` names it in errors, ``base`` resolves paths."""
    source = source or "<registry>"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RegistryError(f"not valid TOML: {error}", source=source) from None
    _only(raw, frozenset({"gateway", "partner"}), source=source, partner="", prefix="")
    node = _node(raw.get("gateway"), source, base)
    entries = raw.get("partner", [])
    if not isinstance(entries, list):
        raise RegistryError("must be an array of tables: [[partner]]", source=source, key="partner")
    partners: dict[str, Partner] = {}
    key_ids: dict[str, str] = {}
    for index, entry in enumerate(entries):
        partner = _Reader(entry, source, index, base).partner()
        label = _label(index, partner.society, partner.name)
        if partner.society == node.society:
            raise RegistryError(
                f"{partner.society} is this gateway's own society ([gateway])",
                source=source,
                partner=label,
                key="society",
            )
        if partner.society in partners:
            raise RegistryError(
                f"society {partner.society} is listed twice",
                source=source,
                partner=label,
                key="society",
            )
        key_id = partner.credentials.key_id
        if key_id and key_id in key_ids:
            raise RegistryError(
                f"key id {key_id!r} is already {key_ids[key_id]}'s",
                source=source,
                partner=label,
                key="credentials.key_id",
            )
        if key_id:
            key_ids[key_id] = partner.society
        partners[partner.society] = partner
    _check_hubs(partners, node, source)
    return Registry(node=node, partners=partners)


def _check_hubs(partners: Mapping[str, Partner], node: NodeInfo, source: str) -> None:
    served_by: dict[str, str] = {}
    for index, partner in enumerate(partners.values()):
        label = _label(index, partner.society, partner.name)
        for code in partner.serves:
            if code in partners:
                problem = f"{code} is a partner itself; list it once, directly or through a hub"
            elif code == node.society:
                problem = f"{code} is this gateway's own society"
            elif code in served_by:
                problem = f"{code} is served by {served_by[code]} already"
            else:
                served_by[code] = partner.society
                continue
            raise RegistryError(problem, source=source, partner=label, key="serves")


def _node(raw: object, source: str, base: Path | None) -> NodeInfo:
    if raw is None:
        raise RegistryError(
            "missing: say which society this node is", source=source, key="[gateway]"
        )
    if not isinstance(raw, dict):
        raise RegistryError("must be a table", source=source, key="gateway")
    _only(raw, _NODE_KEYS, source=source, partner="[gateway]", prefix="")
    reader = _Reader(raw, source, None, base, label="[gateway]")
    key_id = reader.text("key_id", required=False)
    if key_id and not _KEY_ID.fullmatch(key_id):
        reader.fail("key_id", f"{key_id!r} is not 1-128 printable ASCII characters")
    return NodeInfo(
        society=reader.society_code("society"),
        name=reader.text("name"),
        key_id=key_id,
        private_key_file=reader.path("private_key_file"),
    )


def _only(
    raw: Mapping[str, Any], allowed: frozenset[str], *, source: str, partner: str, prefix: str
) -> None:
    unknown = sorted(set(raw) - allowed)
    if not unknown:
        return
    hint = ""
    if "password" in unknown[0].lower():
        hint = " (secrets never go in the registry: use password_env or password_file)"
    raise RegistryError(
        f"unknown key{hint}; allowed: {', '.join(sorted(allowed))}",
        source=source,
        partner=partner,
        key=f"{prefix}{unknown[0]}",
    )


def _label(index: int | None, code: str = "", name: str = "") -> str:
    if index is None:
        return "[gateway]"
    described = " ".join(part for part in (code, name) if part)
    return f"partner[{index}]" + (f" ({described})" if described else "")


class _Reader:
    """Reads one table's values, raising errors that name the file, the partner and the key."""

    def __init__(
        self,
        raw: object,
        source: str,
        index: int | None,
        base: Path | None,
        *,
        label: str = "",
        prefix: str = "",
    ) -> None:
        self.source = source
        self.index = index
        self.base = base
        self.prefix = prefix
        if not isinstance(raw, dict):
            raise RegistryError("must be a table", source=source, partner=_label(index))
        self.raw: dict[str, Any] = raw
        code = raw.get("society")
        name = raw.get("name")
        self.label = label or _label(
            index, code if isinstance(code, str) else "", name if isinstance(name, str) else ""
        )

    def fail(self, key: str, message: str) -> NoReturn:
        raise RegistryError(message, source=self.source, partner=self.label, key=self.prefix + key)

    def value(self, key: str, *, required: bool = True) -> object:
        if key not in self.raw:
            if required:
                self.fail(key, "missing")
            return None
        return self.raw[key]

    def text(self, key: str, *, required: bool = True) -> str:
        value = self.value(key, required=required)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be a non-empty string, not {value!r}")
        return value.strip()

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key)
        if value.lower() not in allowed:
            self.fail(key, f"{value!r} is not one of {', '.join(allowed)}")
        return value.lower()

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.value(key, required=False)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(key, f"must be a list of strings, not {value!r}")
        items = tuple(item.strip() for item in value)
        repeated = sorted({item for item in items if items.count(item) > 1})
        if repeated:
            self.fail(key, f"{repeated[0]!r} is listed twice")
        return items

    def society_code(self, key: str, value: str | None = None) -> str:
        text = self.text(key) if value is None else value
        code = society_key(text)
        if code is None:
            self.fail(key, f"{text!r} is not a 3-digit CISAC society code")
        if code in _NOT_PARTNERS:
            self.fail(key, f"{text!r} is a CWR code (public domain or no society), not a society")
        if society(code) is None:
            self.fail(key, f"{text!r} is not a known CISAC society (gateway.codes.society)")
        return code

    def path(self, key: str) -> str:
        text = self.text(key, required=False)
        if not text or self.base is None or Path(text).is_absolute():
            return text
        return str(self.base / text)

    def partner(self) -> Partner:
        _only(self.raw, _PARTNER_KEYS, source=self.source, partner=self.label, prefix="")
        code = self.society_code("society")
        formats = self.strings("formats")
        if not formats:
            self.fail("formats", f"must list at least one of {', '.join(FORMATS)}")
        for item in formats:
            if item.lower() not in FORMATS:
                self.fail("formats", f"{item!r} is not one of {', '.join(FORMATS)}")
        formats = tuple(item.lower() for item in formats)
        receive_as = self.choice("receive_as", FORMATS)
        if receive_as not in formats:
            self.fail("receive_as", f"{receive_as!r} is not among its formats {list(formats)}")
        version = self.choice("cwr_version", CWR_VERSIONS)
        transport = self.choice("transport", TRANSPORTS)
        serves = tuple(self.society_code("serves", item) for item in self.strings("serves"))
        if code in serves:
            self.fail("serves", f"a hub does not serve itself ({code})")
        return Partner(
            society=code,
            name=self.text("name"),
            formats=formats,
            receive_as=receive_as,
            cwr_version=version,
            transport=transport,
            address=self.address(transport),
            rule_pack=self.rule_pack(version),
            territories=self.territories(),
            serves=serves,
            credentials=self.credentials(transport),
        )

    def address(self, transport: str) -> str:
        address = self.text("address")
        if transport == "folder":
            if "://" in address:
                self.fail("address", f"a folder transport takes a path, not the URL {address!r}")
            return self.path("address")
        schemes = _URL_SCHEMES[transport]
        try:
            parts = urlsplit(address)
            parts.port  # noqa: B018 - reading it validates the port
        except ValueError as error:
            self.fail("address", f"{address!r} is not a URL: {error}")
        if parts.scheme not in schemes or not parts.hostname:
            wanted = " or ".join(f"{scheme}://host[:port]/path" for scheme in schemes)
            self.fail("address", f"{address!r} is not a {transport} address ({wanted})")
        return address

    def rule_pack(self, version: str) -> str:
        name = self.text("rule_pack")
        try:
            return load_pack(name, version).key
        except PackError as error:
            self.fail("rule_pack", str(error))

    def territories(self) -> tuple[str, ...]:
        codes = []
        for item in self.strings("territories"):
            code = territory_key(item)
            if code is None or territory(code) is None:
                self.fail("territories", f"{item!r} is not a known TIS territory code")
            codes.append(code)
        return tuple(codes)

    def credentials(self, transport: str) -> Credentials:
        raw = self.value("credentials", required=False)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self.fail("credentials", "must be a table: [partner.credentials]")
        _only(raw, _CREDENTIAL_KEYS, source=self.source, partner=self.label, prefix="credentials.")
        inner = _Reader(
            raw, self.source, self.index, self.base, label=self.label, prefix="credentials."
        )
        public_key = inner.public_key()
        key_id = inner.text("key_id", required=False)
        if key_id and not public_key:
            inner.fail("key_id", "a key id needs its public_key")
        if public_key and not key_id:
            key_id = "sha256:" + hashlib.sha256(public_key).hexdigest()  # the key's fingerprint
        if key_id and not _KEY_ID.fullmatch(key_id):
            inner.fail("key_id", f"{key_id!r} is not 1-128 printable ASCII characters")
        password_env = inner.text("password_env", required=False)
        if password_env and not _ENV_NAME.fullmatch(password_env):
            inner.fail("password_env", f"{password_env!r} is not an environment variable name")
        password_file = inner.path("password_file")
        if password_env and password_file:
            inner.fail("password_file", "give password_env or password_file, not both")
        username = inner.text("username", required=False)
        if transport == "sftp" and not username:
            inner.fail("username", "an sftp partner needs the username we log in as")
        return Credentials(
            key_id=key_id,
            public_key=public_key,
            username=username,
            password_env=password_env,
            password_file=password_file,
            client_key_file=inner.path("client_key_file"),
        )

    def public_key(self) -> bytes:
        text = self.text("public_key", required=False)
        if not text:
            return b""
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            self.fail("public_key", "is not base64")
        if len(raw) != _ED25519_KEY_BYTES:
            self.fail(
                "public_key",
                f"is {len(raw)} bytes; an Ed25519 public key is {_ED25519_KEY_BYTES} raw bytes",
            )
        return raw
