"""``Stack``: the local platform on one set of ports: start parts or all of it, wire it, stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator

from emulators.stack.launchers import Launchers
from emulators.stack.ports import (
    EMULATORS,
    GATEWAY,
    HOST,
    SANDBOX,
    PortInUseError,
    StackError,
    function_process,
)
from emulators.stack.probes import port_free
from emulators.stack.processes import owned, start_ticks, stop_groups
from emulators.stack.wiring import Wiring
from mkopo import topology


class Stack(Wiring, Launchers):
    """The local platform on one set of ports: start parts or all of it, wire it, stop it."""

    # ---------------------------------------------------------------------------------- start

    def start(self) -> float:
        """Start everything (emulators, topology, functions, sandbox, gateway); return the seconds it took."""
        began = time.monotonic()
        self.check_ports_free()
        self._launch_emulators()
        self._launch_functions()
        self._launch_sandbox()
        self._launch_gateway()
        self._wait_emulators()
        self.setup_bigquery()
        self.apply_topology()
        self._wait_functions()
        self._wait_sandbox()
        self._wait_tcp(GATEWAY, self.ports.gateway)
        return time.monotonic() - began

    def start_emulators(self) -> float:
        """Start Pub/Sub, Firestore and BigQuery and create the events table; return the seconds it took."""
        began = time.monotonic()
        self.check_ports_free([*EMULATORS, "bigquery-grpc"])
        self._launch_emulators()
        self._wait_emulators()
        self.setup_bigquery()
        return time.monotonic() - began

    def start_functions(self) -> None:
        """Start one functions-framework process per function and wait until each accepts connections."""
        self.check_ports_free([function_process(fn) for fn in topology.FUNCTIONS])
        self._launch_functions()
        self._wait_functions()

    def start_sandbox(self) -> None:
        """Start the MoMo sandbox (skipped with a warning if its module does not exist)."""
        self.check_ports_free([SANDBOX])
        self._launch_sandbox()
        self._wait_sandbox()

    def start_gateway(self) -> None:
        """Start the API gateway (with the outbox-relay timer)."""
        self.check_ports_free([GATEWAY])
        self._launch_gateway()
        self._wait_tcp(GATEWAY, self.ports.gateway)

    def check_ports_free(self, names: Iterable[str] | None = None) -> None:
        """Fail fast with a clear message if a port we are about to bind is taken."""
        wanted = set(names) if names is not None else None
        running = set(self.running())
        busy = [
            f"{name} ({port})"
            for name, port in self.ports.named().items()
            if (wanted is None or name in wanted)
            and name.removesuffix("-grpc") not in running  # bigquery-grpc belongs to bigquery
            and not port_free(port)
        ]
        if busy:
            raise PortInUseError(
                f"port(s) already in use on {HOST}: {', '.join(busy)}. Is the stack with offset "
                f"{self.ports.offset} already running? Stop it with "
                f"`python -m emulators.dev down --offset {self.ports.offset}` (or `make down`), "
                "or see who holds them with `ss -ltnp`."
            )

    # ----------------------------------------------------------------------------------- stop

    def stop(self, grace_s: float = 10.0) -> None:
        """Stop every process this stack started and forget them."""
        stop_groups(self._records.values(), grace_s)
        for proc in self._procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=2)
        self._procs.clear()
        self._records.clear()
        self.sandbox_started = False
        if self._saved:
            self.pids_file.unlink(missing_ok=True)
            self._saved = False

    def stop_platform(self, grace_s: float = 10.0) -> list[str]:
        """Stop the functions, sandboxes and gateway but keep the emulators; return the names stopped."""
        names = [name for name in self._records if name not in EMULATORS]
        stopped = stop_groups([self._records[name] for name in names], grace_s)
        for name in names:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._procs[name].wait(timeout=2)
            del self._procs[name], self._records[name]
        self.sandbox_started = False
        self._save()
        return stopped

    @contextlib.contextmanager
    def paused(self, name: str) -> Iterator[None]:
        """Freeze one process this stack started (SIGSTOP to its group) and thaw it on leaving: it keeps its
        port and its connections but answers nothing, as a hung server does (the console's 503 test)."""
        record = self._records.get(name)
        if record is None or name not in self.running() or not owned(record):
            raise StackError(f"{name} was not started by this stack: it cannot be paused")
        os.killpg(record.pgid, signal.SIGSTOP)
        try:
            yield
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(record.pgid, signal.SIGCONT)

    def record_owner(self, pid: int) -> None:
        """Record the process driving this stack (``dev up``) so that ``down`` can end it too."""
        self._owner = {"pid": pid, "start_ticks": start_ticks(pid)}
        self._save()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
