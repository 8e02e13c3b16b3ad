"""Tests of gateway.transport.signing: signed requests, clock window, replays, key rotation."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from gateway.transport import signing as auth
from gateway.transport.signing import (
    AUTH_HEADERS,
    CONTENT_HEADER,
    KEY_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    AuthError,
    KeyLoadError,
    NonceCache,
    SigningKey,
    VerifyKey,
    check_body_hash,
    sign_request,
    verify_request,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "authentication.md"
NOW = 1_750_000_000.0
TARGET = "/v1/submissions?file_name=CW250001PRS_035.V21"
BODY_SHA = auth.sha256_hex(b"HDR...TRL")
ONE_BYTE_OFF = ("1" if BODY_SHA[0] == "0" else "0") + BODY_SHA[1:]

PRS_OLD = auth.generate_signing_key()
PRS_NEW = auth.generate_signing_key()
GEMA = auth.generate_signing_key()
STRANGER = auth.generate_signing_key()
RING = auth.key_ring([PRS_OLD.verify_key("052"), PRS_NEW.verify_key("052"), GEMA.verify_key("035")])


def _never_seen(_key_id: str, _nonce: str, _expires_at: float) -> bool:
    return True


def _verify(
    headers: dict[str, str] | CIMultiDict[str],
    *,
    method: str = "POST",
    target: str = TARGET,
    now: float = NOW,
    keys: dict[str, VerifyKey] = RING,
) -> str:
    return verify_request(method, target, headers, keys, now=now, remember_nonce=_never_seen)


def _signed(key: SigningKey = PRS_NEW, /, **overrides: str) -> dict[str, str]:
    headers = sign_request("POST", TARGET, BODY_SHA, key, now=NOW)
    headers.update(overrides)
    return headers


def _refused(headers: dict[str, str] | CIMultiDict[str], **kwargs: object) -> AuthError:
    with pytest.raises(AuthError) as caught:
        _verify(headers, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_round_trip_authenticates_the_keys_society() -> None:
    """A request signed with a listed key is authenticated as that key's society."""
    assert _verify(_signed()) == "052"
    assert _verify(_signed(GEMA)) == "035"


def test_canonical_string_is_the_documented_one() -> None:
    """Anyone can verify with plain Ed25519 over the documented canonical string."""
    headers = sign_request("post", "/v1/x?b=2&a=1", BODY_SHA, GEMA, now=NOW, nonce="ab" * 16)
    expected = f"GW1\nPOST\n/v1/x?a=1&b=2\n{int(NOW)}\n{'ab' * 16}\n{BODY_SHA}".encode()
    signature = base64.b64decode(headers[SIGNATURE_HEADER])
    GEMA.private_key.public_key().verify(signature, expected)  # raises if it differs
    assert headers[TIMESTAMP_HEADER] == "1750000000"
    assert headers[CONTENT_HEADER] == BODY_SHA
    assert headers[KEY_HEADER] == GEMA.key_id


def test_query_order_does_not_matter_and_headers_are_case_insensitive() -> None:
    """The query is signed sorted, and header names match whatever their case."""
    headers = sign_request("POST", "/v1/x?z=1&a=2", BODY_SHA, GEMA, now=NOW)
    lower = {name.lower(): value for name, value in headers.items()}
    assert _verify(lower, target="/v1/x?a=2&z=1") == "035"
    assert _verify(CIMultiDict(headers), target="/v1/x?z=1&a=2") == "035"


def test_get_signs_the_hash_of_an_empty_body() -> None:
    """A GET carries the SHA-256 of nothing and verifies like any other request."""
    headers = sign_request("GET", "/v1/submissions/7", auth.EMPTY_SHA256, PRS_OLD, now=NOW)
    assert headers[CONTENT_HEADER] == auth.sha256_hex(b"")
    assert _verify(headers, method="GET", target="/v1/submissions/7") == "052"


@pytest.mark.parametrize(
    ("method", "target", "overrides"),
    [
        ("POST", TARGET.replace("PRS", "PRT"), {}),
        ("POST", TARGET + "&x=1", {}),
        ("POST", "/v2/submissions?file_name=CW250001PRS_035.V21", {}),
        ("PUT", TARGET, {}),
        ("POST", TARGET, {CONTENT_HEADER: ONE_BYTE_OFF}),
        ("POST", TARGET, {TIMESTAMP_HEADER: str(int(NOW) + 1)}),
        ("POST", TARGET, {NONCE_HEADER: "0" * 32}),
        ("POST", TARGET, {KEY_HEADER: PRS_OLD.key_id}),  # a sibling key did not sign it
    ],
    ids=["path", "query", "version", "method", "body-hash", "timestamp", "nonce", "key-id"],
)
def test_one_byte_change_breaks_the_signature(
    method: str, target: str, overrides: dict[str, str]
) -> None:
    """Changing any signed part of the request by one byte gives 401 bad_signature."""
    error = _refused(_signed(**overrides), method=method, target=target)
    assert (error.status, error.code) == (401, "bad_signature")


