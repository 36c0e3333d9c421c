"""Ports, names and errors of the local stack: what every other part of ``emulators.stack`` shares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mkopo import topology

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"
DEV_PROJECT = "mkopo-local"
TEST_OFFSET = 10_000
FIRESTORE_MAIN = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
EMULATORS = ("pubsub", "firestore", "bigquery")
SANDBOX = "momo-sandbox"
MPESA_SANDBOX = "mpesa-sandbox"
AT_SANDBOX = "at-sandbox"
GATEWAY = "gateway"


class StackError(RuntimeError):
    """A part of the local stack could not be started, reached or stopped."""


class PortInUseError(StackError):
    """A port the stack needs is already taken."""


class StackAborted(StackError):
    """Starting was abandoned because the stack's ``abort`` event was set (a signal arrived)."""


@dataclass(frozen=True)
class Ports:
    """Every local port, shifted by ``offset`` (0 for ``make dev``, ``TEST_OFFSET`` for tests)."""

    offset: int = 0

    @property
    def gateway(self) -> int:
        """The public API gateway."""
        return 8000 + self.offset

    @property
    def pubsub(self) -> int:
        """The Pub/Sub emulator (gRPC and REST)."""
        return 8085 + self.offset

    @property
    def firestore(self) -> int:
        """The Firestore emulator."""
        return 8086 + self.offset

    @property
    def momo_sandbox(self) -> int:
        """The MTN MoMo sandbox."""
        return 8090 + self.offset

    @property
    def mpesa_sandbox(self) -> int:
        """The M-Pesa Daraja sandbox."""
        return 8091 + self.offset

    @property
    def at_sandbox(self) -> int:
        """The Africa's Talking SMS sandbox."""
        return 8092 + self.offset

    @property
    def bigquery_rest(self) -> int:
        """The BigQuery emulator's REST API (what the Python client uses)."""
        return 9050 + self.offset

    @property
    def bigquery_grpc(self) -> int:
        """The BigQuery emulator's Storage gRPC API."""
        return 9060 + self.offset

    def function(self, name: str) -> int:
        """The port of one function: 8101, 8102, ... in ``topology.FUNCTIONS`` order."""
        names = [fn.name for fn in topology.FUNCTIONS]
        if name not in names:
            raise KeyError(name)
        return 8101 + self.offset + names.index(name)

    def named(self) -> dict[str, int]:
        """Every port by process name (functions as ``fn-<name>``, BigQuery's gRPC as ``bigquery-grpc``)."""
        ports = {
            "pubsub": self.pubsub,
            "firestore": self.firestore,
            "bigquery": self.bigquery_rest,
            "bigquery-grpc": self.bigquery_grpc,
            SANDBOX: self.momo_sandbox,
            MPESA_SANDBOX: self.mpesa_sandbox,
            AT_SANDBOX: self.at_sandbox,
            GATEWAY: self.gateway,
        }
        return ports | {function_process(fn): self.function(fn.name) for fn in topology.FUNCTIONS}


@dataclass(frozen=True)
class ProcessRecord:
    """One started process group, as written to ``pids.json``."""

    name: str
    pid: int
    pgid: int
    start_ticks: int | None
    port: int | None
    log: str


def function_process(fn: topology.Function) -> str:
    """The process name of a function."""
    return f"fn-{fn.name}"
