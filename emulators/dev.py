"""``make dev`` / ``make down``: run the whole platform locally, or stop what a previous ``up`` started.

python -m emulators.dev up   [--offset 0] [--project mkopo-local]
python -m emulators.dev down [--offset 0]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from types import FrameType

from emulators.scheduler import local_interval
from emulators.stack import (
    DEV_PROJECT,
    HOST,
    PortInUseError,
    Ports,
    Stack,
    StackAborted,
    StackError,
    down,
    load_records,
    start_ticks,
    stop_groups,
)
from mkopo import topology


def banner(stack: Stack, seconds: float) -> str:
    """The short summary printed once everything is up."""
    env = stack.emulator_env()
    lines = [
        f"mkopo is up in {seconds:.1f} s  (project {stack.project}, logs in {stack.log_dir})",
        f"  API        {stack.gateway_url}   (try {stack.gateway_url}/healthz)",
        f"  Pub/Sub    PUBSUB_EMULATOR_HOST={env['PUBSUB_EMULATOR_HOST']}",
        f"  Firestore  FIRESTORE_EMULATOR_HOST={env['FIRESTORE_EMULATOR_HOST']}",
        f"  BigQuery   MKOPO_BIGQUERY_ENDPOINT={env['MKOPO_BIGQUERY_ENDPOINT']}",
        f"  MoMo       {stack.momo_url}" + ("" if stack.sandbox_started else "  (sandbox not started)"),
        f"  M-Pesa     http://{HOST}:{stack.ports.mpesa_sandbox}",
        f"  SMS        http://{HOST}:{stack.ports.at_sandbox}/sandbox/messages  (Africa's Talking sandbox)",
        f"  scheduled  {_schedule(stack.relay_interval_s)} (a timer in the gateway process)",
        f"  USSD       POST {stack.gateway_url}/v1/ussd  (a phone: python -m emulators.ussd_phone "
        f"+254700000001 --url {stack.gateway_url})",
        "Ctrl-C, SIGTERM (or `make down`) stops everything.",
    ]
    return "\n".join(lines)


def _schedule(interval_s: float) -> str:
    """Which scheduled functions the local timer calls how often."""
    every: dict[float, list[str]] = {}
    for fn in topology.FUNCTIONS:
        if fn.trigger == "schedule":
            every.setdefault(local_interval(fn, interval_s), []).append(fn.name)
    return "; ".join(f"{', '.join(names)} every {s:g} s" for s, names in sorted(every.items()))


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def catch_stop_signals(stopping: threading.Event) -> None:
    """SIGINT, SIGTERM and SIGHUP only set ``stopping``, however many arrive: nothing is raised, so the
    shutdown runs to its end. SIGINT is caught even where a non-interactive shell had it ignored."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if not stopping.is_set():
            with contextlib.suppress(OSError):  # a raw write: print() here could re-enter stderr's buffer
                os.write(2, f"{signal.Signals(signum).name}: stopping ...\n".encode())
        stopping.set()

    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)


def reclaim_leftovers(stack: Stack) -> list[str]:
    """Stop what an earlier ``up`` on these ports left running after an unclean stop (its owner, the
    ``up`` process, is gone, e.g. killed with SIGKILL); refuse if that owner still runs."""
    records, owner = load_records(stack.pids_file)
    if owner is None:
        return []  # not started by `up` (e.g. a test run): the port check reports it if it still runs
    if owner["pid"] != os.getpid() and start_ticks(owner["pid"]) == owner["start_ticks"]:
        raise PortInUseError(
            f"the stack with offset {stack.ports.offset} is already running (pid {owner['pid']}): "
            f"stop it with `make down OFFSET={stack.ports.offset}`"
        )
    stopped = stop_groups(records)
    stack.pids_file.unlink(missing_ok=True)
    return stopped


def up(offset: int, project: str) -> int:
    """Start everything, print the banner, block until a stop signal, then stop everything."""
    stopping = threading.Event()
    catch_stop_signals(stopping)
    stack = Stack(Ports(offset), project=project, abort=stopping)
    try:
        if stale := reclaim_leftovers(stack):
            print(f"stopped leftovers of an earlier run: {', '.join(stale)}", file=sys.stderr, flush=True)
        stack.check_ports_free()
        stack.record_owner(os.getpid())
        print(banner(stack, stack.start()), flush=True)
        return _serve(stack, stopping)
    except StackAborted:
        return 0
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, PortInUseError) else 1
    finally:
        stopping.set()
        stack.stop()
        with contextlib.suppress(OSError):  # stderr may be gone with the make that started us
            print("stopped.", file=sys.stderr, flush=True)


def _serve(stack: Stack, stopping: threading.Event) -> int:
    """Wait for a stop signal (0) or for a process that exits on its own (1)."""
    while not stopping.is_set():
        if exited := stack.exited():
            print(f"stopped unexpectedly: {', '.join(exited)} (see {stack.log_dir})", file=sys.stderr)
            return 1
        time.sleep(0.2)
    return 0


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run ``up`` or ``down``."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description="mkopo local stack")
    parser.add_argument("command", choices=["up", "down"])
    parser.add_argument("--offset", type=int, default=0, help="port offset (make dev OFFSET=N)")
    parser.add_argument("--project", default=DEV_PROJECT)
    args = parser.parse_args(argv)
    if args.command == "up":
        sys.exit(up(args.offset, args.project))
    stopped = down(args.offset)
    print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


if __name__ == "__main__":
    main()
