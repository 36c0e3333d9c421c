"""Local sandbox of Safaricom's M-Pesa Daraja API: a stand-in for the external provider, not for our stack.

Run it with ``python -m emulators.mpesa_sandbox --host 127.0.0.1 --port 8091 [--latency-ms N]``.

Endpoints (Daraja's published shapes)::

    GET  /oauth/v1/generate?grant_type=client_credentials  Basic key:secret -> {access_token, expires_in}
    POST /mpesa/b2c/v3/paymentrequest       ack {OriginatorConversationID, ConversationID, ResponseCode "0",
                                            ResponseDescription}; then {"Result": ...} POSTed to ResultURL.
                                            A repeated OriginatorConversationID gets Daraja's 500
                                            errorCode 500.002.1001 "Duplicate OriginatorConversationID."
                                            and pays nothing more (no second Result).
    POST /mpesa/transactionstatus/v1/query  ack; then a Result with the ResultParameters of Daraja's
                                            sample (ReceiptNo, TransactionStatus Completed|Failed|Pending,
                                            Amount, OriginatorConversationID, InitiatedTime, FinalisedTime
                                            once settled, DebitPartyCharges, DebitAccountType, ...) POSTed
                                            to its ResultURL;
                                            ResultCode 2032 "The transaction could not be found" if unknown
    POST /mpesa/stkpush/v1/processrequest   ack {MerchantRequestID, CheckoutRequestID, ResponseCode "0", ...};
                                            then {"Body": {"stkCallback": ...}} POSTed to CallBackURL
    POST /mpesa/stkpushquery/v1/query       200 {ResponseCode, ResultCode, ResultDesc, ...} once settled;
                                            500 errorCode 500.001.1001 "The transaction is being processed"
                                            before; 400 for an unknown CheckoutRequestID
    GET  /sandbox/payouts | /sandbox/stk-pushes | /sandbox/status-queries | /sandbox/callbacks  (test helpers)
    POST /sandbox/reset                     forget everything (test helper)
    GET  /healthz                           200

API calls need ``Authorization: Bearer <token>``; errors use Daraja's {requestId, errorCode, errorMessage}
(400.002.02 bad request, 404.001.03 invalid access token). STK Password must be
base64(BusinessShortCode + passkey + Timestamp). Defaults: consumer key ``mkopo-local``, secret
``local-sandbox-secret``, passkey ``local-sandbox-passkey``.

Test numbers (B2C ``PartyB`` / STK ``PhoneNumber``), like a card sandbox's test cards:

    B2C payouts                                         STK Push collections
    254722xxxxxx  ResultCode 2040 recipient unregistered 254722xxxxxx  ResultCode 1    insufficient balance
    254733xxxxxx  ResultCode 1    our float is empty     254733xxxxxx  ResultCode 1032 cancelled by user
    254744xxxxxx  ResultCode 2001 initiator invalid      254744xxxxxx  ResultCode 1037 no response from phone
    254755xxxxxx  no Result ever (stays pending)         254755xxxxxx  no callback ever (stays processing)
    254766xxxxxx  success, but 1 KES less paid           254766xxxxxx  success, but 1 KES less paid
    anything else ResultCode 0 with a TransactionID      anything else ResultCode 0 with a receipt

Callbacks are POSTed from a background thread ``--latency-ms`` after the request (default 0). Fault knobs
(flags or ``MPESA_SANDBOX_*`` variables): ``--duplicate-callbacks F`` sends that share of callbacks twice,
``--drop-callbacks F`` never sends that share, ``--fail-rate F`` answers that share of API POSTs with 500
and records nothing, ``--seed N`` makes the dice reproducible.

Request checks live in ``emulators/mpesa_requests.py``; config, state and Result bodies in
``emulators/mpesa_shapes.py``.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import secrets
import signal
import sys
import threading
import time
from datetime import datetime
from typing import Any

import httpx
from flask import Flask, Response, jsonify, request

from emulators.mpesa_requests import (
    DarajaError,
    basic_credentials,
    check_password,
    daraja_error,
    require,
    validate_b2c,
    validate_stk,
    whole_amount,
)
from emulators.mpesa_shapes import (
    NAIROBI,
    SUCCESS_DESC,
    Payout,
    SandboxConfig,
    SandboxState,
    StkPush,
    b2c_result,
    payout_row,
    push_row,
    status_result,
    stk_callback,
)
from emulators.sandbox_common import add_housekeeping, env_float, serve_app

B2C_OUTCOMES: dict[str, tuple[int, str]] = {
    "254722": (2040, "Credit Party customer type (Unregistered or Registered Customer) can't be supported."),
    "254733": (1, "The balance is insufficient for the transaction."),
    "254744": (2001, "The initiator information is invalid."),
}
STK_OUTCOMES: dict[str, tuple[int, str]] = {
    "254722": (1, "The balance is insufficient for the transaction."),
    "254733": (1032, "Request cancelled by user"),
    "254744": (1037, "DS timeout user cannot be reached"),
}
NEVER = "254755"
DUPLICATE_CODE = "500.002.1001"
SHORT_PAY = "254766"


def new_id(prefix: str) -> str:
    """An id shaped like Daraja's, e.g. AG_20261201_0000a1b2c3d4e5f6a7b8."""
    return f"{prefix}{datetime.now(NAIROBI):%Y%m%d}_{secrets.token_hex(10)}"


