"""Reconciliation: registrations, matching, every discrepancy kind to the cent, files in and out.

Every expected amount is worked out by hand in the test (the arithmetic is in the comments), so
a change in the engine's rounding or rules shows up as a failing figure, not a moved snapshot.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from builders import publisher, territory, work, writer
from reconcile_data import (
    CINDERS,
    CINDERS_ISWC,
    END,
    FERRY,
    FERRY_ISWC,
    FRANCE,
    GEMA,
    GERMANY,
    GSA,
    HARBOUR,
    HARBOUR_ISWC,
    HOLLOWAY_IPI,
    MCSC,
    NORTHBANK_IPI,
    PRS,
    SACEM,
    SPARE_ISWC,
    WORLD,
    ack,
    ack_file,
    catalogue,
    cinders,
    cinders_line,
    ferry,
    header,
    line,
    publisher_line,
    publisher_territories,
    reconcile,
    registry_of,
    unknown_line,
    works_file,
)

from gateway.formats.csv import write_statement_csv
from gateway.formats.translate import translate
from gateway.formats.xml.ack import AckContext, read_ack_xml, write_ack_xml
from gateway.formats.xml.distribution import read_statement_xml, write_statement_xml
from gateway.model import (
    AlternateTitle,
    StatementHeader,
    StatementLine,
    StatementTotals,
    WriterTerritory,
)
from gateway.reconcile.engine import ReconcileOptions, Reconciler
from gateway.reconcile.fx import Rate, RateTable
from gateway.reconcile.match import Matcher
from gateway.reconcile.money import MoneyError, money
from gateway.reconcile.registry import WorkRegistry, read_registrations
from gateway.reconcile.remittance import Remittance
from gateway.reconcile.result import Discrepancy, ReconcileError, Reconciliation
from gateway.reconcile.run import reconcile_files
from gateway.validation.engine import validate

NOW = datetime(2025, 7, 2, 8, 0, tzinfo=UTC)
GBP_EUR = Rate(END, "GBP", "EUR", Decimal("1.1700"), "ECB")


def found(result: Reconciliation, kind: str | None = None) -> list[Discrepancy]:
    """The discrepancies of ``kind`` (all of them when None)."""
    return [d for d in result.discrepancies if kind is None or d.kind == kind]


def figures(result: Reconciliation) -> list[tuple[str, str, str, tuple[int, ...]]]:
    """Kind, direction, amount and lines of every discrepancy, in report order."""
    return [(d.kind, d.direction, str(d.amount), d.lines) for d in result.discrepancies]


def totals(result: Reconciliation, index: int = 0) -> dict[str, str]:
    """One statement's totals in its own currency, as the JSON report gives them."""
    return result.statements[index].totals.to_dict()


def eur_totals(paid: str, matched: str, expected: str, difference: str) -> dict[str, str]:
    """The JSON totals of an EUR statement (suspense is paid minus matched, worked out here)."""
    suspense = Decimal(paid) - Decimal(matched)
    return {
        "currency": "EUR",
        "paid": paid,
        "matched": matched,
        "suspense": f"{suspense:.2f}",
        "expected": expected,
        "difference": difference,
    }


def xml_statement(
    lines: list[StatementLine],
    *,
    declared: StatementTotals | None = None,
    statement: StatementHeader | None = None,
) -> bytes:
    """A distribution XML statement of ``lines``, declaring ``declared`` (or their sums)."""
    out = io.BytesIO()
    write_statement_xml(statement or header(), lines, declared, out, now=NOW)
    return out.getvalue()


def reconcile_xml(data: bytes, registry: WorkRegistry) -> Reconciliation:
    """Reconcile an XML statement as its reader delivers it."""
    reconciler = Reconciler(registry)
    reconciler.add_statement(read_statement_xml(io.BytesIO(data), source="statement.xml"))
    return reconciler.result()


# -- the registry ------------------------------------------------------------------------------


def test_works_are_registered_from_cwr_with_their_parties() -> None:
    registry = registry_of()
    assert len(registry) == 3
    assert registry.by_submitter_number(FERRY) == 0
    assert registry.by_submitter_number(" nbm000300 ") == 1  # trimmed, upper-cased
    assert registry.by_iswc(HARBOUR_ISWC) == {2}
    ferry_work = registry.works[0]
    assert (ferry_work.title, ferry_work.iswc, ferry_work.source) == (
        "MIDNIGHT FERRY",
        FERRY_ISWC,
        "works.V21 line 3",
    )
    assert [(p.name, p.ipi_name_number, p.is_writer, p.controlled) for p in ferry_work.parties] == [
        ("NORTHBANK MUSIC LTD", NORTHBANK_IPI, False, True),
        ("HOLLOWAY JAMES", HOLLOWAY_IPI, True, True),
    ]
    meyer = registry.works[2].parties[1]
    assert (meyer.name, meyer.societies, meyer.ownership) == (
        "MEYER KLAUS",
        (GEMA, GEMA, GEMA),
        (5000, 5000, 5000),
    )
    assert registry.skipped == []


def test_a_later_rev_replaces_the_registration() -> None:
    revised = ferry(
        record_type="REV",
        title="MIDNIGHT FERRY REVISITED",
        iswc=SPARE_ISWC,
        publishers=(),
        writers=(writer(10000, 10000, 10000, ipi_name_number=HOLLOWAY_IPI, publishers=()),),
    )
    registry = registry_of([ferry(), cinders(), revised])
    assert len(registry) == 2
    assert registry.by_submitter_number(FERRY) == 0
    now = registry.works[0]
    assert (now.title, now.iswc) == ("MIDNIGHT FERRY REVISITED", SPARE_ISWC)
    assert [(p.name, p.ownership[0]) for p in now.parties] == [("DOE JOHN", 10000)]
    assert registry.by_iswc(SPARE_ISWC) == {0}


def test_the_iswc_a_rev_replaced_no_longer_names_the_work() -> None:
    """The REV gave the work another ISWC; the old one is neither its ISWC nor from an ACK."""
    revised = ferry(record_type="REV", iswc=SPARE_ISWC)
    registry = registry_of([ferry(), revised])
    assert registry.by_iswc(FERRY_ISWC) == frozenset()
    stale = unknown_line(1, "10.00", iswc=FERRY_ISWC)  # only the old ISWC ties it to the work
    assert Matcher(registry, societies=(GEMA,)).match(stale).method != "iswc"


def test_a_work_without_a_number_is_skipped_with_a_note() -> None:
    registry = registry_of([ferry(), work("NO NUMBER", "", iswc=SPARE_ISWC)])
    assert len(registry) == 1
    assert registry.by_iswc(SPARE_ISWC) == frozenset()
    # ferry() is 6 records (NWR SPU SPT SWR SWT PWR) from line 3: the next NWR is line 9.
    assert registry.skipped == ["works.V21 line 9: NWR 'NO NUMBER' has no work number"]


def test_works_xml_registers_the_same_works_as_cwr() -> None:
    xml = io.BytesIO()
    result = translate(io.BytesIO(works_file(catalogue())), xml, "xml")
    assert result.refused is None
    registry = WorkRegistry()
    read_registrations(io.BytesIO(xml.getvalue()), registry, source="works.xml")
    assert registry.works == registry_of().works  # the source is not part of equality
    assert registry.works[0].source.startswith("works.xml line ")


