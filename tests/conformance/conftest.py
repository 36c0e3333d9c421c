"""Conformance tier: clients that others wrote (SDKs from the package registry, test-only dependencies) call
our provider sandboxes, started as the integration tests start them; each documented response field the SDKs
read is asserted. A mismatch here means our sandbox (and so our tests) drifted from the provider."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.test_momo_sandbox import read_listening_url, stop, wait_healthy
from tests.integration.test_mpesa_sandbox import Inbox

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
StartSandbox = Callable[..., str]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a conformance test."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.conformance)


@pytest.fixture(scope="session")
def start_sandbox() -> Iterator[StartSandbox]:
    """Start a sandbox module (``emulators.<name>``) with CLI flags; all are stopped when the session ends."""
    procs: list[subprocess.Popen[str]] = []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("shared", "functions", "."))}

    def start(module: str, *flags: str) -> str:
        cmd = [sys.executable, "-m", f"emulators.{module}", "--host", "127.0.0.1", "--port", "0", *flags]
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        procs.append(proc)
        base_url = read_listening_url(proc)
        wait_healthy(base_url)
        return base_url

    try:
        yield start
    finally:
        for proc in procs:
            stop(proc)


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
