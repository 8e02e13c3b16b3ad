"""Signed requests between gateways: Ed25519 over a canonical string, a clock window and nonces.

A society signs each request with its private key; the receiving gateway holds only the public
keys it was given (see docs/authentication.md). Every refusal is one exception::

    AuthError(status, code, message)
      missing_auth    401  an authentication header is absent
      malformed_auth  401  a header is repeated, or the nonce or content hash is malformed
      unknown_key     401  the key id is not (or no longer) listed
      bad_timestamp   401  the timestamp is not unix seconds
      clock_skew      401  the timestamp is more than the clock window away from now
      bad_signature   401  the signature is malformed or does not match the request
      replayed        401  the nonce was already used within the window
      body_mismatch   400  the streamed body's SHA-256 differs from the signed one
      nonce_store_full 503 NonceCache is full of live nonces (too many requests in the window)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from heapq import heappop, heappush
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

KEY_HEADER = "X-Gateway-Key"
TIMESTAMP_HEADER = "X-Gateway-Timestamp"
NONCE_HEADER = "X-Gateway-Nonce"
CONTENT_HEADER = "X-Gateway-Content-SHA256"
SIGNATURE_HEADER = "X-Gateway-Signature"
AUTH_HEADERS = (KEY_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, CONTENT_HEADER, SIGNATURE_HEADER)

SCHEME = "GW1"
CLOCK_WINDOW_SECONDS = 300
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# Stable error codes and their HTTP status: the service's API documentation lists these.
AUTH_ERROR_CODES: Mapping[str, int] = {
    "missing_auth": 401,
    "malformed_auth": 401,
    "unknown_key": 401,
    "bad_timestamp": 401,
    "clock_skew": 401,
    "bad_signature": 401,
    "replayed": 401,
    "body_mismatch": 400,
    "nonce_store_full": 503,
}

# Header syntax, checked before anything is decoded: only ASCII gets past these.
_KEY_ID = re.compile(r"[\x21-\x7e]{1,128}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_NONCE = re.compile(r"[0-9a-f]{32}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SIGNATURE = re.compile(r"[A-Za-z0-9+/]{86}==")  # 64 bytes of Ed25519 signature
_METHOD = re.compile(r"[A-Z]{1,16}")


class AuthError(Exception):
    """A request the gateway refuses to authenticate; ``code`` is stable, ``status`` is HTTP."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"AuthError({self.status}, {self.code!r}, {self.message!r})"


class KeyLoadError(ValueError):
    """A key file that cannot be used: missing, not PEM, or not an Ed25519 key."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A society's private key and the id its partners list it under."""

    key_id: str
    private_key: Ed25519PrivateKey

    def verify_key(self, society: str) -> VerifyKey:
        """The public half, as a partner registers it for ``society``."""
        return VerifyKey(self.key_id, society, self.private_key.public_key())


@dataclass(frozen=True, slots=True)
class VerifyKey:
    """A public key the gateway accepts, and the society whose requests it authenticates."""

    key_id: str
    society: str
    public_key: Ed25519PublicKey


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """The key's id by default: ``sha256:`` and the hex SHA-256 of the 32 raw public key bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def generate_signing_key(key_id: str | None = None) -> SigningKey:
    """A fresh Ed25519 key; its id is its fingerprint unless one is given."""
    private_key = Ed25519PrivateKey.generate()
    return SigningKey(key_id or fingerprint(private_key.public_key()), private_key)


def private_key_pem(key: SigningKey) -> bytes:
    """The private key as unencrypted PKCS#8 PEM, for ``load_signing_key`` to read back."""
    return key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """The public key as SubjectPublicKeyInfo PEM, the form a partner hands over."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_signing_key(
    path: Path, *, key_id: str | None = None, password: bytes | None = None
) -> SigningKey:
    """Read an Ed25519 private key from a PEM file; the id defaults to its fingerprint."""
    data = _read_key_file(path)
    try:
        private_key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyLoadError(f"{path}: not a usable PEM private key ({exc})") from exc
    if not isinstance(private_key, Ed25519PrivateKey):
        raise KeyLoadError(f"{path}: the private key is not Ed25519")
    return SigningKey(_checked_key_id(key_id, private_key.public_key(), path), private_key)


def load_verify_key(path: Path, society: str, *, key_id: str | None = None) -> VerifyKey:
    """Read a partner's Ed25519 public key from a PEM file; the id defaults to its fingerprint."""
    data = _read_key_file(path)
    try:
        public_key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyLoadError(f"{path}: not a usable PEM public key ({exc})") from exc
    if not isinstance(public_key, Ed25519PublicKey):
        raise KeyLoadError(f"{path}: the public key is not Ed25519")
    return VerifyKey(_checked_key_id(key_id, public_key, path), society, public_key)


