"""Hostile XML: every attack in tests/hostile_xml/ is refused or defused; nothing fetched or leaked.

Every corpus file goes through the secure reader, the works reader, ``gateway validate`` and
``gateway translate``, each under a hang guard, while a loopback canary server records any request
and a secret file waits to be read. Positive controls show the attacks are live: a careless parser
reads the secret and hits the canary with the very same files.

Where the gateway is safe but does not yet say why it refuses (or does not refuse), the check is a
strict xfail naming the gap: it turns into a failure the day the gap is closed.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import re
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
import xmlschema
from lxml import etree

from gateway.cli import main
from gateway.formats.xml.checked_reader import read_works_checked
from gateway.formats.xml.secure import XmlLimits, XmlRefused, secure_iterparse
from gateway.formats.xml.works_reader import read_works_xml
from gateway.validation.engine import validate

CORPUS = Path(__file__).resolve().parent / "hostile_xml"
BLOCK = 1 << 16  # the secure reader's and the format detector's first read
HANG_GUARD_S = 10.0  # catches a hang, not slowness: refusals take milliseconds
XINCLUDE = "{http://www.w3.org/2001/XInclude}include"
T = TypeVar("T")

# -- what each corpus file must come to ----------------------------------------------------------

DTD_REASON = r"\bDTD\b"


@dataclass(frozen=True)
class Case:
    """What the gateway must make of one corpus file."""

    name: str
    refusal: str | None  # the secure reader's code (default limits); None: it reads the document
    reader: str | None  # the works reader's code; None: it reads the document
    edits: tuple[str, ...] = ()  # report edits naming the refusal; empty: may be accepted
    reason: str = ""  # a pattern the refusal's text must match
    gaps: dict[str, str] = field(default_factory=dict)  # check -> why it does not pass yet


def _dtd(name: str) -> Case:
    return Case(name, "dtd", "dtd", ("GW E 006",), DTD_REASON)


def _broken(name: str, *edits: str, code: str = "not_well_formed", reason: str = r"\S") -> Case:
    return Case(name, code, code, edits, reason)


CASES = {
    case.name: case
    for case in (
        _dtd("billion_laughs.xml"),
        _dtd("quadratic_blowup.xml"),
        _dtd("xxe_file.xml"),
        _dtd("xxe_http.xml"),
        _dtd("xxe_parameter.xml"),
        _dtd("external_dtd.xml"),
        _dtd("doctype_only.xml"),
        _dtd("doctype_after_pi.xml"),
        _dtd("doctype_after_long_comment.xml"),
        _dtd("utf16le_doctype.xml"),
        _dtd("utf16be_doctype_no_bom.xml"),
        Case("deep_nesting.xml", "too_deep", "too_deep", ("GW E 007",), r"deeper than 32"),
        _broken(
            "huge_text_node.xml",
            "GW E 007",
            code="too_large",
            reason=r"(?i)size limit|larger than",
        ),
        _broken("truncated.xml", "GW E 005"),
        _broken("not_well_formed.xml", "GW E 005"),
        Case("wrong_namespace.xml", None, "not_works", ("GW E 008",), r"works registration"),
        Case("empty.xml", "empty", "empty", ("GW E 001",), r"(?i)empty"),
        Case("bom_only.xml", "empty", "empty", ("GW E 001",), r"(?i)empty"),
        Case("schema_location.xml", None, None),
        Case("xinclude.xml", None, None),
    )
}


def _params(check: str, cases: Iterable[Case] | None = None) -> list[Any]:
    """The cases as pytest parameters, a strict xfail on each with a known gap in ``check``."""
    chosen = CASES.values() if cases is None else cases
    return [
        pytest.param(
            case,
            id=case.name.removesuffix(".xml"),
            marks=[pytest.mark.xfail(strict=True, reason=case.gaps[check])]
            if check in case.gaps
            else [],
        )
        for case in chosen
    ]


REFUSED = [case for case in CASES.values() if case.edits]
DEFUSED = [case for case in CASES.values() if not case.edits]

# -- the canary, the secret and the corpus -------------------------------------------------------


class CanaryServer(ThreadingHTTPServer):
    """A loopback HTTP server that records every request and answers with its token."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CanaryHandler)
        self.token = f"CANARY-{uuid.uuid4().hex}"
        self.url = f"http://127.0.0.1:{self.server_address[1]}/canary"
        self._hits: list[str] = []
        self._lock = threading.Lock()

    def record(self, path: str) -> None:
        with self._lock:
            self._hits.append(path)

    def take(self) -> list[str]:
        """The paths requested since the last call."""
        with self._lock:
            hits, self._hits = self._hits, []
        return hits


