"""Start, wire and stop the local stack: emulators, Pub/Sub topology, functions, sandboxes and gateway.

Every process runs in its own process group (``start_new_session=True``) and is listed in
``.run/<offset>/pids.json``, so ``stop()`` or ``python -m emulators.dev down`` ends exactly what was started.
The outbox-relay timer (Cloud Scheduler stand-in) runs inside the gateway process: see ``emulators.gateway``.

Modules: ``ports`` (names, ports, errors), ``probes`` (readiness), ``processes`` (process groups, ``down``),
``tooling`` (Cloud SDK, bqemulator), ``base``/``launchers``/``wiring``/``core`` (the ``Stack`` class).
"""

from emulators.stack.core import Stack
from emulators.stack.ports import (
    AT_SANDBOX,
    DEV_PROJECT,
    EMULATORS,
    FIRESTORE_MAIN,
    GATEWAY,
    HOST,
    MPESA_SANDBOX,
    REPO_ROOT,
    SANDBOX,
    TEST_OFFSET,
    PortInUseError,
    Ports,
    ProcessRecord,
    StackAborted,
    StackError,
    function_process,
)
from emulators.stack.probes import health_probes, http_ok, port_free, tcp_open
from emulators.stack.processes import (
    down,
    group_members,
    load_records,
    log_tail,
    owned,
    start_ticks,
    stop_groups,
)
from emulators.stack.tooling import (
    duckdb_platform,
    events_table,
    gcloud_sdk_root,
    prepare_bigquery_home,
    spatial_extension,
)

__all__ = [
    "AT_SANDBOX",
    "DEV_PROJECT",
    "EMULATORS",
    "FIRESTORE_MAIN",
    "GATEWAY",
    "HOST",
    "MPESA_SANDBOX",
    "REPO_ROOT",
    "SANDBOX",
    "TEST_OFFSET",
    "PortInUseError",
    "Ports",
    "ProcessRecord",
    "Stack",
    "StackAborted",
    "StackError",
    "down",
    "duckdb_platform",
    "events_table",
    "function_process",
    "gcloud_sdk_root",
    "group_members",
    "health_probes",
    "http_ok",
    "load_records",
    "log_tail",
    "owned",
    "port_free",
    "prepare_bigquery_home",
    "spatial_extension",
    "start_ticks",
    "stop_groups",
    "tcp_open",
]