def test_a_cwr_ack_gives_the_society_work_number() -> None:
    registry = registry_of()
    acks = [ack(FERRY, "12873465001"), ack(HARBOUR, "13390218004", status="AS", sequence=1)]
    read_registrations(io.BytesIO(ack_file(GEMA, acks)), registry, source="ack.V21")
    assert registry.by_society_number(GEMA, "12873465001") == {0}
    assert registry.by_society_number(GEMA, "13390218004") == {2}
    assert registry.by_society_number(SACEM, "12873465001") == frozenset()
    assert registry.society_numbers() == 2


def test_an_ack_read_before_its_work_still_applies() -> None:
    registry = WorkRegistry()
    read_registrations(
        io.BytesIO(ack_file(GEMA, [ack(CINDERS, "13390218004")], version="3.1")),
        registry,
        source="ack.V31",
    )
    assert registry.society_numbers() == 0  # nothing to tie it to yet
    read_registrations(io.BytesIO(works_file(catalogue())), registry, source="works.V21")
    assert registry.by_society_number(GEMA, "13390218004") == {1}
    assert registry.society_numbers() == 1


def test_a_rejected_ack_adds_nothing() -> None:
    registry = registry_of()
    rejected = [
        ack(FERRY, "12873465001", status="RJ"),
        replace(ack(CINDERS, "999"), transaction_status="RJ"),
    ]
    read_registrations(io.BytesIO(ack_file(GEMA, rejected)), registry, source="ack.V21")
    assert registry.society_numbers() == 0
    assert registry.by_society_number(GEMA, "999") == frozenset()


def test_an_ack_xml_gives_society_work_numbers_and_iswcs() -> None:
    """SACEM acknowledges our submission in XML; the ISWC it holds reaches a work without one."""
    okafor = cinders().writers[0]
    collecting = territory(WriterTerritory, "SWT", "W000001", (10000, 10000, 10000))
    # What SACEM received: with the ISWCs, and the SWT a controlled writer needs to be accepted.
    submitted = works_file(
        [ferry(), cinders(writers=(replace(okafor, territories=(collecting,)),))]
    )
    report = validate(io.BytesIO(submitted))
    out = io.BytesIO()
    write_ack_xml(report, out, AckContext(SACEM, PRS, "CW250001052_058.V21", now=NOW))
    report.transactions.close()
    numbers = {
        a.submitter_creation_number: a.recipient_creation_number
        for a in read_ack_xml(io.BytesIO(out.getvalue()))
    }
    assert set(numbers) == {FERRY, CINDERS}
    assert all(number.startswith("GW") for number in numbers.values())
    # Our own works file registered SALT AND CINDERS before its ISWC was known.
    registry = registry_of([ferry(), cinders(iswc="")])
    read_registrations(io.BytesIO(out.getvalue()), registry, source="ack.xml")
    assert registry.by_society_number(SACEM, numbers[FERRY]) == {0}
    assert registry.by_society_number(SACEM, numbers[CINDERS]) == {1}
    assert registry.works[1].iswc == ""
    assert registry.by_iswc(CINDERS_ISWC) == {1}
    matched = Matcher(registry, societies=(GEMA,)).match(
        cinders_line(1, "10.00", submitter_work_id="", work_title="SOMETHING ELSE")
    )
    assert (matched.work, matched.method) == (1, "iswc")


def _collecting(*records: tuple[str, str, int]) -> WorkRegistry:
    """A registry of MIDNIGHT FERRY whose publisher collects per these SPT records."""
    share = publisher(name="NORTHBANK MUSIC LTD", ipi_name_number=NORTHBANK_IPI)
    return registry_of(
        [ferry(publishers=(replace(share, territories=publisher_territories(*records)),))]
    )


def test_collection_share_with_an_inclusion_then_an_exclusion() -> None:
    party = _collecting(("I", WORLD, 5000), ("E", GERMANY, 0)).works[0].parties[0]
    assert party.collection_share("PER", GERMANY) == 0
    assert party.collection_share("PER", FRANCE) == 5000
    assert party.collection_share("MEC", FRANCE) == 5000
    # A group takes its smallest country: Germany is out of Austria-Germany-Switzerland.
    assert party.collection_share("PER", GSA) == 0
    assert party.collection_share("PER", WORLD) == 0


def test_collection_share_of_a_group_fully_covered_and_a_later_inclusion() -> None:
    gsa = _collecting(("I", GSA, 5000)).works[0].parties[0]
    assert (gsa.collection_share("PER", GSA), gsa.collection_share("PER", GERMANY)) == (5000, 5000)
    assert (gsa.collection_share("PER", FRANCE), gsa.collection_share("PER", WORLD)) == (0, 0)
    lower = _collecting(("I", WORLD, 5000), ("I", GERMANY, 2500)).works[0].parties[0]
    assert lower.collection_share("PER", GERMANY) == 2500
    assert lower.collection_share("PER", FRANCE) == 5000
    assert lower.collection_share("PER", GSA) == 2500
    assert lower.collection_share("PER", "9999") == 0  # an unknown TIS code covers nothing


def test_collection_share_per_right_and_without_territory_records() -> None:
    split = publisher(5000, 10000, 0, name="NORTHBANK MUSIC LTD", ipi_name_number=NORTHBANK_IPI)
    party = registry_of([ferry(publishers=(split,))]).works[0].parties[0]
    rights = [party.collection_share(right, FRANCE) for right in ("PER", "MEC", "SYN")]
    assert rights == [5000, 10000, 0]
    okafor = registry_of().works[1].parties[0]
    assert okafor.territories == ()
    assert okafor.collection_share("PER", GERMANY) == 10000  # the ownership applies
    assert okafor.collection_share("SYN", GSA) == 10000


def test_a_party_excluded_from_the_territory_is_expected_nothing() -> None:
    registry = _collecting(("I", WORLD, 5000), ("E", GERMANY, 0))
    result = reconcile(
        registry,
        [
            line(1, "100.00"),
            publisher_line(2, "100.00"),  # Germany: 0 % registered -> 100.00 overpaid
            line(3, "80.00", territory=FRANCE),
            publisher_line(4, "80.00", territory=FRANCE),  # France: 50.00 %, as paid
        ],
    )
    assert figures(result) == [("overpaid_share", "overpaid", "100.00 EUR", (2,))]
    # expected 100.00 + 0.00 + 80.00 + 80.00; matched 360.00
    assert totals(result) == eur_totals("360.00", "360.00", "260.00", "-100.00")


# -- matching ----------------------------------------------------------------------------------


def _with_gema_numbers(registry: WorkRegistry) -> WorkRegistry:
    acks = [ack(FERRY, "12873465001"), ack(CINDERS, "13390218004", sequence=1)]
    read_registrations(io.BytesIO(ack_file(GEMA, acks)), registry, source="ack.V21")
    return registry


