"""Local sandbox of Africa's Talking SMS: a stand-in for the external provider, not for our stack.

Run it with ``python -m emulators.at_sandbox --host 127.0.0.1 --port 8092 [--latency-ms N]
[--delivery-report-url URL] [--inbound-url URL]``.

Endpoints (Africa's Talking's published shapes)::

    POST /version1/messaging    form {username, to (comma-separated +E.164), message, from?}, header apiKey;
                                201 {"SMSMessageData": {"Message", "Recipients": [{statusCode, number,
                                status, cost, messageId}]}}; 401 text for a wrong key or username, 400 text
                                for a missing field. Then, per accepted recipient, a delivery report POSTed
                                form-encoded to the delivery-report URL: {id, status, phoneNumber,
                                networkCode, failureReason, retryCount}; a receiver answering non-2xx gets it
                                again (retryCount 1, 2, 3).
    POST /sandbox/inbound       {from, text[, to]}: a borrower texts the shortcode; POSTs {from, to, text,
                                date, id, linkId} form-encoded to the inbound URL and returns its answer
    GET  /sandbox/messages      every message sent (the inspection store), newest last
    GET  /sandbox/reports       every delivery report POSTed, with our answer
    POST /sandbox/reset | GET /healthz

Test numbers (``to``, without the +), like a card sandbox's test cards::

    254791xxxxxx  statusCode 500 InternalServerError, every time (a transient failure)
    254792xxxxxx  statusCode 403 InvalidPhoneNumber (permanent)
    254793xxxxxx  statusCode 406 UserInBlacklist (permanent)
    254794xxxxxx  statusCode 101, then a delivery report Failed / AbsentSubscriber
    254795xxxxxx  statusCode 101, no delivery report ever
    anything else statusCode 101, then a delivery report Success

Delivery reports go ``--latency-ms`` after the request (default 200). Fault knob: ``--fail-rate F``
answers that share of messaging POSTs with HTTP 500 and records nothing. Defaults: username ``sandbox``,
key ``local-sandbox-at-key`` (what ``mkopo.config`` uses locally).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from flask import Flask, Response, jsonify, request

from emulators.sandbox_common import add_housekeeping, env_float, serve_app

FAILURES: dict[str, tuple[int, str]] = {
    "254791": (500, "InternalServerError"),
    "254792": (403, "InvalidPhoneNumber"),
    "254793": (406, "UserInBlacklist"),
}
UNDELIVERED = "254794"
NO_REPORT = "254795"
REPORT_RETRIES = 3
COST = "KES 0.8000"


@dataclass(frozen=True)
class AtConfig:
    username: str = "sandbox"
    api_key: str = "local-sandbox-at-key"
    shortcode: str = "40404"
    latency_ms: int = 200
    fail_rate: float = 0.0
    seed: int | None = None
    delivery_report_url: str | None = None
    inbound_url: str | None = None


@dataclass
class AtState:
    config: AtConfig
    rng: random.Random
    messages: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def roll(self, share: float) -> bool:
        with self.lock:
            return share > 0 and self.rng.random() < share

    def add(self, kind: str, row: dict[str, Any]) -> None:
        with self.lock:
            (self.messages if kind == "message" else self.reports).append(row)

    def snapshot(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in (self.messages if kind == "message" else self.reports)]

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.reports.clear()


def recipient(number: str) -> dict[str, Any]:
    """The Recipients[] row a test number gets."""
    digits = number.lstrip("+")
    code, status = FAILURES.get(digits[:6], (101, "Success"))
    accepted = code == 101
    return {
        "statusCode": code,
        "number": number,
        "status": status,
        "cost": COST if accepted else "0",
        "messageId": f"ATXid_{secrets.token_hex(16)}" if accepted else "None",
    }


def report_for(row: dict[str, Any]) -> dict[str, str] | None:
    """The delivery report for an accepted message, or None if the network never reports."""
    number = str(row["number"]).lstrip("+")
    if number.startswith(NO_REPORT):
        return None
    failed = number.startswith(UNDELIVERED)
    return {
        "id": str(row["messageId"]),
        "status": "Failed" if failed else "Success",
        "phoneNumber": str(row["number"]),
        "networkCode": "63902",  # Safaricom
        "failureReason": "AbsentSubscriber" if failed else "",
    }


@functools.cache
def _client() -> httpx.Client:
    return httpx.Client(timeout=5.0)


def post_form(url: str, form: dict[str, str]) -> tuple[int | None, str]:
    """POST a form; the receiver's status and body, or None and the error."""
    try:
        response = _client().post(url, data=form)
    except httpx.HTTPError as exc:
        return None, repr(exc)
    return response.status_code, response.text[:500]


