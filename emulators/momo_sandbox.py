"""Local sandbox of the MTN MoMo disbursement and collection APIs: a stand-in for the provider, not our stack.

Run it with ``python -m emulators.momo_sandbox --host 127.0.0.1 --port 8090 [--latency-ms N]``.

Endpoints (MTN's published shapes)::

    POST /disbursement/token/                 Basic apiUser:apiKey -> 200 {access_token, token_type, ...}
    POST /disbursement/v1_0/transfer          202, empty; reused X-Reference-Id -> 409 RESOURCE_ALREADY_EXIST
    GET  /disbursement/v1_0/transfer/{refId}  200 {..., status, financialTransactionId?, reason?}; else 404
    GET  /sandbox/transfers                   {"transfers": [{referenceId, attempts, ...status view}]}:
                                              one row per reference, in arrival order; attempts counts
                                              the POSTs for it, 409s included (test helper)
    POST /collection/token/                   the same, for the collection product
    POST /collection/v1_0/requesttopay        202, empty; reused X-Reference-Id -> 409 RESOURCE_ALREADY_EXIST
    GET  /collection/v1_0/requesttopay/{ref}  200 {..., payer, status, financialTransactionId?, reason?}
    GET  /sandbox/requests-to-pay             {"requestsToPay": [...]}: like /sandbox/transfers (test helper)
    POST /sandbox/reset                       forget transfers, requests to pay and tokens (test helper)
    GET  /healthz                             200

Every API call needs ``Ocp-Apim-Subscription-Key``; transfer calls also need ``Authorization: Bearer <token>``
and ``X-Target-Environment`` (default ``sandbox``). Defaults for the credentials match ``mkopo.config``:
api user ``mkopo-local``, api key ``local-sandbox-key``, subscription key ``local-sandbox-subscription``.

Test numbers (payee ``partyId``, E.164 without '+'), like a card sandbox's test cards:

    254722xxxxxx  FAILED  reason PAYEE_NOT_FOUND            (wallet does not exist)
    254733xxxxxx  FAILED  reason NOT_ENOUGH_FUNDS           (our disbursement account is empty)
    254744xxxxxx  FAILED  reason INTERNAL_PROCESSING_ERROR  (MoMo's generic failure)
    254755xxxxxx  PENDING forever                           (never settles: exercises reconciliation)
    anything else SUCCESSFUL, with a numeric financialTransactionId

Collection test numbers (payer ``partyId``) follow the same rules with payer-side reasons:

    254722xxxxxx  FAILED  reason PAYER_NOT_FOUND
    254733xxxxxx  FAILED  reason NOT_ENOUGH_FUNDS           (the borrower's wallet is short)
    254744xxxxxx  FAILED  reason APPROVAL_REJECTED          (the borrower declined on the phone)
    254755xxxxxx  PENDING forever                           (never approved: exercises reconciliation)
    anything else SUCCESSFUL, with a numeric financialTransactionId

Latency, fault knobs and credentials apply to both products alike. X-Callback-Url is accepted and recorded
but no callback is sent (MoMo sends it once without retry; poll the status instead).

With ``--latency-ms N`` a transfer stays PENDING for N ms before settling; with 0 it settles at once.

Fault knobs for chaos tests (off by default; flags or ``MOMO_SANDBOX_*`` environment variables):

    --fail-rate F     (MOMO_SANDBOX_FAIL_RATE)     that share of transfer POSTs answer 500, record nothing
    --timeout-rate F  (MOMO_SANDBOX_TIMEOUT_RATE)  that share of transfer POSTs is recorded, then the reply
                                                   is held --hang-s seconds (MOMO_SANDBOX_HANG_S, default 30):
                                                   the client times out not knowing the transfer exists
    --seed N          (MOMO_SANDBOX_SEED)          seed for the fault dice, for reproducible runs

With ``--mode mtn`` (``MOMO_SANDBOX_MODE=mtn``) the sandbox follows MTN's public sandbox instead: EUR only and
MTN's own test numbers (4673312345x) only, anything else refused with a 400; see ``emulators/momo_mtn.py``.

Other flags: --token-ttl-s (default 3600), --api-user, --api-key, --subscription-key, --target-environment
(each also ``MOMO_SANDBOX_<NAME>``).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from emulators.momo_mtn import MODES, mtn_outcome, mtn_refusal
from emulators.momo_requests import (
    BadRequest,
    apim_denied,
    basic_credentials,
    bearer_token,
    momo_error,
    validate_body,
    validate_reference,
)
from emulators.sandbox_common import add_housekeeping, env_float, serve_app

TRANSFER_PATH = "/disbursement/v1_0/transfer"
REQUEST_TO_PAY_PATH = "/collection/v1_0/requesttopay"
OUTCOMES: dict[str, tuple[str, str | None]] = {
    "254722": ("FAILED", "PAYEE_NOT_FOUND"),
    "254733": ("FAILED", "NOT_ENOUGH_FUNDS"),
    "254744": ("FAILED", "INTERNAL_PROCESSING_ERROR"),
    "254755": ("PENDING", None),
}
COLLECTION_OUTCOMES: dict[str, tuple[str, str | None]] = {
    "254722": ("FAILED", "PAYER_NOT_FOUND"),
    "254733": ("FAILED", "NOT_ENOUGH_FUNDS"),
    "254744": ("FAILED", "APPROVAL_REJECTED"),
    "254755": ("PENDING", None),
}


@dataclass(frozen=True)
class SandboxConfig:
    """Credentials, latency and fault knobs of one sandbox instance."""

    api_user: str = "mkopo-local"
    api_key: str = "local-sandbox-key"
    subscription_key: str = "local-sandbox-subscription"
    target_environment: str = "sandbox"
    latency_ms: int = 0
    token_ttl_s: int = 3600
    fail_rate: float = 0.0
    timeout_rate: float = 0.0
    hang_s: float = 30.0
    seed: int | None = None
    mode: str = "local"  # "mtn": MTN's public sandbox rules (emulators/momo_mtn.py)


@dataclass
class Transfer:
    """One transfer as received, plus the outcome it will settle to."""

    reference_id: str
    body: dict[str, Any]
    received_at: float
    outcome: str
    reason: str | None
    financial_transaction_id: str
    attempts: int = 1


@dataclass
class SandboxState:
    """Thread-safe in-memory transfers and tokens."""

    config: SandboxConfig
    lock: threading.Lock = field(default_factory=threading.Lock)
    transfers: dict[str, Transfer] = field(default_factory=dict)
    requests_to_pay: dict[str, Transfer] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    def issue_token(self) -> str:
        """Issue a bearer token valid for the configured TTL."""
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.config.token_ttl_s
        return token

    def token_valid(self, token: str) -> bool:
        """Whether a bearer token was issued here and has not expired."""
        with self.lock:
            expires_at = self.tokens.get(token)
        return expires_at is not None and time.monotonic() < expires_at

    def add(self, transfer: Transfer, *, collection: bool = False) -> bool:
        """Record a transfer (or request to pay); False, counting the attempt, if its reference was used."""
        book = self.requests_to_pay if collection else self.transfers
        with self.lock:
            existing = book.get(transfer.reference_id)
            if existing is not None:
                existing.attempts += 1
                return False
            book[transfer.reference_id] = transfer
            return True

    def get(self, reference_id: str, *, collection: bool = False) -> Transfer | None:
        """The transfer (or request to pay) with this reference, if any."""
        with self.lock:
            return (self.requests_to_pay if collection else self.transfers).get(reference_id)

    def all(self, *, collection: bool = False) -> list[Transfer]:
        """Every transfer (or request to pay) received, in arrival order."""
        with self.lock:
            return list((self.requests_to_pay if collection else self.transfers).values())

    def roll(self, rate: float) -> bool:
        """True with probability ``rate``."""
        with self.lock:
            return rate > 0 and self.rng.random() < rate

    def reset(self) -> None:
        """Forget every transfer, request to pay and token."""
        with self.lock:
            self.transfers.clear()
            self.requests_to_pay.clear()
            self.tokens.clear()


def outcome_for(party_id: str, table: dict[str, tuple[str, str | None]] = OUTCOMES) -> tuple[str, str | None]:
    """The final status and reason the sandbox assigns to a payee (or, with the collection table, a payer)."""
    return table.get(party_id[:6], ("SUCCESSFUL", None))


def current_status(transfer: Transfer, latency_ms: int) -> str:
    """PENDING until the latency has passed, then the transfer's outcome."""
    if time.monotonic() - transfer.received_at < latency_ms / 1000:
        return "PENDING"
    return transfer.outcome


