"""Issue 17's whole late life of one loan on the local stack, with the operator's arrears clock: overdue and
charged the disclosed late fee, restructured (one officer proposes with the charges waived, another
approves, the borrower accepts), behind again on the new schedule and charged again, written off past the
threshold, then a recovery by STK Push. After every step the trial balance is zero and the loan's
receivables in the ledger equal what the API says is owed (nothing once written off).

(Named to run late in the session: its arrears run 180 days past the new due date writes off every loan
still ACTIVE then.)"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from emulators.stack import Stack
from google.cloud import firestore

from mkopo.adapters.firestore.store import FirestoreStore
from mkopo.domain import ledger
from tests.e2e.test_access import Client, admin, officer  # noqa: F401
from tests.e2e.test_book_journey import bureau_rows, kes_line, ops
from tests.e2e.test_credit_ladder import credit
from tests.e2e.test_loan_journey import Borrower, assert_problem, sandbox_number, wait_for
from tests.e2e.test_money_journey import loan, repay
from tests.e2e.test_restructure_journey import arrears_as_of, counts, second_officer  # noqa: F401

pytestmark = pytest.mark.e2e


def minor(amount: str) -> int:
    return int(Decimal(amount) * 100)


def books_agree(stack: Stack, admin: Client, loan_id: str, owed: str) -> None:  # noqa: F811
    """Trial balance zero through the API, and the loan's receivables in the journal equal ``owed``."""
    r = admin.get("/v1/ledger/trial-balance")
    assert r.status_code == 200 and set(r.json()["totals_minor"].values()) == {0}, r.text
    entries = FirestoreStore(firestore.Client(project=stack.project)).journal_entries(limit=100_000)
    assert all(e.debits == e.credits for e in entries)
    assert ledger.loan_receivable_balance(entries, loan_id) == minor(owed)


def charge_texts(borrower: Borrower) -> list[str]:
    return [n["text"] for n in borrower.notifications() if n["event_type"] == "charge_applied"]


def disbursed_with_a_late_fee(borrower: Borrower) -> tuple[dict[str, Any], dict[str, Any]]:
    """A loan from an offer whose late terms are disclosed and consented to."""
    offer = next(o for o in borrower.offers(amount="5000", currency="KES") if o["late_fee"])
    accepted = borrower.checkout(offer["id"])
    assert accepted.status_code == 202, accepted.text
    app = borrower.settle(accepted.json()["application_id"])
    assert app["status"] == "DISBURSED" and app["consent"]["late_fee"] == offer["late_fee"], app
    return offer, app


def restructure(
    borrower: Borrower,
    officer: Client,  # noqa: F811
    checker: Client,
    loan_id: str,
    first_due: date,
) -> dict[str, Any]:
    """Proposed with the charges waived, approved by another officer, accepted by the borrower."""
    path = f"/v1/loans/{loan_id}/restructure"
    terms = {"installments": 3, "period_days": 30, "first_due_date": first_due.isoformat(),
             "waive": True, "reason": "lost a harvest; can pay over three months"}  # fmt: skip
    r = officer.post(path, terms)
    assert r.status_code == 201, r.text
    proposal = r.json()
    assert_problem(officer.post(f"{path}/{proposal['id']}/approve", {}), 403)  # maker is not checker
    assert_problem(borrower.api.post(f"{path}/{proposal['id']}/accept", headers=borrower.headers), 409)
    r = checker.post(f"{path}/{proposal['id']}/approve", {"comment": "income is seasonal"})
    assert r.status_code == 200 and r.json()["status"] == "APPROVED", r.text
    r = borrower.api.post(f"{path}/{proposal['id']}/accept", headers=borrower.headers)
    assert r.status_code == 200 and r.json()["status"] == "ACCEPTED", r.text
    return dict(r.json())