def test_one_byte_change_in_the_signature_is_refused() -> None:
    """A signature with one character changed no longer verifies."""
    headers = _signed()
    signature = headers[SIGNATURE_HEADER]
    flipped = ("B" if signature[10] == "A" else "A").join((signature[:10], signature[11:]))
    error = _refused({**headers, SIGNATURE_HEADER: flipped})
    assert error.code == "bad_signature"


@pytest.mark.parametrize("offset", [-300, -299, 0, 299, 300])
def test_clock_within_the_window_is_accepted(offset: int) -> None:
    """Requests signed up to 300 s before or after the gateway's clock pass."""
    assert _verify(_signed(), now=NOW + offset) == "052"


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_clock_beyond_the_window_is_refused(offset: int) -> None:
    """Requests signed 301 s or more away from the gateway's clock get 401 clock_skew."""
    error = _refused(_signed(), now=NOW + offset)
    assert (error.status, error.code) == (401, "clock_skew")


def test_window_is_injectable() -> None:
    """A narrower window refuses at N + 1 and accepts at N."""
    headers = _signed()
    ok = verify_request(
        "POST", TARGET, headers, RING, now=NOW + 10, remember_nonce=_never_seen, window=10
    )
    assert ok == "052"
    with pytest.raises(AuthError, match="more than 10 s"):
        verify_request(
            "POST", TARGET, headers, RING, now=NOW + 11, remember_nonce=_never_seen, window=10
        )


def test_replayed_nonce_is_refused() -> None:
    """The same signed request sent twice is accepted once, then refused as replayed."""
    cache = NonceCache(clock=lambda: NOW)
    headers = _signed()
    assert verify_request("POST", TARGET, headers, RING, now=NOW, remember_nonce=cache) == "052"
    with pytest.raises(AuthError) as caught:
        verify_request("POST", TARGET, headers, RING, now=NOW + 1, remember_nonce=cache)
    assert (caught.value.status, caught.value.code) == (401, "replayed")


def test_nonce_is_remembered_only_after_a_valid_signature() -> None:
    """A forged request cannot burn a nonce that a genuine request then uses."""
    cache = NonceCache(clock=lambda: NOW)
    genuine = _signed()
    forged = {**genuine, CONTENT_HEADER: "f" * 64}
    with pytest.raises(AuthError, match="does not match"):
        verify_request("POST", TARGET, forged, RING, now=NOW, remember_nonce=cache)
    assert len(cache) == 0
    assert verify_request("POST", TARGET, genuine, RING, now=NOW, remember_nonce=cache) == "052"


def test_nonce_cache_forgets_once_the_window_has_passed() -> None:
    """A nonce is kept until its request's timestamp plus the window, then dropped."""
    clock = [NOW]
    cache = NonceCache(clock=lambda: clock[0])
    assert cache("k", "n", NOW + 300)
    assert not cache("k", "n", NOW + 300)
    assert cache("other-key", "n", NOW + 300)  # nonces are scoped per key
    clock[0] = NOW + 300
    assert not cache("k", "n", NOW + 300)
    clock[0] = NOW + 301
    assert cache("k", "m", NOW + 601)
    assert len(cache) == 1


def test_nonce_cache_refuses_when_full_rather_than_forgetting() -> None:
    """At its limit the cache answers 503 nonce_store_full instead of evicting a live nonce."""
    cache = NonceCache(max_entries=2, clock=lambda: NOW)
    assert cache("k", "1", NOW + 300)
    assert cache("k", "2", NOW + 300)
    with pytest.raises(AuthError) as caught:
        cache("k", "3", NOW + 300)
    assert (caught.value.status, caught.value.code) == (503, "nonce_store_full")
    assert not cache("k", "1", NOW + 300)


def test_unknown_key_is_refused() -> None:
    """A key id no society lists gets 401 unknown_key."""
    error = _refused(_signed(STRANGER))
    assert (error.status, error.code) == (401, "unknown_key")


def test_rotated_keys_are_valid_while_listed() -> None:
    """Old and new keys of one society both work while listed; a removed key is refused."""
    assert _verify(_signed(PRS_OLD)) == "052"
    assert _verify(_signed(PRS_NEW)) == "052"
    after_rotation = auth.key_ring([PRS_NEW.verify_key("052"), GEMA.verify_key("035")])
    assert _verify(_signed(PRS_NEW), keys=after_rotation) == "052"
    error = _refused(_signed(PRS_OLD), keys=after_rotation)
    assert error.code == "unknown_key"


