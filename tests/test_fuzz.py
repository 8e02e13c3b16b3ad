"""Fuzzing: 10,000 mutated CWR files and XML documents through validate and translate.

Each input goes through ``validate`` (its report rendered as JSON, text or HTML, as the CLI would)
and through ``translate`` (to one of CWR 2.1, 2.2, 3.0, 3.1 and works XML, in turn), in this
process and under a hang guard. Every one must be answered by a report or a translation result —
a refusal or issues are answers — never by an exception. The seeds are the public CWR samples
(cut to their first records: a file's cost is mostly fixed, so small seeds keep ten thousand cases
in budget), works XML made from them, and the ack and distribution XML fixtures. Mutations are
drawn by ``fuzz_mutations`` from fixed seeds: a failure shows the ``Case`` (seed file, integer
seed, mutation list), and ``run_case(<that Case>)`` replays it. The slowest case and the case
count go to ``record_property`` and to printed summary lines (``-s``): speed is reported, never
asserted. The regression tests at the end pin the crashes the fuzzing found.
"""

from __future__ import annotations

import io
import json
import random
import re
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from time import perf_counter
from types import FrameType

import pytest
from conftest import FIXTURES, SAMPLES, sample_files
from fuzz_mutations import CWR_MUTATIONS, XML_MUTATIONS, Case, draw_case, mutate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.formats.translate import XML, XmlTarget, translate
from gateway.reports import render_html, render_text
from gateway.validation.engine import validate
from gateway.validation.report import Report

CWR_CASES = 6_500
XML_CASES = 3_500
HYPOTHESIS_CASES = 150  # per kind, on top of the seeded bulk
CLI_CASES = 10  # per kind, each through validate or translate in a real process
SEED_RECORDS = 10  # records kept from the top of each sample (its last two are kept as well)
HANG_GUARD_S = 10.0  # stops a hang, times nothing: cases take milliseconds
TARGETS = ("2.1", "2.2", "3.0", "3.1", XML)
RENDERINGS: tuple[Callable[[Report], str], ...] = (
    lambda report: json.dumps(report.to_dict(), ensure_ascii=False),
    render_text,
    render_html,
)
REPORT_STATUSES = {"accepted", "partially_accepted", "rejected"}
FAILURES_SHOWN = 10


class Hang(Exception):  # noqa: N818 - what happened, as the failure message shows it
    """A case still running when the hang guard went off."""


# -- seeds ---------------------------------------------------------------------------------------


def _trimmed(data: bytes) -> bytes:
    """The first records of a file and its last two (usually GRT and TRL)."""
    lines = data.splitlines(keepends=True)
    if len(lines) <= SEED_RECORDS + 2:
        return data
    return b"".join(lines[:SEED_RECORDS] + lines[-2:])


@cache
def cwr_seeds() -> dict[str, bytes]:
    """The public CWR samples, cut short, by their path under the samples folder."""
    return {f"{p.parent.name}/{p.name}": _trimmed(p.read_bytes()) for p in sample_files()}


def works_xml(cwr: bytes) -> bytes:
    """A CWR file as works XML, with a fixed creation time so mutations replay byte for byte."""
    out = io.BytesIO()
    translate(io.BytesIO(cwr), out, XML, xml=XmlTarget(sender="119", message_id="FUZZ-SEED"))
    fixed = b"<c:Created>2026-01-01T00:00:00Z</c:Created>"
    return re.sub(rb"<c:Created>[^<]*</c:Created>", fixed, out.getvalue())


@cache
def xml_seeds() -> dict[str, bytes]:
    """Works XML made from every CWR seed, and the ack and distribution XML fixtures."""
    seeds = {f"works XML of {name}": works_xml(data) for name, data in cwr_seeds().items()}
    for path in sorted((FIXTURES / "xml").glob("*.xml")):
        seeds[f"fixtures/xml/{path.name}"] = path.read_bytes()
    return seeds


def seeds_of(kind: str) -> dict[str, bytes]:
    """The seed files of one kind of input."""
    return cwr_seeds() if kind == "cwr" else xml_seeds()


