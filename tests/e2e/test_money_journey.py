"""Money end to end: a Kenyan borrower on M-Pesa and a Ugandan borrower on MTN MoMo borrow and repay."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from google.cloud import firestore

from mkopo.adapters.firestore import FirestoreStore
from mkopo.domain import ledger
from mkopo.domain.money import Money
from tests.e2e.test_loan_journey import Borrower, sandbox_number, wait_for

pytestmark = pytest.mark.e2e


def loan(borrower: Borrower, loan_id: str) -> dict[str, Any]:
    r = borrower.api.get(f"/v1/loans/{loan_id}", headers=borrower.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def repay(borrower: Borrower, loan_id: str, amount: str) -> dict[str, Any]:
    headers = borrower.headers | {"Idempotency-Key": str(uuid.uuid4())}
    r = borrower.api.post(f"/v1/loans/{loan_id}/repayments", json={"amount": amount}, headers=headers)
    assert r.status_code == 202, r.text
    body = dict(r.json())
    settled = wait_for(
        lambda: next(
            (
                x
                for x in loan(borrower, loan_id)["repayments"]
                if x["id"] == body["id"] and x["status"] != "PENDING"
            ),
            None,
        ),
        timeout=40,
    )
    assert settled["status"] == "SUCCESSFUL", settled
    return dict(settled)


def borrow_and_repay(api: httpx.Client, phone: str, amount: str, currency: str, provider: str) -> str:
    borrower = Borrower(api, phone)
    offer = borrower.offers(amount=amount, currency=currency)[0]
    r = borrower.checkout(offer["id"])
    assert r.status_code == 202, r.text
    app = wait_for(
        lambda: (
            (a := borrower.application(r.json()["application_id"]))["status"]
            in {"DISBURSED", "REJECTED", "DISBURSEMENT_FAILED"}
            and a
        ),
        timeout=40,
    )
    assert app["status"] == "DISBURSED", app
    assert app["disbursement"]["provider"] == provider
    loan_id = app["id"]
    before = loan(borrower, loan_id)
    assert before["status"] == "ACTIVE" and before["outstanding"] == offer["total_repayable"]
    assert before["principal"] == offer["amount"] and before["next_due"]["amount"] == offer["total_repayable"]

    total = Decimal(before["outstanding"])
    first = (total / 3).quantize(Decimal(1))
    repay(borrower, loan_id, str(first))
    middle = loan(borrower, loan_id)
    assert Decimal(middle["outstanding"]) == total - first and middle["status"] == "ACTIVE"
    repay(borrower, loan_id, str(total - first))
    after = loan(borrower, loan_id)
    assert after["status"] == "REPAID" and Decimal(after["outstanding"]) == 0
    assert Decimal(after["paid"]) == total
    kinds = wait_for(
        lambda: {n["event_type"] for n in borrower.notifications()} >= {"repayment_received", "loan_repaid"}
    )
    assert kinds
    return loan_id


def test_kenyan_borrower_paid_and_repaying_by_mpesa(api: httpx.Client, stack: Any) -> None:
    loan_id = borrow_and_repay(api, sandbox_number("+2547000000"), "5000", "KES", "mpesa")
    assert_ledger_balances(stack, loan_id)


def test_ugandan_borrower_paid_and_repaying_by_momo(api: httpx.Client, stack: Any) -> None:
    loan_id = borrow_and_repay(api, sandbox_number("+2567700000"), "100000", "UGX", "mtn-momo")
    assert_ledger_balances(stack, loan_id)


def assert_ledger_balances(stack: Any, loan_id: str) -> None:
    store = FirestoreStore(firestore.Client(project=stack.project))
    entries = store.journal_entries(limit=100_000)
    assert entries and all(e.debits == e.credits for e in entries)
    assert set(ledger.trial_balance(entries).values()) == {0}
    assert ledger.loan_receivable_balance(entries, loan_id) == 0


def test_repayment_input_is_checked(api: httpx.Client) -> None:
    borrower = Borrower(api, sandbox_number("+2547000000"))
    r = borrower.api.post(
        "/v1/loans/0b7f9d3e-7a51-4c0e-9a51-3c2f0d7e8b11/repayments",
        json={"amount": "10"},
        headers=borrower.headers | {"Idempotency-Key": "k"},
    )
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    r = borrower.api.post(
        "/v1/loans/0b7f9d3e-7a51-4c0e-9a51-3c2f0d7e8b11/repayments",
        json={"amount": "10"},
        headers=borrower.headers,
    )
    assert r.status_code == 400
    assert borrower.api.get("/v1/ledger/trial-balance", headers=borrower.headers).status_code == 403


def provider_statement(stack: Any) -> dict[str, int]:
    """Net money at each provider (collections minus payouts), minor units, from the sandboxes' own books."""
    net: dict[str, int] = {}
    mpesa = f"http://127.0.0.1:{stack.ports.mpesa_sandbox}"
    payouts = httpx.get(f"{mpesa}/sandbox/payouts", trust_env=False).json()["payouts"]
    pushes = httpx.get(f"{mpesa}/sandbox/stk-pushes", trust_env=False).json()["pushes"]
    kes = "cash_at_provider:mpesa:KES"
    net[kes] = sum(int(p["paidAmount"] or 0) * 100 for p in pushes if p["resultCode"] == 0)
    net[kes] -= sum(int(p["paidAmount"] or 0) * 100 for p in payouts if p["resultCode"] == 0)
    for path, key, sign in (("transfers", "transfers", -1), ("requests-to-pay", "requestsToPay", 1)):
        for row in httpx.get(f"{stack.momo_url}/sandbox/{path}", trust_env=False).json()[key]:
            if row["status"] == "SUCCESSFUL":
                account = f"cash_at_provider:mtn-momo:{row['currency']}"
                net[account] = net.get(account, 0) + sign * int(
                    Money.parse(Decimal(str(row["amount"])), row["currency"]).minor
                )
    return net


def ledger_cash(stack: Any) -> dict[str, int]:
    store = FirestoreStore(firestore.Client(project=stack.project))
    balances = ledger.account_balances(store.journal_entries(limit=100_000))
    return {str(acc): bal for acc, bal in balances.items() if acc.kind == ledger.AccountKind.CASH_AT_PROVIDER}


def test_provider_statements_reconcile_with_the_ledger(stack: Any) -> None:
    """Every shilling the providers moved is in the ledger, and nothing else is (after the journeys above)."""
    matched = wait_for(
        lambda: (s := provider_statement(stack)) == (book := ledger_cash(stack)) and (s, book), 30
    )
    statement, book = matched
    assert statement == book and any(v != 0 for v in statement.values()), "the journeys above moved money"
