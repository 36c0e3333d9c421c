"""Readiness probes: HTTP and TCP checks, free ports, and what the gateway's ``/healthz`` checks."""

from __future__ import annotations

import functools
import socket
import urllib.error
import urllib.request
from collections.abc import Callable

from emulators.stack.ports import AT_SANDBOX, HOST, MPESA_SANDBOX, SANDBOX, Ports, function_process
from mkopo import topology

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_ok(url: str, timeout_s: float = 1.0) -> bool:
    """True when a GET on ``url`` answers with a 2xx status."""
    try:
        with NO_PROXY.open(url, timeout=timeout_s) as response:
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
        probes[AT_SANDBOX] = functools.partial(http_ok, f"http://{HOST}:{ports.at_sandbox}/healthz")
    return probes
