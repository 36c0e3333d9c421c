"""``make dev`` stops everything whatever signals arrive, and reclaims what an unclean stop left behind.

Each test runs its own ``make dev`` on the test offset + 700 (no port of the shared test stack, nor of the
lone gateway at + 500), in its own process group, as CI runners and service managers do.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from emulators.stack import REPO_ROOT, Ports, down, group_members, port_free

from tests.conftest import stack_port_offset

STOP_WITHIN_S = 30.0
HEALTHY_WITHIN_S = 240.0


class DevRun:
    """One ``make dev OFFSET=...`` started in a new session (its own process group)."""

    def __init__(self, offset: int, log: Path, in_shell: bool = False) -> None:
        self.ports = Ports(offset)
        make = f"make --no-print-directory dev OFFSET={offset}"
        # In a non-interactive shell a background job starts with SIGINT ignored.
        cmd = ["bash", "-c", f"{make} & wait"] if in_shell else make.split()
        self.out = log.open("ab")
        self.proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.pgid = self.proc.pid

    @property
    def pids_file(self) -> Path:
        return REPO_ROOT / ".run" / str(self.ports.offset) / "pids.json"

    def wait_healthy(self) -> dict[str, object]:
        """Wait until this run owns ``pids.json`` and ``/healthz`` answers 200; return what it lists."""
        deadline = time.monotonic() + HEALTHY_WITHIN_S
        while not ((state := self._own_state()) and _healthy(self.ports)):
            assert self.proc.poll() is None, f"make dev exited with {self.proc.returncode}"
            assert time.monotonic() < deadline, "make dev not healthy in time"
            time.sleep(1.0)
        return state

    def _own_state(self) -> dict[str, object] | None:
        """``pids.json`` once its owner (``dev up``) is a process of this run, else None."""
        try:
            state: dict[str, object] = json.loads(self.pids_file.read_text())
        except (OSError, ValueError):
            return None
        owner = state.get("owner")
        return state if isinstance(owner, dict) and owner["pid"] in group_members(self.pgid) else None

    def close(self) -> None:
        down(self.ports.offset, REPO_ROOT, grace_s=5)
        if group_members(self.pgid):
            os.killpg(self.pgid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.out.close()


def _healthy(ports: Ports) -> bool:
    try:
        r = httpx.get(f"http://127.0.0.1:{ports.gateway}/healthz", timeout=5, trust_env=False)
    except httpx.HTTPError:
        return False
    return r.status_code == 200


def _left(groups: list[int], ports: Ports) -> tuple[list[int], list[int]]:
    """Process groups that still have members, and ports still held."""
    alive = [g for g in groups if group_members(g)]
    held = [port for port in ports.named().values() if not port_free(port)]
    return alive, held


def assert_all_gone(groups: list[int], ports: Ports, within_s: float = STOP_WITHIN_S) -> None:
    deadline = time.monotonic() + within_s
    while (left := _left(groups, ports)) != ([], []):
        assert time.monotonic() < deadline, f"left after {within_s:.0f} s: groups, ports {left}"
        time.sleep(0.5)


def child_groups(state: dict[str, object]) -> list[int]:
    processes = state["processes"]
    assert isinstance(processes, list) and processes
    return [int(p["pgid"]) for p in processes]


@pytest.fixture
def offset() -> int:
    return stack_port_offset() + 700


@pytest.fixture
def runs(tmp_path: Path, offset: int) -> Iterator[list[DevRun]]:
    started: list[DevRun] = []
    yield started
    for run in started:
        run.close()
    print((tmp_path / "make-dev.log").read_text(errors="replace")[-3000:])


def test_sigterm_twice_to_the_process_group_stops_everything(
    runs: list[DevRun], offset: int, tmp_path: Path
) -> None:
    run = DevRun(offset, tmp_path / "make-dev.log")
    runs.append(run)
    groups = [run.pgid, *child_groups(run.wait_healthy())]
    os.killpg(run.pgid, signal.SIGTERM)
    time.sleep(0.05)
    os.killpg(run.pgid, signal.SIGTERM)  # what make forwards, and what an impatient runner sends again
    time.sleep(0.5)
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):  # more, while it is stopping
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pgid, sig)
    assert_all_gone(groups, run.ports)
    assert not run.pids_file.exists()


def test_make_dev_after_kill_9_stops_the_leftovers_then_sigint_stops_it(
    runs: list[DevRun], offset: int, tmp_path: Path
) -> None:
    first = DevRun(offset, tmp_path / "make-dev.log", in_shell=True)
    runs.append(first)
    state = first.wait_healthy()
    owner = state["owner"]
    assert isinstance(owner, dict)
    os.kill(int(owner["pid"]), signal.SIGKILL)  # the supervisor dies without stopping anything
    first.proc.wait(timeout=10)
    leftovers = child_groups(state)
    assert all(group_members(g) for g in leftovers), "the children outlive a SIGKILLed supervisor"

    second = DevRun(offset, tmp_path / "make-dev.log", in_shell=True)
    runs.append(second)
    new_state = second.wait_healthy()
    assert not [g for g in leftovers if group_members(g)]
    new_owner = new_state["owner"]
    assert isinstance(new_owner, dict)
    os.kill(int(new_owner["pid"]), signal.SIGINT)  # Ctrl-C from a script: SIGINT was ignored at start
    assert_all_gone([second.pgid, *child_groups(new_state)], second.ports)
