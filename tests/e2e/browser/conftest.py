"""The browser tier's fixtures: Debian's Chromium through Playwright, and the staff accounts that use it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from emulators.stack import Stack

from tests.e2e.browser.console_pages import CHROMIUM, ROOT
from tests.e2e.test_access import PASSWORD, Client, create_admin, login, thin_number

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def staff(api: httpx.Client, stack: Stack) -> dict[str, Client]:
    """An admin and an officer made with the documented CLI, and an officer the admin created."""
    phone = thin_number()
    admin_id = create_admin(stack, phone)
    admin = Client(api, phone, login(api, phone), admin_id)
    phone = thin_number()
    r = admin.post(
        "/v1/users", {"phone": phone, "password": PASSWORD, "full_name": "Otieno", "role": "officer"}
    )
    assert r.status_code == 201, r.text
    otieno = Client(api, phone, login(api, phone), r.json()["user_id"])
    phone = thin_number()
    wanjiku_id = create_officer(stack, phone)
    wanjiku = Client(api, phone, login(api, phone), wanjiku_id)
    return {"admin": admin, "otieno": otieno, "wanjiku": wanjiku}


def create_officer(stack: Stack, phone: str) -> str:
    """The README's command for an officer account, run as an operator would."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | stack.emulator_env()
    env |= {"PYTHONPATH": str(ROOT / "shared"), "MKOPO_ADMIN_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "mkopo.cli", "create-officer", "--phone", phone, "--name", "Wanjiku"]
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()
