"""``gateway demo``: three societies exchanging files end to end, on loopback, in one process.

MCSC 119 drops a CWR 2.1 file addressed to several societies (receiver 000) in its members' drop
folder. Its gateway validates it, splits it by the societies and territories in each work's
shares, and delivers each part in its recipient's format: CWR 2.2 over signed HTTP to PRS 052,
works XML over SFTP (a real asyncssh server playing GEMA's site) to GEMA 035. Each recipient's
gateway validates with its own rule pack, registers the works and sends its first ACK back to
MCSC over HTTP; MCSC ties every answer to the transaction it sent and updates each work's
registration state. Then GEMA sends MCSC a distribution statement for two of the works, with
the remittance that paid it, and MCSC's gateway reconciles it against its registrations and the
answers (``gateway.service.demo_statement``): paid against expected, in euros and in korunas.
Log lines (JSON) go to stdout, the summary to stderr.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import time
from dataclasses import dataclass
from http import HTTPStatus
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from gateway import log
from gateway.routing.partners import load_registry
from gateway.service.config import PullSpec, ServiceConfig
from gateway.service.demo_statement import REMITTANCE, statement_xml
from gateway.service.node import Node
from gateway.store.rows import Registration
from gateway.transport.folder import FolderTransport
from gateway.transport.http import signed_post
from gateway.transport.sftp_server import start_sftp_server
from gateway.transport.signing import load_signing_key

SUBMISSION = "CW260003119_000.V21"
PORTS = {"119": 8119, "052": 8052, "035": 8035}
SFTP_PORT = 8222
SFTP_PASSWORD_ENV = "GW_GEMA_SFTP_PASSWORD"  # noqa: S105 - the name of a variable, not a secret
TIMEOUT = 60.0
HOME_CURRENCIES = {"119": "CZK"}  # MCSC reconciles in korunas; the others in the statement's
RATES = "eur-czk-2026.csv"


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo saw at the end: registrations, outbox states and the reconciliation."""

    registrations: list[Registration]
    deliveries: dict[str, int]
    complete: bool
    seconds: float
    reconciliation: dict[str, Any] | None = None  # MCSC's answer, or {"failed": why}

    @property
    def succeeded(self) -> bool:
        """Every answer came back and MCSC reconciled GEMA's statement."""
        return (
            self.complete
            and self.reconciliation is not None
            and ("failed" not in self.reconciliation)
        )


def fixtures_dir() -> Path:
    """The demo's registries, keys and submission (shipped beside the package in the checkout)."""
    here = Path(str(files("gateway"))).parent / "fixtures"
    if not here.is_dir():
        raise FileNotFoundError(f"the demo fixtures are missing: {here}")
    return here


async def run_demo(workdir: Path, *, wait: float = TIMEOUT) -> DemoResult:
    """Run the three nodes until every answer is back (or ``wait`` s); returns what happened."""
    started = time.monotonic()
    fixtures = fixtures_dir()
    partners = fixtures / "partners"
    os.environ.setdefault(SFTP_PASSWORD_ENV, secrets.token_urlsafe(16))
    password = os.environ[SFTP_PASSWORD_ENV]
    site = workdir / "gema-sftp"
    (site / "incoming").mkdir(parents=True, exist_ok=True)
    sftp = await start_sftp_server(
        site,
        port=SFTP_PORT,
        users={"mcsc": password, "gema": password},
        host_key_path=workdir / "gema-sftp-host.key",
    )
    known_hosts = workdir / "known_hosts"
    known_hosts.write_text(sftp.known_hosts_line(), encoding="utf-8")
    drop = workdir / "mcsc-drop"
    configs = {
        "119": _config(
            partners / "mcsc.toml",
            workdir / "mcsc",
            known_hosts,
            pulls=(PullSpec("folder", str(drop), interval=0.2, own=True),),
        ),
        "052": _config(partners / "prs.toml", workdir / "prs", known_hosts),
        "035": _config(
            partners / "gema.toml",
            workdir / "gema",
            known_hosts,
            pulls=(
                PullSpec(
                    "sftp",
                    f"sftp://127.0.0.1:{SFTP_PORT}/incoming",
                    username="gema",
                    password_env=SFTP_PASSWORD_ENV,
                    interval=0.2,
                ),
            ),
        ),
    }
    nodes = {code: Node(config) for code, config in configs.items()}
    try:
        for node in nodes.values():
            await node.start()
        drop.mkdir(parents=True, exist_ok=True)
        await FolderTransport(drop).send(SUBMISSION, fixtures / "cwr" / SUBMISSION)
        complete = await _wait_until_answered(nodes, wait)
        mcsc = nodes["119"]
        registrations = mcsc.store.registrations("119")
        deliveries: dict[str, int] = {}
        for node in nodes.values():
            for delivery in node.store.list_deliveries():
                deliveries[delivery.state] = deliveries.get(delivery.state, 0) + 1
        reconciliation = (
            await _reconcile(nodes["119"], partners, registrations) if complete else None
        )
        result = DemoResult(
            registrations, deliveries, complete, time.monotonic() - started, reconciliation
        )
        submissions = sum(len(n.store.list_submissions(s)) for n in nodes.values() for s in PORTS)
        log.emit(
            "demo.summary",
            societies=sorted(nodes),
            submissions=submissions,
            deliveries=sum(deliveries.values()),
            acks=sum(1 for r in registrations if r.status != "sent"),
            duration_ms=round(result.seconds * 1000),
        )
        return result
    finally:
        for node in nodes.values():
            await node.stop()
        sftp.close()