def test_the_iswc_wins_over_every_other_method() -> None:
    registry = _with_gema_numbers(registry_of())
    confusing = line(
        1,
        "10.00",
        sender_work_id="13390218004",  # SALT AND CINDERS for GEMA
        submitter_work_id=CINDERS,
        work_title="SALT AND CINDERS",
    )
    matched = Matcher(registry, societies=(GEMA,)).match(confusing)
    assert (matched.work, matched.method, matched.score) == (0, "iswc", None)


def test_an_iswc_on_two_works_falls_through_to_the_next_method() -> None:
    registry = registry_of([ferry(), cinders(iswc=FERRY_ISWC)])
    assert registry.by_iswc(FERRY_ISWC) == {0, 1}
    matcher = Matcher(registry, societies=(GEMA,))
    by_number = matcher.match(line(1, "10.00", submitter_work_id=CINDERS))
    assert (by_number.work, by_number.method) == (1, "submitter_work_id")
    by_title = matcher.match(line(2, "10.00"))  # MIDNIGHT FERRY, HOLLOWAY JAMES
    assert (by_title.work, by_title.method, by_title.score) == (0, "fuzzy", 100.0)


def test_a_sender_work_id_counts_only_for_the_statements_societies() -> None:
    registry = _with_gema_numbers(registry_of())
    acks = [ack(HARBOUR, "12873465001")]  # SACEM happens to use GEMA's number for another work
    read_registrations(io.BytesIO(ack_file(SACEM, acks)), registry, source="ack058.V21")
    paid = unknown_line(1, "10.00", sender_work_id="12873465001")

    def method(**societies: str) -> tuple[int | None, str]:
        result = Matcher(registry, societies=societies.values()).match(paid)
        return result.work, result.method

    assert method(sender=GEMA) == (0, "sender_work_id")
    assert method(sender=SACEM) == (2, "sender_work_id")
    assert method(sender=MCSC, paying=GEMA) == (0, "sender_work_id")
    assert method(sender=MCSC, source=SACEM) == (2, "sender_work_id")
    assert method(sender=MCSC)[1] == "none"  # MCSC never numbered our works
    assert method(sender=GEMA, source=SACEM)[1] == "none"  # the number names two works


def test_the_statement_header_decides_whose_work_numbers_apply() -> None:
    registry = _with_gema_numbers(registry_of())
    hub = header(sender_society=MCSC, paying_society=GEMA)
    paid = [line(1, "50.00", iswc="", sender_work_id="12873465001", work_title="X")]
    through_hub = reconcile(registry, [*paid, publisher_line(2, "50.00")], statement=hub)
    assert through_hub.statements[0].methods == (("iswc", 1), ("sender_work_id", 1))
    assert through_hub.discrepancies == ()
    alone = reconcile(registry, paid, statement=header(sender_society=MCSC))
    assert alone.statements[0].methods == (("none", 1),)
    assert figures(alone) == [("unmatched_line", "unallocated", "50.00 EUR", (1,))]


def test_our_submitter_work_number_matches() -> None:
    registry = registry_of()
    paid = cinders_line(1, "10.00", iswc="", submitter_work_id="nbm000300", work_title="X")
    matched = Matcher(registry, societies=(GEMA,)).match(paid)
    assert (matched.work, matched.method) == (1, "submitter_work_id")


def test_a_typo_in_the_title_with_the_right_writer_matches_by_fuzzy_score() -> None:
    registry = registry_of()
    typo = {"iswc": "", "work_title": "Midnight Fery"}
    # title: token_sort_ratio("MIDNIGHT FERY", "MIDNIGHT FERRY") = 96.296..; name 100
    # score = 0.7 * 96.296.. + 0.3 * 100 = 97.41
    matched = Matcher(registry, societies=(GEMA,)).match(line(1, "10.00", **typo))
    assert (matched.work, matched.method, matched.score) == (0, "fuzzy", 97.41)
    result = reconcile(registry, [line(1, "60.00", **typo), publisher_line(2, "60.00", **typo)])
    assert result.statements[0].methods == (("fuzzy", 2),)
    assert result.discrepancies == ()
    assert result.exit_code == 0


def test_the_right_title_with_a_wrong_writer_stays_below_the_threshold() -> None:
    registry = registry_of()
    stranger = line(1, "75.00", iswc="", ip_name="SMITH ANNA", ip_ipi_name_number="")
    result = reconcile(registry, [stranger])
    (unmatched,) = found(result)
    assert (unmatched.kind, unmatched.direction, str(unmatched.amount)) == (
        "unmatched_line",
        "unallocated",
        "75.00 EUR",
    )
    evidence = dict(unmatched.evidence)
    # title 100; name: best of "SMITH ANNA" against NORTHBANK MUSIC LTD (34.48..) and
    # HOLLOWAY JAMES (25): 0.7 * 100 + 0.3 * 34.48.. = 80.34
    assert {k: evidence[k] for k in ("method", "best_candidate", "score", "threshold")} == {
        "method": "none",
        "best_candidate": FERRY,
        "score": "80.34",
        "threshold": "90.00",
    }
    assert evidence["best_candidate_title"] == "MIDNIGHT FERRY"
    assert totals(result) == eur_totals("75.00", "0.00", "0.00", "0.00")
    assert result.statements[0].suspense_lines == 1


def test_the_threshold_option_changes_the_outcome() -> None:
    registry = registry_of()
    stranger = line(1, "75.00", iswc="", ip_name="SMITH ANNA", ip_ipi_name_number="")
    lowered = reconcile(registry, [stranger], options=ReconcileOptions(threshold=80.0))
    assert lowered.threshold == 80.0
    assert lowered.statements[0].methods == (("fuzzy", 1),)
    # Matched to MIDNIGHT FERRY now, but SMITH ANNA is none of its parties.
    assert figures(lowered) == [("unregistered_party", "unallocated", "75.00 EUR", (1,))]
    assert totals(lowered) == eur_totals("75.00", "75.00", "0.00", "-75.00")
    raised = reconcile(
        registry,
        [line(1, "10.00", iswc="", work_title="MIDNIGHT FERY")],  # scores 97.41
        options=ReconcileOptions(threshold=98.0),
    )
    assert [d.kind for d in found(raised)] == ["unmatched_line"]


def test_an_alternate_title_matches_too() -> None:
    ferry_alt = AlternateTitle(record_type="ALT", title="LE FERRY DE MINUIT", title_type="TT",
                               language_code="FR")  # fmt: skip
    registry = registry_of([ferry(alternate_titles=(ferry_alt,)), cinders()])
    assert registry.works[0].titles == ("MIDNIGHT FERRY", "LE FERRY DE MINUIT")
    matched = Matcher(registry, societies=(GEMA,)).match(
        line(1, "10.00", iswc="", work_title="Le ferry de minuit")
    )
    assert (matched.work, matched.method, matched.score) == (0, "fuzzy", 100.0)


