"""Write fixtures/reconcile/ from canonical works (run by hand, output committed).

PRS 052 registers three works of its members with GEMA 035 (the works the example statements in
fixtures/statements/ and fixtures/xml/ pay), and GEMA acknowledges them with its own work
numbers. `gateway reconcile` reads both files as the registrations.

.venv/bin/python tools/make_reconcile_fixtures.py
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from builders import HEADER, publisher, territory, work, writer  # noqa: E402

from gateway.formats.cwr.writer import CwrWriter  # noqa: E402
from gateway.model import (  # noqa: E402
    Acknowledgement,
    PublisherForWriter,
    PublisherTerritory,
    Work,
    Writer,
    WriterTerritory,
)

OUT = ROOT / "fixtures" / "reconcile"
SENT = (date(2025, 1, 20), time(10, 0, 0))
WORKS_FILE = "CW250007052_035.V21"
ACK_FILE = "CW250003035_052.V21"


def _publisher(share: int) -> object:
    return publisher(
        pr=share,
        mr=share,
        sr=share,
        interested_party_number="NBM",
        name="NORTHBANK MUSIC LTD",
        ipi_name_number="00519382636",
        territories=(territory(PublisherTerritory, "SPT", "NBM", (share, share, share)),),
    )


def _writer(number: str, last: str, first: str, ipi: str, share: int, **changes: object) -> Writer:
    return writer(
        pr=share,
        mr=share,
        sr=share,
        interested_party_number=number,
        last_name=last,
        first_name=first,
        ipi_name_number=ipi,
        territories=(territory(WriterTerritory, "SWT", number, (share, share, share)),),
        publishers=(
            PublisherForWriter(
                record_type="PWR",
                publisher_ip_number="NBM",
                publisher_name="NORTHBANK MUSIC LTD",
                writer_ip_number=number,
                publisher_sequence=1,
            ),
        ),
        **changes,
    )


WORKS: list[Work] = [
    work(
        "MIDNIGHT FERRY",
        "NBM000214",
        iswc="T0713498248",
        publishers=(_publisher(5000),),
        writers=(_writer("W0001", "HOLLOWAY", "JAMES", "00284756131", 5000),),
    ),
    work(
        "SALT AND CINDERS",
        "NBM000300",
        iswc="T2805174697",
        publishers=(),
        writers=(
            replace(_writer("W0002", "OKAFOR", "ADAEZE", "00167209465", 10000), publishers=()),
        ),
    ),
    work(
        "LONG WAY TO LEEDS",
        "NBM000093",
        iswc="",
        publishers=(_publisher(3334),),
        writers=(
            _writer("W0003", "PRICE", "EVELYN", "25041883708", 3333, designation="C"),
            replace(
                _writer("W0004", "MARSH", "TOBY", "00039821567", 3333, designation="A"),
                record_type="OWR",
                pr_society="010",
                mr_society="010",
                sr_society="010",
                territories=(),
                publishers=(),
            ),
        ),
    ),
]
GEMA_NUMBERS = {"NBM000214": "12873465001", "NBM000300": "13390218004", "NBM000093": "10954471002"}


def main() -> None:
    """Write the works file PRS sent and the ACK GEMA answered with."""
    OUT.mkdir(parents=True, exist_ok=True)
    header = replace(
        HEADER,
        sender_type="SO",
        sender_id="000000052",
        sender_name="PRS FOR MUSIC",
        creation_date=SENT[0],
        creation_time=SENT[1],
        transmission_date=SENT[0],
    )
    with (OUT / WORKS_FILE).open("wb") as out:
        cwr = CwrWriter(out, "2.1")
        cwr.header(header)
        for registered in WORKS:
            cwr.transaction(registered)
        cwr.close()
    ack_header = replace(
        header,
        sender_id="000000035",
        sender_name="GEMA",
        creation_date=date(2025, 2, 3),
        creation_time=time(8, 15, 0),
        transmission_date=date(2025, 2, 3),
    )
    with (OUT / ACK_FILE).open("wb") as out:
        cwr = CwrWriter(out, "2.1")
        cwr.header(ack_header)
        for sequence, registered in enumerate(WORKS):
            cwr.transaction(
                Acknowledgement(
                    record_type="ACK",
                    creation_date=SENT[0],
                    creation_time=SENT[1],
                    original_group_id=1,
                    original_transaction_sequence=sequence,
                    original_transaction_type="NWR",
                    creation_title=registered.title,
                    submitter_creation_number=registered.submitter_work_number,
                    recipient_creation_number=GEMA_NUMBERS[registered.submitter_work_number],
                    processing_date=date(2025, 2, 3),
                    transaction_status="AS",
                    original_file_name=WORKS_FILE,
                )
            )
        cwr.close()


if __name__ == "__main__":
    main()
