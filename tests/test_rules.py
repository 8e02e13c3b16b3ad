"""Every registered transaction edit fires where it should, at its record, field and rejection."""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from builders import agreement, cwr_bytes, publisher, work, writer

from gateway.formats.cwr.layouts import layout_set
from gateway.model import (
    Agreement,
    AgreementParty,
    Publisher,
    Recording,
    TransactionRecord,
    Work,
    Writer,
)
from gateway.validation.catalogue import EditId, catalogue
from gateway.validation.engine import validate
from gateway.validation.packs import RulePack, _load_path, load_pack
from gateway.validation.registry import implemented, rules_for
from gateway.validation.report import ACCEPTED, NO_PARTICIPATION, REJECTED, Report
from gateway.validation.rules._work import TOLERANCE, percent
from gateway.validation.rules.shares import collection_per_territory

VERSIONS = ("2.1", "2.2")
RIGHTS = ("pr", "mr", "sr")
GEMA, SACEM, ASCAP, SIAE = "035", "058", "010", "074"

# -- builders of parties beyond the single publisher and writer of ``work()`` ----------------


def other_publisher(
    pr: int = 0, mr: int = 0, sr: int = 0, *, chain: int = 2, **changes: object
) -> Publisher:
    """A second original publisher heading its own chain, collecting what it owns."""
    ip = f"P{chain:06d}"
    base = publisher(pr, mr, sr, publisher_sequence=chain, interested_party_number=ip)
    territory = replace(base.territories[0], interested_party_number=ip)
    return replace(base, **{"territories": (territory,), **changes})  # type: ignore[arg-type]


def other_writer(pr: int = 0, mr: int = 0, sr: int = 0, **changes: object) -> Writer:
    """A second controlled writer, linked to the first chain, collecting what it owns."""
    base = writer(pr, mr, sr, interested_party_number="W000002")
    territory = replace(base.territories[0], interested_party_number="W000002")
    link = replace(base.publishers[0], writer_ip_number="W000002")
    fields = {"territories": (territory,), "publishers": (link,), **changes}
    return replace(base, **fields)  # type: ignore[arg-type]


def non_owner(record_type: str = "OPU", **changes: object) -> Publisher:
    """A publisher who owns and collects nothing, in chain 1 (after the original publisher)."""
    fields: dict[str, object] = {
        "record_type": record_type,
        "interested_party_number": "P000002",
        "publisher_type": "SE",
        "territories": (),
    }
    return publisher(0, 0, 0, **{**fields, **changes})


def affiliated(society: str, *rights: str) -> Work:
    """The valid work with its SPU affiliated to ``society`` for these rights (default: all)."""
    rights = rights or RIGHTS
    spu = publisher(**{f"{r}_society": society for r in rights})  # type: ignore[arg-type]
    return work(publishers=(spu,))


def validated(
    record: TransactionRecord, *, pack: str | RulePack = "cisac", version: str = "2.1"
) -> tuple[Report, list[str]]:
    """The report of a file holding this one transaction, and the file's lines."""
    data = cwr_bytes([record], version)
    return validate(io.BytesIO(data), pack=pack), data.decode("latin-1").split("\r\n")


def edits_of(report: Report) -> list[str]:
    """The edit identities of a report's messages, in report order."""
    return [m.edit for m in report.messages]


def status_of(report: Report) -> str:
    """The status of the report's only transaction."""
    (summary,) = list(report.transactions)
    return summary.status


def custom_pack(tmp_path: Path, body: str, name: str = "mine") -> RulePack:
    """A pack written to a file beside the test and loaded from it for the 2.x family."""
    path = tmp_path / f"{name}.toml"
    path.write_text(body, encoding="utf-8")
    return _load_path(path, "2")


SIAE_PACK = """
name = "SIAE"
societies = ["074"]
extends = "cisac"
enable_society_edits = true

[cwr2]
no_participation = ["NWR T 045"]
"""

# -- one failing case per implemented edit --------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A transaction that fails ``edit``, and where and how the message must say so."""

    edit: str
    record: TransactionRecord
    record_type: str  # the record the message is about
    field: str | None = None
    rejection: str = "TR"
    pack: str = "cisac"
    also: frozenset[str] = frozenset()  # other edits the same input fails, unavoidably
    nth: int = 0  # which record of ``record_type`` in the transaction (0 = the first)
    versions: tuple[str, ...] = VERSIONS
    valid: TransactionRecord = dataclasses.field(
        default_factory=work
    )  # passes the edit under ``pack``


