"""Issue 17's whole late life of one loan on the local stack, with the operator's arrears clock: overdue and
charged the disclosed late fee, restructured (one officer proposes with the charges waived, another
approves, the borrower accepts), behind again on the new schedule and charged again, written off past the
threshold, then a recovery by STK Push. After every step the trial balance is zero and the loan's
receivables in the ledger equal what the API says is owed (nothing once written off).

(Named to run late in the session: its arrears run 180 days past the new due date writes off every loan
still ACTIVE then.)"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass
class Life:
    """One loan through its late life, and the checks after each step."""

    stack: Stack
    admin: Client
    borrower: Borrower
    loan_id: str
    fee: str  # the product's disclosed late fee

    def view(self) -> dict[str, Any]:
        return loan(self.borrower, self.loan_id)

    def books(self, owed: str) -> None:
        books_agree(self.stack, self.admin, self.loan_id, owed)

    def arrears(self, day: date) -> dict[str, int]:
        return counts(arrears_as_of(self.stack, day))

    def charged_when_overdue(self, due: date, start: dict[str, Any]) -> dict[str, Any]:
        """The day after the due date: the late fee, once (a re-run of the day charges nothing)."""
        assert self.arrears(due + timedelta(days=1))["charges"] >= 1
        assert self.arrears(due + timedelta(days=1))["charges"] == 0
        charged = self.view()
        assert charged["status"] == "ACTIVE" and charged["late_charges"]["fees_charged"] == self.fee
        assert minor(charged["outstanding"]) >= minor(start["outstanding"]) + minor(self.fee)
        assert wait_for(lambda: len(charge_texts(self.borrower)) == 1)
        self.books(charged["outstanding"])
        return charged

    def restructured(self, charged: dict[str, Any], proposal: dict[str, Any]) -> dict[str, Any]:
        """The new schedule in force, the fee and penalties forgiven, its history kept."""
        owed = charged["outstanding_by_component"]
        forgiven = minor(owed["fees"]) + minor(owed["penalties"])
        assert minor(proposal["waived"]) == forgiven and forgiven >= minor(self.fee)
        assert minor(proposal["new_total"]) == minor(charged["outstanding"]) - forgiven
        new = self.view()
        assert new["status"] == "ACTIVE" and new["restructured"] and new["schedule_version"] == 2
        history = new["schedule_history"]
        assert [v["version"] for v in history] == [1, 2] and history[1]["reason"].startswith("lost a")
        assert history[1]["proposed_by"] != history[1]["approved_by"]  # maker-checker
        assert new["outstanding"] == proposal["new_total"]
        left = new["outstanding_by_component"]
        assert left["fees"] == left["penalties"] == "0.00"
        self.books(new["outstanding"])
        return new

    def behind_again(self, new: dict[str, Any], first_due: date) -> dict[str, Any]:
        """The new installment 1 overdue: flagged and charged its own late fee; an allowance for it."""
        behind = self.arrears(first_due + timedelta(days=5))
        assert behind["overdue"] >= 1 and behind["charges"] >= 1
        again = self.view()
        assert minor(again["late_charges"]["fees_charged"]) == 2 * minor(self.fee), again["late_charges"]
        assert minor(again["outstanding"]) >= minor(new["outstanding"]) + minor(self.fee)
        assert wait_for(lambda: len(charge_texts(self.borrower)) == 2)
        self.books(again["outstanding"])
        held = kes_line(ops(self.stack, "provision", "--as-of", (first_due + timedelta(days=5)).isoformat()))
        assert int(held["target_minor"]) > 0  # 1-30 days past due: 5% of what is owed
        self.books(again["outstanding"])
        return again

    def written_off(self, again: dict[str, Any], first_due: date) -> dict[str, Any]:
        """180 days past the new due date: receivables to loan losses, the limit frozen, the allowance
        released (the loan leaves its base)."""
        day = first_due + timedelta(days=180)
        assert self.arrears(day)["written_off"] >= 1
        gone = self.view()
        assert gone["status"] == "WRITTEN_OFF" and gone["next_due"] is None, gone
        assert gone["write_off"]["amount"] == again["outstanding"] == gone["outstanding"]
        assert gone["write_off"]["reason"] == "DAYS_PAST_DUE_THRESHOLD"
        assert gone["schedule_history"] == again["schedule_history"]  # the history stays with the loan
        assert_problem(self.admin.post(f"/v1/loans/{self.loan_id}/write-off", {"reason": "again"}), 409)
        assert credit(self.borrower)["limit"] == "0.00"
        self.books("0")
        after = kes_line(ops(self.stack, "provision", "--as-of", day.isoformat()))
        assert int(after["posted_minor"]) == int(after["target_minor"]) - int(after["held_minor"]) < 0
        self.books("0")
        return gone

    def recovered(self, gone: dict[str, Any]) -> dict[str, Any]:
        """Half of what was written off arrives by STK Push: recoveries income, never the receivables."""
        part = str(Decimal(gone["outstanding"]) // 2)
        repay(self.borrower, self.loan_id, part)
        back = self.view()
        assert back["status"] == "WRITTEN_OFF" and minor(back["write_off"]["recovered"]) == minor(part)
        assert minor(back["outstanding"]) == minor(gone["outstanding"]) - minor(part)
        self.books("0")
        recoveries = self.admin.get("/v1/ledger/accounts/recoveries:KES/balance")
        assert recoveries.status_code == 200 and recoveries.json()["balance_minor"] <= -minor(part)
        trail = self.admin.get(f"/v1/audit?entity_id={self.loan_id}")
        assert trail.status_code == 200, trail.text
        actions = [a["action"] for a in trail.json()["records"]]
        assert "loan_written_off" in actions and "loan_recovery_received" in actions, actions
        return back

    def listed_written_off(self, back: dict[str, Any], noticed: date) -> None:
        """The bureau: the notice SMS first (not listed), 30 days later listed as written off."""
        ops(self.stack, "bureau", "--month", noticed.strftime("%Y-%m"), "--as-of", noticed.isoformat())
        assert self.loan_id not in bureau_rows(self.stack, noticed.strftime("%Y-%m"))
        listed = noticed + timedelta(days=31)
        month = listed.strftime("%Y-%m")
        ops(self.stack, "bureau", "--month", month, "--as-of", listed.isoformat())
        row = bureau_rows(self.stack, month)[self.loan_id]
        assert row["status"] == "written_off" and row["notice_sent_on"] == noticed.isoformat(), row
        assert row["outstanding"] == back["outstanding"]


def test_charged_restructured_behind_again_written_off_and_recovered(
    api: httpx.Client,
    stack: Stack,
    admin: Client,  # noqa: F811
    officer: Client,  # noqa: F811
    second_officer: Client,  # noqa: F811
) -> None:
    borrower = Borrower(api, sandbox_number("+2547000000"))
    offer, app = disbursed_with_a_late_fee(borrower)
    life = Life(stack, admin, borrower, app["id"], offer["late_fee"])
    start = life.view()
    due = date.fromisoformat(start["schedule"][-1]["due_date"])
    life.books(start["outstanding"])

    charged = life.charged_when_overdue(due, start)
    first_due = date.today() + timedelta(days=45)
    proposal = restructure(borrower, officer, second_officer, life.loan_id, first_due)
    new = life.restructured(charged, proposal)
    assert new["schedule_history"][1]["approved_by"] == second_officer.user_id
    again = life.behind_again(new, first_due)
    gone = life.written_off(again, first_due)
    back = life.recovered(gone)
    life.listed_written_off(back, first_due + timedelta(days=181))