async def _reconcile(
    mcsc: Node, partners: Path, registrations: list[Registration]
) -> dict[str, Any] | None:
    """GEMA posts its statement to MCSC's gateway; MCSC's reconciliation (JSON), or None."""
    gema_key = load_signing_key(partners / "keys" / "gema.key", key_id="gema-demo")
    query = urlencode({"file_name": "GEMA-PER-2026Q2-119.xml", **REMITTANCE})
    body = statement_xml(registrations)
    async with aiohttp.ClientSession() as session:
        status, answer = await signed_post(
            session, f"http://127.0.0.1:{mcsc.port}", f"/v1/reconciliations?{query}", body, gema_key
        )
    if status != HTTPStatus.OK or not isinstance(answer, dict):
        code = answer.get("error", {}).get("code", "") if isinstance(answer, dict) else ""
        return {"failed": f"HTTP {status} {code}".strip()}
    return answer


def _config(
    registry: Path, data: Path, known_hosts: Path, *, pulls: tuple[PullSpec, ...] = ()
) -> ServiceConfig:
    society = load_registry(registry).node.society
    home = HOME_CURRENCIES.get(society)
    return ServiceConfig(
        registry=registry,
        data_dir=data,
        port=PORTS[society],
        initial_wait=0.2,
        max_wait=2.0,
        known_hosts=known_hosts,
        pulls=pulls,
        rates=fixtures_dir() / "rates" / RATES if home else None,
        home_currency=home,
    )


async def _wait_until_answered(nodes: dict[str, Node], wait: float) -> bool:
    """Wait until MCSC has an answer for every work it sent and every outbox is empty."""
    mcsc = nodes["119"]
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        registrations = mcsc.store.registrations("119")
        counts = [n.store.delivery_counts() for n in nodes.values()]
        pending = sum(c["pending"] + c["in_flight"] for c in counts)
        if registrations and all(r.status != "sent" for r in registrations) and pending == 0:
            return True
        await asyncio.sleep(0.2)
    return False


def summary(result: DemoResult) -> str:
    """The demo's outcome for a person: each work at each society, and the deliveries."""
    lines = [
        "",
        "Society Exchange Gateway demo: MCSC 119 -> PRS 052 (CWR 2.2, HTTP), GEMA 035 (XML, SFTP)",
    ]
    lines.append(f"{'work':<12} {'title':<18} {'society':<8} {'status':<7} society work #  ISWC")
    lines.extend(
        f"{r.submitter_work_number:<12} {(r.title or '')[:18]:<18} {r.society:<8} "
        f"{r.status:<7} {(r.society_work_number or '-'):<15} {r.iswc or '-'}"
        for r in sorted(result.registrations, key=lambda r: (r.submitter_work_number, r.society))
    )
    states = ", ".join(f"{n} {s}" for s, n in sorted(result.deliveries.items()))
    lines.append(f"deliveries: {states or 'none'}; {result.seconds:.1f} s")
    lines.append(
        "complete: every work answered by every society it was sent to"
        if result.complete
        else "INCOMPLETE: some answers did not come back in time"
    )
    lines.extend(_reconciliation_summary(result.reconciliation))
    return "\n".join(lines) + "\n"


def _reconciliation_summary(answer: dict[str, Any] | None) -> list[str]:
    if answer is None:
        return ["reconciliation: not run (the exchange did not complete)"]
    if "failed" in answer:
        return [f"reconciliation FAILED: {answer['failed']}"]
    lines = []
    for statement in answer["statements"]:
        totals, home = statement["totals"], statement["totals_home"]
        lines.append(
            f"reconciliation of {statement['distribution_id']} (GEMA 035 -> MCSC 119, "
            f"{statement['currency']} -> {answer['home_currency']}): paid {totals['paid']} "
            f"= {home['paid']} {home['currency']}, matched {totals['matched']}, suspense "
            f"{totals['suspense']}, expected {totals['expected']}, to claim "
            f"{totals['difference']} {totals['currency']}"
        )
    for item in answer["discrepancies"]:
        amount, at_home = item["amount"], item["amount_home"]
        lines.append(
            f"  {item['kind']:<17} line {','.join(map(str, item['lines'])) or '-':<4} "
            f"{item['work'] or '-':<11} {item['title'][:16]:<16} {item['party'][:14]:<14} "
            f"{amount['amount']:>8} {amount['currency']} ({at_home['amount']} "
            f"{at_home['currency']})"
        )
    remittance = answer.get("remittance")
    if remittance:
        lines.append(
            f"remittance: {remittance['received']['amount']} + "
            f"{remittance['bank_charges']['amount']} charges against "
            f"{remittance['expected']['amount']} {remittance['expected']['currency']} expected: "
            f"difference {remittance['difference']['amount']}"
        )
    return lines


def main(workdir: Path) -> int:
    """Run the demo; 0 when every answer came back."""
    log.configure()
    result = asyncio.run(run_demo(workdir))
    sys.stderr.write(summary(result))
    return 0 if result.succeeded else 1