def test_the_party_paid_is_found_by_ipi_without_leading_zeros_or_by_name() -> None:
    paid = [
        line(1, "100.00", ip_ipi_name_number=HOLLOWAY_IPI.lstrip("0"), ip_name="J HOLLOWAY"),
        publisher_line(2, "100.00", ip_ipi_name_number="", ip_name="Northbank Music Ltd."),
        line(3, "50.00", ip_ipi_name_number="", ip_name="James Holloway", use_type="Radio"),
        publisher_line(4, "50.00", ip_ipi_name_number="", use_type="Radio"),
    ]
    result = reconcile(registry_of(), paid)
    assert result.discrepancies == ()  # every line found its party: none unregistered or missing
    assert totals(result) == eur_totals("300.00", "300.00", "300.00", "0.00")


def test_two_identical_works_are_ambiguous_and_go_to_suspense() -> None:
    twin = ferry(submitter_work_number="NBM000999", iswc=SPARE_ISWC)
    registry = registry_of([ferry(), twin])
    result = reconcile(registry, [line(1, "40.00", iswc="")])
    assert result.statements[0].methods == (("ambiguous", 1),)
    (held,) = found(result)
    assert (held.kind, str(held.amount)) == ("unmatched_line", "40.00 EUR")
    evidence = dict(held.evidence)
    assert (evidence["method"], evidence["score"]) == ("ambiguous", "100.00")
    assert "two works score 100.00" in held.message
    assert totals(result) == eur_totals("40.00", "0.00", "0.00", "0.00")


# -- every discrepancy, to the cent -----------------------------------------------------------


def test_a_line_matching_no_work_is_in_suspense() -> None:
    result = reconcile(
        registry_of(),
        [line(1, "962.95"), publisher_line(2, "962.95"), unknown_line(3, "319.80")],
    )
    (held,) = found(result)
    assert (held.kind, held.direction, str(held.amount), held.lines) == (
        "unmatched_line",
        "unallocated",
        "319.80 EUR",
        (3,),
    )
    assert (held.title, held.party, held.work) == ("LONG WAY TO LEEDS", "PRICE EVELYN", "")
    assert totals(result) == eur_totals("2245.70", "1925.90", "1925.90", "0.00")
    statement = result.statements[0]
    assert (statement.lines, statement.matched_lines, statement.suspense_lines) == (3, 2, 1)
    assert result.counts()["unmatched_line"] == 1
    assert result.exit_code == 1


def test_a_party_not_on_the_work_is_unregistered() -> None:
    stranger = line(2, "33.10", ip_name="EVANS TOM", ip_ipi_name_number="")
    result = reconcile(registry_of(), [line(1, "100.00"), publisher_line(3, "100.00"), stranger])
    (odd,) = found(result)
    assert (odd.kind, odd.direction, str(odd.amount), odd.lines) == (
        "unregistered_party",
        "unallocated",
        "33.10 EUR",
        (2,),
    )
    assert (odd.work, odd.party) == (FERRY, "EVANS TOM")
    # matched 233.10; nothing expected for EVANS TOM: expected 200.00
    assert totals(result) == eur_totals("233.10", "233.10", "200.00", "-33.10")


def test_a_share_paid_below_the_registered_one_is_underpaid() -> None:
    # 25.00 % paid 100.00, so the work distributed 400.00: 50.00 % is 200.00, 100.00 short.
    result = reconcile(registry_of(), [line(1, "100.00", share=2500), publisher_line(2, "200.00")])
    (short,) = found(result)
    assert (short.kind, short.direction, str(short.amount), short.lines) == (
        "underpaid_share",
        "underpaid",
        "100.00 EUR",
        (1,),
    )
    assert {k: v for k, v in short.evidence if k.startswith(("share", "paid", "expected"))} == {
        "share_paid": "25.00",
        "share_registered": "50.00",
        "paid": "100.00",
        "expected": "200.00",
    }
    assert (short.work, short.party) == (FERRY, "HOLLOWAY JAMES")
    assert totals(result) == eur_totals("300.00", "300.00", "400.00", "100.00")


def test_a_share_paid_above_the_registered_one_is_overpaid() -> None:
    # 75.00 % paid 150.00: the work distributed 200.00, of which 50.00 % is 100.00.
    result = reconcile(registry_of(), [line(1, "150.00", share=7500), publisher_line(2, "100.00")])
    assert figures(result) == [("overpaid_share", "overpaid", "50.00 EUR", (1,))]
    assert totals(result) == eur_totals("250.00", "250.00", "200.00", "-50.00")


def test_a_negative_line_at_a_wrong_share_is_an_amount_never_below_zero() -> None:
    # -40.00 for 25.00 %: -80.00 expected at 50.00 %, so 40.00 more was taken back than due.
    result = reconcile(registry_of(), [line(1, "-40.00", share=2500)])
    assert figures(result) == [("underpaid_share", "overpaid", "40.00 EUR", (1,))]
    assert totals(result) == eur_totals("-40.00", "-40.00", "-80.00", "-40.00")


def test_shares_round_half_even_to_the_cent() -> None:
    registry = registry_of()
    result = reconcile(
        registry,
        [
            cinders_line(1, "0.05", share=4000),  # 5 * 100 / 40 = 12.5 cents -> 12
            cinders_line(2, "0.07", share=4000, use_type="Cinema"),  # 17.5 cents -> 18
        ],
    )
    assert figures(result) == [
        ("underpaid_share", "underpaid", "0.07 EUR", (1,)),
        ("underpaid_share", "underpaid", "0.11 EUR", (2,)),
    ]
    assert totals(result) == eur_totals("0.12", "0.12", "0.30", "0.18")


def test_a_registered_party_without_a_line_is_missing() -> None:
    result = reconcile(registry_of(), [line(1, "100.00")])
    (missing,) = found(result)
    assert (missing.kind, missing.direction, str(missing.amount), missing.lines) == (
        "missing_party",
        "underpaid",
        "100.00 EUR",
        (),
    )
    assert (missing.work, missing.title, missing.party) == (
        FERRY,
        "MIDNIGHT FERRY",
        "NORTHBANK MUSIC LTD",
    )
    evidence = dict(missing.evidence)
    assert evidence == {
        "share_registered": "50.00",
        "territory": GERMANY,
        "use_type": "PerformInPublic",
        "expected": "100.00",
    }
    assert totals(result) == eur_totals("100.00", "100.00", "200.00", "100.00")


def test_a_missing_party_is_expected_at_the_rate_the_paid_lines_show() -> None:
    # 25.00 % paid 100.00: the whole work is 400.00; the publisher's 50.00 % is 200.00.
    result = reconcile(registry_of(), [line(1, "100.00", share=2500)])
    assert figures(result) == [
        ("missing_party", "underpaid", "200.00 EUR", ()),
        ("underpaid_share", "underpaid", "100.00 EUR", (1,)),
    ]
    assert totals(result) == eur_totals("100.00", "100.00", "400.00", "300.00")


def test_a_missing_party_is_per_territory_and_use() -> None:
    paid = [
        line(1, "100.00"),
        publisher_line(2, "100.00"),
        line(3, "30.00", territory=FRANCE),  # no publisher line in France
        line(4, "12.00", use_type="Broadcast"),  # none for broadcasts either
    ]
    result = reconcile(registry_of(), paid)
    missing = found(result, "missing_party")
    assert sorted(
        (dict(d.evidence)["territory"], dict(d.evidence)["use_type"], str(d.amount))
        for d in missing
    ) == [
        (FRANCE, "PerformInPublic", "30.00 EUR"),
        (GERMANY, "Broadcast", "12.00 EUR"),
    ]
    assert len(result.discrepancies) == 2


