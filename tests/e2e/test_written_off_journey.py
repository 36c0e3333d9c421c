"""A loan's late life on the local stack, with the operator's arrears clock: overdue, charged the disclosed
late fee (SMS), written off past the threshold, then a recovery by STK Push; the trial balance stays zero.

(Named to run late in the session: its 180-day arrears run writes off every loan still ACTIVE then.)"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.test_access import create_admin, login, thin_number
from tests.e2e.test_credit_ladder import arrears_as_of, credit
from tests.e2e.test_loan_journey import Borrower, sandbox_number, wait_for
from tests.e2e.test_money_journey import assert_ledger_balances, loan, repay

pytestmark = pytest.mark.e2e


def trial_balance_is_zero(api: httpx.Client, token: str) -> None:
    r = api.get("/v1/ledger/trial-balance", headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert set(r.json()["totals_minor"].values()) == {0}, r.json()


def test_overdue_charged_written_off_and_recovered(api: httpx.Client, stack: Any) -> None:
    phone = thin_number()
    create_admin(stack, phone)
    admin = login(api, phone)["access_token"]
    borrower = Borrower(api, sandbox_number("+2547000000"))
    offer = next(o for o in borrower.offers(amount="5000", currency="KES") if o["late_fee"])
    accepted = borrower.checkout(offer["id"])
    assert accepted.status_code == 202, accepted.text
    app = borrower.settle(accepted.json()["application_id"])
    assert app["status"] == "DISBURSED", app
    assert app["consent"]["late_fee"] == offer["late_fee"]  # disclosed, then accepted
    loan_id = app["id"]
    before = loan(borrower, loan_id)
    due = date.fromisoformat(before["schedule"][-1]["due_date"])
    trial_balance_is_zero(api, admin)

    arrears_as_of(stack, due + timedelta(days=1))
    arrears_as_of(stack, due + timedelta(days=1))  # a re-run of the day charges nothing twice
    charged = loan(borrower, loan_id)
    assert charged["late_charges"]["fees_charged"] == offer["late_fee"], charged["late_charges"]
    fee = float(offer["late_fee"])
    assert float(charged["outstanding"]) == float(before["outstanding"]) + fee
    sms = wait_for(lambda: [n for n in borrower.notifications() if n["event_type"] == "charge_applied"])
    assert len(sms) == 1 and f"late fee of KES {offer['late_fee']}" in sms[0]["text"], sms
    trial_balance_is_zero(api, admin)

    arrears_as_of(stack, due + timedelta(days=180))
    gone = loan(borrower, loan_id)
    assert gone["status"] == "WRITTEN_OFF" and gone["write_off"]["amount"] == charged["outstanding"], gone
    assert credit(borrower)["limit"] == "0.00"
    trial_balance_is_zero(api, admin)

    repay(borrower, loan_id, gone["outstanding"])  # an STK Push on the sandbox, after the write-off
    recovered = loan(borrower, loan_id)
    assert recovered["write_off"]["recovered"] == charged["outstanding"], recovered["write_off"]
    assert recovered["write_off"]["recoverable"] == "0.00" and recovered["outstanding"] == "0.00"
    trial_balance_is_zero(api, admin)
    assert_ledger_balances(stack, loan_id)  # the receivables stay at zero: the money went to recoveries
    balance = api.get(
        "/v1/ledger/accounts/recoveries:KES/balance", headers={"authorization": f"Bearer {admin}"}
    )
    assert balance.status_code == 200 and balance.json()["balance_minor"] < 0, balance.text
