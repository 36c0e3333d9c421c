"""Start, wire and stop the local stack: emulators, Pub/Sub topology, functions, MoMo sandbox and gateway.

Every process runs in its own process group (``start_new_session=True``) and is listed in
``.run/<offset>/pids.json``, so ``stop()`` or ``python -m emulators.dev down`` ends exactly what was started.
The outbox-relay timer (Cloud Scheduler stand-in) runs inside the gateway process: see ``emulators.gateway``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import platform
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkopo import topology, warehouse_schema

if TYPE_CHECKING:
    from google.cloud import bigquery

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEV_PROJECT = "mkopo-local"
TEST_OFFSET = 10_000
FIRESTORE_MAIN = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
EMULATORS = ("pubsub", "firestore", "bigquery")
SANDBOX = "momo-sandbox"
MPESA_SANDBOX = "mpesa-sandbox"
GATEWAY = "gateway"
log = logging.getLogger("mkopo.stack")

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class StackError(RuntimeError):
    """A part of the local stack could not be started, reached or stopped."""


class PortInUseError(StackError):
    """A port the stack needs is already taken."""


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


# ---------------------------------------------------------------------------------------------- probes


def http_ok(url: str, timeout_s: float = 1.0) -> bool:
    """True when a GET on ``url`` answers with a 2xx status."""
    try:
        with _NO_PROXY.open(url, timeout=timeout_s) as response:
            return 200 <= int(response.status) < 300
    except (OSError, urllib.error.URLError):
        return False


def tcp_open(port: int, timeout_s: float = 1.0) -> bool:
    """True when ``127.0.0.1:port`` accepts a TCP connection."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def port_free(port: int) -> bool:
    """True when nothing listens on ``127.0.0.1:port`` (a bind like the servers' own succeeds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return not tcp_open(port, timeout_s=0.2)


def health_probes(ports: Ports, project: str, *, sandbox: bool) -> dict[str, Callable[[], bool]]:
    """One probe per emulator, function (TCP) and, if running, the sandbox: what ``/healthz`` checks."""
    probes: dict[str, Callable[[], bool]] = {
        "pubsub": functools.partial(http_ok, f"http://{HOST}:{ports.pubsub}/"),
        "firestore": functools.partial(http_ok, f"http://{HOST}:{ports.firestore}/"),
        "bigquery": functools.partial(
            http_ok, f"http://{HOST}:{ports.bigquery_rest}/bigquery/v2/projects/{project}/datasets"
        ),
    }
    for fn in topology.FUNCTIONS:
        probes[function_process(fn)] = functools.partial(tcp_open, ports.function(fn.name))
    if sandbox:
        probes[SANDBOX] = functools.partial(http_ok, f"http://{HOST}:{ports.momo_sandbox}/healthz")
        probes[MPESA_SANDBOX] = functools.partial(http_ok, f"http://{HOST}:{ports.mpesa_sandbox}/healthz")
    return probes


# ------------------------------------------------------------------------------------ process groups


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


# ------------------------------------------------------------------------------------------ tooling


@functools.cache
def gcloud_sdk_root() -> Path:
    """The Cloud SDK root, as ``gcloud info`` reports it."""
    env = os.environ | {"CLOUDSDK_CORE_CHECK_GCE_METADATA": "false"}
    try:
        out = subprocess.run(
            ["gcloud", "info", "--format=value(installation.sdk_root)"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            env=env,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise StackError(f"cannot find the Cloud SDK with `gcloud info`: {exc}") from exc
    return Path(out.stdout.strip())


def duckdb_platform() -> str:
    """DuckDB's name for this platform's extension folder, e.g. ``linux_amd64``."""
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "amd64")
    return f"{platform.system().lower()}_{machine}"


def spatial_extension(bq_venv: Path) -> Path:
    """The DuckDB spatial extension shipped by the ``duckdb-extension-spatial`` package in ``bq_venv``."""
    pattern = "lib/python*/site-packages/duckdb_extension_spatial/extensions/v*/spatial.duckdb_extension"
    found = sorted(bq_venv.glob(pattern))
    if not found:
        raise StackError(f"no spatial.duckdb_extension under {bq_venv}: run `make .venv-bq/.installed`")
    return found[-1]


def prepare_bigquery_home(home: Path, bq_venv: Path) -> Path:
    """A HOME for bqemulator whose ``.duckdb/extensions`` links the shipped spatial extension."""
    extension = spatial_extension(bq_venv)
    folder = home / ".duckdb" / "extensions" / extension.parent.name / duckdb_platform()
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / extension.name
    if link.is_symlink() and link.resolve() != extension.resolve():
        link.unlink()
    with contextlib.suppress(FileExistsError):
        link.symlink_to(extension)
    return home


def events_table(table_id: str) -> bigquery.Table:
    """The events table from ``mkopo.warehouse_schema``: DAY partitions on its partition field, clustered."""
    from google.cloud import bigquery

    schema = [
        bigquery.SchemaField(n, t, mode=m, description=d) for n, t, m, d in warehouse_schema.EVENTS_SCHEMA
    ]
    table = bigquery.Table(table_id, schema=schema)
    table.time_partitioning = bigquery.TimePartitioning(
        type_=bigquery.TimePartitioningType.DAY, field=warehouse_schema.PARTITION_FIELD
    )
    table.clustering_fields = list(warehouse_schema.CLUSTER_FIELDS)
    return table


def _setting_default(name: str) -> str:
    from mkopo.config import Settings

    return str(Settings.model_fields[name].default)


def _ignore_exists(create: Callable[[], object]) -> None:
    from google.api_core.exceptions import AlreadyExists

    with contextlib.suppress(AlreadyExists):
        create()


# --------------------------------------------------------------------------------------------- stack


class Stack:
    """The local platform on one set of ports: start parts or all of it, wire it, stop it."""

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
        self.venv = root / ".venv"
        self.bq_venv = root / ".venv-bq"
        self.run_dir = root / ".run" / str(self.ports.offset)
        self.log_dir = root / ".run" / "logs" / ("" if self.ports.offset == 0 else str(self.ports.offset))
        self.bigquery_dataset = _setting_default("bigquery_dataset")
        self.bigquery_table = _setting_default("bigquery_events_table")
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
            "MKOPO_PUBLIC_BASE_URL": self.gateway_url,
            "MKOPO_ENVIRONMENT": "local",
        }

    def running(self) -> list[str]:
        """Names of the processes this stack started that are still running."""
        return [name for name, proc in self._procs.items() if proc.poll() is None]

    def exited(self) -> list[str]:
        """Names of the processes this stack started that have exited on their own."""
        return [name for name, proc in self._procs.items() if proc.poll() is not None]

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

    # --------------------------------------------------------------------------------- wiring

    def setup_bigquery(self) -> None:
        """Create the analytics dataset and events table (idempotent)."""
        client = self.bigquery_client()
        try:
            client.create_dataset(f"{self.project}.{self.bigquery_dataset}", exists_ok=True)
            client.create_table(events_table(self.events_table_id), exists_ok=True)
        finally:
            client.close()

    def bigquery_client(self) -> bigquery.Client:
        """A BigQuery client on the emulator (anonymous credentials)."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=self.project,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.bigquery_url},
        )

    def reset_firestore(self) -> None:
        """Delete every document in the emulator's default database."""
        database = f"projects/{self.project}/databases/(default)"
        url = f"http://{self.firestore_host}/emulator/v1/{database}/documents"
        request = urllib.request.Request(url, method="DELETE")
        with _NO_PROXY.open(request, timeout=10) as response:
            if int(response.status) != 200:
                raise StackError(f"firestore reset answered {response.status}")

    def pubsub_admin(self) -> tuple[Any, Any]:
        """GAPIC publisher and subscriber clients on this stack's Pub/Sub emulator (insecure channel)."""
        import grpc
        from google.pubsub_v1 import PublisherClient, SubscriberClient
        from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
        from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

        publisher = PublisherClient(
            transport=PublisherGrpcTransport(channel=grpc.insecure_channel(self.pubsub_host))
        )
        subscriber = SubscriberClient(
            transport=SubscriberGrpcTransport(channel=grpc.insecure_channel(self.pubsub_host))
        )
        return publisher, subscriber

    def apply_topology(self, *, push: bool = True) -> None:
        """Create every topic, the dead-letter inbox and (with ``push``) each function's subscription."""
        publisher, subscriber = self.pubsub_admin()
        try:
            for topic in topology.TOPICS:
                _ignore_exists(functools.partial(publisher.create_topic, name=self.topic_path(topic)))
            inbox = {
                "name": self.subscription_path(topology.DEAD_LETTER_INBOX),
                "topic": self.topic_path(topology.DEAD_LETTER),
            }
            _ignore_exists(functools.partial(subscriber.create_subscription, request=inbox))
            for sub in topology.subscriptions() if push else ():
                request = self.subscription_request(sub)
                _ignore_exists(functools.partial(subscriber.create_subscription, request=request))
        finally:
            publisher.transport.close()
            subscriber.transport.close()

    def subscription_request(self, sub: topology.Subscription) -> dict[str, Any]:
        """The CreateSubscription request for one subscription (push to its function, or pulled by it),
        with the function's retry and dead-letter policy."""
        retry = sub.function.retry
        push = {"push_config": {"push_endpoint": self.push_endpoint(sub)}} if sub.push else {}
        return {
            "name": self.subscription_path(sub.name),
            "topic": self.topic_path(sub.topic),
            **push,
            "ack_deadline_seconds": retry.ack_deadline_s,
            "retry_policy": {
                "minimum_backoff": timedelta(seconds=retry.minimum_backoff_s),
                "maximum_backoff": timedelta(seconds=retry.maximum_backoff_s),
            },
            "dead_letter_policy": {
                "dead_letter_topic": self.topic_path(sub.dead_letter_topic),
                "max_delivery_attempts": retry.max_delivery_attempts,
            },
        }

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

    def record_owner(self, pid: int) -> None:
        """Record the process driving this stack (``dev up``) so that ``down`` can end it too."""
        self._owner = {"pid": pid, "start_ticks": start_ticks(pid)}
        self._save()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------------------- launchers

    def _launch_emulators(self) -> None:
        self._launch_pubsub()
        self._launch_firestore()
        self._launch_bigquery()

    def _launch_pubsub(self) -> None:
        launcher = gcloud_sdk_root() / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"
        self._launch("pubsub", [str(launcher), *self._bind(self.ports.pubsub)], self.ports.pubsub)

    def _launch_firestore(self) -> None:
        jar = gcloud_sdk_root() / "platform" / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"
        cmd = ["java", "-Duser.language=en", "-cp", str(jar), FIRESTORE_MAIN, "start"]
        self._launch("firestore", [*cmd, *self._bind(self.ports.firestore)], self.ports.firestore)

    def _launch_bigquery(self) -> None:
        binary = self.bq_venv / "bin" / "bqemulator"
        if not binary.exists():
            raise StackError(f"{binary} is missing: run `make .venv-bq/.installed`")
        home = prepare_bigquery_home(self.root / ".cache" / "bqhome", self.bq_venv)
        env = {
            "HOME": str(home),
            "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false",
            "BQEMU_QUERY_CACHE_TTL_SECONDS": "0",
        }
        cmd = [str(binary), "start", "--rest-port", str(self.ports.bigquery_rest)]
        cmd += ["--grpc-port", str(self.ports.bigquery_grpc), "--project", self.project]
        self._launch("bigquery", cmd, self.ports.bigquery_rest, env)

    def _launch_functions(self) -> None:
        if not self.functions_source.exists():
            raise StackError(f"function source {self.functions_source} does not exist")
        env = self.emulator_env() | {"PYTHONPATH": self._pythonpath(with_root=False)} | self.extra_env
        for fn in topology.FUNCTIONS:
            signature = "cloudevent" if fn.trigger == "pubsub" else "http"
            port = self.ports.function(fn.name)
            cmd = [str(self.venv / "bin" / "functions-framework"), "--source", str(self.functions_source)]
            cmd += ["--target", fn.entry_point, "--signature-type", signature]
            cmd += ["--host", HOST, "--port", str(port)]
            self._launch(function_process(fn), cmd, port, env)

    def _launch_sandbox(self) -> None:
        if not self._module_exists(self.sandbox_module):
            log.warning("MoMo sandbox module %s not found: skipping the sandbox", self.sandbox_module)
            return
        cmd = [str(self.venv / "bin" / "python"), "-m", self.sandbox_module]
        cmd += ["--host", HOST, "--port", str(self.ports.momo_sandbox)]
        self._launch(SANDBOX, cmd, self.ports.momo_sandbox, {"PYTHONPATH": self._pythonpath()})
        mpesa = [str(self.venv / "bin" / "python"), "-m", "emulators.mpesa_sandbox"]
        mpesa += ["--host", HOST, "--port", str(self.ports.mpesa_sandbox)]
        self._launch(MPESA_SANDBOX, mpesa, self.ports.mpesa_sandbox, {"PYTHONPATH": self._pythonpath()})
        self.sandbox_started = True

    def _launch_gateway(self) -> None:
        cmd = [str(self.venv / "bin" / "python"), "-m", "emulators.gateway", "--project", self.project]
        cmd += ["--port", str(self.ports.gateway), "--offset", str(self.ports.offset)]
        cmd += ["--relay-interval-s", str(self.relay_interval_s)]
        cmd += ["--sandbox"] if self.sandbox_started else []
        self._launch(GATEWAY, cmd, self.ports.gateway, {"PYTHONPATH": self._pythonpath()})

    def _launch(self, name: str, cmd: list[str], port: int, env: Mapping[str, str] | None = None) -> None:
        if name in self.running():
            return
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        child_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        child_env |= {"PYTHONUNBUFFERED": "1"} | dict(env or {})
        with log_path.open("wb") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=self.root,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._procs[name] = proc
        ticks = start_ticks(proc.pid)
        self._records[name] = ProcessRecord(name, proc.pid, proc.pid, ticks, port, str(log_path))
        self._save()

    @staticmethod
    def _bind(port: int) -> list[str]:
        return [f"--host={HOST}", f"--port={port}"]

    def _pythonpath(self, *, with_root: bool = True) -> str:
        paths = [self.root / "shared", self.root / "functions", *([self.root] if with_root else [])]
        paths += self.extra_pythonpath
        return os.pathsep.join(str(p) for p in paths)

    def _module_exists(self, module: str) -> bool:
        relative = Path(*module.split("."))
        roots = [Path(p) for p in self._pythonpath().split(os.pathsep)]
        return any((r / relative).with_suffix(".py").exists() or (r / relative).is_dir() for r in roots)

    def _save(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        state = {
            "offset": self.ports.offset,
            "project": self.project,
            "owner": self._owner,
            "processes": [asdict(r) for r in self._records.values()],
        }
        tmp = self.pids_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.pids_file)
        self._saved = True

    # ---------------------------------------------------------------------------------- waits

    def _wait_emulators(self) -> None:
        probes = health_probes(self.ports, self.project, sandbox=False)
        for name in EMULATORS:
            self._wait(name, probes[name])

    def _wait_functions(self) -> None:
        for fn in topology.FUNCTIONS:
            self._wait_tcp(function_process(fn), self.ports.function(fn.name))

    def _wait_sandbox(self) -> None:
        if self.sandbox_started:
            self._wait_tcp(SANDBOX, self.ports.momo_sandbox)
            self._wait_tcp(MPESA_SANDBOX, self.ports.mpesa_sandbox)

    def _wait_tcp(self, name: str, port: int) -> None:
        self._wait(name, functools.partial(tcp_open, port, 0.5))

    def _wait(self, name: str, ready: Callable[[], bool]) -> None:
        """Poll ``ready`` until it holds; fail early with the log tail if the process exits or times out."""
        proc, record = self._procs[name], self._records[name]
        deadline = time.monotonic() + self.ready_timeout_s
        while not ready():
            code = proc.poll()
            if code is not None:
                raise StackError(self._failure(name, f"exited with code {code}", record))
            if time.monotonic() > deadline:
                raise StackError(self._failure(name, f"not ready after {self.ready_timeout_s:.0f} s", record))
            time.sleep(0.1)

    @staticmethod
    def _failure(name: str, what: str, record: ProcessRecord) -> str:
        tail = log_tail(Path(record.log))
        return f"{name} (port {record.port}) {what}; log {record.log}:\n{tail}"


# ---------------------------------------------------------------------------------------------- down


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
