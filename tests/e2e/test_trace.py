"""One trace per loan on the local stack: from checkout to DISBURSED, through a crash and redelivery of
scoring and the outbox relay, every function's log lines and spans carry the checkout's trace id."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulators.stack import Stack, function_process, stop_groups

from mkopo import topology, trace_view
from tests.e2e.test_loan_journey import TERMINAL, Borrower, sandbox_number, wait_for

pytestmark = pytest.mark.e2e
# Every function one Kenyan loan passes through: M-Pesa pays by callback; scoring crashes once between its
# commit and its publish, so its event reaches confirm-payment through the outbox relay.
PASSED = {
    "checkout",
    "scoring",
    "confirm-payment",
    "disbursement",
    "payment-callbacks",
    "notify",
    "outbox-relay",
}


def restart(stack: Stack, name: str, env: dict[str, str]) -> None:
    """Restart one function with ``env`` added (the others keep running)."""
    process = function_process(topology.function(name))
    record = stack._records.get(process)
    if record is not None:
        stop_groups([record], grace_s=5)
    stack._procs.pop(process, None)
    stack._records.pop(process, None)
    stack.extra_env = dict(env)
    stack.start_functions()


@pytest.fixture
def scoring_crashes_once(stack: Stack, tmp_path: Path) -> Iterator[Path]:
    """Scoring exits (like a SIGKILL) once after its transaction commits and before it publishes; the
    fault's marker lands in the folder yielded."""
    spec = {"MKOPO_FAULTS": "outbox.before_publish@scoring:1", "MKOPO_FAULTS_DIR": str(tmp_path)}
    restart(stack, "scoring", spec)
    try:
        yield tmp_path
    finally:
        restart(stack, "scoring", {})


def traced_lines(text: str, trace_id: str) -> list[dict[str, Any]]:
    lines = []
    for raw in text.splitlines():
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(line, dict) and str(line.get("logging.googleapis.com/trace", "")).endswith(trace_id):
            lines.append(line)
    return lines


def function_logs(stack: Stack, trace_id: str) -> dict[str, list[dict[str, Any]]]:
    """Each function's log lines carrying the trace."""
    out = {}
    for fn in topology.FUNCTIONS:
        path = stack.log_dir / f"{function_process(fn)}.log"
        if path.exists():
            out[fn.name] = traced_lines(path.read_text(errors="replace"), trace_id)
    return out


def test_one_trace_follows_a_loan_through_a_redelivery_and_the_relay(
    stack: Stack, api: httpx.Client, scoring_crashes_once: Path
) -> None:
    trace_id = uuid.uuid4().hex
    borrower = Borrower(api, sandbox_number("+2547000000"))
    offer = borrower.offers()[0]
    headers = borrower.headers | {
        "Idempotency-Key": str(uuid.uuid4()),
        "traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01",
    }
    r = api.post("/v1/checkout", json={"offer_id": offer["id"]}, headers=headers)
    assert r.status_code == 202, r.text
    assert r.headers["traceparent"].split("-")[1] == trace_id
    app_id = r.json()["application_id"]

    wait_for(lambda: any(scoring_crashes_once.iterdir()), timeout=30)  # the crash claimed its marker
    if "fn-scoring" in stack.exited():  # gunicorn starts a new worker; a bare process needs a restart
        stack.start_functions()
    # The scored event waits for the relay (outbox_relay_after_s, then the relay timer).
    settled = wait_for(lambda: (a := borrower.application(app_id))["status"] in TERMINAL and a, timeout=90)
    assert settled["status"] == "DISBURSED"

    try:
        spans = wait_for(lambda: _spans_through(stack, trace_id), timeout=30)
    except AssertionError:  # say below which function left no span
        spans = [s for s in trace_view.read_spans(stack.trace_file) if s["trace_id"] == trace_id]
    services = {s["service"] for s in spans}
    assert services >= PASSED, f"no span from {PASSED - services}"
    assert {s["trace_id"] for s in trace_view.trace_of(spans, app_id)} == {trace_id}
    relayed = [s for s in spans if s["service"] == "outbox-relay"]
    assert [s["attributes"]["event_id"] for s in relayed]  # the scored event went through the relay

    logs = function_logs(stack, trace_id)
    assert {name for name, lines in logs.items() if lines} >= PASSED
    deliveries = [line for line in logs["scoring"] if "scoring: message" in line["message"]]
    assert len(deliveries) >= 2, deliveries  # the crashed delivery and its redelivery, one trace
    assert len({line["message"].split()[2] for line in deliveries}) == 1  # the same message

    out = subprocess.run(
        [sys.executable, "-m", "mkopo.ops", "trace", app_id, "--file", str(stack.trace_file)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert trace_id in out and "confirm-payment" in out and "outbox-relay" in out


def _spans_through(stack: Stack, trace_id: str) -> list[dict[str, Any]] | None:
    """The trace's spans once every function has reported (notify's span ends after the SMS)."""
    spans = [s for s in trace_view.read_spans(stack.trace_file) if s["trace_id"] == trace_id]
    time.sleep(0.2)
    return spans if {s["service"] for s in spans} >= PASSED else None