P, W = publisher(), writer()
SPT, SWT = P.territories[0], W.territories[0]

CASES = [
    Case("AGR T 002", agreement(territories=()), "AGR", valid=agreement()),
    Case(
        "AGR T 003",
        agreement(
            parties=(
                replace(agreement().parties[0], agreement_role="AC"),
                agreement().parties[1],
            )
        ),
        "AGR",
        valid=agreement(),
    ),
    Case(
        "AGR T 005",
        agreement(parties=(agreement().parties[0], replace(agreement().parties[1], mr_share=9993))),
        "AGR",
        valid=agreement(),
    ),
    Case(
        "IPA R 003",
        agreement(
            parties=(
                *agreement().parties,
                AgreementParty(
                    record_type="IPA",
                    agreement_role="AC",
                    interested_party_number="P000002",
                    last_name="NOBODY",
                ),
            )
        ),
        "IPA",
        nth=2,
        valid=agreement(),
    ),
    Case("NWR F 004", work(iswc="T0345246802"), "NWR", "iswc", "FR"),
    Case("NWR T 003", work(distribution_category="SER"), "NWR", "distribution_category"),
    Case(
        "NWR T 004",
        work(publishers=(publisher(pr=2503), other_publisher(pr=2504)), writers=(writer(pr=4994),)),
        "NWR",
    ),
    Case("NWR T 007", work(publishers=(publisher(territories=()),)), "SPU"),
    Case(
        "NWR T 009",
        work(publishers=(publisher(pr=2503), other_publisher(pr=2503)), writers=(writer(pr=4993),)),
        "NWR",
    ),
    Case("NWR T 010", work(version_type="MOD"), "NWR", "version_type"),
    Case("NWR T 011", work(writers=(writer(mr=5007, territories=W.territories),)), "NWR"),
    Case("NWR T 012", work(publishers=(publisher(pr=0, mr=10000, sr=10000),), writers=()), "NWR"),
    Case(
        "NWR T 014",
        work(writers=(writer(territories=(replace(SWT, mr_collection_share=5007),)),)),
        "NWR",
    ),
    Case("NWR T 015", work(version_type="MOD", writers=(writer(designation="AR"),)), "NWR"),
    Case("NWR T 016", work(publishers=(P, non_owner("OPU"))), "OPU"),
    Case(
        "NWR T 017",
        work(publishers=(P, non_owner("SPU", publisher_type="E"))),
        "SPU",
        nth=1,
    ),
    Case("NWR T 020", work(writers=(writer(territories=()),)), "SWR"),
    Case(
        "NWR T 023",
        work(writers=(W, other_writer(designation="AR", record_type="OWR", publishers=()))),
        "OWR",
        "designation",
    ),
    Case(
        "NWR T 025",
        work(publishers=(publisher(0, 0, 0),), writers=(writer(10000, 10000, 10000),)),
        "SPU",
    ),
    Case(
        "NWR T 026",
        work(publishers=(P, non_owner("SPU", publisher_type="AQ"))),
        "SPU",
        nth=1,
    ),
    Case(
        "NWR T 029",
        work(
            publishers=(publisher(pr=4999, territories=(replace(SPT, pr_collection_share=4999),)),),
            writers=(writer(pr=5001, pr_society=ASCAP, territories=W.territories),),
        ),
        "NWR",
        pack="ascap",
        versions=("2.1",),  # 2.2 Rev 2 removed it: ascap.toml switches it off for 2.2
        valid=work(writers=(writer(pr_society=ASCAP),)),
    ),
    Case("NWR T 030", work(), "NWR", pack="gema", valid=affiliated(GEMA)),
    Case("NWR T 041", work(), "NWR", pack="sacem", valid=affiliated(SACEM)),
    Case("NWR T 045", work(), "NWR", pack="siae", valid=affiliated(SIAE)),
    Case(
        "REC F 009",
        work(recordings=(Recording(record_type="REC", ean="4006381333930"),)),
        "REC",
        "ean",
        "FR",
        valid=work(recordings=(Recording(record_type="REC", ean="4006381333931"),)),
    ),
    Case(
        "REC F 010",
        work(recordings=(Recording(record_type="REC", isrc="XX"),)),
        "REC",
        "isrc",
        "FR",
        valid=work(recordings=(Recording(record_type="REC", isrc="GBAYE6800011"),)),
    ),
    Case(
        "SPT F 006",
        work(
            publishers=(publisher(territories=(replace(SPT, pr_collection_share=5001),)),),
            writers=(writer(territories=(replace(SWT, pr_collection_share=4999),)),),
        ),
        "SPT",
        "pr_collection_share",
    ),
    Case(
        "SPU F 010",
        work(publishers=(publisher(ipi_name_number="00014107339"),)),
        "SPU",
        "ipi_name_number",
        "FR",
    ),
    Case(
        "SPU F 013",
        work(
            publishers=(publisher(pr=5001, territories=P.territories),),
            writers=(writer(pr=4999, territories=W.territories),),
        ),
        "SPU",
        "pr_ownership_share",
    ),
    Case(
        "SPU F 016",
        work(publishers=(publisher(mr=10001, territories=P.territories),), writers=(writer(mr=0),)),
        "SPU",
        "mr_ownership_share",
    ),
    Case(
        "SPU F 018",
        work(publishers=(publisher(sr=10001, territories=P.territories),), writers=(writer(sr=0),)),
        "SPU",
        "sr_ownership_share",
    ),
    Case("SPU F 019", work(publishers=(publisher(publisher_type="SE"),)), "SPU", "publisher_type"),
    Case(
        "SPU F 024",
        work(publishers=(publisher(ipi_base_number="I-000000229-8"),)),
        "SPU",
        "ipi_base_number",
        "FR",
    ),
    Case(
        "SWR F 009",
        work(writers=(writer(ipi_name_number="00014107339"),)),
        "SWR",
        "ipi_name_number",
        "FR",
    ),
    Case(
        "SWR F 011",
        work(publishers=(publisher(pr=0),), writers=(writer(pr=10001, territories=W.territories),)),
        "SWR",
        "pr_ownership_share",
    ),
    Case(
        "SWR F 022",
        work(writers=(writer(ipi_base_number="I-000000229-8"),)),
        "SWR",
        "ipi_base_number",
        "FR",
    ),
    Case("SWR R 002", work(writers=(writer(publishers=()),)), "SWR"),
    Case(
        "SWT R 003",
        work(
            writers=(
                writer(
                    territories=(
                        SWT,
                        replace(SWT, inclusion_exclusion="E", tis_code="0826", sequence=2),
                    )
                ),
            )
        ),
        "SWT",
        "inclusion_exclusion",
        "FR",
        nth=1,
    ),
]
BY_EDIT = {case.edit: case for case in CASES}
NP_EDITS = frozenset({"NWR T 030", "NWR T 041", "NWR T 045"})  # no participation, per pack


