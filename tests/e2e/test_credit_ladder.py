"""The limit ladder on the local stack: a first limit, an on-time repayment that raises it, a bigger loan
approved within the new limit, and the next loan 31 days overdue stepping the limit back down."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.test_loan_journey import Borrower, sandbox_number, wait_for
from tests.e2e.test_money_journey import loan, repay

pytestmark = pytest.mark.e2e


def credit(borrower: Borrower) -> dict[str, Any]:
    r = borrower.api.get("/v1/users/me/credit", headers=borrower.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def borrow(borrower: Borrower, amount: str) -> dict[str, Any]:
    r = borrower.api.get(
        "/v1/offers", params={"amount": amount, "currency": "KES", "term_days": 30}, headers=borrower.headers
    )
    assert r.status_code == 200, r.text
    offer = r.json()["offers"][0]
    assert offer["eligible"], offer
    accepted = borrower.checkout(offer["id"])
    assert accepted.status_code == 202, accepted.text
    return borrower.settle(accepted.json()["application_id"])


def arrears_as_of(stack: Any, day: date) -> None:
    """The operator's arrears run for a day (``python -m mkopo.ops arrears``) against this stack."""
    env = os.environ | stack.emulator_env()
    done = subprocess.run(
        [sys.executable, "-m", "mkopo.ops", "arrears", "--as-of", day.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_limit_grows_with_an_on_time_repayment_and_steps_down_when_late(
    api: httpx.Client, stack: Any
) -> None:
    borrower = Borrower(api, sandbox_number("+2547000000"))
    first = credit(borrower)
    assert (first["limit"], first["next_limit_if_repaid_on_time"]) == ("12500.00", "18750.00")
    assert first["reasons"] == ["FIRST_LOAN"] and first["loans_repaid_on_time"] == 0
    too_big = api.get(
        "/v1/offers", params={"amount": "15000", "currency": "KES", "term_days": 30}, headers=borrower.headers
    ).json()["offers"]
    assert {o["ineligible_reason"] for o in too_big} == {"ABOVE_YOUR_LIMIT"}

    one = borrow(borrower, "5000")
    assert one["status"] == "DISBURSED", one
    repay(borrower, one["id"], loan(borrower, one["id"])["outstanding"])
    raised = wait_for(lambda: (c := credit(borrower))["limit"] == "18750.00" and c)
    assert raised["loans_repaid_on_time"] == 1 and raised["reasons"] == ["REPAID_ON_TIME"]
    sms = wait_for(lambda: [n for n in borrower.notifications() if n["event_type"] == "loan_repaid"])
    assert "Your limit is now KES 18750.00" in sms[0]["text"]

    two = borrow(borrower, "15000")  # above the first limit, within the new one
    assert two["status"] == "DISBURSED", two
    due = date.fromisoformat(loan(borrower, two["id"])["schedule"][-1]["due_date"])
    arrears_as_of(stack, due + timedelta(days=31))
    late = credit(borrower)
    assert late["limit"] == "12500.00" and "MORE_THAN_30_DAYS_LATE" in late["reasons"]
