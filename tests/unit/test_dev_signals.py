"""``emulators.dev``: stop signals never raise, and leftovers of a SIGKILLed ``up`` are found and stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from emulators.dev import STOP_SIGNALS, catch_stop_signals, reclaim_leftovers
from emulators.stack import PortInUseError, Ports, Stack, group_members, start_ticks


@pytest.fixture
def restore_handlers() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_any_number_of_stop_signals_only_set_the_event(restore_handlers: None) -> None:
    stopping = threading.Event()
    catch_stop_signals(stopping)
    for sig in (signal.SIGTERM, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        os.kill(os.getpid(), sig)  # raises nothing here, nor later in this frame
        time.sleep(0.01)
    assert stopping.is_set()


def test_sigint_is_caught_even_when_it_was_ignored(restore_handlers: None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a non-interactive shell starts a background job
    stopping = threading.Event()
    catch_stop_signals(stopping)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.01)
    assert stopping.is_set()


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)


def _write_pids(stack: Stack, owner_pid: int, child: subprocess.Popen[bytes]) -> None:
    stack.run_dir.mkdir(parents=True)
    record = {"name": "fn-x", "pid": child.pid, "pgid": child.pid, "start_ticks": start_ticks(child.pid)}
    state = {
        "owner": {"pid": owner_pid, "start_ticks": start_ticks(owner_pid)},
        "processes": [record | {"port": None, "log": "x.log"}],
    }
    stack.pids_file.write_text(json.dumps(state))


def test_leftovers_of_a_dead_owner_are_stopped(tmp_path: Path) -> None:
    owner, child = _sleeper(), _sleeper()
    stack = Stack(Ports(1), root=tmp_path)
    _write_pids(stack, owner.pid, child)
    owner.kill()  # the supervisor dies with SIGKILL; its child keeps running
    owner.wait()
    assert reclaim_leftovers(stack) == ["fn-x"]
    child.wait(timeout=5)
    assert not group_members(child.pid) and not stack.pids_file.exists()


def test_a_live_owner_is_refused_not_stopped(tmp_path: Path) -> None:
    owner, child = _sleeper(), _sleeper()
    stack = Stack(Ports(1), root=tmp_path)
    _write_pids(stack, owner.pid, child)
    try:
        with pytest.raises(PortInUseError, match="already running"):
            reclaim_leftovers(stack)
        assert child.poll() is None and stack.pids_file.exists()
    finally:
        for proc in (owner, child):
            proc.kill()
            proc.wait()