def _params() -> list[object]:
    """One parameter per case, version and transaction type it runs on."""
    return [
        pytest.param(case, version, kind, id=f"{case.edit}-{version}-{kind}")
        for case in CASES
        for version in case.versions
        for kind in (("AGR",) if isinstance(case.record, Agreement) else ("NWR", "REV"))
    ]


def _pack(case: Case, tmp_path: Path) -> str | RulePack:
    return custom_pack(tmp_path, SIAE_PACK, "siae") if case.pack == "siae" else case.pack


def test_every_implemented_edit_has_a_case() -> None:
    """The cases below cover exactly the edits the registry implements."""
    assert sorted(BY_EDIT) == list(implemented("2"))


@pytest.mark.parametrize("edit", implemented("2"))
def test_implemented_edit_is_in_the_catalogue(edit: str) -> None:
    """Every implemented edit is in the 2.x catalogue, at the rejection its rule defaults to."""
    rows = catalogue("2").get(EditId.parse(edit))
    assert rows, f"{edit} is not in the 2.x catalogue"
    rule = next(r for t in ("NWR", "AGR") for r in rules_for(t) if r.edit == edit)
    assert rule.rejection == rows[0].rejection


@pytest.mark.parametrize(("case", "version", "kind"), _params())
def test_failing_transaction_gets_the_edit(
    case: Case, version: str, kind: str, tmp_path: Path
) -> None:
    """A transaction failing the edit gets exactly one message of it, at its record and field."""
    record = case.record if kind == "AGR" else replace(case.record, record_type=kind)
    report, lines = validated(record, pack=_pack(case, tmp_path), version=version)
    assert sorted(set(edits_of(report))) == sorted({case.edit} | case.also)
    (issue,) = [m for m in report.messages if m.edit == case.edit]
    expected_type = kind if case.record_type in ("NWR", "AGR") else case.record_type
    assert issue.record_type == expected_type
    assert issue.level == case.edit.split()[1]
    assert issue.rejection == case.rejection
    assert issue.field == case.field
    assert (issue.group, issue.transaction) == (1, 0)
    # The message points at the record it is about: the nth record of that type in the file.
    at = [i + 1 for i, line in enumerate(lines) if line[:3] == expected_type]
    assert issue.line == at[case.nth]
    assert issue.record_sequence == issue.line - 3
    if case.field is None:
        assert (issue.column, issue.width) == (None, None)
    else:
        located = layout_set(version).layouts[expected_type].field(case.field)
        assert (issue.column, issue.width) == (located.start, located.size)
        text = lines[issue.line - 1][located.offset : located.end].rstrip()
        shown = percent(int(text)) if located.kind == "share" else text
        assert issue.value == shown
    assert catalogue("2")[EditId.parse(case.edit)][0].text.split(" (")[0][:30] in issue.text
    wanted = ACCEPTED if case.rejection == "FR" else REJECTED
    if case.edit not in NP_EDITS:  # their status: test_no_society_publisher_is_no_participation
        assert status_of(report) == wanted


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.edit)
@pytest.mark.parametrize("version", VERSIONS)
def test_valid_transaction_passes_the_edit(case: Case, version: str, tmp_path: Path) -> None:
    """The valid work (or agreement) gets no message of the edit, nor any other, under its pack."""
    report, _ = validated(case.valid, pack=_pack(case, tmp_path), version=version)
    assert case.edit not in edits_of(report)
    assert edits_of(report) == []
    assert status_of(report) == ACCEPTED


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", ["NWR", "REV"])
def test_builders_work_is_clean_under_cisac(version: str, kind: str) -> None:
    """``work()`` passes every edit the CISAC pack applies, as a new or a revised registration."""
    report, _ = validated(work(record_type=kind), version=version)
    assert report.messages == []
    assert report.status == "accepted"


