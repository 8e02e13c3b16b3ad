"""Write the demo fixtures in fixtures/cwr/ from canonical works (run by hand, output committed).

.venv/bin/python tools/make_fixtures.py
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
    AlternateTitle,
    Performer,
    PublisherTerritory,
    Recording,
    Work,
    WriterTerritory,
)

# MCSC 119 registering four works with PRS 052: three clean, one whose shares do not add up.
HDR = replace(
    HEADER,
    sender_type="SO",
    sender_id="000000119",
    sender_name="MCSC",
    creation_date=date(2026, 11, 2),
    creation_time=time(9, 30, 0),
    transmission_date=date(2026, 11, 2),
)
WORKS = [
    work(
        "RIVER OF STARS",
        "MCSC000001",
        iswc="T0345246801",
        alternate_titles=(
            AlternateTitle(record_type="ALT", title="RIVIERE D ETOILES", title_type="AT"),
        ),
        performers=(Performer(record_type="PER", last_name="THE NIGHT OWLS"),),
        recordings=(
            Recording(
                record_type="REC",
                first_release_date=date(2025, 5, 1),
                isrc="CNA122500001",
                recording_format="A",
                recording_technique="D",
            ),
        ),
    ),
    work("LANTERN SONG", "MCSC000002", iswc=""),
    work(
        "HARBOUR LIGHTS",
        "MCSC000003",
        iswc="",
        publishers=(publisher(pr=2500, mr=2500, sr=2500),),
        writers=(writer(pr=7500, mr=7500, sr=7500),),
    ),
    work(  # publishers own 60 % of PR: NWR T 004 and NWR T 011 reject it
        "BROKEN SHARES",
        "MCSC000004",
        iswc="",
        publishers=(publisher(pr=6000),),
    ),
]


def local_work(title: str, number: str, society: str, tis: str, iswc: str = "") -> Work:
    """A work whose publisher and writer belong to ``society`` and collect in one territory."""
    shares = (5000, 5000, 5000)
    return work(
        title,
        number,
        iswc=iswc,
        publishers=(
            publisher(
                pr_society=society,
                mr_society=society,
                sr_society=society,
                territories=(
                    territory(PublisherTerritory, "SPT", "P000001", shares, tis_code=tis),
                ),
            ),
        ),
        writers=(
            writer(
                pr_society=society,
                mr_society=society,
                sr_society=society,
                territories=(territory(WriterTerritory, "SWT", "W000001", shares, tis_code=tis),),
            ),
        ),
    )


# MCSC 119 sending one file to several societies (receiver 000): the gateway splits it by the
# societies and territories in each work's shares -- PRS 052 (UK), GEMA 035 (Germany).
SEVERAL = [
    local_work("NORTHERN LINE", "MCSC000101", "052", "0826", iswc="T0345246801"),
    local_work("ELBE CROSSING", "MCSC000102", "035", "0276"),
    work(
        "RIVER OF STARS",
        "MCSC000103",
        iswc="",
        publishers=(  # UK publisher, German writer
            local_work("", "", "052", "0826").publishers
        ),
        writers=local_work("", "", "035", "0276").writers,
    ),
    local_work("THAMES AT DAWN", "MCSC000104", "052", "0826"),
    work("BROKEN SHARES", "MCSC000105", iswc="", publishers=(publisher(pr=6000),)),
]


def main() -> None:
    """Write the fixtures."""
    out = ROOT / "fixtures" / "cwr"
    out.mkdir(parents=True, exist_ok=True)
    files = (
        ("CW260001119_052.V21", WORKS),
        ("CW260002119_052.V21", WORKS[:3]),
        ("CW260003119_000.V21", SEVERAL),
    )
    for name, works in files:
        with (out / name).open("wb") as stream:
            w = CwrWriter(stream, "2.1")
            w.header(HDR)
            for record in works:
                w.transaction(record)
            w.close()
        print(out / name)


if __name__ == "__main__":
    main()
