"""The CWR 3.x work edits (rules/works3.py) fire where they should, and only there."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, time
from typing import TypeVar

import pytest
from builders import territory
from conftest import SAMPLES

from gateway.formats.cwr.writer import CwrWriter
from gateway.model import (
    FileHeader,
    Instrumentation,
    ManuscriptShare,
    Publisher,
    PublisherForWriter,
    PublisherTerritory,
    Work,
    Writer,
    WriterTerritory,
)
from gateway.validation.catalogue import EditId, catalogue
from gateway.validation.engine import validate
from gateway.validation.registry import implemented, rules_for
from gateway.validation.report import ACCEPTED, REJECTED, Report

S = TypeVar("S", PublisherTerritory, WriterTerritory, ManuscriptShare)
VERSIONS = ("3.0", "3.1")
WORLD, GERMANY = "2136", "0276"
MINE = frozenset(r.edit for t in ("WRK", "EXC") for r in rules_for(t))

# -- builders --------------------------------------------------------------------------------


def header(version: str) -> FileHeader:
    """A 3.x transmission header from publisher ABC, named as 3.x files are."""
    return FileHeader(
        record_type="HDR",
        sender_type="PB",
        sender_code="ABC",
        sender_name="PUBLISHER ONE",
        creation_date=date(2024, 1, 1),
        creation_time=time(12, 0, 0),
        transmission_date=date(2024, 1, 1),
        version=version,
        file_name=f"CW240001ABC_0000_V{version.replace('.', '-')}-0.SUB",
    )


def spt(
    ip: str,
    pr: int,
    mr: int,
    sr: int,
    *,
    tis: str = WORLD,
    ie: str = "I",
    recipient: str = "0000",
    record_type: str = "SPT",
    sequence: int = 1,
) -> PublisherTerritory:
    """A publisher's collection in one territory for one recipient (SPT or OPT)."""
    return territory(
        PublisherTerritory,
        record_type,
        ip,
        (pr, mr, sr),
        tis_code=tis,
        inclusion_exclusion=ie,
        recipient_code=recipient,
        sequence=sequence,
        shares_change="",
    )


def swt(
    ip: str,
    pr: int,
    mr: int = 0,
    sr: int = 0,
    *,
    tis: str = WORLD,
    ie: str = "I",
    recipient: str = "0000",
    record_type: str = "SWT",
    sequence: int = 1,
) -> WriterTerritory:
    """A writer's collection in one territory for one recipient (SWT or OWT)."""
    return territory(
        WriterTerritory,
        record_type,
        ip,
        (pr, mr, sr),
        tis_code=tis,
        inclusion_exclusion=ie,
        recipient_code=recipient,
        sequence=sequence,
        shares_change="",
    )


def man(ip: str, pr: int = 5000, mr: int = 5000, sr: int = 5000) -> ManuscriptShare:
    """A writer's manuscript shares (3.1 MAN)."""
    return ManuscriptShare(
        record_type="MAN",
        writer_ip_number=ip,
        pr_manuscript_share=pr,
        mr_manuscript_share=mr,
        sr_manuscript_share=sr,
    )


