"""Reconciliation through the service: a sister society posts its statement, signed, on loopback."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import lxml.html
import pytest
from conftest import FIXTURES
from test_service import free_port, gema_key, mcsc_key, start, wait_for

from gateway.service.node import Node
from gateway.transport.http import signed_post
from gateway.transport.signing import SigningKey, sha256_hex, sign_request

WORKS = FIXTURES / "reconcile" / "CW250007052_035.V21"  # PRS registering its members' works
XML_STATEMENT = FIXTURES / "xml" / "distribution-example.xml"  # GEMA paying PRS
CSV_STATEMENT = FIXTURES / "statements" / "distribution-example.csv"
GEMA_NUMBERS = {"NBM000214": "12873465001", "NBM000300": "13390218004", "NBM000093": "10954471002"}


@pytest.fixture
async def prs(tmp_path: Path) -> AsyncIterator[Node]:
    """PRS's node, after its members' works went out through it and GEMA answered them."""
    ports = {8052: free_port(), 8119: free_port(), 8035: free_port(), 8222: free_port()}
    node = await start("prs.toml", tmp_path, ports, 8052)
    try:
        intake = await node.pipeline.receive_file(
            WORKS, sender="052", file_name=WORKS.name, transport="folder"
        )
        await wait_for(
            lambda: (
                node.store.get_submission(intake.submission.id).status
                not in {"received", "validating"}
            )
        )
        for number, gema in GEMA_NUMBERS.items():  # as GEMA's ACKs leave the state
            node.store.upsert_registration("052", number, "035", "AS", society_work_number=gema)
        yield node
    finally:
        await node.stop()


async def post(node: Node, body: bytes, key: SigningKey, **query: str) -> tuple[int, object]:
    path = f"/v1/reconciliations?{urlencode(query)}"
    async with aiohttp.ClientSession() as session:
        return await signed_post(session, f"http://127.0.0.1:{node.port}", path, body, key)


async def post_text(node: Node, body: bytes, key: SigningKey, **query: str) -> tuple[int, str, str]:
    path = f"/v1/reconciliations?{urlencode(query)}"
    headers = sign_request("POST", path, sha256_hex(body), key)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{node.port}{path}", data=body, headers=headers) as answer,
    ):
        return answer.status, answer.content_type, await answer.text()


async def test_a_posted_statement_is_reconciled_against_the_nodes_registrations(
    prs: Node, log_lines
) -> None:
    status, answer = await post(
        prs, XML_STATEMENT.read_bytes(), gema_key(), file_name=XML_STATEMENT.name
    )
    assert status == 200, answer
    assert isinstance(answer, dict)
    assert answer["registrations"]["works"] == 3
    assert answer["registrations"]["sources"] == [WORKS.name]
    (statement,) = answer["statements"]
    assert statement["match_methods"] == {"iswc": 5, "sender_work_id": 1}
    assert answer["totals_home"]["paid"] == "2884.87"
    assert answer["totals_home"]["difference"] == "319.90"
    (finding,) = answer["discrepancies"]
    assert finding["kind"] == "missing_party"
    assert finding["amount"] == {"amount": "319.90", "currency": "EUR"}
    assert len(answer["statement_sha256"]) == 64
    (event,) = [e for e in log_lines() if e["event"] == "reconcile.completed"]
    assert event["sender"] == "035"
    assert event["lines"] == 6
    assert event["discrepancies"] == 1
    assert event["difference"] == "319.90"


async def test_the_csv_statement_and_a_remittance_in_another_currency(prs: Node) -> None:
    # 2884.87 EUR at 0.8550 GBP a euro is 2466.56 GBP; 2400.00 received + 10.00 charges is
    # 56.56 GBP (2.29 %) short: beyond the 0.5 % bank spread, within 5 %: fx_inconsistent.
    rates = prs.config.data_dir / "rates.csv"
    rates.write_text("date,from,to,rate,source\n2025-07-15,EUR,GBP,0.8550,test\n", "utf-8")
    prs.reconciler.rates_path = rates
    status, answer = await post(
        prs,
        CSV_STATEMENT.read_bytes(),
        gema_key(),
        file_name=CSV_STATEMENT.name,
        home="GBP",
        remittance_amount="2400.00",
        remittance_currency="GBP",
        remittance_date="2025-07-20",
        bank_charges="10.00",
    )
    assert status == 200, answer
    assert isinstance(answer, dict)
    assert answer["home_currency"] == "GBP"
    assert answer["totals_home"]["paid"] == "2466.56"
    remittance = answer["remittance"]
    assert remittance["expected"] == {"amount": "2466.56", "currency": "GBP"}
    assert remittance["difference"] == {"amount": "56.56", "currency": "GBP"}
    kinds = sorted(d["kind"] for d in answer["discrepancies"])
    assert kinds == ["fx_inconsistent", "missing_party"]
    fx = next(d for d in answer["discrepancies"] if d["kind"] == "fx_inconsistent")
    assert fx["amount"] == {"amount": "56.56", "currency": "GBP"}
    assert fx["evidence"]["published_rate"] == "0.8550"


async def test_html_csv_and_claims_answers(prs: Node) -> None:
    body = XML_STATEMENT.read_bytes()
    status, kind, html = await post_text(prs, body, gema_key(), format="html")
    assert (status, kind) == (200, "text/html")
    page = lxml.html.fromstring(html)
    assert "NORTHBANK MUSIC LTD holds 33.34 %" in page.text_content()
    status, kind, text = await post_text(prs, body, gema_key(), format="csv")
    assert (status, kind) == (200, "text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["kind"], r["amount"]) for r in rows] == [("missing_party", "319.90")]
    status, answer = await post(prs, body, gema_key(), format="claims")
    assert status == 200
    assert isinstance(answer, dict)
    assert set(answer["claims"]) == {"035"}
    assert "319.90" in answer["claims"]["035"]


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"format": "pdf"}, 400, "bad_format"),
        ({"remittance_amount": "12,50", "remittance_currency": "EUR"}, 400, "bad_remittance"),
        ({"remittance_currency": "EUR"}, 400, "bad_remittance"),
        ({"home": "XAU"}, 422, "cannot_reconcile"),
    ],
)
async def test_bad_requests_are_refused_with_a_code(
    prs: Node, query: dict[str, str], status: int, code: str
) -> None:
    answer_status, answer = await post(prs, XML_STATEMENT.read_bytes(), gema_key(), **query)
    assert answer_status == status
    assert isinstance(answer, dict)
    assert answer["error"]["code"] == code


async def test_only_the_paying_society_may_post_its_statement(prs: Node) -> None:
    status, answer = await post(prs, XML_STATEMENT.read_bytes(), mcsc_key())
    assert status == 422
    assert isinstance(answer, dict)
    assert "sent by 035, not by 119" in answer["error"]["message"]


async def test_a_body_that_is_no_statement_is_refused_clearly(prs: Node) -> None:
    status, answer = await post(prs, WORKS.read_bytes(), gema_key(), file_name="works.V21")
    assert status == 422
    assert isinstance(answer, dict)
    assert answer["error"]["code"] == "cannot_reconcile"
    assert answer["error"]["message"].startswith("works.V21")
    status, answer = await post(prs, b"", gema_key())
    assert status == 422