def test_another_societys_key_authenticates_that_society() -> None:
    """GEMA's key on a PRS-named file authenticates GEMA; the service decides what GEMA may see."""
    assert _verify(_signed(GEMA)) == "035"


@pytest.mark.parametrize("absent", AUTH_HEADERS)
def test_each_missing_header_is_named(absent: str) -> None:
    """Without any one of the five headers the request gets 401 missing_auth naming it."""
    headers = _signed()
    del headers[absent]
    error = _refused(headers)
    assert (error.status, error.code) == (401, "missing_auth")
    assert absent in error.message


def test_repeated_header_is_refused() -> None:
    """A second value for an authentication header is refused, not silently chosen between."""
    headers: CIMultiDict[str] = CIMultiDict(_signed())
    headers.add(KEY_HEADER.lower(), GEMA.key_id)
    error = _refused(headers)
    assert (error.code, KEY_HEADER in error.message) == ("malformed_auth", True)


@pytest.mark.parametrize(
    ("header", "value", "code"),
    [
        (KEY_HEADER, "", "unknown_key"),
        (KEY_HEADER, "sha256: spaced", "unknown_key"),
        (KEY_HEADER, "clé", "unknown_key"),
        (KEY_HEADER, "k" * 129, "unknown_key"),
        (TIMESTAMP_HEADER, "", "bad_timestamp"),
        (TIMESTAMP_HEADER, "1750000000.5", "bad_timestamp"),
        (TIMESTAMP_HEADER, "-1750000000", "bad_timestamp"),
        (TIMESTAMP_HEADER, " 1750000000", "bad_timestamp"),
        (
            TIMESTAMP_HEADER,
            "\u0661\u0667\u0665" + "\u0660" * 7,
            "bad_timestamp",
        ),  # int() reads these
        (TIMESTAMP_HEADER, "9" * 400, "bad_timestamp"),
        (NONCE_HEADER, "AB" * 16, "malformed_auth"),
        (NONCE_HEADER, "ab" * 15, "malformed_auth"),
        (NONCE_HEADER, "ab" * 16 + "\n", "malformed_auth"),
        (CONTENT_HEADER, BODY_SHA.upper(), "malformed_auth"),
        (CONTENT_HEADER, BODY_SHA[:-1], "malformed_auth"),
        (SIGNATURE_HEADER, "", "bad_signature"),
        (SIGNATURE_HEADER, "not base64!", "bad_signature"),
        (SIGNATURE_HEADER, base64.b64encode(b"x" * 63).decode(), "bad_signature"),
        (SIGNATURE_HEADER, "A" * 86 + "==", "bad_signature"),
        (SIGNATURE_HEADER, "\udcff" * 88, "bad_signature"),
    ],
)
def test_malformed_header_gets_its_code(header: str, value: str, code: str) -> None:
    """Each kind of malformed header value gets a 401 with its stable code and the header named."""
    error = _refused(_signed(**{header: value}))
    assert (error.status, error.code) == (401, code)
    assert header in error.message


def test_undecodable_target_is_a_bad_signature() -> None:
    """A request target that is not UTF-8 (surrogate-escaped bytes) is refused cleanly."""
    error = _refused(_signed(), target="/v1/\udcff")
    assert error.code == "bad_signature"


ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=120)
HEADER_NAMES = st.sampled_from([*AUTH_HEADERS, *(n.lower() for n in AUTH_HEADERS), "Host"])


@given(
    replaced=st.dictionaries(HEADER_NAMES, ANY_TEXT, max_size=6),
    dropped=st.sets(st.sampled_from(AUTH_HEADERS)),
    target=st.one_of(st.just(TARGET), ANY_TEXT),
    method=st.sampled_from(["POST", "GET", "post", "", "\x00"]),
)
def test_arbitrary_headers_raise_only_auth_errors(
    replaced: dict[str, str], dropped: set[str], target: str, method: str
) -> None:
    """Whatever the header strings, verification answers a society or an AuthError, nothing else."""
    headers = {k: v for k, v in _signed().items() if k not in dropped}
    headers.update(replaced)
    outcome: str | AuthError
    try:
        outcome = _verify(headers, method=method, target=target)
    except AuthError as error:
        outcome = error
    if isinstance(outcome, AuthError):
        assert outcome.code in auth.AUTH_ERROR_CODES
        assert outcome.status == auth.AUTH_ERROR_CODES[outcome.code]
        assert outcome.message
    else:
        assert outcome == "052"