@pytest.mark.parametrize("edit", [c.edit for c in CASES if c.pack != "cisac"])
def test_society_edits_are_not_applied_by_cisac(edit: str) -> None:
    """The CISAC pack leaves society edits off: their failing transaction passes them."""
    report, _ = validated(BY_EDIT[edit].record, version=BY_EDIT[edit].versions[0])
    assert edit not in edits_of(report)


@pytest.mark.parametrize("edit", [c.edit for c in CASES if c.record_type in ("NWR", "SPU")])
def test_work_edits_do_not_run_on_isw(edit: str) -> None:
    """Work edits run on NWR and REV only: an ISWC notification is not checked by them."""
    report, _ = validated(replace(BY_EDIT[edit].record, record_type="ISW"))
    assert edit not in edits_of(report)


# -- shares at the tolerance boundary (± 0.06 %, i.e. 6 hundredths) ------------------------


def test_tolerance_is_six_hundredths() -> None:
    """The rules use CISAC's ± 0.06 % tolerance, the boundary the cases below sit on."""
    assert TOLERANCE == 6


def _share(right: str, value: int) -> dict[str, int]:
    return {right: value}


def _t011_above(right: str, total: int) -> Work:
    """Publisher 50 %, writer the rest up to ``total`` (its collection unchanged)."""
    return work(writers=(writer(**_share(right, total - 5000), territories=W.territories),))


def _t011_below(right: str, total: int) -> Work:
    """Writer 50 %, publisher the rest up to ``total`` (its collection unchanged)."""
    return work(publishers=(publisher(**_share(right, total - 5000), territories=P.territories),))