def test_a_missing_party_names_the_period_its_lines_were_paid_for() -> None:
    """Lines with a period of their own are a group apart: each group its finding, in order.

    The two findings differ only by period and amount; they come in the same order whatever
    the order of the lines (the order of findings is total).
    """
    quarter = {"period_start": date(2025, 1, 1), "period_end": date(2025, 3, 31)}
    paid = [line(1, "30.00"), line(2, "12.00", **quarter)]
    results = [reconcile(registry_of(), paid), reconcile(registry_of(), paid[::-1])]
    first, second = ([(d.message, dict(d.evidence)) for d in r.discrepancies] for r in results)
    assert first == second
    assert [(e.get("use_period"), e["expected"]) for _, e in first] == [
        (None, "30.00"),
        ("2025-01-01/2025-03-31", "12.00"),
    ]
    assert first[1][0].endswith("no line for PerformInPublic from 2025-01-01 to 2025-03-31")


def test_a_work_paid_only_by_zero_share_lines_still_has_its_missing_parties() -> None:
    """The work was paid (100.00) in Germany; its PRS publisher has no line there.

    No line states a share, so the publisher's amount is unknown: the finding says so, at 0.00.
    """
    result = reconcile(registry_of(), [line(1, "100.00", share=0)])
    missing = found(result, "missing_party")
    assert [(d.party, str(d.amount)) for d in missing] == [("NORTHBANK MUSIC LTD", "0.00 EUR")]
    assert "the amount is unknown" in missing[0].message


def test_missing_parties_follow_the_statements_right() -> None:
    gema_mechanicals = publisher(
        name="NORTHBANK MUSIC LTD", ipi_name_number=NORTHBANK_IPI, mr_society=GEMA
    )
    registry = registry_of([ferry(publishers=(gema_mechanicals,))])
    performing = reconcile(registry, [line(1, "100.00")])
    assert [(d.kind, str(d.amount)) for d in performing.discrepancies] == [
        ("missing_party", "100.00 EUR")
    ]
    mec = header(distribution_id="GEMA-MEC-2025H1", right_type="MEC")
    mechanical = reconcile(registry, [line(1, "100.00")], statement=mec)
    assert mechanical.discrepancies == ()  # GEMA collects the publisher's mechanicals


def test_no_party_is_missing_from_a_negative_adjustment() -> None:
    result = reconcile(registry_of(), [line(1, "-93.60")])
    assert result.discrepancies == ()
    assert totals(result) == eur_totals("-93.60", "-93.60", "-93.60", "0.00")
    assert result.exit_code == 0


def test_a_party_of_another_society_is_not_missing() -> None:
    price = {"iswc": HARBOUR_ISWC, "work_title": "HARBOUR LIGHTS", "ip_name": "PRICE EVELYN"}
    result = reconcile(registry_of(), [line(1, "80.00", ip_ipi_name_number="", **price)])
    assert result.discrepancies == ()  # MEYER KLAUS is GEMA's: not paid to PRS
    assert totals(result) == eur_totals("80.00", "80.00", "80.00", "0.00")


def test_a_line_repeated_three_times_is_duplicated_twice() -> None:
    copies = [line(number, "100.00") for number in (1, 2, 3)]
    result = reconcile(registry_of(), [*copies, publisher_line(4, "100.00")])
    (duplicate,) = found(result)
    assert (duplicate.kind, duplicate.direction, str(duplicate.amount), duplicate.lines) == (
        "duplicate_line",
        "overpaid",
        "200.00 EUR",  # 2 extra copies x 100.00
        (1, 2, 3),
    )
    assert dict(duplicate.evidence)["copies"] == "3"
    assert "lines 1, 2, 3" in duplicate.message
    # the copies count as paid and matched, but nothing more is expected for them
    assert totals(result) == eur_totals("400.00", "400.00", "200.00", "-200.00")
    assert result.statements[0].matched_lines == 4


def test_a_duplicated_reversal_is_underpaid() -> None:
    result = reconcile(registry_of(), [line(7, "-50.00"), line(9, "-50.00")])
    assert figures(result) == [("duplicate_line", "underpaid", "50.00 EUR", (7, 9))]
    assert totals(result) == eur_totals("-100.00", "-100.00", "-50.00", "50.00")


def test_lines_differing_in_any_field_are_not_duplicates() -> None:
    result = reconcile(
        registry_of(),
        [line(1, "100.00"), line(2, "100.00", use_type="Radio"), publisher_line(3, "100.00")],
    )
    assert found(result, "duplicate_line") == []


def test_a_zero_share_line_takes_the_rate_of_its_group() -> None:
    # The group pays 100.00 for 50.00 %; the publisher's line states 0 % and pays 30.00,
    # where its registered 50.00 % at that rate is 100.00: 70.00 short.
    result = reconcile(registry_of(), [line(1, "100.00"), publisher_line(2, "30.00", share=0)])
    (short,) = found(result)
    assert (short.kind, short.direction, str(short.amount), short.lines) == (
        "underpaid_share",
        "underpaid",
        "70.00 EUR",
        (2,),
    )
    evidence = dict(short.evidence)
    assert (evidence["share_paid"], evidence["expected"]) == ("0.00", "100.00")
    assert totals(result) == eur_totals("130.00", "130.00", "200.00", "70.00")


def test_a_zero_share_line_for_a_party_registered_nothing_there_is_overpaid() -> None:
    """0 % paid 25.00 to a publisher excluded from Germany: the group rate times 0 % is 0.00."""
    registry = _collecting(("I", WORLD, 5000), ("E", GERMANY, 0))
    result = reconcile(registry, [line(1, "100.00"), publisher_line(2, "25.00", share=0)])
    assert figures(result) == [("overpaid_share", "overpaid", "25.00 EUR", (2,))]
    assert totals(result) == eur_totals("125.00", "125.00", "100.00", "-25.00")


def test_declared_totals_that_differ_from_the_lines_are_mismatches() -> None:
    lines = [
        line(1, "100.00", gross=Decimal("120.00"), deductions=Decimal("20.00")),
        publisher_line(2, "100.00", gross=Decimal("120.00"), deductions=Decimal("20.00")),
    ]
    declared = StatementTotals(
        line_count=3,
        gross=Decimal("240.00"),  # right
        deductions=Decimal("45.00"),
        net=Decimal("250.00"),
        deduction_items=(("Other", Decimal("45.00")),),
    )
    result = reconcile_xml(xml_statement(lines, declared=declared), registry_of())
    mismatches = {
        dict(d.evidence)["total"]: (d.direction, str(d.amount), dict(d.evidence)["declared"])
        for d in found(result, "statement_total_mismatch")
    }
    assert mismatches == {
        "net": ("underpaid", "50.00 EUR", "250.00"),  # 250.00 - 200.00
        "deductions": ("underpaid", "5.00 EUR", "45.00"),  # 45.00 - 40.00
        "line_count": ("underpaid", "0.00 EUR", "3"),
    }
    assert len(result.discrepancies) == 3  # a typed gap is said once, under "deductions"
    assert result.statements[0].declared == declared


