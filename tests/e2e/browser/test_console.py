"""The officers' console in Debian's Chromium (Playwright), against the local stack through the gateway.

An officer signs in, finds a borderline application in the review queue, approves it with a comment and
watches it reach DISBURSED; a second officer's stale approval shows the 409 (who and when); an applicant's
credentials are refused; an admin creates an officer and disables them (signed out at once, refused at
sign-in); a form without its CSRF token is refused. Every page is screenshotted at desktop and 360-pixel
widths into ``.run/screens/`` (the README shows two of them, copied by hand to ``docs/console/``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import httpx
import pytest

from tests.e2e.browser.console_pages import CHROMIUM, new_page, shoot, sign_in, unexpected
from tests.e2e.test_access import PASSWORD, Client, login, thin_number
from tests.e2e.test_loan_journey import wait_for

pytestmark = pytest.mark.e2e
# Thin-file sandbox numbers scored 560-599 for KES 5,000 (the review band); test_access uses others.
BORDERLINE = ["+254712000050", "+254712000053", "+254712000054", "+254712000057", "+254712000060"]

if not Path(CHROMIUM).exists():  # `make test` installs it (see the Makefile's browser target)
    pytest.skip(f"no Chromium at {CHROMIUM}: run `make browser`", allow_module_level=True)

from playwright.sync_api import Browser, expect  # noqa: E402


def referred_application(api: httpx.Client) -> tuple[Client, str]:
    """A borrower whose KES 5,000 application is referred to an officer (MANUAL_REVIEW)."""
    for phone in BORDERLINE:
        r = api.post(
            "/v1/auth/register", json={"phone": phone, "password": PASSWORD, "full_name": "Baraka M"}
        )
        if r.status_code == 409:
            continue
        assert r.status_code == 201, r.text
        borrower = Client(api, phone, login(api, phone), r.json()["user_id"])
        app_id = borrower.apply()
        status = wait_for(functools.partial(_settled, borrower, app_id), timeout=60)
        if status == "MANUAL_REVIEW":
            return borrower, app_id
    raise AssertionError("no borderline sandbox number was referred for review")


def _settled(borrower: Client, app_id: str) -> str | None:
    status = str(borrower.status(app_id)["status"])
    return None if status in {"SUBMITTED", "SCORED"} else status


def test_an_officer_approves_a_referred_application_in_the_browser(
    browser: Browser, gateway_url: str, api: httpx.Client, staff: dict[str, Client]
) -> None:
    errors: list[str] = []
    borrower, app_id = referred_application(api)
    first, second = new_page(browser, errors), new_page(browser, errors)
    first.goto(f"{gateway_url}/console/login")
    shoot(first, "login")
    sign_in(first, gateway_url, staff["otieno"])
    sign_in(second, gateway_url, staff["wanjiku"])
    card = first.locator("article", has=first.locator(f'a[href="/console/applications/{app_id}"]'))
    expect(card).to_be_visible()
    expect(card).to_contain_text("5000")
    shoot(first, "queue")
    second.goto(f"{gateway_url}/console/applications/{app_id}")  # opened before the first officer decides

    card.get_by_label("Comment (kept in the audit trail)").fill("Regular M-Pesa inflows for a year")
    card.get_by_role("button", name="Approve").click()
    expect(card.get_by_role("status")).to_contain_text("APPROVED by Otieno")

    second.get_by_label("Comment (kept in the audit trail)").fill("Looks fine to me as well")
    second.get_by_role("button", name="Approve").click()
    expect(second.get_by_role("alert")).to_contain_text("already been decided")
    expect(second.get_by_role("status")).to_contain_text("by Otieno")
    expect(second.locator("#app-status")).not_to_have_text("MANUAL_REVIEW")  # refreshed out of band
    shoot(second, "stale-decision-409")

    def disbursed() -> bool:
        first.goto(f"{gateway_url}/console/applications/{app_id}")
        return first.locator("#app-status").inner_text() == "DISBURSED"

    wait_for(disbursed, timeout=60, every=1.0)
    assert borrower.status(app_id)["status"] == "DISBURSED"
    shoot(first, "application")
    first.get_by_role("link", name="loan").click()
    expect(first.get_by_role("heading", name="Repayment schedule")).to_be_visible()
    expect(first.locator("table").last).to_contain_text("loans_receivable:")
    shoot(first, "loan")
    first.get_by_role("link", name="borrower page").click()
    expect(first.get_by_role("heading", name="Applications")).to_be_visible()
    shoot(first, "borrower")
    assert unexpected(errors, 409) == [], errors  # no CSP violation, no script error


def test_an_admin_reads_the_audit_trail_and_applicants_are_refused(
    browser: Browser, gateway_url: str, api: httpx.Client, staff: dict[str, Client]
) -> None:
    errors: list[str] = []
    page = new_page(browser, errors)
    sign_in(page, gateway_url, staff["admin"])
    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("Application, loan or user id").fill(staff["otieno"].user_id)
    page.get_by_role("button", name="Show").click()
    expect(page.locator("table")).to_contain_text("user_created")
    shoot(page, "audit")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    phone = thin_number()
    r = api.post("/v1/auth/register", json={"phone": phone, "password": PASSWORD, "full_name": "Amina W"})
    assert r.status_code == 201, r.text
    page.get_by_label("Phone number").fill(phone)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("applicants use the mkopo app")
    assert page.goto(f"{gateway_url}/console/queue").url.endswith("/console/login?next=/console/queue")
    assert unexpected(errors, 403) == [], errors


def test_an_admin_disables_a_user_who_then_cannot_sign_in(
    browser: Browser, gateway_url: str, staff: dict[str, Client]
) -> None:
    """The admin creates an officer on the users page, the officer signs in, the admin disables them: the
    officer's open session ends at once and their credentials are refused. The operations pages are
    screenshotted on the way (the portfolio and the loan's allocation: test_console_figures.py)."""
    errors: list[str] = []
    admin, officer = new_page(browser, errors), new_page(browser, errors)
    sign_in(admin, gateway_url, staff["admin"])
    admin.get_by_role("link", name="Dead letters").click()
    expect(admin.get_by_role("heading", name="Dead-letter inbox")).to_be_visible()
    shoot(admin, "dead-letters")

    admin.get_by_role("link", name="Users").click()
    phone = thin_number()
    admin.get_by_label("Full name").fill("Neema Kiptoo")
    admin.get_by_label("Phone number").fill(phone)
    admin.get_by_label("Initial password (8 characters or more)").fill(PASSWORD)
    admin.get_by_label("Role", exact=True).select_option("officer")
    admin.get_by_role("button", name="Create account").click()
    expect(admin.get_by_role("status")).to_contain_text("Account created")
    admin.get_by_label("Show role").select_option("officer")
    admin.get_by_role("button", name="Filter").click()
    expect(admin.get_by_role("button", name="Disable Neema Kiptoo")).to_be_visible()
    shoot(admin, "users")

    neema = Client(staff["admin"].api, phone, {}, "")
    sign_in(officer, gateway_url, neema)
    admin.get_by_role("button", name="Disable Neema Kiptoo").click()
    expect(admin.get_by_role("button", name="Enable Neema Kiptoo")).to_be_visible()

    officer.goto(f"{gateway_url}/console/queue")  # the open session ends with the account
    expect(officer.get_by_role("heading", name="Sign in")).to_be_visible()
    officer.get_by_label("Phone number").fill(phone)
    officer.get_by_label("Password").fill(PASSWORD)
    officer.get_by_role("button", name="Sign in").click()
    expect(officer.get_by_role("alert")).to_contain_text("invalid phone number or password")
    assert unexpected(errors, 401) == [], errors


def test_a_form_posted_without_its_csrf_token_is_refused(
    browser: Browser, gateway_url: str, staff: dict[str, Client]
) -> None:
    errors: list[str] = []
    page = new_page(browser, errors)
    sign_in(page, gateway_url, staff["otieno"])
    page.locator('form.signout input[name="csrf_token"]').evaluate("input => input.remove()")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Form refused")).to_be_visible()
    shoot(page, "csrf-refused")
    page.goto(f"{gateway_url}/console/queue")  # still signed in: the forged sign-out did nothing
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    assert unexpected(errors, 403) == [], errors