@given(st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=8))
def test_arbitrary_header_maps_never_authenticate(headers: dict[str, str]) -> None:
    """Random header maps are refused with an AuthError, never another exception."""
    with pytest.raises(AuthError):
        _verify(headers)


def test_body_hash_check() -> None:
    """The streamed body's hash must equal the signed one; any difference is 400 body_mismatch."""
    check_body_hash(BODY_SHA, auth.sha256_hex(b"HDR...TRL"))
    for actual in (auth.sha256_hex(b"HDR...TRM"), "", "é" * 64):
        with pytest.raises(AuthError) as caught:
            check_body_hash(BODY_SHA, actual)
        assert (caught.value.status, caught.value.code) == (400, "body_mismatch")


def test_fingerprint_is_the_default_key_id() -> None:
    """Fingerprints are sha256 of the raw public key, and keys are named by them by default."""
    public = GEMA.private_key.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert auth.fingerprint(public) == "sha256:" + auth.sha256_hex(raw)
    assert GEMA.key_id == auth.fingerprint(public)
    assert auth.generate_signing_key("prs-2025").key_id == "prs-2025"


def test_keys_load_from_pem(tmp_path: Path) -> None:
    """A PEM key pair written out loads back and still signs and verifies."""
    private, public = tmp_path / "prs.pem", tmp_path / "prs.pub.pem"
    private.write_bytes(auth.private_key_pem(PRS_NEW))
    public.write_bytes(auth.public_key_pem(PRS_NEW.private_key.public_key()))
    signing = auth.load_signing_key(private)
    verifying = auth.load_verify_key(public, "052")
    assert signing.key_id == verifying.key_id == PRS_NEW.key_id
    headers = sign_request("POST", TARGET, BODY_SHA, signing, now=NOW)
    assert _verify(headers, keys=auth.key_ring([verifying])) == "052"
    assert auth.load_signing_key(private, key_id="prs-1").key_id == "prs-1"


def test_unusable_key_files_get_clear_errors(tmp_path: Path) -> None:
    """Missing, garbled, encrypted or non-Ed25519 keys and bad ids each get a KeyLoadError."""
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_private = tmp_path / "ec.pem"
    ec_private.write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ec_public = tmp_path / "ec.pub.pem"
    ec_public.write_bytes(
        ec_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(
        PRS_NEW.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    plain = tmp_path / "plain.pem"
    plain.write_bytes(auth.private_key_pem(PRS_NEW))
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: auth.load_signing_key(tmp_path / "absent.pem"), "absent.pem"),
        (lambda: auth.load_signing_key(garbage), "garbage.pem"),
        (lambda: auth.load_signing_key(ec_private), "not Ed25519"),
        (lambda: auth.load_signing_key(encrypted), "encrypted.pem"),
        (lambda: auth.load_signing_key(plain, key_id="has space"), "key id"),
        (lambda: auth.load_verify_key(garbage, "052"), "garbage.pem"),
        (lambda: auth.load_verify_key(ec_public, "052"), "not Ed25519"),
    ]
    for load, fragment in cases:
        with pytest.raises(KeyLoadError, match=fragment):
            load()
    assert auth.load_signing_key(encrypted, password=b"secret").key_id == PRS_NEW.key_id


def test_key_ring_refuses_a_duplicate_id() -> None:
    """Two keys under one id would make authentication ambiguous, so the ring refuses them."""
    with pytest.raises(ValueError, match="listed twice"):
        auth.key_ring([PRS_NEW.verify_key("052"), PRS_NEW.verify_key("035")])


@pytest.mark.parametrize(
    ("method", "target", "content", "nonce"),
    [
        ("PO ST", "/v1/x", BODY_SHA, None),
        ("POST", "v1/x", BODY_SHA, None),
        ("POST", "/v1/x", BODY_SHA.upper(), None),
        ("POST", "/v1/x", BODY_SHA, "short"),
    ],
)
def test_sign_request_refuses_what_it_cannot_sign(
    method: str, target: str, content: str, nonce: str | None
) -> None:
    """The signer refuses a bad method, relative target, malformed hash or nonce."""
    with pytest.raises(ValueError, match=r"must|method"):
        sign_request(method, target, content, PRS_NEW, nonce=nonce)


def test_every_error_code_is_documented() -> None:
    """docs/authentication.md lists each error code with its status, and each header."""
    text = DOCS.read_text(encoding="utf-8")
    for code, status in auth.AUTH_ERROR_CODES.items():
        assert f"`{code}`" in text, code
        assert str(status) in text
    for header in AUTH_HEADERS:
        assert f"`{header}`" in text, header
