"""The state every part of ``Stack`` shares: configuration, addresses, and the processes it started."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from emulators.stack.ports import DEV_PROJECT, HOST, REPO_ROOT, Ports, ProcessRecord
from emulators.stack.tooling import setting_default
from mkopo import topology


class StackBase:
    """Configuration, addresses and started processes of one local stack (see ``Stack``)."""

    def __init__(
        self,
        ports: Ports | None = None,
        *,
        project: str = DEV_PROJECT,
        root: Path = REPO_ROOT,
        functions_source: Path | None = None,
        sandbox_module: str = "emulators.momo_sandbox",
        extra_env: Mapping[str, str] | None = None,
        extra_pythonpath: Iterable[Path] = (),
        relay_interval_s: float = 5.0,
        ready_timeout_s: float = 90.0,
        abort: threading.Event | None = None,
    ) -> None:
        self.ports = ports or Ports()
        self.project = project
        self.root = root
        self.functions_source = functions_source or root / "functions" / "main.py"
        self.sandbox_module = sandbox_module
        self.extra_env = dict(extra_env or {})
        self.extra_pythonpath = tuple(extra_pythonpath)
        self.relay_interval_s = relay_interval_s
        self.ready_timeout_s = ready_timeout_s
        self.abort = abort or threading.Event()  # set it (from a signal handler) to abandon start()
        self.venv = root / ".venv"
        self.bq_venv = root / ".venv-bq"
        self.run_dir = root / ".run" / str(self.ports.offset)
        self.log_dir = root / ".run" / "logs" / ("" if self.ports.offset == 0 else str(self.ports.offset))
        self.bigquery_dataset = setting_default("bigquery_dataset")
        self.bigquery_table = setting_default("bigquery_events_table")
        self.sandbox_started = False
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._records: dict[str, ProcessRecord] = {}
        self._owner: dict[str, int | None] | None = None
        self._saved = False

    # -------------------------------------------------------------------------------- addresses

    @property
    def pubsub_host(self) -> str:
        """``host:port`` of the Pub/Sub emulator (PUBSUB_EMULATOR_HOST)."""
        return f"{HOST}:{self.ports.pubsub}"

    @property
    def firestore_host(self) -> str:
        """``host:port`` of the Firestore emulator (FIRESTORE_EMULATOR_HOST)."""
        return f"{HOST}:{self.ports.firestore}"

    @property
    def bigquery_url(self) -> str:
        """The BigQuery emulator's REST endpoint (MKOPO_BIGQUERY_ENDPOINT)."""
        return f"http://{HOST}:{self.ports.bigquery_rest}"

    @property
    def momo_url(self) -> str:
        """The MoMo sandbox base URL (MKOPO_MOMO_BASE_URL)."""
        return f"http://{HOST}:{self.ports.momo_sandbox}"

    @property
    def gateway_url(self) -> str:
        """The public API base URL."""
        return f"http://{HOST}:{self.ports.gateway}"

    @property
    def events_table_id(self) -> str:
        """``project.dataset.table`` of the analytics events table."""
        return f"{self.project}.{self.bigquery_dataset}.{self.bigquery_table}"

    @property
    def trace_file(self) -> Path:
        """Where this stack's functions append their finished spans (``python -m mkopo.ops trace``)."""
        return self.run_dir / "spans.jsonl"

    @property
    def pids_file(self) -> Path:
        """Where the started process groups are recorded."""
        return self.run_dir / "pids.json"

    def function_url(self, name: str) -> str:
        """The direct URL of one function (bypassing the gateway)."""
        return f"http://{HOST}:{self.ports.function(name)}"

    def topic_path(self, topic: str) -> str:
        """``projects/<project>/topics/<topic>``."""
        return f"projects/{self.project}/topics/{topic}"

    def subscription_path(self, name: str) -> str:
        """``projects/<project>/subscriptions/<name>``."""
        return f"projects/{self.project}/subscriptions/{name}"

    def push_endpoint(self, sub: topology.Subscription) -> str:
        """Where the emulator pushes a subscription: the function, on a path naming the topic."""
        return f"{self.function_url(sub.function.name)}/{self.topic_path(sub.topic)}"

    def emulator_env(self) -> dict[str, str]:
        """The variables that point clients (and the functions) at this stack."""
        return {
            "PUBSUB_EMULATOR_HOST": self.pubsub_host,
            "FIRESTORE_EMULATOR_HOST": self.firestore_host,
            "GOOGLE_CLOUD_PROJECT": self.project,
            "MKOPO_PROJECT_ID": self.project,
            "MKOPO_BIGQUERY_ENDPOINT": self.bigquery_url,
            "MKOPO_MOMO_BASE_URL": self.momo_url,
            "MKOPO_MPESA_BASE_URL": f"http://{HOST}:{self.ports.mpesa_sandbox}",
            "MKOPO_AT_BASE_URL": f"http://{HOST}:{self.ports.at_sandbox}",
            "MKOPO_PUBLIC_BASE_URL": self.gateway_url,
            "MKOPO_ENVIRONMENT": "local",
            "MKOPO_TRACE_FILE": str(self.trace_file),
            "MKOPO_BUREAU_FOLDER": str(self.run_dir / "bureau"),  # the bureau bucket's stand-in
        }

    def running(self) -> list[str]:
        """Names of the processes this stack started that are still running."""
        return [name for name, proc in self._procs.items() if proc.poll() is None]

    def exited(self) -> list[str]:
        """Names of the processes this stack started that have exited on their own."""
        return [name for name, proc in self._procs.items() if proc.poll() is not None]
