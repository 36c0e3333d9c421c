"""Score monitoring on the real stack: an application's score reaches BigQuery through the exporter, the
score-stability function (called as Cloud Scheduler calls it) counts it for the champion, and the operator
reads the result with ``python -m mkopo.ops psi``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.test_loan_journey import Borrower, sandbox_number, wait_for

pytestmark = pytest.mark.usefixtures("stack")
SCHEDULER = {"X-CloudScheduler": "true", "X-CloudScheduler-JobName": "score-stability-e2e"}


def run_job(stack: Any) -> dict[str, Any]:
    with httpx.Client(timeout=60.0, trust_env=False) as client:
        reply = client.post(stack.function_url("score-stability"), json={}, headers=SCHEDULER)
    assert reply.status_code == 200, reply.text
    [champion] = reply.json()["models"]  # no challenger configured on the local stack
    return dict(champion)


def test_the_weeks_scores_are_monitored_and_readable(
    api: httpx.Client, stack: Any, event_rows: Callable[[str], list[dict[str, Any]]]
) -> None:
    before = run_job(stack)
    borrower = Borrower(api, sandbox_number("+2547000000"))
    app_id = borrower.checkout(borrower.offers("3000")[0]["id"]).json()["application_id"]
    borrower.settle(app_id)
    wait_for(lambda: any(r["event_type"] == "application_scored" for r in event_rows(app_id)), timeout=60)

    after = run_job(stack)
    assert after["model_version"] == "launch-v1" and after["role"] == "champion"
    assert after["scores"] >= before["scores"] + 1  # other tests' applications may be in the week too
    assert after["verdict"] in ("few scores", "stable", "watch", "act") and after["psi"] is not None
    printed = ops_psi(stack)
    assert (
        f"launch-v1 (champion)  PSI {after['psi']:.4f}  {after['verdict']}  {after['scores']} scores"
        in printed
    )
    assert "expected 0.1613" in printed  # the launch card's lowest band


def ops_psi(stack: Any) -> str:
    """``python -m mkopo.ops psi`` against this stack: exit 0, or 1 when a version says act."""
    done = subprocess.run(
        [sys.executable, "-m", "mkopo.ops", "psi"],
        env=os.environ | stack.emulator_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.stdout