def receipt() -> str:
    """An M-Pesa receipt-like id: 10 upper-case letters and digits."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return "S" + "".join(secrets.choice(alphabet) for _ in range(9))


def outcome(table: dict[str, tuple[int, str]], number: str) -> tuple[int | None, str]:
    """The ResultCode and description a test number settles to; None code means it never settles."""
    if number.startswith(NEVER):
        return None, ""
    return table.get(number[:6], (0, SUCCESS_DESC))


def new_payout(body: dict[str, Any]) -> Payout:
    """A payout with its outcome decided by PartyB's test number."""
    code, desc = outcome(B2C_OUTCOMES, str(body["PartyB"]))
    amount = whole_amount(body["Amount"])
    return Payout(
        originator_conversation_id=str(body["OriginatorConversationID"]),
        conversation_id=new_id("AG_"),
        body=body,
        received_at=time.monotonic(),
        result_code=code,
        result_desc=desc,
        transaction_id=receipt(),
        paid_amount=amount - 1 if str(body["PartyB"]).startswith(SHORT_PAY) else amount,
    )


def new_push(body: dict[str, Any]) -> StkPush:
    """An STK push with its outcome decided by PhoneNumber's test number."""
    code, desc = outcome(STK_OUTCOMES, str(body["PhoneNumber"]))
    amount = whole_amount(body["Amount"])
    return StkPush(
        checkout_request_id=new_id("ws_CO_"),
        merchant_request_id=f"{secrets.randbelow(90000) + 10000}-{secrets.randbelow(10**8)}-1",
        body=body,
        received_at=time.monotonic(),
        result_code=code,
        result_desc=desc,
        receipt=receipt(),
        paid_amount=amount - 1 if str(body["PhoneNumber"]).startswith(SHORT_PAY) else amount,
    )


class CallbackSender:
    """POSTs callbacks from background threads after the latency, with drop and duplicate dice."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state

    def schedule(self, kind: str, url: str, body_of: Any, key: str) -> None:
        """Send ``body_of()`` to ``url`` after the latency (the body is built when sent)."""
        thread = threading.Thread(target=self._run, args=(kind, url, body_of, key), daemon=True)
        thread.start()

    def _run(self, kind: str, url: str, body_of: Any, key: str) -> None:
        cfg = self._state.config
        time.sleep(cfg.latency_ms / 1000)
        if self._state.roll(cfg.drop_callbacks):
            self._state.log_callback({"kind": kind, "key": key, "url": url, "dropped": True})
            return
        copies = 2 if self._state.roll(cfg.duplicate_callbacks) else 1
        body = body_of()
        for _ in range(copies):
            self._state.log_callback(
                {"kind": kind, "key": key, "url": url, "dropped": False, **deliver(url, body)}
            )


@functools.cache
def _callback_client() -> httpx.Client:
    """One pooled client for every callback (a client per POST cost ~20 ms of CPU: SSL context, pool)."""
    return httpx.Client(timeout=5.0, limits=httpx.Limits(max_connections=32))


def deliver(url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST one callback; the receiver's status code or the error."""
    try:
        response = _callback_client().post(url, json=body)
    except httpx.HTTPError as exc:
        return {"status": None, "error": repr(exc), "body": body}
    return {"status": response.status_code, "body": body}


