"""HTTPS function `loans`: a borrower's loans and repayments; the ledger for admins."""

from __future__ import annotations

from datetime import datetime

from flask import Request

from mkopo.bootstrap import container, utcnow
from mkopo.entrypoints.identity import current_user
from mkopo.http.routing import HttpError, Reply, Router, json_body
from mkopo.service import loans, repayments
from mkopo.service.store import User

routes = Router()


def _admin(request: Request) -> User:
    user = current_user(request)
    if user.role != "admin":
        raise HttpError(404, "Not found", f"no resource at {request.path}")
    return user


@routes.route("GET", "/v1/loans")
def list_loans(request: Request) -> Reply:
    user = current_user(request)
    return Reply(200, {"loans": loans.list_loans(container().store, user_id=user.id, now=utcnow())})


@routes.route("GET", "/v1/loans/{loan_id}")
def get_loan(request: Request, loan_id: str) -> Reply:
    user = current_user(request)
    return Reply(200, loans.get_loan(container().store, user_id=user.id, loan_id=loan_id, now=utcnow()))


@routes.route("POST", "/v1/loans/{loan_id}/repayments")
def repay(request: Request, loan_id: str) -> Reply:
    c = container()
    user = current_user(request)
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 128:
        raise HttpError(400, "Idempotency-Key required", "send a unique Idempotency-Key header (1-128 chars)")
    cmd = json_body(request, repayments.RequestRepayment)
    result = repayments.request_repayment(
        cmd,
        user=user,
        loan_id=loan_id,
        key=key,
        store=c.store,
        payments=c.payments,
        publisher=c.publisher,
        now=utcnow(),
    )
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return Reply(result.status_code, result.body, headers)


@routes.route("GET", "/v1/ledger/accounts/{account}/balance")
def balance(request: Request, account: str) -> Reply:
    _admin(request)
    raw = request.args.get("at")
    try:
        at = datetime.fromisoformat(raw) if raw else None
    except ValueError as exc:
        raise HttpError(422, "Validation failed", "at must be an ISO 8601 timestamp") from exc
    if at is not None and at.tzinfo is None:
        raise HttpError(422, "Validation failed", "at must carry a timezone, e.g. 2026-11-29T12:00:00Z")
    return Reply(200, loans.account_balance(container().store, account=account, at=at))


@routes.route("GET", "/v1/ledger/accounts/{account}/entries")
def entries(request: Request, account: str) -> Reply:
    _admin(request)
    return Reply(200, {"entries": loans.account_entries(container().store, account=account, limit=500)})


@routes.route("GET", "/v1/ledger/trial-balance")
def trial(request: Request) -> Reply:
    _admin(request)
    return Reply(200, loans.trial_balance(container().store))
