"""``gateway reconcile`` end to end through the command line: exit codes, formats, claims."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from conftest import FIXTURES

REGISTRATIONS = [
    FIXTURES / "reconcile" / "CW250007052_035.V21",  # PRS's works, sent to GEMA
    FIXTURES / "reconcile" / "CW250003035_052.V21",  # GEMA's ACK: its work numbers
]
XML_STATEMENT = FIXTURES / "xml" / "distribution-example.xml"
CSV_STATEMENT = FIXTURES / "statements" / "distribution-example.csv"
# The line the example statements leave out: NORTHBANK's 33.34 % of LONG WAY TO LEEDS.
MISSING_LINE = (
    "GEMA-PER-2025H1-052,035,052,2025-01-01,2025-06-30,PER,EUR,035-DIST-2025H1-052-0001,7,"
    "LONG WAY TO LEEDS,,10954471002,NBM000093,,NORTHBANK MUSIC LTD,00519382636,E,33.34,0276,"
    "Broadcast,2025-03-01,2025-03-31,410.12,49.21,41.01,90.22,319.90\n"
)


def gateway(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "reconcile", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard
        check=False,
    )


def test_a_discrepancy_exits_1_with_the_json_report() -> None:
    done = gateway("--works", *REGISTRATIONS, "--statement", XML_STATEMENT)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["reconciled"] is False
    assert report["discrepancy_counts"]["missing_party"] == 1
    assert report["totals_home"] == {
        "currency": "EUR",
        "paid": "2884.87",
        "matched": "2884.87",
        "suspense": "0.00",
        "expected": "3204.77",
        "difference": "319.90",
    }
    assert "1 missing_party" in done.stderr


def test_a_statement_that_pays_what_is_registered_exits_0(tmp_path: Path) -> None:
    statement = tmp_path / "complete.csv"
    statement.write_text(CSV_STATEMENT.read_text("utf-8") + MISSING_LINE, "utf-8")
    done = gateway("--works", *REGISTRATIONS, "--statement", statement, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["reconciled"] is True
    assert report["discrepancies"] == []
    assert report["totals_home"]["difference"] == "0.00"
    assert "no discrepancies" in done.stderr


def test_html_csv_and_claims_files(tmp_path: Path) -> None:
    html_file, claims = tmp_path / "report.html", tmp_path / "claims"
    done = gateway(
        "--works", *REGISTRATIONS, "--statement", XML_STATEMENT,
        "--format", "html", "-o", html_file, "--claims", claims,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    page = lxml.html.fromstring(html_file.read_text("utf-8"))
    assert "319.90" in page.text_content()
    assert [p.name for p in claims.iterdir()] == ["claims-035.csv"]
    assert f"claims: {claims / 'claims-035.csv'}" in done.stderr
    done = gateway("--works", *REGISTRATIONS, "--statement", CSV_STATEMENT, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["kind"], r["work"], r["amount"]) for r in rows] == [
        ("missing_party", "NBM000093", "319.90")
    ]


def test_a_remittance_in_home_currency_with_rates(tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("date,from,to,rate,source\n2025-07-01,GBP,EUR,1.1700,BoE\n", "utf-8")
    # 2884.87 EUR is 2465.7008... GBP at the inverse rate: received exactly, less 5.00 charges.
    done = gateway(
        "--works", *REGISTRATIONS, "--statement", XML_STATEMENT, "--home", "GBP",
        "--rates", rates, "--remittance", "2460.70", "GBP", "--remittance-date", "2025-07-10",
        "--bank-charges", "5.00",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["remittance"]["difference"]["amount"] == "0.00"
    rate = report["statements"][0]["rate"]
    assert rate["inverse_of"]["rate"] == "1.1700"
    assert rate["inverse_of"]["source"] == "BoE"
    assert report["totals_home"]["paid"] == "2465.70"
    assert [d["kind"] for d in report["discrepancies"]] == ["missing_party"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--statement", "nowhere.xml"], "no such file: nowhere.xml"),
        (["--statement", str(XML_STATEMENT), "--home", "GBP"], "cannot convert EUR to GBP"),
        (["--statement", str(XML_STATEMENT), "--home", "ZZZ"], "ZZZ"),
        (["--statement", str(REGISTRATIONS[0])], "CW250007052_035.V21"),
        (["--statement", str(XML_STATEMENT), "--remittance", "1,00", "EUR"], "commas"),
        (["--statement", str(XML_STATEMENT), "--bank-charges", "1.00"], "need --remittance"),
    ],
)
def test_what_cannot_run_exits_2_with_a_reason(extra: list[str], message: str) -> None:
    done = gateway("--works", *REGISTRATIONS, *extra)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_garbage_registrations_exit_2(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.V21"
    garbage.write_bytes(b"\x00\x01 not a works file\n")
    done = gateway("--works", garbage, "--statement", XML_STATEMENT)
    assert done.returncode == 2
    assert "garbage.V21" in done.stderr