def deliver_reports(state: AtState, report: dict[str, str]) -> None:
    """POST one delivery report after the latency; again (retryCount + 1) while the receiver refuses it."""
    cfg = state.config
    url = cfg.delivery_report_url
    if not url:
        return
    for retry in range(REPORT_RETRIES + 1):
        time.sleep(cfg.latency_ms / 1000 * (1 + retry))
        form = {**report, "retryCount": str(retry)}
        status, body = post_form(url, form)
        state.add("report", {**form, "answer": status, "answer_body": body})
        if status is not None and 200 <= status < 300:
            return


def create_app(config: AtConfig | None = None) -> Flask:
    """The sandbox as a Flask app with its own in-memory state."""
    cfg = config or AtConfig()
    state = AtState(config=cfg, rng=random.Random(cfg.seed))
    app = Flask("at_sandbox")
    app.config["AT_STATE"] = state

    @app.post("/version1/messaging")
    def messaging() -> Response:
        form = request.form
        if request.headers.get("apiKey") != cfg.api_key or form.get("username") != cfg.username:
            return Response("The supplied authentication is invalid", status=401, mimetype="text/plain")
        missing = [k for k in ("username", "to", "message") if not form.get(k)]
        if missing:
            return Response(
                f"Missing required field(s): {', '.join(missing)}", status=400, mimetype="text/plain"
            )
        if state.roll(cfg.fail_rate):
            return Response("Internal Server Error", status=500, mimetype="text/plain")
        rows = [recipient(n.strip()) for n in str(form["to"]).split(",") if n.strip()]
        now = datetime.now(UTC).isoformat()
        for row in rows:
            sent = {**row, "message": form["message"], "from": form.get("from"), "at": now}
            state.add("message", sent)
            report = report_for(row) if row["statusCode"] == 101 else None
            if report is not None:
                threading.Thread(target=deliver_reports, args=(state, report), daemon=True).start()
        ok = sum(1 for r in rows if r["statusCode"] == 101)
        summary = f"Sent to {ok}/{len(rows)} Total Cost: KES {0.8 * ok:.4f}"
        return Response(
            json.dumps({"SMSMessageData": {"Message": summary, "Recipients": rows}}),
            201,
            mimetype="application/json",
        )

    @app.post("/sandbox/inbound")
    def inbound() -> Response:
        body = request.get_json(silent=True) or {}
        if not cfg.inbound_url or not body.get("from"):
            return jsonify({"error": "needs --inbound-url and a JSON body with from and text"}), 400
        form = {
            "from": str(body["from"]),
            "to": str(body.get("to") or cfg.shortcode),
            "text": str(body.get("text", "")),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "id": secrets.token_hex(16),
            "linkId": secrets.token_hex(8),
        }
        status, answer = post_form(cfg.inbound_url, form)
        return jsonify({"sent": form, "answer": status, "answer_body": answer})

    @app.get("/sandbox/messages")
    def list_messages() -> Response:
        return jsonify({"messages": state.snapshot("message")})

    @app.get("/sandbox/reports")
    def list_reports() -> Response:
        return jsonify({"reports": state.snapshot("report")})

    add_housekeeping(app, state.reset)
    return app


def parse_args(argv: list[str] | None = None) -> tuple[str, int, AtConfig]:
    """Host, port and sandbox config from the command line and ``AT_SANDBOX_*`` variables."""
    env = os.environ.get
    defaults = AtConfig()
    parser = argparse.ArgumentParser(description="Local Africa's Talking SMS sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8092)
    parser.add_argument("--username", default=env("AT_SANDBOX_USERNAME", defaults.username))
    parser.add_argument("--api-key", default=env("AT_SANDBOX_API_KEY", defaults.api_key))
    parser.add_argument("--shortcode", default=env("AT_SANDBOX_SHORTCODE", defaults.shortcode))
    parser.add_argument("--latency-ms", type=int, default=int(env_float("AT_SANDBOX_LATENCY_MS", 200)))
    parser.add_argument("--fail-rate", type=float, default=env_float("AT_SANDBOX_FAIL_RATE", 0.0))
    parser.add_argument("--delivery-report-url", default=env("AT_SANDBOX_DELIVERY_REPORT_URL"))
    parser.add_argument("--inbound-url", default=env("AT_SANDBOX_INBOUND_URL"))
    seed = env("AT_SANDBOX_SEED")
    parser.add_argument("--seed", type=int, default=int(seed) if seed else None)
    a = parser.parse_args(argv)
    config = AtConfig(
        username=a.username,
        api_key=a.api_key,
        shortcode=a.shortcode,
        latency_ms=a.latency_ms,
        fail_rate=a.fail_rate,
        seed=a.seed,
        delivery_report_url=a.delivery_report_url,
        inbound_url=a.inbound_url,
    )
    return a.host, a.port, config


def main(argv: list[str] | None = None) -> None:
    """Entry point for ``python -m emulators.at_sandbox``."""
    host, port, config = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve_app(create_app(config), host, port, "africastalking sandbox")


if __name__ == "__main__":
    main()
