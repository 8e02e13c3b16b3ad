"""``gateway demo`` end to end through the command line: three societies, every answer back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from log_contract import line_problems


def test_the_demo_exchanges_files_between_three_societies(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "demo", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,  # a hang guard; the demo takes a few seconds
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "complete: every work answered" in done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines
    problems = [p for line in lines for p in line_problems(line)]
    assert problems == []
    events = [json.loads(line) for line in lines]
    names = [e["event"] for e in events]
    assert names.count("service.started") == 3
    for step in (
        "submission.routed",
        "delivery.delivered",
        "transfer.pulled",
        "ack.generated",
        "ack.correlated",
        "registration.updated",
        "demo.summary",
    ):
        assert step in names, step
    routed = next(e for e in events if e["event"] == "submission.routed")
    assert routed["recipients"] == ["035", "052"]
    assert routed["transactions"] == 4  # the fifth work was rejected at the sender's validation
    correlated = [e for e in events if e["event"] == "ack.correlated"]
    assert sum(e["matched"] for e in correlated) == 5  # 3 works at PRS + 2 at GEMA
    assert all(e["unmatched"] == 0 for e in correlated)
    delivered = {e["recipient"] for e in events if e["event"] == "delivery.delivered"}
    assert delivered == {"035", "052", "119"}
    # GEMA's statement, reconciled by MCSC in korunas: each planted finding, exact.
    (completed,) = [e for e in events if e["event"] == "reconcile.completed"]
    assert completed["node"] == "119"
    assert completed["sender"] == "035"
    assert completed["currency"] == "CZK"
    assert (completed["lines"], completed["discrepancies"]) == (5, 3)
    assert completed["paid"] == "21748.43"  # 895.55 EUR at 24.285
    assert "paid 895.55 = 21748.43 CZK" in done.stderr
    assert "to claim 70.00 EUR" in done.stderr
    assert "underpaid_share   line 2    MCSC000102" in done.stderr
    assert "150.00 EUR (3642.75 CZK)" in done.stderr
    assert "overpaid_share    line 4    MCSC000103" in done.stderr
    assert "unmatched_line    line 5" in done.stderr
    assert "difference 0.00" in done.stderr  # the remittance itself reconciles
    assert (tmp_path / "gema-sftp" / "incoming").is_dir()
    pulled = [p.name for p in (tmp_path / "gema-sftp" / "incoming").iterdir()]
    assert any(name.endswith(".xml.pickup.complete") for name in pulled)
