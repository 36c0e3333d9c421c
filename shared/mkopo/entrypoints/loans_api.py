"""HTTPS function `loans`: a borrower's loans and repayments; the ledger for admins."""

from __future__ import annotations

from datetime import datetime

from flask import Request

from mkopo.domain.restructuring import RestructureTerms
from mkopo.entrypoints.app import Api
from mkopo.entrypoints.container import AppContainer
from mkopo.entrypoints.identity import ADMIN, ANYONE, STAFF, current_user
from mkopo.http import loan_schemas, schemas
from mkopo.http.routing import HttpError, Reply, Router, idempotency_key, json_body, query_params
from mkopo.service import loans, provisioning, repayments, restructuring, write_offs
from mkopo.service.store import User

api = Api(authenticate=current_user)


def create_app(container: AppContainer) -> Router:
    return api.bind(container)


IDEMPOTENCY = {"Idempotency-Key": "Unique per repayment attempt (1-128 chars); a repeat replays the answer"}


@api.route(
    "GET",
    "/v1/loans",
    summary="The caller's loans, newest first",
    roles=ANYONE,
    responses={200: loan_schemas.LoanList},
    tags=("loans",),
)
def list_loans(c: AppContainer, request: Request, user: User) -> Reply:
    return Reply(200, {"loans": loans.list_loans(c.store, user_id=user.id, now=c.now())})


@api.route(
    "GET",
    "/v1/loans/{loan_id}",
    summary="One loan: principal, cost, paid, outstanding, next due, schedule and repayments (owner)",
    roles=ANYONE,
    responses={200: loan_schemas.LoanOut},
    tags=("loans",),
)
def get_loan(c: AppContainer, request: Request, user: User, loan_id: str) -> Reply:
    return Reply(200, loans.get_loan(c.store, user_id=user.id, loan_id=loan_id, now=c.now()))


@api.route(
    "POST",
    "/v1/loans/{loan_id}/repayments",
    summary="Repay from the borrower's wallet: M-Pesa STK Push in Kenya, MTN MoMo elsewhere (owner)",
    roles=ANYONE,
    body=repayments.RequestRepayment,
    headers=IDEMPOTENCY,
    responses={202: loan_schemas.RepaymentAccepted},
    tags=("loans",),
)
def repay(c: AppContainer, request: Request, user: User, loan_id: str) -> Reply:
    key = idempotency_key(request)
    cmd = json_body(request, repayments.RequestRepayment)
    result = repayments.request_repayment(
        cmd,
        user=user,
        loan_id=loan_id,
        key=key,
        store=c.store,
        payments=c.payments,
        publisher=c.publisher,
        credit_terms=c.settings.credit_terms(),
        now=c.now(),
    )
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return Reply(result.status_code, result.body, headers)


@api.route(
    "POST",
    "/v1/loans/{loan_id}/restructure",
    summary="Propose a new schedule for a loan in arrears (officers, admins); 409 if not in arrears",
    roles=STAFF,
    body=RestructureTerms,
    responses={201: loan_schemas.ProposalOut},
    tags=("restructuring",),
)
def propose(c: AppContainer, request: Request, user: User, loan_id: str) -> Reply:
    terms = json_body(request, RestructureTerms)
    ttl = c.settings.restructure_proposal_ttl_days
    view = restructuring.propose(loan_id, terms, officer=user, store=c.store, now=c.now(), ttl_days=ttl)
    return Reply(201, view)


@api.route(
    "GET",
    "/v1/loans/{loan_id}/restructure",
    summary="A loan's restructure proposals, newest first (officers, admins)",
    roles=STAFF,
    responses={200: loan_schemas.ProposalList},
    tags=("restructuring",),
)
def proposals(c: AppContainer, request: Request, user: User, loan_id: str) -> Reply:
    now = c.now()
    found = [restructuring.proposal_view(p, now) for p in c.store.list_proposals(loan_id, 50)]
    return Reply(200, {"proposals": found})


def _decide(
    c: AppContainer, request: Request, user: User, loan_id: str, proposal_id: str, outcome: str
) -> Reply:
    cmd = json_body(request, restructuring.ProposalDecision)
    view = restructuring.decide(
        loan_id,
        proposal_id,
        restructuring.Outcome(outcome),
        cmd,
        officer=user,
        store=c.store,
        publisher=c.publisher,
        now=c.now(),
    )
    return Reply(200, view)