def create_app(config: SandboxConfig | None = None) -> Flask:
    """The sandbox as a Flask app with its own in-memory state."""
    cfg = config or SandboxConfig()
    state = SandboxState(config=cfg, rng=random.Random(cfg.seed))
    sender = CallbackSender(state)
    app = Flask("mpesa_sandbox")
    app.config["MPESA_STATE"] = state

    def authorised() -> None:
        """Raise Daraja's invalid-token error unless a valid bearer token is present."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not state.token_valid(token.strip()):
            raise DarajaError(401, "404.001.03", "Invalid Access Token")
        if state.roll(cfg.fail_rate):
            raise DarajaError(500, "500.002.1001", "Injected fault")

    @app.errorhandler(DarajaError)
    def rejected(exc: DarajaError) -> Response:
        return daraja_error(exc.status, exc.code, exc.message)

    @app.get("/oauth/v1/generate")
    def token() -> Response:
        if request.args.get("grant_type") != "client_credentials":
            raise DarajaError(400, "400.008.02", "Invalid grant type passed")
        if basic_credentials(request.headers.get("Authorization", "")) != (
            cfg.consumer_key,
            cfg.consumer_secret,
        ):
            raise DarajaError(400, "400.008.01", "Invalid Authentication passed")
        return jsonify({"access_token": state.issue_token(), "expires_in": str(cfg.token_ttl_s)})

    @app.post("/mpesa/b2c/v3/paymentrequest")
    def b2c() -> Response:
        authorised()
        payout, created = state.add_payout(new_payout(validate_b2c(request.get_json(silent=True))))
        if not created:
            raise DarajaError(500, DUPLICATE_CODE, "Duplicate OriginatorConversationID.")
        if payout.result_code is not None:
            sender.schedule(
                "b2c",
                str(payout.body["ResultURL"]),
                lambda: b2c_result(payout),
                payout.originator_conversation_id,
            )
        return jsonify(
            {
                "ConversationID": payout.conversation_id,
                "OriginatorConversationID": payout.originator_conversation_id,
                "ResponseCode": "0",
                "ResponseDescription": "Accept the service request successfully.",
            }
        )

    @app.post("/mpesa/transactionstatus/v1/query")
    def transaction_status() -> Response:
        authorised()
        body = require(request.get_json(silent=True), ("Initiator", "CommandID", "PartyA", "ResultURL"))
        original = str(body.get("OriginalConversationID") or "")
        found = (
            state.payout(original)
            if original
            else state.payout_by_receipt(str(body.get("TransactionID", "")))
        )
        query = {
            "originator_conversation_id": f"{secrets.randbelow(90000) + 10000}-{secrets.randbelow(10**8)}-1",
            "conversation_id": new_id("AG_"),
            "original": original,
            "body": body,
        }
        state.log_query(query)
        sender.schedule(
            "status", str(body["ResultURL"]), lambda: status_result(query, found, cfg.latency_ms), original
        )
        return jsonify(
            {
                "OriginatorConversationID": query["originator_conversation_id"],
                "ConversationID": query["conversation_id"],
                "ResponseCode": "0",
                "ResponseDescription": "Accept the service request successfully.",
            }
        )

    @app.post("/mpesa/stkpush/v1/processrequest")
    def stk_push() -> Response:
        authorised()
        push = new_push(validate_stk(request.get_json(silent=True), cfg.passkey))
        state.add_push(push)
        if push.result_code is not None:
            sender.schedule(
                "stk", str(push.body["CallBackURL"]), lambda: stk_callback(push), push.checkout_request_id
            )
        return jsonify(
            {
                "MerchantRequestID": push.merchant_request_id,
                "CheckoutRequestID": push.checkout_request_id,
                "ResponseCode": "0",
                "ResponseDescription": "Success. Request accepted for processing",
                "CustomerMessage": "Success. Request accepted for processing",
            }
        )

    @app.post("/mpesa/stkpushquery/v1/query")
    def stk_query() -> Response:
        authorised()
        body = require(
            request.get_json(silent=True), ("BusinessShortCode", "Password", "Timestamp", "CheckoutRequestID")
        )
        check_password(body, cfg.passkey)
        push = state.push(str(body["CheckoutRequestID"]))
        if push is None:
            raise DarajaError(400, "400.002.02", "Bad Request - Invalid CheckoutRequestID")
        if push.result_code is None or time.monotonic() - push.received_at < cfg.latency_ms / 1000:
            raise DarajaError(500, "500.001.1001", "The transaction is being processed")
        return jsonify(
            {
                "ResponseCode": "0",
                "ResponseDescription": "The service request has been accepted successsfully",
                "MerchantRequestID": push.merchant_request_id,
                "CheckoutRequestID": push.checkout_request_id,
                "ResultCode": str(push.result_code),
                "ResultDesc": push.result_desc,
            }
        )

    @app.get("/sandbox/payouts")
    def list_payouts() -> Response:
        return jsonify({"payouts": [payout_row(p) for p in state.snapshot()["payouts"]]})

    @app.get("/sandbox/stk-pushes")
    def list_pushes() -> Response:
        return jsonify({"pushes": [push_row(p) for p in state.snapshot()["pushes"]]})

    @app.get("/sandbox/status-queries")
    def list_queries() -> Response:
        return jsonify({"queries": state.snapshot()["queries"]})

    @app.get("/sandbox/callbacks")
    def list_callbacks() -> Response:
        return jsonify({"callbacks": state.snapshot()["callbacks"]})

    add_housekeeping(app, state.reset)
    return app


def serve(host: str = "127.0.0.1", port: int = 8091, config: SandboxConfig | None = None) -> None:
    """Serve the sandbox (threaded) until interrupted."""
    serve_app(create_app(config), host, port, "mpesa sandbox")


def parse_args(argv: list[str] | None = None) -> tuple[str, int, SandboxConfig]:
    """Host, port and sandbox config from the command line and ``MPESA_SANDBOX_*`` variables."""
    parser = argparse.ArgumentParser(description="Local Safaricom M-Pesa Daraja sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    defaults = SandboxConfig()
    for name in ("consumer-key", "consumer-secret", "passkey"):
        env = "MPESA_SANDBOX_" + name.upper().replace("-", "_")
        parser.add_argument(
            f"--{name}", default=os.environ.get(env, getattr(defaults, name.replace("-", "_")))
        )
    parser.add_argument("--latency-ms", type=int, default=int(env_float("MPESA_SANDBOX_LATENCY_MS", 0)))
    parser.add_argument("--token-ttl-s", type=int, default=int(env_float("MPESA_SANDBOX_TOKEN_TTL_S", 3599)))
    for name in ("duplicate-callbacks", "drop-callbacks", "fail-rate"):
        env = "MPESA_SANDBOX_" + name.upper().replace("-", "_")
        parser.add_argument(f"--{name}", type=float, default=env_float(env, 0.0))
    seed = os.environ.get("MPESA_SANDBOX_SEED")
    parser.add_argument("--seed", type=int, default=int(seed) if seed else None)
    args = parser.parse_args(argv)
    config = SandboxConfig(
        consumer_key=args.consumer_key,
        consumer_secret=args.consumer_secret,
        passkey=args.passkey,
        latency_ms=args.latency_ms,
        token_ttl_s=args.token_ttl_s,
        duplicate_callbacks=args.duplicate_callbacks,
        drop_callbacks=args.drop_callbacks,
        fail_rate=args.fail_rate,
        seed=args.seed,
    )
    return args.host, args.port, config


def main(argv: list[str] | None = None) -> None:
    """Entry point for ``python -m emulators.mpesa_sandbox``."""
    host, port, config = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(host, port, config)


if __name__ == "__main__":
    main()
