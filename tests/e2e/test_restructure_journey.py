"""Restructuring on the local stack: a loan overdue (the arrears run as of a later day) is proposed a new
schedule by one officer, approved by another, accepted by the borrower, and then falls behind again."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from emulators.stack import Stack

from tests.e2e.test_access import PASSWORD, Client, admin, login, officer, thin_number  # noqa: F401
from tests.e2e.test_credit_ladder import borrow
from tests.e2e.test_loan_journey import Borrower, assert_problem, sandbox_number, wait_for
from tests.e2e.test_money_journey import loan

pytestmark = pytest.mark.e2e


def arrears_as_of(stack: Stack, day: date) -> str:
    """The operator's arrears run for a day; what it did (``overdue=N`` ...)."""
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
    return done.stdout


def counts(output: str) -> dict[str, int]:
    return {k: int(v) for k, v in (part.split("=") for part in output.split())}


@pytest.fixture(scope="module")
def second_officer(api: httpx.Client, admin: Client) -> Client:  # noqa: F811
    phone = thin_number()
    body = {"phone": phone, "password": PASSWORD, "full_name": "Wanjiku W", "role": "officer"}
    r = admin.post("/v1/users", body)
    assert r.status_code == 201, r.text
    return Client(api, phone, login(api, phone), r.json()["user_id"])


def cents(amount: str) -> int:
    return int(amount.replace(".", ""))  # KES: 2 decimals


def charged(view: dict[str, Any]) -> int:
    """The late fees and penalties a loan was ever charged (minor units)."""
    late = view["late_charges"]
    return cents(late["fees_charged"]) + cents(late["penalties_charged"])


def trial_balance(admin: Client) -> dict[str, int]:  # noqa: F811
    r = admin.get("/v1/ledger/trial-balance")
    assert r.status_code == 200, r.text
    return dict(r.json()["totals_minor"])


def test_restructure_with_two_approvals_and_the_borrowers_yes(
    api: httpx.Client,
    stack: Stack,
    admin: Client,  # noqa: F811
    officer: Client,  # noqa: F811
    second_officer: Client,
) -> None:
    borrower = Borrower(api, sandbox_number("+2547000000"))
    disbursed = borrow(borrower, "5000")
    assert disbursed["status"] == "DISBURSED", disbursed
    loan_id = disbursed["id"]
    before = loan(borrower, loan_id)
    due = date.fromisoformat(before["schedule"][-1]["due_date"])
    path = f"/v1/loans/{loan_id}/restructure"
    first_due = date.today() + timedelta(days=45)
    terms = {
        "installments": 3,
        "period_days": 30,
        "first_due_date": first_due.isoformat(),
        "reason": "harvest",
    }

    assert_problem(officer.post(path, terms), 409)  # not in arrears yet
    assert_problem(borrower.api.post(path, json=terms, headers=borrower.headers), 403)  # borrowers may not
    assert counts(arrears_as_of(stack, due + timedelta(days=10)))["overdue"] >= 1
    before = loan(borrower, loan_id)  # with the product's late fee and penalty, if it has them

    r = officer.post(path, terms)
    assert r.status_code == 201, r.text
    proposal = r.json()
    assert proposal["status"] == "PROPOSED" and proposal["new_total"] == before["outstanding"]
    assert len(proposal["installments"]) == 3
    pid = proposal["id"]
    assert_problem(officer.post(f"{path}/{pid}/approve", {}), 403)  # the maker cannot be the checker
    accept = f"{path}/{pid}/accept"
    assert_problem(borrower.api.post(accept, headers=borrower.headers), 409)  # not approved yet
    r = second_officer.post(f"{path}/{pid}/approve", {"comment": "seasonal income"})
    assert r.status_code == 200 and r.json()["status"] == "APPROVED", r.text
    assert_problem(admin.post(f"{path}/{pid}/reject", {}), 409)  # decided already
    sms = wait_for(lambda: [n for n in borrower.notifications() if n["event_type"] == "loan_restructuring"])
    assert "reply YES" in sms[0]["text"]

    r = borrower.api.post(accept, headers=borrower.headers)
    assert r.status_code == 200 and r.json()["status"] == "ACCEPTED", r.text
    again = borrower.api.post(accept, headers=borrower.headers)
    assert again.status_code == 200 and again.json() == r.json()  # idempotent
    after = loan(borrower, loan_id)
    assert after["restructured"] and after["schedule_version"] == 2
    assert [v["version"] for v in after["schedule_history"]] == [1, 2]
    assert after["schedule_history"][1]["approved_by"] == second_officer.user_id
    assert [i["due_date"] for i in after["schedule"]] == [i["due_date"] for i in proposal["installments"]]
    assert after["outstanding"] == before["outstanding"] and after["days_past_due"] == 0
    assert set(trial_balance(admin).values()) == {0}
    wait_for(
        lambda: len([n for n in borrower.notifications() if n["event_type"] == "loan_restructuring"]) == 2
    )

    late = counts(arrears_as_of(stack, first_due + timedelta(days=5)))  # behind on the new schedule
    assert late["overdue"] >= 1 and late["income_entries"] >= 1

    def overdue_again() -> list[dict[str, Any]]:
        texts = [n["text"] for n in borrower.notifications() if n["event_type"] == "installment_overdue"]
        return [t for t in texts if "5 days overdue" in t]

    assert wait_for(overdue_again)
    assert set(trial_balance(admin).values()) == {0}
    behind = loan(borrower, loan_id)  # nothing but the new installment's own late charges was added
    assert cents(behind["outstanding"]) - cents(after["outstanding"]) == charged(behind) - charged(after)