BOUNDARIES = [
    # NWR T 011: writers plus publishers own 100 % ± 0.06 of each right (or 0 %).
    *[
        pytest.param("NWR T 011", build(right, total), fails, id=f"T011-{right}-{total}")
        for right in RIGHTS
        for build, total, fails in (
            (_t011_above, 10006, False),
            (_t011_above, 10007, True),
            (_t011_below, 9994, False),
            (_t011_below, 9993, True),
        )
    ],
    *[
        pytest.param(
            "NWR T 011",
            work(
                publishers=(publisher(**_share(right, 0)),),
                writers=(writer(**_share(right, 0)),),
            ),
            False,
            id=f"T011-{right}-0",
        )
        for right in RIGHTS
    ],
    # NWR T 004: publishers own at most 50.00 % (+0.06) of PR, across chains.
    pytest.param(
        "NWR T 004",
        work(publishers=(publisher(pr=2503), other_publisher(pr=2503)), writers=(writer(pr=4994),)),
        False,
        id="T004-pr-50.06",
    ),
    pytest.param(
        "NWR T 004",
        work(publishers=(publisher(pr=2503), other_publisher(pr=2504)), writers=(writer(pr=4994),)),
        True,
        id="T004-pr-50.07",
    ),
    # NWR T 009: writers own 0 % or at least 50.00 % (-0.06) of PR.
    pytest.param(
        "NWR T 009",
        work(publishers=(publisher(pr=2503), other_publisher(pr=2503)), writers=(writer(pr=4994),)),
        False,
        id="T009-pr-49.94",
    ),
    pytest.param(
        "NWR T 009",
        work(publishers=(publisher(pr=2503), other_publisher(pr=2503)), writers=(writer(pr=4993),)),
        True,
        id="T009-pr-49.93",
    ),
    pytest.param(
        "NWR T 009",
        work(publishers=(publisher(pr=0),), writers=(writer(pr=0),)),
        False,
        id="T009-pr-0",
    ),
    # NWR T 014: collection of a right in one territory is at most 100.00 % (+0.06).
    *[
        pytest.param(
            "NWR T 014",
            work(writers=(writer(territories=(replace(SWT, mr_collection_share=share),)),)),
            fails,
            id=f"T014-mr-{share}",
        )
        for share, fails in ((5006, False), (5007, True))
    ],
    # Per-record ranges have no tolerance.
    pytest.param(
        "SPU F 013",
        work(
            publishers=(publisher(pr=5000),),
            writers=(writer(pr=5000),),
        ),
        False,
        id="SPU-F013-50.00",
    ),
    pytest.param(
        "SPU F 013",
        work(
            publishers=(publisher(pr=5001, territories=P.territories),),
            writers=(writer(pr=4999, territories=W.territories),),
        ),
        True,
        id="SPU-F013-50.01",
    ),
    *[
        pytest.param(
            "SPT F 006",
            work(
                publishers=(publisher(territories=(replace(SPT, pr_collection_share=share),)),),
                writers=(writer(territories=(replace(SWT, pr_collection_share=4999),)),),
            ),
            fails,
            id=f"SPT-F006-{share}",
        )
        for share, fails in ((5000, False), (5001, True))
    ],
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("edit", "record", "fails"), BOUNDARIES)
def test_share_boundary(edit: str, record: Work, fails: bool, version: str) -> None:
    """A total on the tolerance passes; one hundredth beyond it fails, and nothing else does."""
    report, _ = validated(record, version=version)
    assert edits_of(report) == ([edit] if fails else [])
    assert status_of(report) == (REJECTED if fails else ACCEPTED)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("shares", "fails"), [((5003, 5003), False), ((5003, 5004), True)])
def test_t004_mr_boundary_across_chains(shares: tuple[int, int], fails: bool, version: str) -> None:
    """Publishers' MR at 100.06 % passes NWR T 004; at 100.07 % it fails (and so does NWR T 011)."""
    record = work(
        publishers=(
            publisher(mr=shares[0], territories=P.territories),
            other_publisher(mr=shares[1]),
        ),
        writers=(writer(mr=0),),
    )
    report, _ = validated(record, version=version)
    assert edits_of(report) == (["NWR T 004", "NWR T 011"] if fails else [])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("second", "fails"), [(5003, False), (5004, True)])
