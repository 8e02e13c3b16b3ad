"""The statement GEMA sends MCSC at the end of the demo, and the remittance that pays it.

GEMA 035 pays MCSC 119 the performing-right royalties two of the demo works earned in Germany
in the second quarter of 2026, in euros; MCSC's home currency is the Czech koruna. The lines
are built from what GEMA answered MCSC (its work numbers, from MCSC's registration state) and
carry one finding of each everyday kind, so the reconciliation has something to say:

* ELBE CROSSING, found by GEMA's own work number: the publisher's 50 % is paid right, the
  writer is paid 25 % where 50 % is registered (``underpaid_share``, 150.00 EUR to claim);
* RIVER OF STARS, found by MCSC's submitter work number: the writer's 50 % is paid right;
* "RIVER OF STAR", found by title and name alone (fuzzy): the publisher, who collects nothing
  in Germany for that work, is paid 80.00 EUR (``overpaid_share``);
* MOLDAU NIGHTS, registered nowhere: 55.55 EUR in suspense (``unmatched_line``).

The remittance is exactly the statement's net at the 15 October 2026 rate, less bank charges,
so it reconciles: the findings are about the lines, not the money transfer.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

from gateway.formats.xml.distribution import write_statement_xml
from gateway.model import StatementHeader, StatementLine
from gateway.store.rows import Registration

SENDER, RECIPIENT = "035", "119"
REMITTANCE = {
    "remittance_amount": "21598.43",  # 895.55 EUR x 24.285 = 21748.43 CZK, less the charges
    "remittance_currency": "CZK",
    "remittance_date": "2026-10-15",
    "bank_charges": "150.00",
}
HEADER = StatementHeader(
    distribution_id="GEMA-PER-2026Q2-119",
    sender_society=SENDER,
    recipient_society=RECIPIENT,
    period_start=date(2026, 4, 1),
    period_end=date(2026, 6, 30),
    right_type="PER",
    currency="EUR",
    message_id="035-DIST-2026Q2-119-0001",
    created=datetime(2026, 10, 1, 9, 0, tzinfo=UTC),
)
_PUBLISHER = ("PUBLISHER ONE", "E")
_WRITER = ("DOE JOHN", "CA")
_IPI = "00014107338"


def statement_xml(registrations: Iterable[Registration]) -> bytes:
    """The distribution XML GEMA sends, its work numbers taken from MCSC's registrations."""
    at_gema = {r.submitter_work_number: r for r in registrations if r.society == SENDER}
    elbe = at_gema.get("MCSC000102")
    elbe_number = (elbe.society_work_number or "") if elbe else ""
    lines = [
        _line(1, "ELBE CROSSING", _PUBLISHER, 5000, "PerformInPublic", "480.00", "80.00",
              sender_work_id=elbe_number, submitter_work_id="" if elbe_number else "MCSC000102"),
        _line(2, "ELBE CROSSING", _WRITER, 2500, "PerformInPublic", "180.00", "30.00",
              sender_work_id=elbe_number, submitter_work_id="" if elbe_number else "MCSC000102"),
        _line(3, "RIVER OF STARS", _WRITER, 5000, "Broadcast", "252.00", "42.00",
              submitter_work_id="MCSC000103"),
        _line(4, "RIVER OF STAR", _PUBLISHER, 5000, "Broadcast", "96.00", "16.00"),
        _line(5, "MOLDAU NIGHTS", ("NOVAK PETR", "CA"), 10000, "Broadcast", "66.00", "10.45",
              ipi=""),
    ]  # fmt: skip
    out = io.BytesIO()
    write_statement_xml(HEADER, lines, None, out)
    return out.getvalue()


def _line(  # noqa: PLR0917 - a table row of the demo statement, read as one
    number: int,
    title: str,
    who: tuple[str, str],
    share: int,
    use_type: str,
    gross: str,
    deductions: str,
    *,
    sender_work_id: str = "",
    submitter_work_id: str = "",
    ipi: str = _IPI,
) -> StatementLine:
    name, role = who
    return StatementLine(
        line_number=number,
        work_title=title,
        sender_work_id=sender_work_id,
        submitter_work_id=submitter_work_id,
        ip_name=name,
        ip_ipi_name_number=ipi,
        ip_role=role,
        share=share,
        territory="0276",
        use_type=use_type,
        gross=Decimal(gross),
        deductions=Decimal(deductions),
        net=Decimal(gross) - Decimal(deductions),
        currency=HEADER.currency,
    )