def transfer_view(transfer: Transfer, latency_ms: int, party: str = "payee") -> dict[str, Any]:
    """The GET status body MoMo returns for one transfer (``party`` "payee") or request to pay ("payer")."""
    status = current_status(transfer, latency_ms)
    view: dict[str, Any] = {key: transfer.body.get(key) for key in ("amount", "currency", "externalId")}
    view[party] = transfer.body.get(party)
    view["payerMessage"] = transfer.body.get("payerMessage", "")
    view["payeeNote"] = transfer.body.get("payeeNote", "")
    view["status"] = status
    if status == "SUCCESSFUL":
        view["financialTransactionId"] = transfer.financial_transaction_id
    if status == "FAILED":
        view["reason"] = transfer.reason
    return view


def listing_row(transfer: Transfer, latency_ms: int, party: str = "payee") -> dict[str, Any]:
    """One row of ``GET /sandbox/transfers`` (or requests-to-pay): the status view, reference and attempts."""
    return {
        "referenceId": transfer.reference_id,
        "attempts": transfer.attempts,
        **transfer_view(transfer, latency_ms, party),
    }


def new_transfer(
    reference_id: str, body: dict[str, Any], party: str = "payee", mode: str = "local"
) -> Transfer:
    """A transfer (or, for ``party`` "payer", request to pay) with its outcome decided by the test number."""
    table = COLLECTION_OUTCOMES if party == "payer" else OUTCOMES
    party_id = body[party]["partyId"]
    outcome, reason = mtn_outcome(party_id) if mode == "mtn" else outcome_for(party_id, table)
    return Transfer(
        reference_id=reference_id,
        body=body,
        received_at=time.monotonic(),
        outcome=outcome,
        reason=reason,
        financial_transaction_id=str(10**9 + secrets.randbelow(9 * 10**9)),
    )