def test_t009_upper_boundary(second: int, fails: bool, version: str) -> None:
    """Writers' SR at 100.06 % passes NWR T 009; at 100.07 % it fails (and so does NWR T 011)."""
    record = work(
        publishers=(publisher(sr=0),),
        writers=(
            writer(sr=5003, territories=W.territories),
            other_writer(
                pr=0,
                mr=0,
                sr=second,
                territories=(
                    replace(
                        SWT,
                        interested_party_number="W000002",
                        pr_collection_share=0,
                        mr_collection_share=0,
                        sr_collection_share=0,
                    ),
                ),
            ),
        ),
    )
    report, _ = validated(record, version=version)
    assert edits_of(report) == (["NWR T 009", "NWR T 011"] if fails else [])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("writers_own", "fails"), [(10000, False), (9994, False), (9993, True)])
def test_swr_r002_exempts_writers_owning_the_work(
    writers_own: int, fails: bool, version: str
) -> None:
    """An SWR without PWR is fine while the writers own 100 % (- 0.06) of the work."""
    record = work(
        publishers=(publisher(*[10000 - writers_own] * 3),),
        writers=(writer(*[writers_own] * 3, publishers=()),),
    )
    report, _ = validated(record, version=version)
    assert ("SWR R 002" in edits_of(report)) is fails


# -- society edits ---------------------------------------------------------------------------

SOCIETY_EDITS = [
    pytest.param("gema", "NWR T 030", GEMA, id="GEMA"),
    pytest.param("sacem", "NWR T 041", SACEM, id="SACEM"),
    pytest.param("siae", "NWR T 045", SIAE, id="SIAE"),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("pack", "edit", "society"), SOCIETY_EDITS)
def test_society_edit_fires_only_under_its_pack(
    pack: str, edit: str, society: str, version: str, tmp_path: Path
) -> None:
    """A work without the society's publisher fails its edit under its pack only, at TR."""
    rule_pack = custom_pack(tmp_path, SIAE_PACK, "siae") if pack == "siae" else pack
    report, _ = validated(work(), pack=rule_pack, version=version)
    (issue,) = report.messages
    assert (issue.edit, issue.record_type, issue.rejection) == (edit, "NWR", "TR")
    cisac, _ = validated(work(), version=version)
    assert cisac.messages == []
    member, _ = validated(affiliated(society), pack=rule_pack, version=version)
    assert member.messages == []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("pack", "edit", "society"), SOCIETY_EDITS)
def test_no_society_publisher_is_no_participation(
    pack: str, edit: str, society: str, version: str, tmp_path: Path
) -> None:
    """Failing a no-participation edit gives the transaction status no_participation (ACK NP)."""
    rule_pack = custom_pack(tmp_path, SIAE_PACK, "siae") if pack == "siae" else pack
    report, _ = validated(work(), pack=rule_pack, version=version)
    assert status_of(report) == NO_PARTICIPATION
    assert report.counts["no_participation"] == 1
    assert report.counts["rejected"] == 0


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("right", ["pr", "mr"])
@pytest.mark.parametrize(("pack", "edit", "society"), SOCIETY_EDITS[:2])
def test_spu_affiliated_for_pr_or_mr_passes(
    pack: str, edit: str, society: str, right: str, version: str
) -> None:
    """An SPU affiliated to the society for PR or for MR alone satisfies GEMA's and SACEM's edit."""
    report, _ = validated(affiliated(society, right), pack=pack, version=version)
    assert edit not in edits_of(report)


@pytest.mark.parametrize("version", VERSIONS)
def test_sacem_needs_an_spu_not_an_opu(version: str) -> None:
    """A SACEM-affiliated OPU alone does not satisfy NWR T 041 (an SPU is required)."""
    record = work(publishers=(P, non_owner("OPU", publisher_sequence=2, pr_society=SACEM)))
    report, _ = validated(record, pack="sacem", version=version)
    assert "NWR T 041" in edits_of(report)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "record",
    [
        pytest.param(
            work(publishers=(P, non_owner("OPU", publisher_sequence=2, pr_society=GEMA))),
            id="gema-opu-only",
        ),
        pytest.param(affiliated(GEMA, "sr"), id="gema-spu-sr-only"),
    ],
)
def test_gema_needs_an_spu_affiliated_for_pr_or_mr(record: Work, version: str) -> None:
    """NWR T 030 fires unless an SPU has PR or MR society 035 (an OPU or SR alone is not enough)."""
    report, _ = validated(record, pack="gema", version=version)
    assert "NWR T 030" in edits_of(report)