class _CanaryHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        canary = cast("CanaryServer", self.server)
        canary.record(self.path)
        # A DTD that declares an entity holding the token, or the token as entity text.
        token = canary.token.encode()
        body = b'<!ENTITY canary "' + token + b'">' if ".dtd" in self.path else token
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        """Keep the test output quiet."""


@dataclass(frozen=True)
class Secret:
    """A local file an XXE would read: its URL, and the text that must never come out."""

    url: str
    text: str


@pytest.fixture(scope="module")
def canary() -> Iterator[CanaryServer]:
    server = CanaryServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(HANG_GUARD_S)


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Secret:
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    text = f"SECRET-{uuid.uuid4().hex}"
    path.write_text(text)
    return Secret(path.as_uri(), text)


_REPEAT = re.compile(r"@@REPEAT (\d+) (.*?)@@", re.DOTALL)
_PAD = "@@PAD_TO_BLOCK@@"
_PAD_END = "-->\n"  # what follows the padding in the file, up to the "<" to be placed


def _codec(raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if raw.startswith(b"\x00<"):
        return "utf-16-be"
    return "utf-8"


def expand(name: str, secret: Secret, canary: CanaryServer) -> bytes:
    """A corpus file with its markers replaced (see hostile_xml/README.md)."""
    raw = (CORPUS / name).read_bytes()
    codec = _codec(raw)
    text = raw.decode(codec).replace("@@SECRET_URL@@", secret.url)
    text = text.replace("@@CANARY@@", canary.url)
    text = _REPEAT.sub(lambda match: match.group(2) * int(match.group(1)), text)
    if _PAD in text:
        before, after = text.split(_PAD)
        padding = BLOCK - 1 - len(before.encode(codec)) - len(_PAD_END)
        text = before + "x" * padding + after
    return text.encode(codec)


@pytest.fixture
def attack(secret: Secret, canary: CanaryServer) -> Callable[[Case], bytes]:
    """The bytes of a case's file, markers expanded; the canary starts the test with no hits."""
    canary.take()
    return lambda case: expand(case.name, secret, canary)


def guarded(function: Callable[[], T]) -> T:
    """Run ``function`` in a thread and fail if it has not returned within the hang guard."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(function())
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S)
    if thread.is_alive():
        pytest.fail(f"still running after {HANG_GUARD_S} s: a hang")
    if errors:
        raise errors[0]
    return results[0]


def _drain(stream: io.BytesIO, limits: XmlLimits | None = None) -> list[etree._Element]:
    """Read a document with the secure reader; the elements it ended."""
    return [e for event, e in secure_iterparse(stream, limits=limits) if event == "end"]


def _refusal(function: Callable[[], object]) -> XmlRefused:
    with pytest.raises(XmlRefused) as refused:
        guarded(function)
    return refused.value


def _run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = guarded(lambda: main(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out + err


@dataclass(frozen=True)
class Watch:
    """What an attack could reach: the secret, the canary, the log."""

    secret: Secret
    canary: CanaryServer
    log: io.StringIO

    def assert_nothing_leaked(self, texts: Iterable[str]) -> None:
        """No secret or canary token in ``texts`` or the log, and no hit on the canary."""
        for text in (*texts, self.log.getvalue()):
            assert self.secret.text not in text
            assert self.canary.token not in text
        assert self.canary.take() == []


@pytest.fixture
def watch(secret: Secret, canary: CanaryServer, log_buffer: io.StringIO) -> Watch:
    return Watch(secret, canary, log_buffer)


# -- (a) the readers -----------------------------------------------------------------------------


def test_corpus_and_cases_agree() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.suffix == ".xml"}
    assert files == set(CASES)
    for name in files:
        raw = (CORPUS / name).read_bytes()
        if raw.strip(codecs.BOM_UTF8):  # where a comment can go, one says what the file tries
            assert "<!--" in raw.decode(_codec(raw))[:400], name


@pytest.mark.parametrize("case", _params("readers"))
def test_readers_refuse_with_the_expected_code(
    case: Case, attack: Callable[[Case], bytes], canary: CanaryServer
) -> None:
    data = attack(case)
    if case.refusal is None:
        assert guarded(lambda: _drain(io.BytesIO(data)))
    else:
        assert _refusal(lambda: _drain(io.BytesIO(data))).code == case.refusal
    if case.reader is None:
        assert guarded(lambda: list(read_works_xml(io.BytesIO(data))))
    else:
        refusal = _refusal(lambda: list(read_works_xml(io.BytesIO(data))))
        assert refusal.code == case.reader
        assert re.search(case.reason, refusal.message)
    assert canary.take() == []


@pytest.mark.parametrize("case", _params("line", [c for c in CASES.values() if c.refusal == "dtd"]))
def test_a_dtd_refusal_names_the_doctype_line(case: Case, attack: Callable[[Case], bytes]) -> None:
    data = attack(case)
    text = data.decode(_codec(data))
    doctype = re.search(r"^<!DOCTYPE", text, re.MULTILINE)  # not the word in a comment
    assert doctype is not None
    doctype_line = text.count("\n", 0, doctype.start()) + 1
    assert _refusal(lambda: _drain(io.BytesIO(data))).line == doctype_line


def test_a_small_size_limit_refuses_a_huge_text_node(attack: Callable[[Case], bytes]) -> None:
    data = attack(CASES["huge_text_node.xml"])
    refusal = _refusal(lambda: _drain(io.BytesIO(data), XmlLimits(max_bytes=1 << 20)))
    assert refusal.code == "too_large"
    assert str(1 << 20) in refusal.message


def test_a_comment_across_the_first_block_is_not_a_dtd() -> None:
    head = b'<?xml version="1.0"?>\n<!--' + b"x" * (BLOCK - 40) + b"-->\n"
    data = head + b" " * (BLOCK - 2 - len(head)) + b"<!-- harmless -->\n<r/>"
    assert data.index(b"<!-- harmless") == BLOCK - 2
    assert [e.tag for e in guarded(lambda: _drain(io.BytesIO(data)))] == ["r"]


@pytest.mark.parametrize("case", _params("readers", DEFUSED))
def test_schema_hints_and_xinclude_are_never_followed(
    case: Case,
    attack: Callable[[Case], bytes],
    watch: Watch,
) -> None:
    data = attack(case)
    elements = guarded(lambda: _drain(io.BytesIO(data)))
    if case.name == "xinclude.xml":  # still an element: nothing replaced it
        assert [e for e in elements if e.tag == XINCLUDE]
    events = guarded(lambda: list(read_works_checked(io.BytesIO(data))))
    issues = [issue.text for event in events for issue in event.issues]
    records = [repr(event) for event in events]
    watch.assert_nothing_leaked([*issues, *records])


class CountingStream(io.BytesIO):
    """A stream that counts the bytes handed out."""

    consumed = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        self.consumed += len(data)
        return data

    def readinto(self, buffer: Any, /) -> int:
        count = super().readinto(buffer)
        self.consumed += count
        return count


TRAILER = b"<!--" + b"x" * (4 << 20) + b"-->\n"  # 4 MiB after the root: never reached


@pytest.mark.parametrize(
    ("name", "limits", "code", "bound"),
    [
        ("quadratic_blowup.xml", XmlLimits(), "dtd", BLOCK),
        ("deep_nesting.xml", XmlLimits(), "too_deep", 2 * BLOCK),
        ("huge_text_node.xml", XmlLimits(max_bytes=1 << 20), "too_large", (1 << 20) + BLOCK),
    ],
)
def test_a_refusal_stops_reading(
    name: str, limits: XmlLimits, code: str, bound: int, attack: Callable[[Case], bytes]
) -> None:
    data = attack(CASES[name]) + TRAILER
    stream = CountingStream(data)
    assert _refusal(lambda: _drain(stream, limits)).code == code
    assert stream.consumed <= bound < len(data)


def test_the_validator_stops_reading_at_the_depth_limit(attack: Callable[[Case], bytes]) -> None:
    data = attack(CASES["deep_nesting.xml"]) + TRAILER
    stream = CountingStream(data)
    report = guarded(lambda: validate(stream))
    assert report.status == "rejected"
    assert [m.edit for m in report.messages] == ["GW E 007"]
    assert stream.consumed < len(data) // 4


# -- (b, c) gateway validate ---------------------------------------------------------------------


@pytest.mark.parametrize("case", _params("safe"))
def test_validate_fetches_and_leaks_nothing(
    case: Case,
    attack: Callable[[Case], bytes],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    watch: Watch,
) -> None:
    path = tmp_path / case.name
    path.write_bytes(attack(case))
    status, output = _run_cli(["validate", str(path), "--format", "json"], capsys)
    if case.edits:
        assert status != 0
    else:
        assert status in {0, 1}
    watch.assert_nothing_leaked([output])


@pytest.mark.parametrize("case", _params("report", REFUSED))
def test_validate_rejects_naming_the_reason(
    case: Case,
    attack: Callable[[Case], bytes],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / case.name
    path.write_bytes(attack(case))
    status, output = _run_cli(["validate", str(path), "--format", "json"], capsys)
    assert status == 1
    report = json.loads(output)
    assert report["status"] == "rejected"
    naming = [m for m in report["messages"] if m["code"] in case.edits]
    assert naming, report["messages"]
    assert any(re.search(case.reason, m["text"]) for m in naming), naming
    if case.refusal in {"dtd", "too_deep", "not_well_formed"}:
        assert all(m["line"] for m in naming), naming


# -- (d) gateway translate -----------------------------------------------------------------------


@pytest.mark.parametrize("case", _params("safe"))
def test_translate_fetches_and_leaks_nothing(
    case: Case,
    attack: Callable[[Case], bytes],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    watch: Watch,
) -> None:
    path, out = tmp_path / case.name, tmp_path / "translated"
    path.write_bytes(attack(case))
    for target in ("cwr22", "xml"):
        _, output = _run_cli(["translate", str(path), "--to", target, "-o", str(out)], capsys)
        written = out.read_bytes().decode("utf-8", "replace") if out.exists() else ""
        watch.assert_nothing_leaked([output, written])


@pytest.mark.parametrize("case", _params("translate", REFUSED))
def test_translate_refuses_naming_the_reason(
    case: Case,
    attack: Callable[[Case], bytes],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, out = tmp_path / case.name, tmp_path / "translated.V22"
    path.write_bytes(attack(case))
    status, output = _run_cli(["translate", str(path), "--to", "cwr22", "-o", str(out)], capsys)
    assert status != 0
    assert re.search(case.reason, output), output
    assert not out.exists() or out.stat().st_size == 0  # no half translation left behind


# -- positive controls: the attacks are live -----------------------------------------------------


class _LoopbackFetcher(etree.Resolver):
    """What a parser with network access would do: fetch http URLs (here: the canary only)."""

    def resolve(self, system_url: str | None, _public_id: str | None, context: object, /) -> Any:
        if system_url and system_url.startswith("http://127.0.0.1:"):
            with urllib.request.urlopen(system_url, timeout=HANG_GUARD_S) as answer:  # noqa: S310 - loopback canary
                return self.resolve_string(answer.read(), context)
        return None


def _careless_parser() -> etree.XMLParser:
    parser = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
    parser.resolvers.add(_LoopbackFetcher())
    return parser


@pytest.mark.parametrize(
    "name",
    [
        "xxe_file.xml",
        "utf16le_doctype.xml",
        "utf16be_doctype_no_bom.xml",
        "doctype_after_long_comment.xml",
        "xinclude.xml",
    ],
)
def test_a_careless_parser_reads_the_secret(
    name: str, attack: Callable[[Case], bytes], secret: Secret
) -> None:
    root = etree.fromstring(attack(CASES[name]), _careless_parser())
    root.getroottree().xinclude()
    assert secret.text in etree.tostring(root, encoding="unicode")


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("xxe_http.xml", "/canary/xxe-http"),
        ("xxe_parameter.xml", "/canary/xxe-parameter.dtd"),
        ("external_dtd.xml", "/canary/external.dtd"),
        ("utf16le_doctype.xml", "/canary/utf16"),
        ("doctype_after_long_comment.xml", "/canary/after-comment"),
    ],
)
def test_a_careless_parser_hits_the_canary(
    name: str, path: str, attack: Callable[[Case], bytes], canary: CanaryServer
) -> None:
    etree.fromstring(attack(CASES[name]), _careless_parser())
    assert path in canary.take()


def test_a_validator_following_schema_hints_hits_the_canary(
    attack: Callable[[Case], bytes], canary: CanaryServer
) -> None:
    data = attack(CASES["schema_location.xml"])
    with contextlib.suppress(xmlschema.XMLSchemaException):
        xmlschema.validate(io.BytesIO(data))  # no schema given: it loads the document's hints
    assert "/canary/schema-location.xsd" in canary.take()