def test_declared_totals_above_the_lines_read_are_overpaid() -> None:
    declared = StatementTotals(
        line_count=1, gross=Decimal("90.00"), deductions=Decimal("0.00"), net=Decimal("90.00")
    )
    result = reconcile_xml(
        xml_statement([cinders_line(1, "100.00")], declared=declared), registry_of()
    )
    assert sorted(
        (dict(d.evidence)["total"], d.direction, str(d.amount)) for d in result.discrepancies
    ) == [
        ("gross", "overpaid", "10.00 EUR"),
        ("net", "overpaid", "10.00 EUR"),
    ]


def test_a_statement_with_an_unreadable_line_does_not_add_up() -> None:
    lines = [line(1, "100.00"), unknown_line(2, "319.80", share=3333), publisher_line(3, "100.00")]
    data = xml_statement(lines)  # declares the sums of all three
    broken = data.replace(b"<Share>33.33</Share>", b"<Share>133.33</Share>")
    assert broken != data
    result = reconcile_xml(broken, registry_of())
    statement = result.statements[0]
    assert (statement.lines, statement.issue_count) == (2, 1)
    assert statement.issues[0].field == "Line/InterestedParty/Share"
    assert sorted(
        (dict(d.evidence)["total"], d.direction, str(d.amount)) for d in result.discrepancies
    ) == [
        ("gross", "underpaid", "319.80 EUR"),
        ("line_count", "underpaid", "0.00 EUR"),
        ("net", "underpaid", "319.80 EUR"),
    ]
    assert totals(result) == eur_totals("200.00", "200.00", "200.00", "0.00")
    assert not result.reconciled
    assert result.exit_code == 1


def test_an_unreadable_line_alone_keeps_the_run_from_being_reconciled() -> None:
    data = xml_statement(
        [cinders_line(1, "10.00")],
        declared=StatementTotals(
            line_count=1, gross=Decimal("10.00"), deductions=Decimal(0), net=Decimal("10.00")
        ),
    )
    broken = data.replace(b"<Territory>0276</Territory>", b"<Territory>9999</Territory>")
    result = reconcile_xml(broken, registry_of())
    assert result.statements[0].issue_count == 1
    assert result.to_dict()["reconciled"] is False
    assert result.exit_code == 1


# -- the remittance and currencies ------------------------------------------------------------


def _paid_300() -> list[StatementLine]:
    return [line(1, "150.00"), publisher_line(2, "150.00")]


def test_the_remittance_in_the_statement_currency_counts_bank_charges() -> None:
    exact = Remittance(
        money("297.50", "EUR"), on=date(2025, 7, 15), bank_charges=money("2.50", "EUR")
    )
    fine = reconcile(registry_of(), _paid_300(), remittance=exact)
    assert fine.discrepancies == ()
    assert fine.remittance is not None
    assert fine.remittance.to_dict()["difference"] == {"amount": "0.00", "currency": "EUR"}
    assert fine.exit_code == 0
    short = replace(exact, amount=money("295.00", "EUR"), reference="PAY-2025-07")
    result = reconcile(registry_of(), _paid_300(), remittance=short)
    (gap,) = found(result)
    assert (gap.kind, gap.direction, str(gap.amount)) == (
        "remittance_mismatch",
        "underpaid",
        "2.50 EUR",  # 300.00 - (295.00 + 2.50)
    )
    assert dict(gap.evidence) == {
        "received": "295.00",
        "bank_charges": "2.50",
        "expected": "300.00",
        "date": "2025-07-15",
        "reference": "PAY-2025-07",
    }
    assert gap.distribution_id == "GEMA-PER-2025H1"


def test_bank_charges_must_be_in_the_remittance_currency() -> None:
    with pytest.raises(MoneyError, match="not in the remittance's EUR"):
        Remittance(money("297.50", "EUR"), bank_charges=money("2.50", "GBP"))


def test_a_remittance_above_the_statements_is_overpaid() -> None:
    result = reconcile(registry_of(), _paid_300(), remittance=Remittance(money("310.00", "EUR")))
    assert figures(result) == [("remittance_mismatch", "overpaid", "10.00 EUR", ())]
    assert result.remittance is not None
    assert result.remittance.on == END.isoformat()  # no date: the statements' period end


def _gbp_statement(received: str) -> Reconciliation:
    """1000.00 GBP paid, received in EUR on 1 July; GBP/EUR 1.1700 makes 1170.00 EUR due."""
    return reconcile(
        registry_of(),
        [line(1, "500.00", currency="GBP"), publisher_line(2, "500.00", currency="GBP")],
        statement=header(currency="GBP"),
        rates=RateTable([GBP_EUR]),
        remittance=Remittance(money(received, "EUR"), on=date(2025, 7, 1)),
    )


def test_a_rate_two_percent_off_the_published_one_is_fx_inconsistent() -> None:
    result = _gbp_statement("1146.60")  # 1170.00 x 0.98
    (fx,) = found(result)
    assert (fx.kind, fx.direction, str(fx.amount)) == ("fx_inconsistent", "underpaid", "23.40 EUR")
    evidence = dict(fx.evidence)
    assert (evidence["implied_rate"], evidence["published_rate"]) == ("1.1466", "1.1700")
    assert evidence["expected"] == "1170.00"
    # home is GBP (the statement's): 23.40 EUR at 1 / 1.17 = 0.854700854700854701 is 20.00 GBP
    assert result.home == "GBP"
    assert str(fx.amount_home) == "20.00 GBP"
    assert fx.rate is not None
    assert (fx.rate.from_currency, fx.rate.to_currency) == ("EUR", "GBP")
    assert fx.rate.rate == Decimal("0.854700854700854701")
    assert fx.rate.inverse_of == GBP_EUR


def test_a_rate_within_the_tolerance_is_accepted_and_shown() -> None:
    result = _gbp_statement("1167.00")  # 3.00 off 1170.00: 0.26 %
    assert result.discrepancies == ()
    assert result.remittance is not None
    assert result.remittance.implied_rate == "1.167"
    assert result.remittance.to_dict()["rates"][0]["rate"] == "1.1700"
    assert result.exit_code == 0


def test_the_tolerance_is_inclusive_to_the_cent() -> None:
    assert _gbp_statement("1164.15").discrepancies == ()  # 5.85 = 0.5 % of 1170.00
    assert figures(_gbp_statement("1164.14")) == [("fx_inconsistent", "underpaid", "5.86 EUR", ())]


def test_a_remittance_way_off_is_a_mismatch_not_a_rate() -> None:
    result = _gbp_statement("1000.00")  # 170.00 off 1170.00: 14.5 %
    assert figures(result) == [("remittance_mismatch", "underpaid", "170.00 EUR", ())]


def _underpaid_gbp(rates: RateTable, remittance: Remittance | None = None) -> Reconciliation:
    """100.00 GBP underpaid (25.00 % paid 100.00 beside the publisher's 200.00), home EUR."""
    return reconcile(
        registry_of(),
        [line(1, "100.00", share=2500), publisher_line(2, "200.00")],
        statement=header(currency="GBP"),
        rates=rates,
        options=ReconcileOptions(home="EUR"),
        remittance=remittance,
    )