@pytest.mark.parametrize(("version", "applies"), [("2.1", True), ("2.2", False)])
@pytest.mark.parametrize(("ascap_pr", "fails"), [(5000, False), (5001, True)])
def test_ascap_writer_share(version: str, applies: bool, ascap_pr: int, fails: bool) -> None:
    """ASCAP writers own at most 50 % of PR (NWR T 029); the ASCAP pack drops the edit for 2.2."""
    record = work(
        publishers=(
            publisher(
                pr=10000 - ascap_pr,
                territories=(replace(SPT, pr_collection_share=10000 - ascap_pr),),
            ),
        ),
        writers=(writer(pr=ascap_pr, pr_society=ASCAP, territories=W.territories),),
    )
    report, _ = validated(record, pack="ascap", version=version)
    assert edits_of(report) == (["NWR T 029"] if fails and applies else [])


# -- packs change what the edits do ----------------------------------------------------------

RELEVEL = """
name = "Stricter"
societies = []
extends = "cisac"

[cwr2]
disable = ["NWR T 011"]

[cwr2.rejection]
"NWR F 004" = "TR"
"SWR R 002" = "FR"
"""


@pytest.mark.parametrize("version", VERSIONS)
def test_pack_relevels_an_edit(version: str, tmp_path: Path) -> None:
    """A pack's rejection table turns the FR of a bad ISWC into TR: the transaction is rejected."""
    pack = custom_pack(tmp_path, RELEVEL)
    assert pack.rejection("NWR F 004") == "TR"
    assert load_pack("cisac", version).rejection("NWR F 004") == "FR"
    record = BY_EDIT["NWR F 004"].record
    stock, _ = validated(record, version=version)
    (issue,) = stock.messages
    assert (issue.rejection, status_of(stock)) == ("FR", ACCEPTED)
    strict, _ = validated(record, pack=pack, version=version)
    (issue,) = strict.messages
    assert (issue.edit, issue.rejection, status_of(strict)) == ("NWR F 004", "TR", REJECTED)


@pytest.mark.parametrize("version", VERSIONS)
def test_pack_lowers_an_edit_to_field_level(version: str, tmp_path: Path) -> None:
    """A pack relevelling SWR R 002 to FR keeps the message but accepts the transaction."""
    record = BY_EDIT["SWR R 002"].record
    report, _ = validated(record, pack=custom_pack(tmp_path, RELEVEL), version=version)
    (issue,) = report.messages
    assert (issue.edit, issue.rejection, status_of(report)) == ("SWR R 002", "FR", ACCEPTED)


@pytest.mark.parametrize("version", VERSIONS)
def test_pack_disables_an_edit(version: str, tmp_path: Path) -> None:
    """An edit the pack disables is neither run nor reported."""
    record = BY_EDIT["NWR T 011"].record
    stock, _ = validated(record, version=version)
    assert edits_of(stock) == ["NWR T 011"]
    report, _ = validated(record, pack=custom_pack(tmp_path, RELEVEL), version=version)
    assert report.messages == []
    assert status_of(report) == ACCEPTED


def test_t014_names_each_right_and_territory_over_100_percent_in_order() -> None:
    """Every (territory, right) over the limit is one finding, by territory, then right's name."""

    def at(tis: str, pr: int, mr: int, sr: int, included: str = "I") -> object:
        return replace(
            SWT,
            tis_code=tis,
            inclusion_exclusion=included,
            pr_collection_share=pr,
            mr_collection_share=mr,
            sr_collection_share=sr,
        )

    first = writer(territories=(at("2136", 6000, 6000, 0), at("0826", 5000, 6000, 7000)))
    second = other_writer(
        territories=(
            at("2136", 4000, 4007, 0),
            at("0826", 5007, 4010, 3007),
            at("0276", 9000, 9000, 9000, included="E"),  # an exclusion collects nothing
        )
    )
    third = other_writer(territories=(at("0276", 10006, 0, 0),))  # at the tolerance: passes
    findings = collection_per_territory(work(publishers=(), writers=(first, second, third)))
    assert [f.text for f in findings] == [
        "MR collection in territory 0826 totals 100.10 %",
        "PR collection in territory 0826 totals 100.07 %",
        "SR collection in territory 0826 totals 100.07 %",
        "MR collection in territory 2136 totals 100.07 %",
    ]
