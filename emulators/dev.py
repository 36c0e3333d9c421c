"""``make dev`` / ``make down``: run the whole platform locally, or stop what a previous ``up`` started.

python -m emulators.dev up   [--offset 0] [--project mkopo-local]
python -m emulators.dev down [--offset 0]
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from types import FrameType

from emulators.gateway import local_interval
from emulators.stack import DEV_PROJECT, HOST, PortInUseError, Ports, Stack, StackError, down
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
        f"  scheduled  {_schedule(stack.relay_interval_s)} (a timer in the gateway process)",
        "Ctrl-C (or `make down`) stops everything.",
    ]
    return "\n".join(lines)


def _schedule(interval_s: float) -> str:
    """Which scheduled functions the local timer calls how often."""
    every: dict[float, list[str]] = {}
    for fn in topology.FUNCTIONS:
        if fn.trigger == "schedule":
            every.setdefault(local_interval(fn, interval_s), []).append(fn.name)
    return "; ".join(f"{', '.join(names)} every {s:g} s" for s, names in sorted(every.items()))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM behaves like Ctrl-C."""
    raise KeyboardInterrupt


def up(offset: int, project: str) -> int:
    """Start everything, print the banner, block until Ctrl-C or SIGTERM, then stop everything."""
    stack = Stack(Ports(offset), project=project)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack.check_ports_free()
        stack.record_owner(os.getpid())
        print(banner(stack, stack.start()), flush=True)
        while not (exited := stack.exited()):
            time.sleep(1.0)
        print(f"stopped unexpectedly: {', '.join(exited)} (see {stack.log_dir})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, PortInUseError) else 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if stack.running() or stack.exited():
            print("stopping ...", file=sys.stderr, flush=True)
        stack.stop()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run ``up`` or ``down``."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description="mkopo local stack")
    parser.add_argument("command", choices=["up", "down"])
    parser.add_argument("--offset", type=int, default=0, help="port offset (tests use 10000)")
    parser.add_argument("--project", default=DEV_PROJECT)
    args = parser.parse_args(argv)
    if args.command == "up":
        sys.exit(up(args.offset, args.project))
    stopped = down(args.offset)
    print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


if __name__ == "__main__":
    main()