def key_ring(keys: Iterable[VerifyKey]) -> dict[str, VerifyKey]:
    """Index keys by id for ``verify_request``; a society may list several while it rotates."""
    ring: dict[str, VerifyKey] = {}
    for key in keys:
        if key.key_id in ring:
            raise ValueError(f"key id {key.key_id!r} is listed twice")
        ring[key.key_id] = key
    return ring


def sha256_hex(data: bytes) -> str:
    """The lower-case hex SHA-256 of ``data``, as the content header carries it."""
    return hashlib.sha256(data).hexdigest()


def canonical_target(path_qs: str) -> str:
    """The request target as signed: the raw path, then its raw query parameters sorted."""
    path, _, query = path_qs.partition("?")
    if not query:
        return path
    return path + "?" + "&".join(sorted(query.split("&")))


def canonical_string(
    method: str, path_qs: str, timestamp: str, nonce: str, content_sha256: str
) -> bytes:
    """The bytes that are signed; every part but the target is fixed-format ASCII."""
    lines = (SCHEME, method, canonical_target(path_qs), timestamp, nonce, content_sha256)
    return "\n".join(lines).encode("utf-8")


def sign_request(
    method: str,
    path_qs: str,
    content_sha256: str,
    key: SigningKey,
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The five authentication headers for a request to ``path_qs`` (raw, as sent on the wire)."""
    method = method.upper()
    if not _METHOD.fullmatch(method):
        raise ValueError(f"not an HTTP method: {method!r}")
    if not path_qs.startswith("/"):
        raise ValueError(f"the request target must start with '/': {path_qs!r}")
    if not _SHA256.fullmatch(content_sha256):
        raise ValueError("content_sha256 must be 64 lower-case hex digits")
    nonce = secrets.token_hex(16) if nonce is None else nonce
    if not _NONCE.fullmatch(nonce):
        raise ValueError("the nonce must be 32 lower-case hex digits")
    timestamp = str(int(time.time() if now is None else now))
    message = canonical_string(method, path_qs, timestamp, nonce, content_sha256)
    signature = key.private_key.sign(message)
    return {
        KEY_HEADER: key.key_id,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        CONTENT_HEADER: content_sha256,
        SIGNATURE_HEADER: base64.b64encode(signature).decode("ascii"),
    }


def verify_request(
    method: str,
    path_qs: str,
    headers: Mapping[str, str],
    keys: Mapping[str, VerifyKey],
    *,
    now: float,
    remember_nonce: Callable[[str, str, float], bool],
    window: int = CLOCK_WINDOW_SECONDS,
) -> str:
    """Authenticate a request and return its society's code, or raise ``AuthError``.

    ``path_qs`` is the raw request target (aiohttp's ``request.raw_path``). The body is not read
    here: once it has streamed, compare its hash with ``check_body_hash(headers value, actual)``.
    ``remember_nonce(key_id, nonce, expires_at)`` answers False when the nonce was seen before;
    it is asked only after the signature holds, so strangers cannot fill the nonce store.
    """
    found = _auth_headers(headers)
    key_id, timestamp = found[KEY_HEADER], found[TIMESTAMP_HEADER]
    nonce, content, signature = found[NONCE_HEADER], found[CONTENT_HEADER], found[SIGNATURE_HEADER]
    if not _KEY_ID.fullmatch(key_id):
        raise AuthError(401, "unknown_key", f"{KEY_HEADER} is not a printable key id")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise AuthError(401, "bad_timestamp", f"{TIMESTAMP_HEADER} must be unix seconds")
    if not _NONCE.fullmatch(nonce):
        raise AuthError(401, "malformed_auth", f"{NONCE_HEADER} must be 32 lower-case hex digits")
    if not _SHA256.fullmatch(content):
        raise AuthError(401, "malformed_auth", f"{CONTENT_HEADER} must be 64 lower-case hex digits")
    if not _SIGNATURE.fullmatch(signature):
        raise AuthError(401, "bad_signature", f"{SIGNATURE_HEADER} is not a base64 Ed25519 value")
    key = keys.get(key_id)
    if key is None:
        raise AuthError(401, "unknown_key", f"key {key_id!r} is not listed for any society")
    signed_at = int(timestamp)
    if abs(now - signed_at) > window:
        raise AuthError(
            401, "clock_skew", f"timestamp {signed_at} is more than {window} s from {int(now)}"
        )
    try:
        message = canonical_string(method.upper(), path_qs, timestamp, nonce, content)
        key.public_key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, UnicodeEncodeError) as exc:
        raise AuthError(
            401, "bad_signature", f"{SIGNATURE_HEADER} does not match the request"
        ) from exc
    if not remember_nonce(key_id, nonce, signed_at + window):
        raise AuthError(401, "replayed", f"nonce {nonce} was already used")
    return key.society


def check_body_hash(expected: str, actual: str) -> None:
    """Refuse a body whose SHA-256 differs from the signed one (compared in constant time)."""
    if not hmac.compare_digest(expected.encode("utf-8"), actual.encode("utf-8")):
        raise AuthError(400, "body_mismatch", "the body's SHA-256 differs from the signed value")


class NonceCache:
    """Nonces seen within the clock window, in memory, for one gateway process.

    Pass an instance as ``remember_nonce``. Several processes sharing a database need a shared
    store with the same call signature instead.
    """

    def __init__(
        self, *, max_entries: int = 1_000_000, clock: Callable[[], float] = time.time
    ) -> None:
        self._max_entries = max_entries
        self._clock = clock
        self._seen: set[tuple[str, str]] = set()
        self._expiry: list[tuple[float, str, str]] = []

    def __len__(self) -> int:
        return len(self._seen)

    def __call__(self, key_id: str, nonce: str, expires_at: float) -> bool:
        """Remember the nonce until ``expires_at``; False if it is already remembered."""
        self._forget_expired()
        if (key_id, nonce) in self._seen:
            return False
        if len(self._seen) >= self._max_entries:
            # Forgetting a live nonce would let its request be replayed, so refuse instead.
            raise AuthError(503, "nonce_store_full", "too many requests in the clock window")
        self._seen.add((key_id, nonce))
        heappush(self._expiry, (expires_at, key_id, nonce))
        return True

    def _forget_expired(self) -> None:
        now = self._clock()
        while self._expiry and self._expiry[0][0] < now:
            _, key_id, nonce = heappop(self._expiry)
            self._seen.discard((key_id, nonce))


def _auth_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The five headers, looked up case-insensitively; absent or repeated ones are refused."""
    wanted = {name.lower(): name for name in AUTH_HEADERS}
    found: dict[str, str] = {}
    # items() of a multidict yields every repeat, so a smuggled second value is caught here.
    for name, value in headers.items():
        canonical = wanted.get(name.lower())
        if canonical is None:
            continue
        if canonical in found:
            raise AuthError(401, "malformed_auth", f"{canonical} appears more than once")
        found[canonical] = value
    missing = [name for name in AUTH_HEADERS if name not in found]
    if missing:
        raise AuthError(401, "missing_auth", "missing header(s): " + ", ".join(missing))
    return found


def _read_key_file(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise KeyLoadError(f"{path}: cannot read key file ({exc.strerror or exc})") from exc


def _checked_key_id(key_id: str | None, public_key: Ed25519PublicKey, path: Path) -> str:
    chosen = fingerprint(public_key) if key_id is None else key_id
    if not _KEY_ID.fullmatch(chosen):
        raise KeyLoadError(f"{path}: key id {chosen!r} must be 1-128 printable ASCII characters")
    return chosen
