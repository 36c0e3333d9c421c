"""What the browser tests share: where Chromium is, screenshots at both widths, signing in, new pages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tests.e2e.test_access import PASSWORD, Client

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[3]
SCREENS = ROOT / ".run" / "screens"
CHROMIUM = os.environ.get("MKOPO_CHROMIUM", "/usr/bin/chromium")
WIDTHS = {"desktop": (1280, 900), "phone": (360, 780)}


def shoot(page: Page, name: str) -> None:
    """Screenshots of the current page at desktop and phone widths."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENS / f"{name}-{width_name}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def sign_in(page: Page, base: str, who: Client) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/console/")
    page.get_by_label("Phone number").fill(who.phone)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()


def unexpected(errors: list[str], *statuses: int) -> list[str]:
    """Console errors other than the browser's note of a refusal the test asked for."""
    expected = tuple(f"Failed to load resource: the server responded with a status of {s}" for s in statuses)
    return [e for e in errors if not e.startswith(expected)] if expected else errors


def new_page(browser: Browser, errors: list[str]) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page