def test_charged_restructured_behind_again_written_off_and_recovered(
    api: httpx.Client,
    stack: Stack,
    admin: Client,  # noqa: F811
    officer: Client,  # noqa: F811
    second_officer: Client,  # noqa: F811
) -> None:
    borrower = Borrower(api, sandbox_number("+2547000000"))
    offer, app = disbursed_with_a_late_fee(borrower)
    loan_id, fee = app["id"], offer["late_fee"]
    start = loan(borrower, loan_id)
    due = date.fromisoformat(start["schedule"][-1]["due_date"])
    books_agree(stack, admin, loan_id, start["outstanding"])

    # 1. Overdue: the arrears run of the day after the due date charges the late fee (once, re-run or not).
    assert counts(arrears_as_of(stack, due + timedelta(days=1)))["charges"] >= 1
    arrears_as_of(stack, due + timedelta(days=1))
    charged = loan(borrower, loan_id)
    assert charged["status"] == "ACTIVE" and charged["late_charges"]["fees_charged"] == fee
    assert minor(charged["outstanding"]) >= minor(start["outstanding"]) + minor(fee)
    assert wait_for(lambda: len(charge_texts(borrower)) == 1)
    books_agree(stack, admin, loan_id, charged["outstanding"])

    # 2. Restructured: two approvals and the borrower's yes; the fee and penalties are forgiven.
    first_due = date.today() + timedelta(days=45)
    proposal = restructure(borrower, officer, second_officer, loan_id, first_due)
    waived = charged["outstanding_by_component"]
    forgiven = minor(waived["fees"]) + minor(waived["penalties"])
    assert minor(proposal["waived"]) == forgiven and forgiven >= minor(fee)
    assert minor(proposal["new_total"]) == minor(charged["outstanding"]) - forgiven
    new = loan(borrower, loan_id)
    assert new["status"] == "ACTIVE" and new["restructured"] and new["schedule_version"] == 2
    history = new["schedule_history"]
    assert [v["version"] for v in history] == [1, 2] and history[1]["approved_by"] == second_officer.user_id
    assert history[1]["proposed_by"] == officer.user_id and history[1]["reason"].startswith("lost a")
    assert new["outstanding"] == proposal["new_total"] and new["outstanding_by_component"]["fees"] == "0.00"
    books_agree(stack, admin, loan_id, new["outstanding"])

    # 3. Behind again: the new schedule's first installment is overdue, and charged its own late fee.
    behind = counts(arrears_as_of(stack, first_due + timedelta(days=5)))
    assert behind["overdue"] >= 1 and behind["charges"] >= 1
    again = loan(borrower, loan_id)
    assert minor(again["late_charges"]["fees_charged"]) == 2 * minor(fee), again["late_charges"]
    assert minor(again["outstanding"]) >= minor(new["outstanding"]) + minor(fee)
    assert wait_for(lambda: len(charge_texts(borrower)) == 2)
    books_agree(stack, admin, loan_id, again["outstanding"])
    held = kes_line(ops(stack, "provision", "--as-of", (first_due + timedelta(days=5)).isoformat()))
    assert int(held["target_minor"]) > 0  # an allowance for the loan in arrears (1-30 days: 5%)
    books_agree(stack, admin, loan_id, again["outstanding"])

    # 4. Written off at 180 days past the new due date: receivables to loan losses, the limit frozen.
    assert counts(arrears_as_of(stack, first_due + timedelta(days=180)))["written_off"] >= 1
    gone = loan(borrower, loan_id)
    assert gone["status"] == "WRITTEN_OFF" and gone["next_due"] is None, gone
    assert gone["write_off"]["amount"] == again["outstanding"] == gone["outstanding"]
    assert gone["write_off"]["reason"] == "DAYS_PAST_DUE_THRESHOLD"
    assert gone["schedule_history"] == again["schedule_history"]  # the history stays with the loan
    assert_problem(admin.post(f"/v1/loans/{loan_id}/write-off", {"reason": "again"}), 409)
    assert credit(borrower)["limit"] == "0.00"
    books_agree(stack, admin, loan_id, "0")
    day = first_due + timedelta(days=180)  # the loan leaves the allowance's base: released, balanced
    after = kes_line(ops(stack, "provision", "--as-of", day.isoformat()))
    assert int(after["posted_minor"]) == int(after["target_minor"]) - int(after["held_minor"]) < 0, after
    books_agree(stack, admin, loan_id, "0")

    # 5. A recovery: part of what was written off arrives by STK Push; income, never the receivables.
    part = str(Decimal(gone["outstanding"]) // 2)
    repay(borrower, loan_id, part)
    back = loan(borrower, loan_id)
    assert back["status"] == "WRITTEN_OFF" and minor(back["write_off"]["recovered"]) == minor(part)
    assert minor(back["outstanding"]) == minor(gone["outstanding"]) - minor(part)
    books_agree(stack, admin, loan_id, "0")
    recoveries = admin.get("/v1/ledger/accounts/recoveries:KES/balance")
    assert recoveries.status_code == 200 and recoveries.json()["balance_minor"] <= -minor(part)
    trail = admin.get(f"/v1/audit?entity_id={loan_id}")
    assert trail.status_code == 200, trail.text
    actions = [a["action"] for a in trail.json()["records"]]
    assert "loan_written_off" in actions and "loan_recovery_received" in actions, actions

    # 6. The bureau: the notice SMS first, and 30 days later the loan is listed as written off.
    noticed = first_due + timedelta(days=181)
    ops(stack, "bureau", "--month", noticed.strftime("%Y-%m"), "--as-of", noticed.isoformat())
    assert loan_id not in bureau_rows(stack, noticed.strftime("%Y-%m"))
    listed = noticed + timedelta(days=31)
    month = listed.strftime("%Y-%m")
    ops(stack, "bureau", "--month", month, "--as-of", listed.isoformat())
    row = bureau_rows(stack, month)[loan_id]
    assert row["status"] == "written_off" and row["notice_sent_on"] == noticed.isoformat(), row
    assert row["outstanding"] == back["outstanding"]
