"""Starting the provider sandboxes (``emulators.<name>``) as processes for a test tier, on free ports."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
StartSandbox = Callable[..., str]


def read_listening_url(proc: subprocess.Popen[str], timeout_s: float = 15.0) -> str:
    """The URL the sandbox prints once it listens (it is started with --port 0)."""
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    try:
        if not selector.select(timeout_s):
            raise RuntimeError("the sandbox did not start in time")
        line = proc.stdout.readline()
    finally:
        selector.close()
    if "listening on " not in line:
        raise RuntimeError(f"the sandbox failed to start: {line!r}")
    return line.rsplit("listening on ", 1)[1].strip()


def wait_healthy(base_url: str, timeout_s: float = 10.0) -> None:
    """Block until GET /healthz answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the sandbox at {base_url} never became healthy")


def stop(proc: subprocess.Popen[str]) -> None:
    """Terminate one sandbox process we started, killing it if it lingers."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()


@contextmanager
def sandbox_starter() -> Iterator[StartSandbox]:
    """``start(module, *flags, env=...)`` runs ``emulators.<module>``, returns its URL; all stop at exit."""
    procs: list[subprocess.Popen[str]] = []
    base = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("shared", "functions", "."))}

    def start(module: str, *flags: str, env: dict[str, str] | None = None) -> str:
        cmd = [sys.executable, "-m", f"emulators.{module}", "--host", "127.0.0.1", "--port", "0", *flags]
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=base | (env or {}),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
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