def create_app(config: SandboxConfig | None = None) -> Flask:
    """The sandbox as a Flask app with its own in-memory state."""
    cfg = config or SandboxConfig()
    state = SandboxState(config=cfg, rng=random.Random(cfg.seed))
    app = Flask("momo_sandbox")
    app.config["MOMO_STATE"] = state

    def check_gateway(needs_bearer: bool) -> Response | None:
        """The gateway's 401/400 for a request, or None if it may pass."""
        if request.headers.get("Ocp-Apim-Subscription-Key") != cfg.subscription_key:
            return apim_denied("Access denied due to invalid subscription key.")
        if needs_bearer and not state.token_valid(bearer_token(request.headers.get("Authorization", ""))):
            return apim_denied("Access denied due to invalid or expired access token.")
        if needs_bearer and request.headers.get("X-Target-Environment") != cfg.target_environment:
            return momo_error(400, "NOT_ALLOWED_TARGET_ENVIRONMENT", "Unknown X-Target-Environment")
        return None

    def checked_body(party: str) -> dict[str, Any]:
        """The request's body if valid (and, in mtn mode, acceptable to MTN's sandbox), else a 400."""
        body = validate_body(request.get_json(silent=True), party=party)
        refusal = mtn_refusal(body, party) if cfg.mode == "mtn" else None
        if refusal is not None:
            raise BadRequest(*refusal)
        return body

    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest) -> Response:
        return momo_error(400, exc.code, exc.message)

    @app.post("/collection/token/")
    @app.post("/disbursement/token/")
    def token() -> Response | tuple[Response, int]:
        if request.headers.get("Ocp-Apim-Subscription-Key") != cfg.subscription_key:
            return apim_denied("Access denied due to invalid subscription key.")
        if basic_credentials(request.headers.get("Authorization", "")) != (cfg.api_user, cfg.api_key):
            return jsonify({"error": "login_failed"}), 401
        body = {"access_token": state.issue_token(), "token_type": "access_token"}
        return jsonify({**body, "expires_in": cfg.token_ttl_s})

    @app.post(TRANSFER_PATH)
    def transfer() -> Response:
        denied = check_gateway(needs_bearer=True)
        if denied is not None:
            return denied
        reference_id = validate_reference(request.headers.get("X-Reference-Id"))
        body = checked_body("payee")
        if state.roll(cfg.fail_rate):
            return momo_error(500, "INTERNAL_PROCESSING_ERROR", "Injected fault")
        if not state.add(new_transfer(reference_id, body, mode=cfg.mode)):
            return momo_error(409, "RESOURCE_ALREADY_EXIST", "Duplicated reference id. Creation failed.")
        if state.roll(cfg.timeout_rate):
            time.sleep(cfg.hang_s)
        return Response(status=202)

    @app.get(f"{TRANSFER_PATH}/<reference_id>")
    def transfer_status(reference_id: str) -> Response:
        denied = check_gateway(needs_bearer=True)
        if denied is not None:
            return denied
        found = state.get(reference_id.lower())
        if found is None:
            return momo_error(404, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
        return jsonify(transfer_view(found, cfg.latency_ms))

    @app.post(REQUEST_TO_PAY_PATH)
    def request_to_pay() -> Response:
        denied = check_gateway(needs_bearer=True)
        if denied is not None:
            return denied
        reference_id = validate_reference(request.headers.get("X-Reference-Id"))
        body = checked_body("payer")
        if state.roll(cfg.fail_rate):
            return momo_error(500, "INTERNAL_PROCESSING_ERROR", "Injected fault")
        if not state.add(new_transfer(reference_id, body, "payer", cfg.mode), collection=True):
            return momo_error(409, "RESOURCE_ALREADY_EXIST", "Duplicated reference id. Creation failed.")
        if state.roll(cfg.timeout_rate):
            time.sleep(cfg.hang_s)
        return Response(status=202)

    @app.get(f"{REQUEST_TO_PAY_PATH}/<reference_id>")
    def request_to_pay_status(reference_id: str) -> Response:
        denied = check_gateway(needs_bearer=True)
        if denied is not None:
            return denied
        found = state.get(reference_id.lower(), collection=True)
        if found is None:
            return momo_error(404, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
        return jsonify(transfer_view(found, cfg.latency_ms, party="payer"))

    @app.get("/sandbox/requests-to-pay")
    def list_requests_to_pay() -> Response:
        rows = [listing_row(t, cfg.latency_ms, party="payer") for t in state.all(collection=True)]
        return jsonify({"requestsToPay": rows})

    @app.get("/sandbox/transfers")
    def list_transfers() -> Response:
        rows = [listing_row(t, cfg.latency_ms) for t in state.all()]
        return jsonify({"transfers": rows})

    add_housekeeping(app, state.reset)
    return app


def serve(host: str = "127.0.0.1", port: int = 8090, config: SandboxConfig | None = None) -> None:
    """Serve the sandbox (threaded) until interrupted."""
    serve_app(create_app(config), host, port, "momo sandbox")


def parse_args(argv: list[str] | None = None) -> tuple[str, int, SandboxConfig]:
    """Host, port and sandbox config from the command line and ``MOMO_SANDBOX_*`` variables."""
    parser = argparse.ArgumentParser(description="Local MTN MoMo disbursement and collection sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    for name, default in (
        ("api-user", "mkopo-local"),
        ("api-key", "local-sandbox-key"),
        ("subscription-key", "local-sandbox-subscription"),
        ("target-environment", "sandbox"),
    ):
        env = "MOMO_SANDBOX_" + name.upper().replace("-", "_")
        parser.add_argument(f"--{name}", default=os.environ.get(env, default))
    parser.add_argument("--latency-ms", type=int, default=int(env_float("MOMO_SANDBOX_LATENCY_MS", 0)))
    parser.add_argument("--token-ttl-s", type=int, default=int(env_float("MOMO_SANDBOX_TOKEN_TTL_S", 3600)))
    parser.add_argument("--fail-rate", type=float, default=env_float("MOMO_SANDBOX_FAIL_RATE", 0.0))
    parser.add_argument("--timeout-rate", type=float, default=env_float("MOMO_SANDBOX_TIMEOUT_RATE", 0.0))
    parser.add_argument("--hang-s", type=float, default=env_float("MOMO_SANDBOX_HANG_S", 30.0))
    mode = os.environ.get("MOMO_SANDBOX_MODE", "local")
    parser.add_argument("--mode", choices=MODES, default=mode, help="mtn: MTN's public sandbox rules")
    seed = os.environ.get("MOMO_SANDBOX_SEED")
    parser.add_argument("--seed", type=int, default=int(seed) if seed else None)
    args = parser.parse_args(argv)
    config = SandboxConfig(
        api_user=args.api_user,
        api_key=args.api_key,
        subscription_key=args.subscription_key,
        target_environment=args.target_environment,
        latency_ms=args.latency_ms,
        token_ttl_s=args.token_ttl_s,
        fail_rate=args.fail_rate,
        timeout_rate=args.timeout_rate,
        hang_s=args.hang_s,
        seed=args.seed,
        mode=args.mode,
    )
    return args.host, args.port, config


def main(argv: list[str] | None = None) -> None:
    """Entry point for ``python -m emulators.momo_sandbox``."""
    host, port, config = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(host, port, config)


if __name__ == "__main__":
    main()
