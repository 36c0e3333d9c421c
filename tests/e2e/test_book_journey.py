"""The rest of a loan's book on the real stack, with the operators' clock (``python -m mkopo.ops``): a loan
in arrears gets its loss allowance as an adjusting entry (trial balance zero, re-run posts nothing), and the
bureau file lists it only 30 days after the notice SMS the borrower got first."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.test_access import Client, admin  # noqa: F401 (the admin fixture)
from tests.e2e.test_loan_journey import Borrower, sandbox_number, wait_for
from tests.e2e.test_money_journey import loan

pytestmark = pytest.mark.usefixtures("stack")


def ops(stack: Any, *args: str) -> str:
    """An operator command against this stack; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "mkopo.ops", *args],
        env=os.environ | stack.emulator_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def kes_line(output: str) -> dict[str, str]:
    line = next(row for row in output.splitlines() if row.startswith("KES "))
    return dict(part.split("=", 1) for part in line.split()[1:])


def bureau_rows(stack: Any, month: str) -> dict[str, dict[str, str]]:
    text = (stack.run_dir / "bureau" / f"mkopo-bureau-{month}.csv").read_text()
    return {row["account_number"]: row for row in csv.DictReader(io.StringIO(text))}


def test_a_loan_in_arrears_is_provided_for_and_reported_after_notice(
    api: httpx.Client,
    stack: Any,
    admin: Client,  # noqa: F811
) -> None:
    borrower = Borrower(api, sandbox_number("+2547000000"))
    offer = borrower.offers("5000")[0]
    app_id = borrower.checkout(offer["id"]).json()["application_id"]
    assert borrower.settle(app_id)["status"] == "DISBURSED"
    due = date.fromisoformat(loan(borrower, app_id)["schedule"][-1]["due_date"])
    owed = int(loan(borrower, app_id)["outstanding"].replace(".", ""))  # KES: 2 decimals

    day = due + timedelta(days=45)  # 31-60 days past due: 25% of what is owed
    first = kes_line(ops(stack, "provision", "--as-of", day.isoformat()))
    assert int(first["posted_minor"]) == int(first["target_minor"]) - int(first["held_minor"])
    assert int(first["target_minor"]) >= round(owed * 0.25)
    again = kes_line(ops(stack, "provision", "--as-of", day.isoformat()))
    assert again["posted_minor"] == "0" or again["target_minor"] != first["target_minor"]
    entries = admin.get("/v1/ledger/accounts/loan_loss_allowance:KES/entries").json()["entries"]
    assert any(e["kind"] == "PROVISION_ADJUSTED" for e in entries)
    trial = admin.get("/v1/ledger/trial-balance").json()
    assert set(trial["totals_minor"].values()) == {0}
    provisions = admin.get("/v1/ledger/provisions")
    assert provisions.status_code == 200 and provisions.json()["currencies"]

    noticed = due + timedelta(days=2)
    month = noticed.strftime("%Y-%m")
    ops(stack, "bureau", "--month", month, "--as-of", noticed.isoformat())
    assert app_id not in bureau_rows(stack, month)
    sms = wait_for(lambda: [n for n in borrower.notifications() if n["event_type"] == "bureau_notice"])
    assert "credit bureau" in sms[0]["text"]
    ops(stack, "bureau", "--month", month, "--as-of", (noticed + timedelta(days=29)).isoformat())
    assert app_id not in bureau_rows(stack, month)
    ops(stack, "bureau", "--month", month, "--as-of", (noticed + timedelta(days=30)).isoformat())
    row = bureau_rows(stack, month)[app_id]
    assert row["status"] == "overdue" and row["notice_sent_on"] == noticed.isoformat()
