"""Fault-injection checkpoints for chaos tests: crash the process at a named point in a handler.

``checkpoint(name)`` does nothing unless the environment variable ``MKOPO_FAULTS`` names that checkpoint.
``MKOPO_FAULTS`` is a comma-separated list of ``name[@target][:count]``:

- ``name``: the checkpoint (e.g. ``scoring.before_write``, ``outbox.before_publish``,
  ``disbursement.after_provider``);
- ``@target``: only in the process serving that functions-framework ``--target`` (e.g. ``@confirm_payment``);
- ``:count``: crash only the first ``count`` times, counted across restarts with marker files in
  ``MKOPO_FAULTS_DIR`` (default ``$TMPDIR/mkopo-faults``), so the restarted process passes.

A crash is ``os._exit(137)``: no ``finally`` blocks, no flushing, no acknowledgement, like a SIGKILL.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ENV = "MKOPO_FAULTS"
DIR_ENV = "MKOPO_FAULTS_DIR"
EXIT_CODE = 137


@dataclass(frozen=True)
class Fault:
    """One armed checkpoint."""

    name: str
    target: str | None = None
    count: int | None = None


def parse(spec: str) -> list[Fault]:
    """The faults a ``MKOPO_FAULTS`` value arms."""
    faults = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        head, _, count = item.partition(":")
        name, _, target = head.partition("@")
        faults.append(Fault(name, target or None, int(count) if count else None))
    return faults


def current_target(argv: list[str] | None = None) -> str | None:
    """The ``--target`` this process serves (functions-framework's command line), if any."""
    args = sys.argv if argv is None else argv
    for i, arg in enumerate(args):
        if arg == "--target" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--target="):
            return arg.split("=", 1)[1]
    return None


def markers_dir() -> Path:
    """Where crash markers are counted."""
    return Path(os.environ.get(DIR_ENV) or Path(tempfile.gettempdir()) / "mkopo-faults")


def _claim(fault: Fault) -> bool:
    """True if this hit should crash: unlimited, or one of the first ``count`` (claims a marker file)."""
    if fault.count is None:
        return True
    folder = markers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(fault.count):
        try:
            fd = os.open(
                folder / f"{fault.name}@{fault.target or '*'}.{n}", os.O_CREAT | os.O_EXCL | os.O_WRONLY
            )
        except FileExistsError:
            continue
        os.close(fd)
        return True
    return False


def crashes(name: str) -> bool:
    """Whether ``checkpoint(name)`` would crash now (claims a marker when counted)."""
    spec = os.environ.get(ENV)
    if not spec:
        return False
    target = current_target()
    for fault in parse(spec):
        if fault.name == name and fault.target in (None, target) and _claim(fault):
            return True
    return False


def checkpoint(name: str) -> None:
    """Crash the process here (exit 137) if ``MKOPO_FAULTS`` arms this checkpoint."""
    if crashes(name):
        print(f"mkopo.faults: crashing at {name} (pid {os.getpid()})", file=sys.stderr, flush=True)
        os._exit(EXIT_CODE)