def test_home_amounts_are_converted_at_the_rate_of_the_day_with_its_source() -> None:
    later = Rate(date(2025, 7, 15), "GBP", "EUR", Decimal("1.2000"), "ECB")
    result = _underpaid_gbp(RateTable([GBP_EUR, later]))
    (short,) = found(result)
    assert (str(short.amount), str(short.amount_home)) == ("100.00 GBP", "117.00 EUR")
    assert short.rate == GBP_EUR  # the period end's rate: no remittance, no creation date
    assert short.to_dict()["rate"] == {
        "from": "GBP",
        "to": "EUR",
        "rate": "1.1700",
        "date": "2025-06-30",
        "source": "ECB",
        "inverse_of": None,
    }
    statement = result.statements[0]
    assert statement.rate == GBP_EUR
    # paid 300.00 x 1.17 = 351.00; expected 400.00 x 1.17 = 468.00
    assert statement.totals_home.to_dict() == eur_totals("351.00", "351.00", "468.00", "117.00")
    assert result.totals_home == statement.totals_home
    on_remittance = _underpaid_gbp(
        RateTable([GBP_EUR, later]),
        Remittance(money("360.00", "EUR"), on=date(2025, 7, 20)),  # 300.00 x 1.20
    )
    assert str(found(on_remittance)[0].amount_home) == "120.00 EUR"
    assert on_remittance.statements[0].rate == later
    assert on_remittance.remittance is not None
    assert on_remittance.remittance.rates == (later,)


def test_home_amounts_converted_at_an_inverse_rate_name_the_published_quote() -> None:
    published = Rate(END, "EUR", "GBP", Decimal("0.8500"), "ECB")
    result = _underpaid_gbp(RateTable([published]))
    (short,) = found(result)
    # 1 / 0.85 = 1.17647058823529412 (18 digits); 100.00 GBP -> 117.647.. -> 117.65 EUR
    assert str(short.amount_home) == "117.65 EUR"
    assert short.rate is not None
    assert short.rate.rate == Decimal("1.17647058823529412")
    assert short.rate.inverse_of == published
    assert short.to_dict()["rate"]["inverse_of"]["rate"] == "0.8500"


def test_a_statement_created_date_sets_the_conversion_day() -> None:
    later = Rate(date(2025, 7, 15), "GBP", "EUR", Decimal("1.2000"), "ECB")
    created = header(currency="GBP", created=datetime(2025, 7, 16, 9, 0, tzinfo=UTC))
    result = reconcile(
        registry_of(),
        [line(1, "100.00", share=2500), publisher_line(2, "200.00")],
        statement=created,
        rates=RateTable([GBP_EUR, later]),
        options=ReconcileOptions(home="EUR"),
    )
    assert str(found(result)[0].amount_home) == "120.00 EUR"


def test_a_missing_rate_cannot_be_reconciled() -> None:
    with pytest.raises(ReconcileError, match="cannot convert GBP to EUR"):
        _underpaid_gbp(RateTable())
    with pytest.raises(ReconcileError, match="cannot check the remittance"):
        reconcile(registry_of(), _paid_300(), remittance=Remittance(money("350.00", "USD")))


def test_statements_in_several_currencies_need_a_home_currency() -> None:
    gbp = header(distribution_id="PRS-GBP", currency="GBP")
    reconciler = Reconciler(registry_of(), rates=RateTable([GBP_EUR]))
    reconciler.add_statement([header(), *_paid_300()])
    reconciler.add_statement([gbp, cinders_line(1, "100.00", currency="GBP")])
    with pytest.raises(ReconcileError, match="EUR, GBP: give the home currency"):
        reconciler.result()
    reconciler.options = ReconcileOptions(home="EUR")
    both = reconciler.result()
    # 300.00 EUR + 100.00 GBP x 1.17 = 417.00 EUR
    assert both.totals_home.to_dict() == eur_totals("417.00", "417.00", "417.00", "0.00")


def test_japanese_yen_have_no_minor_units() -> None:
    result = reconcile(
        registry_of(),
        [cinders_line(1, "101", share=3000, currency="JPY")],
        statement=header(currency="JPY"),
    )
    # 101 for 30.00 %: 101 x 100 / 30 = 336.67 -> 337 expected, 236 short
    assert figures(result) == [("underpaid_share", "underpaid", "236 JPY", (1,))]
    assert totals(result)["expected"] == "337"


def test_bahraini_dinars_have_three_minor_units() -> None:
    result = reconcile(
        registry_of(),
        [cinders_line(1, "1.001", share=3000, currency="BHD")],
        statement=header(currency="BHD"),
    )
    # 1.001 for 30.00 %: 1001 x 100 / 30 = 3336.67 fils -> 3.337 expected, 2.336 short
    assert figures(result) == [("underpaid_share", "underpaid", "2.336 BHD", (1,))]
    assert totals(result)["expected"] == "3.337"


def test_the_first_of_duplicate_lines_is_the_lowest_numbered_whatever_the_order() -> None:
    """Lines 1 and 2 are the same underpaid line: line 1 is the original, line 2 the copy."""
    lines = [
        line(1, "100.00", share=2500),
        line(2, "100.00", share=2500),
        publisher_line(3, "400.00"),
    ]
    in_order = reconcile(registry_of(), lines)
    # 25.00 % paid 100.00: 50.00 % is 200.00, 100.00 short; the copy is 100.00 extra
    assert figures(in_order) == [
        ("duplicate_line", "overpaid", "100.00 EUR", (1, 2)),
        ("underpaid_share", "underpaid", "100.00 EUR", (1,)),
    ]
    reversed_order = reconcile(registry_of(), lines[::-1])
    assert figures(reversed_order) == figures(in_order)
    assert reversed_order.to_dict() == in_order.to_dict()


def test_asking_for_the_result_twice_gives_the_same_result() -> None:
    declared = StatementTotals(
        line_count=2, gross=Decimal("200.00"), deductions=Decimal(0), net=Decimal("210.00")
    )
    reconciler = Reconciler(registry_of())
    reconciler.add_statement([header(), line(1, "100.00"), publisher_line(2, "100.00"), declared])
    first = reconciler.result()
    assert figures(first) == [("statement_total_mismatch", "underpaid", "10.00 EUR", ())]
    assert reconciler.result().to_dict() == first.to_dict()


def test_a_statement_without_a_header_is_refused() -> None:
    with pytest.raises(ReconcileError, match="no readable header"):
        Reconciler(registry_of()).add_statement([line(1, "1.00")])
    with pytest.raises(ReconcileError, match="no statement was given"):
        Reconciler(registry_of()).result()


# -- from files --------------------------------------------------------------------------------