# -- running one case ----------------------------------------------------------------------------


@contextmanager
def hang_guard(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in this (the main) thread if the block runs longer than ``seconds``."""

    def _alarm(_signal: int, _frame: FrameType | None) -> None:
        raise Hang(f"no answer within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _check_validation(data: bytes, case: Case) -> None:
    """Validate, render the report the way the CLI would, and check it is an answer."""
    report = validate(io.BytesIO(data), source=case.seed_file)
    try:
        RENDERINGS[case.seed % len(RENDERINGS)](report)
        status = report.status
        assert status in REPORT_STATUSES, f"unknown report status {status!r}"
        # A rejection says why: in a message, or in its count of no transactions at all.
        said_why = report.messages or report.messages_dropped or not report.counts["transactions"]
        assert status == "accepted" or said_why, "rejected without a message saying why"
    finally:
        report.transactions.close()


def _check_translation(data: bytes, to: str) -> None:
    """Translate to ``to`` and check the result answers: read, or refused with a reason."""
    result = translate(io.BytesIO(data), io.BytesIO(), to)
    if result.refused is not None:
        assert result.refused.text, "a refusal without a reason"


def run_case(case: Case) -> tuple[float, str | None]:
    """Build the case's input and run it through everything; its duration and any failure."""
    data = mutate(case.kind, seeds_of(case.kind)[case.seed_file], case.mutations, seed=case.seed)
    start = perf_counter()
    try:
        with hang_guard(HANG_GUARD_S):
            _check_validation(data, case)
            _check_translation(data, TARGETS[case.seed % len(TARGETS)])
    except Exception as error:  # noqa: BLE001 - every escape is the finding this test reports
        return perf_counter() - start, _describe(case, error)
    return perf_counter() - start, None


def _describe(case: Case, error: BaseException) -> str:
    """The failure as a replayable line: case, exception, and where it was raised."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"{case.replay()}: {type(error).__name__}: {error} [at {where}]"


# -- counting ------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Cases run and the slowest one."""

    cases: int = 0
    slowest_s: float = 0.0
    slowest: str = ""

    def add(self, case: Case, seconds: float) -> None:
        """Count one case and keep it if it is the slowest so far."""
        self.cases += 1
        if seconds > self.slowest_s:
            self.slowest_s, self.slowest = seconds, case.replay()

    def merge(self, other: Tally) -> None:
        """Add another tally's cases."""
        self.cases += other.cases
        if other.slowest_s > self.slowest_s:
            self.slowest_s, self.slowest = other.slowest_s, other.slowest

    def line(self, what: str) -> str:
        """One summary line."""
        return f"fuzz {what}: {self.cases} cases, slowest {self.slowest_s:.3f} s: {self.slowest}"


@pytest.fixture(scope="module")
def module_tally() -> Iterator[Tally]:
    """Every mutated case of this module, printed as one line when the module is done."""
    tally = Tally()
    yield tally
    print(f"\n{tally.line('in-process total, validate + translate each')}")  # noqa: T201


def run_cases(
    kind: str, cases: list[Case], module_tally: Tally, record_property: pytest.RecordProperty
) -> None:
    """Run the cases, record the tally, and fail naming every case that crashed or hung."""
    # The unmutated seeds first: they must be answered too, and they pay one-time costs
    # (schemas built, code lists loaded) that would otherwise pass for a slow case.
    failures = [f for name in seeds_of(kind) if (f := run_case(Case(kind, name, 0, ()))[1])]
    tally = Tally()
    for case in cases:
        seconds, failure = run_case(case)
        tally.add(case, seconds)
        if failure is not None:
            failures.append(failure)
    module_tally.merge(tally)
    record_property("cases", tally.cases)
    record_property("slowest_s", round(tally.slowest_s, 4))
    record_property("slowest_case", tally.slowest)
    print(f"\n{tally.line(kind)}")  # noqa: T201 - the summary line the issue asks for
    shown = "\n".join(failures[:FAILURES_SHOWN])
    assert not failures, f"{len(failures)} {kind} inputs were not answered:\n{shown}"


def seeded_cases(kind: str, count: int, seed: int) -> list[Case]:
    """``count`` cases drawn from a generator seeded with ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    names = sorted(seeds_of(kind))
    return [draw_case(rng, kind, names) for _ in range(count)]


# -- the bulk: seeded loops ----------------------------------------------------------------------


def test_mutated_cwr_files_are_all_answered(
    module_tally: Tally, record_property: pytest.RecordProperty
) -> None:
    """6,500 mutated CWR files each get a report and a translation, never an exception."""
    run_cases("cwr", seeded_cases("cwr", CWR_CASES, seed=6), module_tally, record_property)


def test_mutated_xml_documents_are_all_answered(
    module_tally: Tally, record_property: pytest.RecordProperty
) -> None:
    """3,500 mutated XML documents each get a report and a translation, never an exception."""
    run_cases("xml", seeded_cases("xml", XML_CASES, seed=6), module_tally, record_property)


# -- hypothesis: the same check, with its own search and shrinking -------------------------------


@st.composite
def cases(draw: st.DrawFn, kind: str) -> Case:
    """A case of ``kind``: a seed file, one to five mutations and an integer seed."""
    names = sorted(CWR_MUTATIONS if kind == "cwr" else XML_MUTATIONS)
    return Case(
        kind=kind,
        seed_file=draw(st.sampled_from(sorted(seeds_of(kind)))),
        seed=draw(st.integers(0, 2**32 - 1)),
        mutations=tuple(draw(st.lists(st.sampled_from(names), min_size=1, max_size=5))),
    )


HYPOTHESIS = settings(
    max_examples=HYPOTHESIS_CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@HYPOTHESIS
@given(case=cases("cwr"))
def test_hypothesis_cwr_cases_are_answered(case: Case, module_tally: Tally) -> None:
    """Any mutation list hypothesis draws over a CWR seed ends in answers, not exceptions."""
    seconds, failure = run_case(case)
    module_tally.add(case, seconds)
    assert failure is None, failure


@HYPOTHESIS
@given(case=cases("xml"))
def test_hypothesis_xml_cases_are_answered(case: Case, module_tally: Tally) -> None:
    """Any mutation list hypothesis draws over an XML seed ends in answers, not exceptions."""
    seconds, failure = run_case(case)
    module_tally.add(case, seconds)
    assert failure is None, failure


# -- a few dozen through the real command line ---------------------------------------------------


def _gateway(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,  # a hang guard for a process that does not exit
        check=False,
    )


def _command(case: Case, path: Path, number: int) -> tuple[str, ...]:
    """Every other case through ``translate``, the rest through ``validate``."""
    if number % 2:
        target = TARGETS[case.seed % len(TARGETS)]
        return (
            "translate",
            str(path),
            "--to",
            XML if target == XML else f"cwr{target[0]}{target[2]}",
        )
    return ("validate", str(path), "--format", ("json", "text", "html")[case.seed % 3])


@pytest.mark.parametrize("kind", ["cwr", "xml"])
def test_mutated_inputs_through_the_real_command_line(kind: str, tmp_path: Path) -> None:
    """``gateway validate`` and ``translate`` exit 0, 1 or 2 on mutated files, never a traceback."""
    problems = []
    for number, case in enumerate(seeded_cases(kind, CLI_CASES, seed=60)):
        path = tmp_path / f"case{number}.{'V21' if kind == 'cwr' else 'xml'}"
        path.write_bytes(
            mutate(kind, seeds_of(kind)[case.seed_file], case.mutations, seed=case.seed)
        )
        command = _command(case, path, number)
        done = _gateway(*command)
        if done.returncode not in (0, 1, 2) or "Traceback" in done.stderr:
            problems.append(f"{command[0]} {case.replay()}: exit {done.returncode}")
            problems.append(done.stderr[-2000:])
    assert not problems, "\n".join(problems)


# -- regressions: the crashes the fuzzing found, each on its smallest input ----------------------


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _edits(report: Report) -> list[str]:
    report.transactions.close()
    return [m.edit for m in report.messages]


def test_a_record_named_fil_is_an_unknown_record() -> None:
    """A line starting FIL (the reader's name for file-level findings) is an unknown record."""
    lines = _sample("v21/weso_nwrexample2.V21").splitlines(keepends=True)
    lines[4] = b"FIL" + lines[4][3:]
    report = validate(io.BytesIO(b"".join(lines)))
    assert ("FIL F 001", 5) in {(m.edit, m.line) for m in report.messages}
    assert translate(io.BytesIO(b"".join(lines)), io.BytesIO(), "3.1").refused is None


def test_a_file_without_hdr_still_places_rule_findings() -> None:
    """Rule findings in a file with no HDR get their columns from the 2.1 layouts assumed."""
    grh_nwr_spu = _sample("v22/weso_demo_cwr_cleaned.v22").splitlines(keepends=True)[1:4]
    report = validate(io.BytesIO(b"".join(grh_nwr_spu)))
    assert report.version == ""
    assert ("SPU F 010", "ipi_name_number", 88) in {
        (m.edit, m.field, m.column) for m in report.messages
    }
    _edits(report)


ACK_XML = FIXTURES / "xml" / "ack-example.xml"
SCHEMA_BREAK = (b"<c:MessageId>", b"<c:Unexpected/><c:MessageId>")


def test_an_ack_document_breaking_its_schema_and_then_xml_is_refused() -> None:
    """An ack XML with a schema violation and, further on, a cut end is refused as GW E 005."""
    broken = ACK_XML.read_bytes().replace(*SCHEMA_BREAK)[:-40]
    assert _edits(validate(io.BytesIO(broken))) == ["GW E 005"]


def test_an_unknown_encoding_after_a_schema_violation_is_refused() -> None:
    """An unknown encoding is GW E 005 even right after a schema-invalid ack document."""
    ack = ACK_XML.read_bytes()
    assert _edits(validate(io.BytesIO(ack.replace(*SCHEMA_BREAK)))) == ["GW E 009"]
    report = validate(io.BytesIO(ack.replace(b'encoding="UTF-8"', b'encoding="EBCDIC-US"')))
    assert _edits(report) == ["GW E 005"]
    assert "EBCDIC-US" in report.messages[0].text


def test_unknown_elements_under_the_works_root_are_each_reported() -> None:
    """Two unknown elements among the works root's children are both reported (GW E 009)."""
    works = works_xml(_sample("v21/weso_nwrexample2.V21"))
    broken = works.replace(b"<TransmissionHeader", b"<Stray/><Other/><TransmissionHeader", 1)
    report = validate(io.BytesIO(broken))
    texts = [m.text for m in report.messages if m.edit == "GW E 009"]
    assert any("Stray is not expected" in t for t in texts)
    assert any("Other is not expected" in t for t in texts)
    _edits(report)


def test_an_unknown_cwr_version_in_works_xml_is_reported_and_read_as_2_2() -> None:
    """A works header naming no known CWR version gets GW E 003 and is read as 2.2."""
    works = works_xml(_sample("v30/dmp_CW220002DMP_0000_V3-0-0.SUB"))
    broken = works.replace(b"<Version>3.0</Version>", b"<Version>NaN</Version>")
    report = validate(io.BytesIO(broken))
    assert report.version == "2.2"
    assert "GW E 003" in _edits(report)
    assert translate(io.BytesIO(broken), io.BytesIO(), "2.1").source_version == "2.2"


def test_a_works_header_with_another_record_type_translates_to_an_hdr() -> None:
    """A TransmissionHeader whose RecordType says NET still becomes the CWR file's HDR."""
    works = works_xml(_sample("v21/weso_nwrexample2.V21"))
    broken = works.replace(
        b'<TransmissionHeader RecordType="HDR">', b'<TransmissionHeader RecordType="NET">'
    )
    out = io.BytesIO()
    assert translate(io.BytesIO(broken), out, "2.1").refused is None
    assert out.getvalue().startswith(b"HDR")
