"""Conformance tier: clients that others wrote (SDKs from the package registry, test-only dependencies) call
our provider sandboxes, started as the integration tests start them; each documented response field the SDKs
read is asserted. A mismatch here means our sandbox (and so our tests) drifted from the provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_mpesa_sandbox import Inbox
from tests.sandboxes import StartSandbox, sandbox_starter

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a conformance test."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.conformance)


@pytest.fixture(scope="session")
def start_sandbox() -> Iterator[StartSandbox]:
    """Start a sandbox module (``emulators.<name>``) with CLI flags; all are stopped when the session ends."""
    with sandbox_starter() as start:
        yield start


@pytest.fixture(scope="session")
def mpesa_sandbox(start_sandbox: StartSandbox) -> str:
    return start_sandbox("mpesa_sandbox")


@pytest.fixture(scope="session")
def momo_sandbox(start_sandbox: StartSandbox) -> str:
    return start_sandbox("momo_sandbox")


@pytest.fixture(scope="session")
def momo_mtn_sandbox(start_sandbox: StartSandbox) -> str:
    return start_sandbox("momo_sandbox", "--mode", "mtn")


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A loopback receiver for the sandbox's callbacks (ResultURL, CallBackURL)."""
    box = Inbox()
    yield box
    box.close()
