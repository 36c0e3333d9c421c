"""The chaos stack: the local stack on its own ports, with functions and both provider sandboxes (MTN MoMo,
M-Pesa) restartable under faults."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from emulators.stack import MPESA_SANDBOX, SANDBOX, Ports, Stack, function_process, stop_groups

from chaos import providers
from mkopo import topology

SANDBOX_KNOBS = (
    "MOMO_SANDBOX_FAIL_RATE",
    "MOMO_SANDBOX_TIMEOUT_RATE",
    "MOMO_SANDBOX_HANG_S",
    "MOMO_SANDBOX_SEED",
    "MOMO_SANDBOX_LATENCY_MS",
    "MPESA_SANDBOX_FAIL_RATE",
    "MPESA_SANDBOX_DUPLICATE_CALLBACKS",
    "MPESA_SANDBOX_DROP_CALLBACKS",
    "MPESA_SANDBOX_LATENCY_MS",
    "MPESA_SANDBOX_SEED",
)
# Cloud Scheduler calls the relay and reconciliation every minute / 5 minutes; here every 2 s.
TIMER_INTERVAL_S = 2.0


class ChaosStack:
    def __init__(self, offset: int) -> None:
        # functions/main.py as it is: it defines every function mkopo.topology lists (no stand-ins).
        self.stack = Stack(Ports(offset), relay_interval_s=TIMER_INTERVAL_S)
        self.db: Any = None

    def start(self) -> None:
        self._clear_knobs()
        try:
            self.stack.start()
        except BaseException:
            self.stack.stop()
            raise
        os.environ.update(self.stack.emulator_env())
        from google.cloud import firestore

        self.db = firestore.Client(project=self.stack.project)

    def reset(self) -> None:
        """Empty Firestore and both sandboxes between scenarios (BigQuery rows: filtered by application)."""
        self.stack.reset_firestore()
        providers.reset(self.stack)

    def _restart(self, names: list[str]) -> None:
        records = [self.stack._records[n] for n in names if n in self.stack._records]
        stop_groups(records, grace_s=5)
        for name in names:
            self.stack._procs.pop(name, None)
            self.stack._records.pop(name, None)

    def restart_functions(self, env: Mapping[str, str], functions: Iterable[str] | None = None) -> None:
        """Restart the named functions (topology names; all if None) with ``env`` added (e.g.
        ``MKOPO_FAULTS``); the others keep running as they are."""
        wanted = None if functions is None else {function_process(topology.function(f)) for f in functions}
        names = [n for n in self.stack._records if n.startswith("fn-") and (wanted is None or n in wanted)]
        self._restart(names)
        self.stack.extra_env = dict(env)
        self.stack.start_functions()  # starts only what is not running

    def restart_sandboxes(self, knobs: Mapping[str, str]) -> None:
        """Restart both sandboxes with fault knobs (``MOMO_SANDBOX_*``, ``MPESA_SANDBOX_*``); an empty
        mapping turns them off. Both start empty."""
        unknown = set(knobs) - set(SANDBOX_KNOBS)
        if unknown:
            raise ValueError(f"unknown sandbox knobs: {sorted(unknown)}")
        self._restart([SANDBOX, MPESA_SANDBOX])
        self._clear_knobs()
        os.environ.update(knobs)
        try:
            self.stack.start_sandbox()
        finally:
            self._clear_knobs()

    @staticmethod
    def _clear_knobs() -> None:
        for knob in SANDBOX_KNOBS:
            os.environ.pop(knob, None)

    def stop(self) -> None:
        self.stack.stop()