@api.route(
    "POST",
    "/v1/loans/{loan_id}/restructure/{proposal_id}/approve",
    summary="Approve a restructure proposal: another officer or an admin than its maker (403 on your own)",
    roles=STAFF,
    body=restructuring.ProposalDecision,
    responses={200: loan_schemas.ProposalOut},
    tags=("restructuring",),
)
def approve(c: AppContainer, request: Request, user: User, loan_id: str, proposal_id: str) -> Reply:
    return _decide(c, request, user, loan_id, proposal_id, "APPROVED")


@api.route(
    "POST",
    "/v1/loans/{loan_id}/restructure/{proposal_id}/reject",
    summary="Reject a restructure proposal (officers, admins); 409 once decided",
    roles=STAFF,
    body=restructuring.ProposalDecision,
    responses={200: loan_schemas.ProposalOut},
    tags=("restructuring",),
)
def reject(c: AppContainer, request: Request, user: User, loan_id: str, proposal_id: str) -> Reply:
    return _decide(c, request, user, loan_id, proposal_id, "REJECTED")


@api.route(
    "POST",
    "/v1/loans/{loan_id}/restructure/{proposal_id}/accept",
    summary="The borrower accepts an approved proposal: the new schedule takes effect (owner); 409 expired",
    roles=ANYONE,
    responses={200: loan_schemas.ProposalOut},
    tags=("restructuring",),
)
def accept(c: AppContainer, request: Request, user: User, loan_id: str, proposal_id: str) -> Reply:
    view = restructuring.accept(
        loan_id, proposal_id, borrower=user, via="api", store=c.store, publisher=c.publisher, now=c.now()
    )
    return Reply(200, view)


@api.route(
    "POST",
    "/v1/loans/{loan_id}/write-off",
    summary="Write a loan off with a reason: WRITTEN_OFF, receivables to loan losses, limit frozen (admins)",
    roles=ADMIN,
    body=write_offs.WriteOffRequest,
    responses={200: loan_schemas.WriteOffOut},
    tags=("loans",),
)
def write_off(c: AppContainer, request: Request, user: User, loan_id: str) -> Reply:
    cmd = json_body(request, write_offs.WriteOffRequest)
    return Reply(
        200, write_offs.write_off(c.store, loan_id=loan_id, reason=cmd.reason, admin=user, now=c.now())
    )


@api.route(
    "GET",
    "/v1/ledger/accounts/{account}/balance",
    summary="Balance of a ledger account, now or at any past time (admins)",
    roles=ADMIN,
    query=schemas.BalanceQuery,
    responses={200: schemas.LedgerBalance},
    tags=("ledger",),
)
def balance(c: AppContainer, request: Request, user: User, account: str) -> Reply:
    q = query_params(request, schemas.BalanceQuery)
    try:
        at = datetime.fromisoformat(q.at) if q.at else None
    except ValueError as exc:
        raise HttpError(422, "Validation failed", "at must be an ISO 8601 timestamp") from exc
    if at is not None and at.tzinfo is None:
        raise HttpError(422, "Validation failed", "at must carry a timezone, e.g. 2026-11-29T12:00:00+00:00")
    return Reply(200, loans.account_balance(c.store, account=account, at=at))


@api.route(
    "GET",
    "/v1/ledger/accounts/{account}/entries",
    summary="Journal entries touching an account (admins)",
    roles=ADMIN,
    responses={200: schemas.LedgerEntries},
    tags=("ledger",),
)
def entries(c: AppContainer, request: Request, user: User, account: str) -> Reply:
    return Reply(200, {"entries": loans.account_entries(c.store, account=account, limit=500)})


@api.route(
    "GET",
    "/v1/ledger/trial-balance",
    summary="Every journal line summed per currency: zero (admins)",
    roles=ADMIN,
    responses={200: schemas.TrialBalance},
    tags=("ledger",),
)
def trial(c: AppContainer, request: Request, user: User) -> Reply:
    return Reply(200, loans.trial_balance(c.store))


@api.route(
    "GET",
    "/v1/ledger/provisions",
    summary="Loan-loss allowance, gross receivables and coverage per currency and bucket (admins)",
    roles=ADMIN,
    responses={200: schemas.Provisions},
    tags=("ledger",),
)
def provisions(c: AppContainer, request: Request, user: User) -> Reply:
    return Reply(200, provisioning.provisions_view(c.store, now=c.now(), rates=c.settings.provision_rates))
