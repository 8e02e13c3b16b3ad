"""Builders for the reconciliation tests: registered works, statements, ACK and rates files.

Three works are registered by default (the catalogue a PRS publisher sent out):

* ``MIDNIGHT FERRY`` (NBM000214): publisher NORTHBANK MUSIC LTD and writer HOLLOWAY JAMES, both
  PRS (052), 50.00 % of every right each, worldwide;
* ``SALT AND CINDERS`` (NBM000300): writer OKAFOR ADAEZE, PRS, 100.00 % with no territory
  records (ownership applies everywhere);
* ``HARBOUR LIGHTS`` (NBM000400): writers PRICE EVELYN (PRS) and MEYER KLAUS (GEMA 035),
  50.00 % each.

Statements default to GEMA (035) paying PRS (052) for performing rights in the first half of
2025, in EUR. Amounts are given as strings in the currency's scale (``"100.00"``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, time
from decimal import Decimal

from builders import cwr_bytes, publisher, territory, work, writer

from gateway.formats.cwr.writer import CwrWriter
from gateway.model import (
    Acknowledgement,
    FileHeader,
    PublisherTerritory,
    StatementHeader,
    StatementLine,
    StatementTotals,
    TransactionRecord,
    Work,
    WriterTerritory,
)
from gateway.reconcile.engine import ReconcileOptions, Reconciler
from gateway.reconcile.fx import RateTable
from gateway.reconcile.registry import WorkRegistry, read_registrations
from gateway.reconcile.remittance import Remittance
from gateway.reconcile.result import Reconciliation

# Valid IPI name numbers (check digits computed) and ISWCs of the parties and works below.
NORTHBANK_IPI = "00519382636"
HOLLOWAY_IPI = "00284756131"
OKAFOR_IPI = "00167209465"
PRICE_IPI = "25041883708"
MEYER_IPI = "00345678136"
FERRY_ISWC = "T0713498248"
CINDERS_ISWC = "T2805174697"
HARBOUR_ISWC = "T3456789014"
SPARE_ISWC = "T4567890129"

FERRY, CINDERS, HARBOUR = "NBM000214", "NBM000300", "NBM000400"
PRS, GEMA, SACEM, MCSC = "052", "035", "058", "119"
START, END = date(2025, 1, 1), date(2025, 6, 30)
GERMANY, FRANCE, WORLD, GSA = "0276", "0250", "2136", "2124"


def ferry(**changes: object) -> Work:
    """MIDNIGHT FERRY: a PRS publisher and a PRS writer, 50.00 % each, worldwide."""
    base = work(
        "MIDNIGHT FERRY",
        FERRY,
        iswc=FERRY_ISWC,
        publishers=(publisher(name="NORTHBANK MUSIC LTD", ipi_name_number=NORTHBANK_IPI),),
        writers=(writer(last_name="HOLLOWAY", first_name="JAMES", ipi_name_number=HOLLOWAY_IPI),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def cinders(**changes: object) -> Work:
    """SALT AND CINDERS: one PRS writer owning everything, with no territory records."""
    base = work(
        "SALT AND CINDERS",
        CINDERS,
        iswc=CINDERS_ISWC,
        publishers=(),
        writers=(
            writer(
                10000,
                10000,
                10000,
                last_name="OKAFOR",
                first_name="ADAEZE",
                ipi_name_number=OKAFOR_IPI,
                territories=(),
                publishers=(),
            ),
        ),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def harbour(**changes: object) -> Work:
    """HARBOUR LIGHTS: a PRS writer and a GEMA writer, 50.00 % each."""
    gema = writer(
        interested_party_number="W000002",
        last_name="MEYER",
        first_name="KLAUS",
        ipi_name_number=MEYER_IPI,
        pr_society=GEMA,
        mr_society=GEMA,
        sr_society=GEMA,
        territories=(territory(WriterTerritory, "SWT", "W000002", (5000, 5000, 5000)),),
        publishers=(),
    )
    ours = writer(last_name="PRICE", first_name="EVELYN", ipi_name_number=PRICE_IPI, publishers=())
    base = work("HARBOUR LIGHTS", HARBOUR, iswc=HARBOUR_ISWC, publishers=(), writers=(ours, gema))
    return replace(base, **changes)  # type: ignore[arg-type]


def catalogue() -> list[Work]:
    """The three works registered by default."""
    return [ferry(), cinders(), harbour()]


def works_file(works: Sequence[Work]) -> bytes:
    """The works as a CWR 2.1 file, as the strict writer writes it."""
    records: list[TransactionRecord] = list(works)
    return cwr_bytes(records)


def registry_of(works: Sequence[Work] | None = None) -> WorkRegistry:
    """A registry filled the real way: the works written as a CWR file and read back."""
    registry = WorkRegistry()
    data = works_file(catalogue() if works is None else works)
    read_registrations(io.BytesIO(data), registry, source="works.V21")
    return registry


def publisher_territories(*records: tuple[str, str, int]) -> tuple[PublisherTerritory, ...]:
    """SPT records from (I or E, TIS code, share for every right), in order."""
    return tuple(
        territory(
            PublisherTerritory,
            "SPT",
            "P000001",
            (share, share, share),
            inclusion_exclusion=kind,
            tis_code=code,
            sequence=number,
        )
        for number, (kind, code, share) in enumerate(records, start=1)
    )


def header(**changes: object) -> StatementHeader:
    """GEMA paying PRS for performing rights, first half of 2025, in EUR."""
    base = StatementHeader(
        distribution_id="GEMA-PER-2025H1",
        sender_society=GEMA,
        recipient_society=PRS,
        period_start=START,
        period_end=END,
        right_type="PER",
        currency="EUR",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def line(number: int, net: str, **changes: object) -> StatementLine:
    """Line ``number`` paying HOLLOWAY JAMES 50.00 % of MIDNIGHT FERRY (by ISWC) in Germany.

    The gross is the net and nothing is deducted unless ``changes`` say otherwise.
    """
    amount = Decimal(net)
    base = StatementLine(
        line_number=number,
        work_title="MIDNIGHT FERRY",
        iswc=FERRY_ISWC,
        ip_name="HOLLOWAY JAMES",
        ip_ipi_name_number=HOLLOWAY_IPI,
        ip_role="CA",
        share=5000,
        territory=GERMANY,
        use_type="PerformInPublic",
        gross=amount,
        deductions=Decimal(0).quantize(amount),  # zero at the amount's scale
        net=amount,
        currency="EUR",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def publisher_line(number: int, net: str, **changes: object) -> StatementLine:
    """Line ``number`` paying NORTHBANK MUSIC LTD 50.00 % of MIDNIGHT FERRY in Germany."""
    paid = {"ip_name": "NORTHBANK MUSIC LTD", "ip_ipi_name_number": NORTHBANK_IPI, "ip_role": "E"}
    return line(number, net, **(paid | changes))


def cinders_line(number: int, net: str, **changes: object) -> StatementLine:
    """Line ``number`` paying OKAFOR ADAEZE 100.00 % of SALT AND CINDERS in Germany."""
    about = {
        "work_title": "SALT AND CINDERS",
        "iswc": CINDERS_ISWC,
        "ip_name": "OKAFOR ADAEZE",
        "ip_ipi_name_number": OKAFOR_IPI,
        "share": 10000,
        "use_type": "Broadcast",
    }
    return line(number, net, **(about | changes))


def unknown_line(number: int, net: str, **changes: object) -> StatementLine:
    """Line ``number`` for a work nobody registered: no identifiers, a title unlike any."""
    about = {
        "work_title": "LONG WAY TO LEEDS",
        "iswc": "",
        "ip_name": "PRICE EVELYN",
        "ip_ipi_name_number": "",
        "ip_role": "C",
    }
    return line(number, net, **(about | changes))


def reconcile(
    registry: WorkRegistry,
    lines: Iterable[StatementLine],
    *,
    statement: StatementHeader | None = None,
    totals: StatementTotals | None = None,
    rates: RateTable | None = None,
    options: ReconcileOptions | None = None,
    remittance: Remittance | None = None,
) -> Reconciliation:
    """Reconcile one statement (its header, lines and declared totals) against ``registry``."""
    reconciler = Reconciler(registry, rates=rates, options=options)
    items: list[object] = [statement or header(), *lines]
    if totals is not None:
        items.append(totals)
    reconciler.add_statement(items)
    return reconciler.result(remittance)


def society_header(society: str, version: str = "2.1") -> FileHeader:
    """The HDR of a file a society sends (its code as the sender)."""
    two = version.startswith("2")
    return FileHeader(
        record_type="HDR",
        sender_type="SO",
        sender_id=society.zfill(9) if two else "",
        sender_code="" if two else society,
        sender_name=f"SOCIETY {society}",
        edi_version="01.10" if two else "",
        creation_date=date(2025, 2, 1),
        creation_time=time(9, 30),
        transmission_date=date(2025, 2, 1),
    )


def ack(number: str, society_number: str, status: str = "RA", sequence: int = 0) -> Acknowledgement:
    """A society's ACK of our work ``number``, numbering it ``society_number``."""
    return Acknowledgement(
        record_type="ACK",
        creation_date=date(2025, 1, 15),
        creation_time=time(12, 0),
        original_group_id=1,
        original_transaction_sequence=sequence,
        original_transaction_type="NWR",
        creation_title="TITLE",
        submitter_creation_number=number,
        recipient_creation_number=society_number if status != "RJ" else "",
        processing_date=date(2025, 2, 1),
        transaction_status=status,
    )


def ack_file(society: str, acks: Iterable[Acknowledgement], version: str = "2.1") -> bytes:
    """A CWR ACK file from ``society`` holding ``acks``, as the strict writer writes it."""
    out = io.BytesIO()
    writer_ = CwrWriter(out, version)
    writer_.header(society_header(society, version))
    for record in acks:
        writer_.transaction(record)
    writer_.close()
    return out.getvalue()
