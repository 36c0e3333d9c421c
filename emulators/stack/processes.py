"""Process groups: identify what a stack started (against pid reuse), stop it, and ``down``."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from emulators.stack.ports import REPO_ROOT, ProcessRecord

log = logging.getLogger("mkopo.stack")


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3.. of ``/proc/<pid>/stat`` (state, ppid, pgrp, ...), or None if there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def start_ticks(pid: int) -> int | None:
    """The start time of a process in clock ticks since boot (identifies it against pid reuse)."""
    stat = _proc_stat(pid)
    return int(stat[19]) if stat else None


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in a process group."""
    if not Path("/proc/self/stat").exists():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in os.listdir("/proc"):
        stat = _proc_stat(int(entry)) if entry.isdigit() else None
        if stat and int(stat[2]) == pgid and stat[0] != "Z":
            members.append(int(entry))
    return members


def owned(record: ProcessRecord) -> bool:
    """True when the record's process group still holds the processes we started (not a reused pid)."""
    ticks = start_ticks(record.pgid)
    if ticks is None:  # leader gone; a pgid is never reused while members remain
        return bool(group_members(record.pgid))
    return record.start_ticks is None or ticks == record.start_ticks


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_groups(records: Iterable[ProcessRecord], grace_s: float = 10.0) -> list[str]:
    """SIGTERM every owned group, SIGKILL what is left after ``grace_s``; return the names signalled."""
    targets = [r for r in records if owned(r)]
    for record in targets:
        _signal_group(record.pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while any(group_members(r.pgid) for r in targets) and time.monotonic() < deadline:
        time.sleep(0.1)
    for record in targets:
        if group_members(record.pgid):
            log.warning("%s ignored SIGTERM for %.0f s: SIGKILL", record.name, grace_s)
            _signal_group(record.pgid, signal.SIGKILL)
    return [r.name for r in targets]


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file (empty if there is none)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def load_records(pids_file: Path) -> tuple[list[ProcessRecord], dict[str, Any] | None]:
    """The process groups and the owner listed in a ``pids.json`` (nothing if it does not exist)."""
    try:
        state = json.loads(pids_file.read_text())
    except (OSError, ValueError):
        return [], None
    return [ProcessRecord(**r) for r in state.get("processes", [])], state.get("owner")


def down(offset: int = 0, root: Path = REPO_ROOT, grace_s: float = 10.0) -> list[str]:
    """Stop what ``.run/<offset>/pids.json`` lists (asking its owner, ``dev up``, first); return the names."""
    pids_file = root / ".run" / str(offset) / "pids.json"
    records, owner = load_records(pids_file)
    alive = [r.name for r in records if owned(r)]
    if owner and owner["pid"] != os.getpid() and start_ticks(owner["pid"]) == owner["start_ticks"]:
        _stop_owner(owner["pid"], grace_s + 5)
    stop_groups(records, grace_s)
    pids_file.unlink(missing_ok=True)
    return alive


def _stop_owner(pid: int, timeout_s: float) -> None:
    """SIGTERM the process that started the stack and give it time to stop its children itself."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while (stat := _proc_stat(pid)) and stat[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.1)
