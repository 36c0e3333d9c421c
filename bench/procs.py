"""Extra function processes for the benchmark (floors, cold starts) and per-process memory."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from emulators.stack import HOST, REPO_ROOT, Stack

FLOOR_SOURCE = REPO_ROOT / "bench" / "floor_app.py"


@dataclass
class FunctionProcess:
    """One functions-framework process group started by the benchmark."""

    name: str
    port: int
    proc: subprocess.Popen[bytes]
    started: float

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


def launch(
    stack: Stack,
    name: str,
    target: str,
    port: int,
    *,
    source: Path | None = None,
    signature: str = "http",
    env: dict[str, str] | None = None,
) -> FunctionProcess:
    """Start ``functions-framework --target`` like the stack does (same venv, env and PYTHONPATH)."""
    root = stack.root
    cmd = [str(stack.venv / "bin" / "functions-framework"), "--source", str(source or stack.functions_source)]
    cmd += ["--target", target, "--signature-type", signature, "--host", HOST, "--port", str(port)]
    pythonpath = os.pathsep.join(str(p) for p in (root / "shared", root / "functions", root))
    child_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    child_env |= stack.emulator_env() | {"PYTHONPATH": pythonpath, "PYTHONUNBUFFERED": "1"} | (env or {})
    log_dir = stack.log_dir / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / f"{name}.log").open("wb") as out:
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return FunctionProcess(name, port, proc, started)


def wait_good(fp: FunctionProcess, probe: Callable[[], bool], timeout_s: float = 60.0) -> float:
    """Seconds from process start to the first probe that succeeds (polls every 5 ms)."""
    deadline = fp.started + timeout_s
    while time.monotonic() < deadline:
        if fp.proc.poll() is not None:
            raise RuntimeError(f"{fp.name} exited with {fp.proc.returncode}")
        with contextlib.suppress(Exception):
            if probe():
                return time.monotonic() - fp.started
        time.sleep(0.005)
    raise TimeoutError(f"{fp.name}: no good response within {timeout_s} s")


def group_pids(pgid: int) -> list[int]:
    """Live processes of a process group."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry))
    return pids


def rss_mb(pid: int) -> float:
    """Resident set size of one process in MB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def group_rss(pgid: int) -> dict[str, float]:
    """RSS of a function's processes: the largest one (the worker serving requests) and the sum."""
    values = [rss_mb(p) for p in group_pids(pgid)]
    return {"worker_mb": max(values, default=0.0), "group_mb": round(sum(values), 1)}


def cpu_s(pid: int) -> float:
    """User + system CPU seconds one process has used (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_group(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process group (emulators, functions, sandboxes)."""
    return {name: sum(cpu_s(p) for p in group_pids(pgid)) for name, pgid in groups.items()}


def worker_pid(pgid: int) -> int:
    """The gunicorn worker (the child) of a functions-framework group, else the leader."""
    members = [p for p in group_pids(pgid) if p != pgid]
    return max(members, key=rss_mb) if members else pgid
