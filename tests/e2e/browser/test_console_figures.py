"""The console's figures in Debian's Chromium, against the local stack: the loan page's repayment allocation
(worked out here from what the loan owed), and the portfolio dashboard, whose book per currency must read
what the analytics views in the BigQuery emulator say, and whose 503 page shows while the warehouse hangs
(its emulator paused). Both pages are screenshotted at desktop and 360-pixel widths into ``.run/screens/``.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulators.stack import Stack

from mkopo.domain.money import Money
from tests.e2e.browser.console_pages import CHROMIUM, new_page, shoot, sign_in, unexpected
from tests.e2e.test_access import Client
from tests.e2e.test_loan_journey import TERMINAL, Borrower, sandbox_number, wait_for
from tests.e2e.test_money_journey import loan, repay

pytestmark = pytest.mark.e2e
COMPONENTS = ("penalties", "fees", "interest", "principal")  # the allocation order within an installment

if not Path(CHROMIUM).exists():  # `make test` installs it (see the Makefile's browser target)
    pytest.skip(f"no Chromium at {CHROMIUM}: run `make browser`", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402


def disbursed(api: httpx.Client, prefix: str, amount: str, currency: str) -> tuple[Borrower, str]:
    """A strong-file borrower's loan, approved without review and paid out by the sandbox."""
    borrower = Borrower(api, sandbox_number(prefix))
    r = borrower.checkout(borrower.offers(amount=amount, currency=currency)[0]["id"])
    assert r.status_code == 202, r.text
    app_id = r.json()["application_id"]
    app = wait_for(lambda: (a := borrower.application(app_id))["status"] in TERMINAL and a, timeout=60)
    assert app["status"] == "DISBURSED", app
    return borrower, app_id


@pytest.fixture(scope="module")
def loans(api: httpx.Client) -> dict[str, tuple[Borrower, str]]:
    """One loan per currency: KES by M-Pesa, UGX by MTN MoMo."""
    return {
        "KES": disbursed(api, "+2547000000", "5000", "KES"),
        "UGX": disbursed(api, "+2567700000", "100000", "UGX"),
    }


def allocated(owed: dict[str, str], payments: list[Decimal]) -> list[list[str]]:
    """Each payment's cells (installment, the four components, total), applied in allocation order."""
    left = {c: Decimal(owed[c]) for c in COMPONENTS}
    rows = []
    for amount in payments:
        parts = {}
        for c in COMPONENTS:
            parts[c] = min(amount, left[c])
            amount, left[c] = amount - parts[c], left[c] - parts[c]
        rows.append(["#1", *(f"{parts[c]:.2f}" for c in COMPONENTS), f"{sum(parts.values()):.2f}"])
    return rows


def test_the_loan_page_shows_how_each_repayment_was_allocated(
    browser: Browser, gateway_url: str, loans: dict[str, tuple[Borrower, str]], staff: dict[str, Client]
) -> None:
    borrower, loan_id = loans["KES"]
    before = loan(borrower, loan_id)
    assert len(before["schedule"]) == 1  # one installment: every line is #1
    payments = [Decimal(100), Decimal(before["outstanding"]) - 100]  # fees first, then all the rest
    for amount in payments:
        repay(borrower, loan_id, str(amount))
    errors: list[str] = []
    page = new_page(browser, errors)
    sign_in(page, gateway_url, staff["otieno"])
    page.goto(f"{gateway_url}/console/loans/{loan_id}")
    table = page.get_by_role("table", name="How each repayment was applied")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(payments))
    shown = [rows.nth(i).locator("td").all_inner_texts() for i in range(len(payments))]
    assert shown == allocated(before["outstanding_by_component"], payments)
    amounts = [rows.nth(i).locator("th").inner_text().split()[0] for i in range(len(payments))]
    assert amounts == [f"{p:.2f}" for p in payments]
    shoot(page, "loan-allocation")
    assert unexpected(errors) == [], errors


def book_rows(page: Page) -> dict[str, list[str]]:
    """The dashboard's book, freshly loaded: currency -> loans, disbursed, collected, repaid."""
    page.goto(page.url)
    rows = page.locator("#book tbody tr")
    return {
        rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("td").all_inner_texts()[:4]
        for i in range(rows.count())
        if rows.nth(i).locator("th").count()
    }


def warehouse_rows(stack: Stack, client: Any) -> dict[str, list[str]]:
    """The same four columns straight from the ``loans`` view."""
    view = f"{stack.project}.{stack.bigquery_dataset}.loans"
    sql = (
        "SELECT currency, COUNT(*) AS loans, SUM(disbursed_minor) AS disbursed, "  # noqa: S608 - our own view
        "SUM(collected_minor) AS collected, COUNTIF(repaid_at IS NOT NULL) AS repaid "
        f"FROM `{view}` GROUP BY currency"
    )
    money = lambda minor, c: str(Money(minor=minor or 0, currency=c))  # noqa: E731
    return {
        r["currency"]: [
            str(r["loans"]),
            money(r["disbursed"], r["currency"]),
            money(r["collected"], r["currency"]),
            str(r["repaid"]),
        ]
        for r in client.query(sql).result()
    }


def test_the_portfolio_reads_the_views_per_currency_and_says_when_the_warehouse_hangs(
    browser: Browser,
    gateway_url: str,
    stack: Stack,
    loans: dict[str, tuple[Borrower, str]],
    staff: dict[str, Client],
) -> None:
    errors: list[str] = []
    page = new_page(browser, errors)
    sign_in(page, gateway_url, staff["admin"])
    page.get_by_role("link", name="Portfolio").click()
    expect(page.get_by_role("heading", name="Portfolio", exact=True)).to_be_visible()
    client = stack.bigquery_client()
    try:  # the exporter fills the warehouse every few seconds: wait until the page and the views agree
        agreed = wait_for(
            lambda: (shown := book_rows(page)) == warehouse_rows(stack, client) and set(loans) <= set(shown),
            timeout=90,
            every=2.0,
        )
    finally:
        client.close()
    assert agreed
    expect(page.locator("#as-of")).to_contain_text("As of the latest export")
    today = page.get_by_role("region", name="Today")
    for currency in loans:
        expect(today).to_contain_text(currency)  # disbursed today in both currencies
    expect(page.locator("svg.chart").first).to_be_visible()
    shoot(page, "portfolio")

    with stack.paused("bigquery"):  # the warehouse hangs: the page gives up after MKOPO_WAREHOUSE_TIMEOUT_S
        began = time.monotonic()
        response = page.goto(f"{gateway_url}/console/portfolio")
        took = time.monotonic() - began
        assert response is not None and response.status == 503
        assert 4 < took < 20, took  # it waited for the 5 s timeout, no longer
        expect(page.get_by_role("alert")).to_contain_text("The warehouse cannot be read now")
        expect(page.locator("#book")).to_have_count(0)
        shoot(page, "portfolio-unavailable")
    page.goto(f"{gateway_url}/console/portfolio")
    expect(page.locator("#book")).to_be_visible()  # back as soon as the warehouse answers
    assert unexpected(errors, 503) == [], errors