def _csv_file(path: Path, statement: StatementHeader, lines: list[StatementLine]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        write_statement_csv(statement, lines, out)
    return path


def _files(tmp_path: Path) -> tuple[list[Path], Path]:
    """Works, a GEMA ACK file, and a rates file."""
    works = tmp_path / "CW250001NBM_052.V21"
    works.write_bytes(works_file(catalogue()))
    acks = tmp_path / "CW250001035_NBM.V21"
    acks.write_bytes(ack_file(GEMA, [ack(FERRY, "12873465001")]))
    rates = tmp_path / "rates.csv"
    rates.write_text("date,from,to,rate,source\n2025-06-30,GBP,EUR,1.1700,ECB\n")
    return [acks, works], rates  # the ACK first: it applies all the same


def test_reconcile_files_reads_csv_and_xml_statements_works_acks_and_rates(
    tmp_path: Path,
) -> None:
    registrations, rates = _files(tmp_path)
    csv_statement = _csv_file(
        tmp_path / "gema.csv",
        header(),
        [
            line(1, "962.95", iswc="", sender_work_id="12873465001"),  # by GEMA's number
            publisher_line(2, "962.95"),
            unknown_line(3, "319.80", share=3333),
        ],
    )
    gbp = header(distribution_id="GEMA-PER-2025H1-GBP", currency="GBP", created=NOW)
    xml_file = tmp_path / "gema-gbp.xml"
    xml_file.write_bytes(xml_statement([cinders_line(1, "100.00", share=5000)], statement=gbp))
    result = reconcile_files(
        [str(path) for path in registrations],
        [csv_statement, xml_file],
        rates=rates,
        options=ReconcileOptions(home="EUR"),
    )
    assert result.registry == {
        "works": 3,
        "society_work_numbers": 1,
        "sources": ["CW250001035_NBM.V21", "CW250001NBM_052.V21"],
    }
    first, second = result.statements
    assert (first.header.source_file, second.header.source_file) == ("gema.csv", "gema-gbp.xml")
    assert first.methods == (("iswc", 1), ("none", 1), ("sender_work_id", 1))
    assert totals(result, 0) == eur_totals("2245.70", "1925.90", "1925.90", "0.00")
    # 100.00 GBP for 50.00 % of a work OKAFOR owns wholly: 200.00 GBP expected, 100.00 short
    assert second.totals.to_dict() == {
        "currency": "GBP",
        "paid": "100.00",
        "matched": "100.00",
        "suspense": "0.00",
        "expected": "200.00",
        "difference": "100.00",
    }
    assert second.totals_home.to_dict() == eur_totals("117.00", "117.00", "234.00", "117.00")
    # 2245.70 + 117.00 paid; 1925.90 + 117.00 matched; 1925.90 + 234.00 expected
    assert result.totals_home.to_dict() == eur_totals("2362.70", "2042.90", "2159.90", "117.00")
    assert [(d.kind, str(d.amount), str(d.amount_home)) for d in result.discrepancies] == [
        ("unmatched_line", "319.80 EUR", "319.80 EUR"),
        ("underpaid_share", "100.00 GBP", "117.00 EUR"),
    ]
    assert result.exit_code == 1


def test_a_clean_statement_is_reconciled_with_exit_code_zero(tmp_path: Path) -> None:
    registrations, _ = _files(tmp_path)
    statement = _csv_file(tmp_path / "clean.csv", header(), _paid_300())
    result = reconcile_files(registrations, [statement])
    assert result.discrepancies == ()
    assert result.reconciled
    assert result.exit_code == 0
    report = result.to_dict()
    assert report["reconciled"] is True
    assert report["discrepancy_counts"] == dict.fromkeys(report["discrepancy_counts"], 0)
    assert report["totals_home"]["paid"] == "300.00"


@pytest.mark.parametrize(
    ("registration", "statement", "named"),
    [
        (None, b"this is not a statement\n", "notes.csv"),
        (None, b"", "notes.csv"),
        (None, "works-xml", "notes.csv"),
        (None, "header-only", "notes.csv"),
        (b"<Something/>", None, "garbage.V21"),
        (b"this is not a registrations file\n", None, "garbage.V21"),
    ],
    ids=[
        "text-as-statement",
        "empty-statement",
        "works-xml-as-statement",
        "csv-header-only",
        "xml-garbage-registrations",
        "text-garbage-registrations",
    ],
)
def test_unusable_inputs_are_refused_naming_the_file(
    tmp_path: Path, registration: bytes | None, statement: bytes | str | None, named: str
) -> None:
    registrations, _ = _files(tmp_path)
    good = _csv_file(tmp_path / "good.csv", header(), _paid_300())
    statements = [good]
    if registration is not None:
        garbage = tmp_path / "garbage.V21"
        garbage.write_bytes(registration)
        registrations.append(garbage)
    if statement is not None:
        bad = tmp_path / "notes.csv"
        if statement == "works-xml":
            translated = io.BytesIO()
            translate(io.BytesIO(works_file(catalogue())), translated, "xml")
            bad.write_bytes(translated.getvalue())
        elif statement == "header-only":
            _csv_file(bad, header(), [])
        else:
            assert isinstance(statement, bytes)
            bad.write_bytes(statement)
        statements.append(bad)
    with pytest.raises(ReconcileError, match=re.escape(named)):
        reconcile_files(registrations, statements)


def test_missing_files_are_refused_naming_the_file(tmp_path: Path) -> None:
    registrations, rates = _files(tmp_path)
    good = _csv_file(tmp_path / "good.csv", header(), _paid_300())
    with pytest.raises(ReconcileError, match=r"absent\.csv: cannot be read"):
        reconcile_files(registrations, [good, tmp_path / "absent.csv"])
    with pytest.raises(ReconcileError, match=r"absent\.V21: cannot be read"):
        reconcile_files([*registrations, tmp_path / "absent.V21"], [good])
    with pytest.raises(ReconcileError, match=r"absent-rates\.csv"):
        reconcile_files(registrations, [good], rates=tmp_path / "absent-rates.csv")
    rates.write_text("date,from,to,rate,source\n2025-06-30,GBP,EUR,abc,ECB\n")
    with pytest.raises(ReconcileError, match=r"rates\.csv, line 2, column 'rate'"):
        reconcile_files(registrations, [good], rates=rates)


def test_a_works_file_with_a_territory_per_writer_round_trips_through_files(
    tmp_path: Path,
) -> None:
    """Writer territory records survive the CWR file: a writer excluded in France is due 0."""
    excluded = (
        territory(WriterTerritory, "SWT", "W000001", (10000, 10000, 10000)),
        territory(
            WriterTerritory,
            "SWT",
            "W000001",
            (0, 0, 0),
            inclusion_exclusion="E",
            tis_code=FRANCE,
            sequence=2,
        ),
    )
    works = tmp_path / "works.V21"
    okafor = cinders().writers[0]
    works.write_bytes(works_file([cinders(writers=(replace(okafor, territories=excluded),))]))
    statement = _csv_file(
        tmp_path / "s.csv",
        header(),
        [cinders_line(1, "40.00"), cinders_line(2, "15.00", territory=FRANCE)],
    )
    result = reconcile_files([works], [statement])
    assert figures(result) == [("overpaid_share", "overpaid", "15.00 EUR", (2,))]
    assert totals(result) == eur_totals("55.00", "55.00", "40.00", "-15.00")