def pub(chain: int, record_type: str = "SPU", role: str = "E", **changes: object) -> Publisher:
    """A publisher heading chain ``chain`` (P00000n), collecting a quarter of PR, half of MR/SR."""
    ip = f"P{chain:06d}"
    territory = "SPT" if record_type == "SPU" else "OPT"
    base = Publisher(
        record_type=record_type,
        publisher_sequence=chain,
        interested_party_number=ip,
        name=f"PUBLISHER {chain}",
        unknown_indicator="N",
        publisher_type=role,
        ipi_name_number="00014107338" if record_type == "SPU" else "",
        territories=(spt(ip, 2500, 5000, 5000, record_type=territory),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def wri(number: int, record_type: str = "SWR", role: str = "C", **changes: object) -> Writer:
    """Writer W00000n: a quarter of PR worldwide, half of every manuscript right, in chain n."""
    ip = f"W{number:06d}"
    territory = "SWT" if record_type == "SWR" else "OWT"
    base = Writer(
        record_type=record_type,
        interested_party_number=ip,
        last_name=f"WRITER {number}",
        first_name="JO",
        unknown_indicator="N",
        designation=role,
        territories=(swt(ip, 2500, record_type=territory),),
        manuscript_share=man(ip),
        publishers=(
            PublisherForWriter(
                record_type="PWR",
                publisher_sequence=number,
                publisher_ip_number=f"P{number:06d}",
                writer_ip_number=ip,
            ),
        ),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def work31(**changes: object) -> Work:
    """A valid 3.1 WRK: SPU+SPT and OPU+OPT chains, SWR+SWT+MAN+PWR, OWR+OWT+MAN+PWR.

    Worldwide, recipient 0000: PR 25+25+25+25, MR and SR 50+50 (publishers), MAN 50+50.
    """
    base = Work(
        record_type="WRK",
        title="A SONG",
        submitter_work_number="SW0001",
        distribution_category="POP",
        recorded_indicator="Y",
        version_type="ORI",
        publishers=(pub(1), pub(2, "OPU")),
        writers=(wri(1), wri(2, "OWR", "A")),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def work30(**changes: object) -> Work:
    """The same work as 3.0 has it: no MAN records."""
    return as_version(work31(**changes), "3.0")


def as_version(work: Work, version: str) -> Work:
    """The work as ``version`` holds it: a 3.0 one drops every MAN."""
    if version == "3.1":
        return work
    return replace(work, writers=tuple(replace(w, manuscript_share=None) for w in work.writers))


def unpublished(**changes: object) -> Work:
    """A valid 3.1 WRK without publishers: SWR and OWR collect half of every right each."""
    writers = tuple(
        replace(
            w,
            territories=(replace(w.territories[0], pr_collection_share=5000),),
            publishers=(),
        )
        for w in work31().writers
    )
    return work31(publishers=(), writers=writers, **changes)


def with_share(record: S, right: str, value: int) -> S:
    """The record with one right's collection or manuscript share set to ``value``."""
    kind = "manuscript" if isinstance(record, ManuscriptShare) else "collection"
    return replace(record, **{f"{right}_{kind}_share": value})  # type: ignore[arg-type]


def with_writer(work: Work, index: int, **changes: object) -> Work:
    """The work with writer ``index`` changed."""
    writers = list(work.writers)
    writers[index] = replace(writers[index], **changes)  # type: ignore[arg-type]
    return replace(work, writers=tuple(writers))


def with_publisher(work: Work, index: int, **changes: object) -> Work:
    """The work with publisher ``index`` changed."""
    publishers = list(work.publishers)
    publishers[index] = replace(publishers[index], **changes)  # type: ignore[arg-type]
    return replace(work, publishers=tuple(publishers))


def cwr(records: list[Work], version: str) -> bytes:
    """A 3.x file of these transactions, as the strict writer writes it."""
    out = io.BytesIO()
    writer = CwrWriter(out, version)
    writer.header(header(version))
    for record in records:
        writer.transaction(record)
    writer.close()
    return out.getvalue()


def validated(record: Work, version: str = "3.1") -> Report:
    """The CISAC report of a file holding this one transaction."""
    return validate(io.BytesIO(cwr([record], version)))


def edits(report: Report) -> list[str]:
    """The edits of a report's messages, sorted, repeats kept."""
    return sorted(m.edit for m in report.messages)


def only(record: Work, edit: str, version: str = "3.1", **expected: object) -> None:
    """The record fails this edit, once per finding, and nothing else; check the first finding."""
    report = validated(record, version)
    assert set(edits(report)) == {edit}, edits(report)
    issue = next(m for m in report.messages if m.edit == edit)
    for name, value in expected.items():
        assert getattr(issue, name) == value, (name, getattr(issue, name))
    assert issue.rejection == catalogue("3")[EditId.parse(edit)][0].rejection == "TR"
    assert [t.status for t in report.transactions] == [REJECTED]


# -- the valid works -------------------------------------------------------------------------


def test_valid_31_work_is_clean() -> None:
    """The 3.1 builder's work passes every edit of the CISAC pack and is accepted."""
    report = validated(work31())
    assert report.messages == []
    assert [t.status for t in report.transactions] == [ACCEPTED]


def test_valid_30_work_is_clean() -> None:
    """The 3.0 builder's work (no MAN) passes every edit of the CISAC pack and is accepted."""
    report = validated(work30(), "3.0")
    assert report.messages == []
    assert [t.status for t in report.transactions] == [ACCEPTED]


@pytest.mark.parametrize("version", VERSIONS)
def test_unpublished_work_is_clean(version: str) -> None:
    """A work of writers only, without SPU, OPU or PWR, passes every edit."""
    assert validated(as_version(unpublished(), version), version).messages == []


def test_edits_are_registered_for_wrk_and_exc() -> None:
    """The rules run on WRK (and the EXC edits on EXC), each under a 3.x catalogue identity."""
    wrk = {r.edit for r in rules_for("WRK")}
    exc = {r.edit for r in rules_for("EXC")} & MINE
    assert {"WRK T 005", "WRK T 024", "WRK T 025", "MAN F 003", "SPT F 008"} <= wrk
    assert exc == {f"EXC T {n:03d}" for n in (2, 4, 5, 6, 7, 8, 9, 10, 12, 13)}
    for edit in MINE:
        assert EditId.parse(edit) in catalogue("3"), edit
        assert not catalogue("3")[EditId.parse(edit)][0].society, edit
    for other in ("NWR", "REV", "ISW", "ISR", "ACK", "DRW"):
        assert not {r.edit for r in rules_for(other)} & MINE, other


# -- writers: WRK T 004, 005, 006, 009, 011, 017, 023 ------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_t005_needs_a_writer(version: str) -> None:
    """A WRK without SWR or OWR fails WRK T 005 (publishers collecting everything)."""
    publishers = (
        replace(pub(1), territories=(spt("P000001", 5000, 5000, 5000),)),
        replace(pub(2, "OPU"), territories=(spt("P000002", 5000, 5000, 5000, record_type="OPT"),)),
    )
    record = work31(publishers=publishers, writers=())
    only(record, "WRK T 005", version, record_type="WRK")


def test_t005_needs_a_man_after_every_writer_in_31() -> None:
    """In 3.1 an OWR without MAN (the SWR's MAN holding 100 %) fails WRK T 005, at the OWR."""
    record = with_writer(work31(), 0, manuscript_share=man("W000001", 10000, 10000, 10000))
    record = with_writer(record, 1, manuscript_share=None)
    only(record, "WRK T 005", record_type="OWR", line=12)


def test_t005_cannot_see_a_31_work_without_any_man() -> None:
    """A 3.1 WRK with no MAN at all passes: without the file's version it looks like a 3.0 one."""
    assert validated(work30(), "3.1").messages == []


@pytest.mark.parametrize("version", VERSIONS)
def test_t006_needs_a_composer_or_author(version: str) -> None:
    """A MOD work whose writers are an arranger and an adapter fails WRK T 006."""
    record = work31(version_type="MOD", music_arrangement="ARR", lyric_adaptation="NON")
    record = with_writer(with_writer(record, 0, designation="AR"), 1, designation="AD")
    only(as_version(record, version), "WRK T 006", version, record_type="WRK")


def test_t004_modified_work_needs_an_adapter() -> None:
    """A MOD work of a composer and an author only fails WRK T 004, at the version type."""
    record = work31(version_type="MOD", music_arrangement="ARR", lyric_adaptation="NON")
    only(record, "WRK T 004", record_type="WRK", field="version_type", value="MOD")
    assert validated(with_writer(record, 1, designation="TR")).messages == []


@pytest.mark.parametrize("role", ["AR", "AD", "SR", "SA", "TR"])
def test_t011_original_work_has_no_adapter(role: str) -> None:
    """An ORI work fails WRK T 011 for each of AR, AD, SR and (new in 3.1) SA and TR."""
    record = with_writer(work31(), 1, designation=role)
    only(record, "WRK T 011", record_type="OWR", field="designation", value=role)


@pytest.mark.parametrize("role", ["CA", "A", "SA", "TR"])
def test_t017_music_only_has_no_lyricist(role: str) -> None:
    """A MUS work with a CA, A, SA or TR writer fails WRK T 017 (SA and TR on a MOD work)."""
    changes: dict[str, object] = {"text_music_relationship": "MUS"}
    if role in ("SA", "TR"):
        changes |= {"version_type": "MOD", "music_arrangement": "ARR", "lyric_adaptation": "NON"}
    record = with_writer(work31(**changes), 1, designation=role)
    only(record, "WRK T 017", record_type="OWR", field="designation", value=role)


def test_t017_music_only_with_composer_and_arranger_passes() -> None:
    """A MUS work of a composer and an arranger (MOD) passes."""
    record = work31(
        text_music_relationship="MUS",
        version_type="MOD",
        music_arrangement="ARR",
        lyric_adaptation="NON",
    )
    assert validated(with_writer(record, 1, designation="AR")).messages == []


def test_t023_serious_work_needs_instrumentation() -> None:
    """A SER work without INS or IND fails WRK T 023; with an INS it passes."""
    record = work31(distribution_category="SER", duration=time(0, 3, 0))
    only(record, "WRK T 023", record_type="WRK", field="distribution_category", value="SER")
    ins = Instrumentation(record_type="INS", standard_instrumentation_type="ORC")
    assert validated(replace(record, instrumentation=(ins,))).messages == []


@pytest.mark.parametrize("version", VERSIONS)
def test_t009_controlled_writer_needs_territory(version: str) -> None:
    """An SWR without SWT fails WRK T 009 (its PR share moved to the OWR's OWT)."""
    record = with_writer(work31(), 0, territories=())
    record = with_writer(record, 1, territories=(swt("W000002", 5000, record_type="OWT"),))
    only(as_version(record, version), "WRK T 009", version, record_type="SWR")


# -- chains: WRK T 002, 007, 008; SPU R 001, SPU F 021; PWR F 003 -------------------------------


def test_t002_controlled_chain_needs_an_spt() -> None:
    """A chain whose SPU collects through an OPT only fails WRK T 002."""
    opt = spt("P000001", 2500, 5000, 5000, record_type="OPT")
    only(with_publisher(work31(), 0, territories=(opt,)), "WRK T 002", record_type="SPU")


def test_t007_no_opu_in_a_controlled_chain() -> None:
    """An OPU in chain 1, which an SPU started, fails WRK T 007."""
    opu = replace(pub(1, "OPU", "SE"), interested_party_number="P000003", territories=())
    record = work31(publishers=(pub(1), opu, pub(2, "OPU")))
    only(record, "WRK T 007", record_type="OPU", line=6)


def test_t008_one_original_publisher_per_chain() -> None:
    """A second E in chain 1 fails WRK T 008, at the second one."""
    second = replace(pub(1), interested_party_number="P000003", territories=())
    only(work31(publishers=(pub(1), second, pub(2, "OPU"))), "WRK T 008", line=6)


@pytest.mark.parametrize(("role", "fails"), [("SE", True), ("AM", True), ("PA", False)])
def test_spu_r001_chain_starts_with_original(role: str, fails: bool) -> None:
    """A chain headed by a sub-publisher or administrator fails SPU R 001; by a PA it passes."""
    record = with_publisher(work31(), 1, publisher_type=role)
    if fails:
        only(record, "SPU R 001", record_type="OPU", field="publisher_type", value=role)
    else:
        assert validated(record).messages == []


def test_spu_f021_acquirer_follows_original() -> None:
    """An AQ after a PA fails SPU F 021; after the chain's E it passes."""
    aq = replace(pub(1, role="AQ"), interested_party_number="P000003", territories=())
    record = work31(publishers=(pub(1, role="PA"), aq, pub(2, "OPU")))
    only(record, "SPU F 021", record_type="SPU", field="publisher_type", value="AQ", line=6)
    assert validated(work31(publishers=(pub(1), aq, pub(2, "OPU")))).messages == []


def test_pwr_f003_names_a_chain() -> None:
    """A PWR for chain 3 of a two-chain work fails PWR F 003."""
    link = replace(work31().writers[1].publishers[0], publisher_sequence=3)
    only(
        with_writer(work31(), 1, publishers=(link,)),
        "PWR F 003",
        record_type="PWR",
        field="publisher_sequence",
        value="03",
    )


# -- collection totals: WRK T 024 ------------------------------------------------------------


def _owt(work: Work, *territories: WriterTerritory) -> Work:
    return with_writer(work, 1, territories=territories)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("owt_pr", "fails"), [(2506, False), (2507, True), (2494, False), (2493, True)]
)
def test_t024_pr_tolerance(owt_pr: int, fails: bool, version: str) -> None:
    """PR collection totalling 100.06 % or 99.94 % passes WRK T 024; 100.07 % or 99.93 % fails."""
    record = as_version(_owt(work31(), swt("W000002", owt_pr, record_type="OWT")), version)
    if fails:
        only(record, "WRK T 024", version, record_type="WRK")
        (issue,) = validated(record, version).messages
        total = f"{(7500 + owt_pr) // 100}.{(7500 + owt_pr) % 100:02d} %"
        assert f"PR collection for recipient 0000 totals {total} in TIS 2136" in issue.text
    else:
        assert validated(record, version).messages == []


@pytest.mark.parametrize("right", ["mr", "sr"])
@pytest.mark.parametrize(("opt", "fails"), [(5006, False), (5007, True), (4993, True)])
def test_t024_mr_sr_tolerance(right: str, opt: int, fails: bool) -> None:
    """MR and SR are totalled on their own, with the same ± 0.06 % tolerance."""
    territory = with_share(pub(2, "OPU").territories[0], right, opt)
    record = with_publisher(work31(), 1, territories=(territory,))
    if fails:
        only(record, "WRK T 024")
        assert f"{right.upper()} collection" in validated(record).messages[0].text
    else:
        assert validated(record).messages == []


def test_t024_all_recipients_count_for_each_recipient() -> None:
    """An OPT for recipient 035 counts for 035 (with the 0000 records) but not for 0000."""
    opt = spt("P000002", 2500, 5000, 5000, record_type="OPT", recipient="0035")
    report = validated(with_publisher(work31(), 1, territories=(opt,)))
    assert edits(report) == ["WRK T 024"] * 3
    texts = " ".join(m.text for m in report.messages)
    for right, total in (("PR", "75.00"), ("MR", "50.00"), ("SR", "50.00")):
        assert f"{right} collection for recipient 0000 totals {total} %" in texts
    assert "recipient 0035" not in texts


def test_t024_recipient_records_add_to_all_recipients() -> None:
    """A writer's SWT for one recipient adds to the 0000 shares there: 125 % for it."""
    territories = (*work31().writers[0].territories, swt("W000001", 2500, recipient="0052"))
    report = validated(with_writer(work31(), 0, territories=territories))
    assert edits(report) == ["WRK T 024"]
    assert "PR collection for recipient 0052 totals 125.00 %" in report.messages[0].text


def test_t024_territories_resolve_to_countries() -> None:
    """World less Germany, then Germany at 30 %: Germany totals 105 %, the rest 100 %."""
    record = _owt(
        work31(),
        swt("W000002", 2500, record_type="OWT"),
        swt("W000002", 0, tis=GERMANY, ie="E", record_type="OWT", sequence=2),
        swt("W000002", 3000, tis=GERMANY, record_type="OWT", sequence=3),
    )
    only(record, "WRK T 024")
    assert "totals 105.00 % in TIS 0276, 2136" in validated(record).messages[0].text
    fixed = _owt(
        work31(),
        swt("W000002", 2500, record_type="OWT"),
        swt("W000002", 0, tis=GERMANY, ie="E", record_type="OWT", sequence=2),
        swt("W000002", 2500, tis=GERMANY, record_type="OWT", sequence=3),
    )
    assert validated(fixed).messages == []


def test_t024_excluded_country_loses_the_share() -> None:
    """World less Germany without Germany back: Germany totals 75 %."""
    record = _owt(
        work31(),
        swt("W000002", 2500, record_type="OWT"),
        swt("W000002", 0, tis=GERMANY, ie="E", record_type="OWT", sequence=2),
    )
    only(record, "WRK T 024")
    assert "PR collection for recipient 0000 totals 75.00 % in TIS 2136" in (
        validated(record).messages[0].text
    )


def test_t024_only_where_publishers_collect() -> None:
    """Without publisher collection nothing is totalled: writers at 90 % pass."""
    record = with_writer(
        unpublished(), 1, territories=(swt("W000002", 4000, 5000, 5000, record_type="OWT"),)
    )
    assert validated(record).messages == []


# -- record ranges: SPT F 008-010, SWT F 007-009, SPT/SWT R 001 -------------------------------


def test_spt_f008_pr_collection_at_most_half() -> None:
    """An SPT collecting 50.01 % of PR fails SPT F 008 (the total kept at 100 %)."""
    record = with_publisher(work31(), 0, territories=(spt("P000001", 5001, 5000, 5000),))
    record = with_publisher(
        record, 1, territories=(spt("P000002", 0, 5000, 5000, record_type="OPT"),)
    )
    record = with_writer(record, 0, territories=(swt("W000001", 2499),))
    only(record, "SPT F 008", record_type="SPT", field="pr_collection_share", value="50.01 %")
    record = with_publisher(record, 0, territories=(spt("P000001", 5000, 5000, 5000),))
    assert validated(with_writer(record, 0, territories=(swt("W000001", 2500),))).messages == []


@pytest.mark.parametrize(("right", "edit"), [("mr", "SPT F 009"), ("sr", "SPT F 010")])
def test_spt_mr_sr_collection_at_most_whole(right: str, edit: str) -> None:
    """An SPT collecting 100.01 % of MR or SR fails its range edit (total within tolerance)."""
    spu = spt("P000001", 2500, 5000, 5000)
    opt = spt("P000002", 2500, 5000, 5000, record_type="OPT")
    record = with_publisher(work31(), 0, territories=(with_share(spu, right, 10001),))
    record = with_publisher(record, 1, territories=(with_share(opt, right, 0),))
    only(record, edit, record_type="SPT", field=f"{right}_collection_share", value="100.01 %")


@pytest.mark.parametrize(
    ("right", "edit"), [("pr", "SWT F 007"), ("mr", "SWT F 008"), ("sr", "SWT F 009")]
)
@pytest.mark.parametrize(("share", "fails"), [(10006, False), (10007, True)])
def test_swt_collection_at_most_whole(right: str, edit: str, share: int, fails: bool) -> None:
    """An SWT collecting 100.07 % fails its range edit; 100.06 % is within the tolerance."""
    territory = with_share(unpublished().writers[0].territories[0], right, share)
    record = with_writer(unpublished(), 0, territories=(territory,))
    if fails:
        value = f"{share // 100}.{share % 100:02d} %"
        only(record, edit, record_type="SWT", field=f"{right}_collection_share", value=value)
    else:
        assert validated(record).messages == []


def test_spt_r001_included_territory_collects() -> None:
    """A sub-publisher's included SPT for Germany with no share at all fails SPT R 001."""
    sub = replace(
        pub(1, role="SE"),
        interested_party_number="P000003",
        territories=(spt("P000003", 0, 0, 0, tis=GERMANY),),
    )
    record = work31(publishers=(pub(1), sub, pub(2, "OPU")))
    only(record, "SPT R 001", record_type="SPT", field="inclusion_exclusion", value="I", line=7)


def test_swt_r001_included_territory_collects() -> None:
    """An included OWT with no share at all fails SWT R 001."""
    territories = (
        *unpublished().writers[1].territories,
        swt("W000002", 0, tis=GERMANY, record_type="OWT", sequence=2),
    )
    record = with_writer(unpublished(), 1, territories=territories)
    only(record, "SWT R 001", record_type="OWT", field="inclusion_exclusion", value="I")


# -- links to the parent record: SPT F 007, SWT F 005, 006, 015, 016, MAN F 002 ---------------


def test_spt_f007_names_its_publisher() -> None:
    """An SPT whose interested party number is not its SPU's fails SPT F 007."""
    territory = replace(pub(1).territories[0], interested_party_number="P000009")
    only(
        with_publisher(work31(), 0, territories=(territory,)),
        "SPT F 007",
        record_type="SPT",
        field="interested_party_number",
        value="P000009",
    )


def test_swt_f005_swt_follows_an_swr() -> None:
    """An SWT after an OWR fails SWT F 005."""
    territory = replace(work31().writers[1].territories[0], record_type="SWT")
    only(with_writer(work31(), 1, territories=(territory,)), "SWT F 005", record_type="SWT")


@pytest.mark.parametrize("number", ["W000009", ""])
def test_swt_f006_names_its_writer(number: str) -> None:
    """An SWT with another writer's or no interested party number fails SWT F 006."""
    territory = replace(work31().writers[0].territories[0], interested_party_number=number)
    only(
        with_writer(work31(), 0, territories=(territory,)),
        "SWT F 006",
        record_type="SWT",
        field="interested_party_number",
        value=number,
    )


def test_swt_f015_no_owt_in_a_controlled_chain() -> None:
    """An OWT after an SWR (beside its SWT) fails SWT F 015."""
    territories = (
        *unpublished().writers[0].territories,
        swt("W000001", 1000, tis=GERMANY, record_type="OWT", sequence=2),
    )
    only(with_writer(unpublished(), 0, territories=territories), "SWT F 015", record_type="OWT")


@pytest.mark.parametrize(("number", "fails"), [("W000009", True), ("", False)])
def test_swt_f016_owt_names_its_writer(number: str, fails: bool) -> None:
    """An OWT with another writer's number fails SWT F 016; a blank one is allowed."""
    territory = replace(work31().writers[1].territories[0], interested_party_number=number)
    record = with_writer(work31(), 1, territories=(territory,))
    if fails:
        only(record, "SWT F 016", field="interested_party_number", value=number)
    else:
        assert validated(record).messages == []


def test_man_f002_names_its_writer() -> None:
    """A MAN whose writer IP number is not its writer's fails MAN F 002."""
    only(
        with_writer(work31(), 1, manuscript_share=man("W000009")),
        "MAN F 002",
        record_type="MAN",
        field="writer_ip_number",
        value="W000009",
    )


# -- manuscript shares: WRK T 025, MAN F 003-005 ---------------------------------------------


@pytest.mark.parametrize("right", ["pr", "mr", "sr"])
@pytest.mark.parametrize(
    ("share", "fails"), [(5006, False), (5007, True), (4994, False), (4993, True)]
)
def test_t025_manuscript_tolerance(right: str, share: int, fails: bool) -> None:
    """MAN shares totalling 100.06 % or 99.94 % pass WRK T 025; 100.07 % or 99.93 % fail."""
    shares = with_share(man("W000001"), right, share)
    record = with_writer(work31(), 0, manuscript_share=shares)
    if fails:
        only(record, "WRK T 025", record_type="WRK")
        total = 5000 + share
        text = f"{right.upper()} manuscript shares total {total // 100}.{total % 100:02d} %"
        assert text in validated(record).messages[0].text
    else:
        assert validated(record).messages == []


@pytest.mark.parametrize(
    ("right", "edit"), [("pr", "MAN F 003"), ("mr", "MAN F 004"), ("sr", "MAN F 005")]
)
@pytest.mark.parametrize(("share", "fails"), [(10006, False), (10007, True)])
def test_man_share_at_most_whole(right: str, edit: str, share: int, fails: bool) -> None:
    """A MAN share over 100.06 % fails its range edit, and the total (WRK T 025) with it."""
    record = with_writer(work31(), 0, manuscript_share=man("W000001", 10000, 10000, 10000))
    record = with_writer(record, 1, manuscript_share=man("W000002", 0, 0, 0))
    shares = with_share(man("W000001", 10000, 10000, 10000), right, share)
    report = validated(with_writer(record, 0, manuscript_share=shares))
    if fails:
        assert edits(report) == sorted([edit, "WRK T 025"])
        (issue,) = [m for m in report.messages if m.edit == edit]
        assert (issue.record_type, issue.field) == ("MAN", f"{right}_manuscript_share")
        assert issue.value == "100.07 %"
    else:
        assert report.messages == []


# -- EXC: the transaction edits 3.1 §3.3 lists, and no totals ---------------------------------


def test_exc_gets_its_own_numbers() -> None:
    """An EXC without writers fails EXC T 005; an EXC SPU without SPT fails EXC T 002."""
    only(replace(work31(), record_type="EXC", writers=()), "EXC T 005", record_type="EXC")
    publishers = (replace(pub(1), territories=()), pub(2, "OPU"))
    record = replace(work30(), record_type="EXC", publishers=publishers)
    only(record, "EXC T 002", record_type="SPU")


def test_exc_shares_may_exceed_whole() -> None:
    """An EXC's collection may pass 100 % (3.1 p. 18): no WRK T 024 on it."""
    record = replace(work30(), record_type="EXC")
    record = with_writer(record, 1, territories=(swt("W000002", 9000, record_type="OWT"),))
    assert validated(record).messages == []


# -- the public 3.x samples ------------------------------------------------------------------


def test_dmp_30_sample_lacks_writer_collection_for_recipient_0000() -> None:
    """DMP's 3.0 SUB puts the SWT recipient code at the SPT's place: its SWTs have none.

    So for recipient 0000 only the publishers' 50 % of PR is there, which WRK T 024 reports
    once; MR and SR (all publishers') total 100 %. No other 3.x work edit fires.
    """
    with (SAMPLES / "v30/dmp_CW220002DMP_0000_V3-0-0.SUB").open("rb") as stream:
        report = validate(stream)
    mine = [m for m in report.messages if m.edit in MINE]
    assert [(m.edit, m.line) for m in mine] == [("WRK T 024", 3)]
    assert "PR collection for recipient 0000 totals 50.00 % in TIS 2136" in mine[0].text
    blank = [m for m in report.messages if m.field == "recipient_code"]
    assert [(m.edit, m.record_type) for m in blank] == [("GW F 005", "SWT")] * 2


def test_synthetic_31_ack2_is_not_checked_by_work_edits() -> None:
    """The 3.1 ACK2's WRKs belong to ACK transactions, which the work edits do not judge."""
    with (SAMPLES / "synthetic/synthetic_CWR31_ACK2.txt").open("rb") as stream:
        report = validate(stream)
    assert report.version == "3.1"
    assert [t.type for t in report.transactions] == ["ACK", "ACK"]
    assert [m for m in report.messages if m.edit in MINE] == []


@pytest.mark.parametrize("edit", implemented("3"))
def test_3x_rule_is_in_the_31_catalogue(edit: str) -> None:
    """Every 3.x rule names an edit of the CWR22-0146 catalogue."""
    assert EditId.parse(edit) in catalogue("3")
