"""No more is collected than is owed: one request above it, or many in parallel, over HTTP on the stack."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from tests.e2e.test_loan_journey import Borrower, sandbox_number, wait_for
from tests.e2e.test_money_journey import loan

pytestmark = pytest.mark.e2e


def disbursed_loan(api: httpx.Client) -> tuple[Borrower, str, Decimal]:
    borrower = Borrower(api, sandbox_number("+2547000000"))
    offer = borrower.offers(amount="5000", currency="KES")[0]
    r = borrower.checkout(offer["id"])
    assert r.status_code == 202, r.text
    app = wait_for(
        lambda: (a := borrower.application(r.json()["application_id"]))["status"] == "DISBURSED" and a
    )
    return borrower, app["id"], Decimal(loan(borrower, app["id"])["outstanding"])


def ask(borrower: Borrower, loan_id: str, amount: str) -> httpx.Response:
    headers = borrower.headers | {"Idempotency-Key": str(uuid.uuid4())}
    return borrower.api.post(f"/v1/loans/{loan_id}/repayments", json={"amount": amount}, headers=headers)


def test_one_repayment_above_what_is_owed_is_a_422_naming_the_most(api: httpx.Client) -> None:
    borrower, loan_id, owed = disbursed_loan(api)
    r = ask(borrower, loan_id, str(owed + 3650))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert f"at most {owed:.2f} KES may be paid" in r.json()["detail"]
    assert loan(borrower, loan_id)["repayments"] == []


def test_parallel_repayments_together_never_exceed_what_is_owed(api: httpx.Client, gateway_url: str) -> None:
    borrower, loan_id, owed = disbursed_loan(api)
    part = (owed / 5).quantize(Decimal(1)) + 100  # five of these are more than is owed

    def one(_: int) -> httpx.Response:
        with httpx.Client(base_url=gateway_url, timeout=30) as client:
            headers = borrower.headers | {"Idempotency-Key": str(uuid.uuid4())}
            return client.post(f"/v1/loans/{loan_id}/repayments", json={"amount": str(part)}, headers=headers)

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(one, range(10)))
    accepted = [r for r in answers if r.status_code == 202]
    assert {r.status_code for r in answers} <= {202, 422}, [r.text for r in answers]
    assert len(accepted) >= 1 and len(accepted) * part <= owed
    settled = wait_for(  # a result that lost the race for the loan is settled by reconciliation
        lambda: (
            (reps := loan(borrower, loan_id)["repayments"])
            and all(x["status"] != "PENDING" for x in reps)
            and reps
        ),
        timeout=60,
    )
    collected = sum(Decimal(x["amount"]) for x in settled if x["status"] == "SUCCESSFUL")
    assert collected <= owed and Decimal(loan(borrower, loan_id)["credit_balance"]) == 0
