"""A small local API gateway: one port, public paths forwarded to the function that serves them.

Routes come from ``topology.route_for(path)``. ``GET /healthz`` checks every function port and every emulator.
Errors are ``application/problem+json``: 404 for an unknown path, 502 when the function is down, 504 when it
is too slow. The process also runs the outbox-relay timer (the local stand-in for Cloud Scheduler): every
``--relay-interval-s`` seconds it POSTs to each ``schedule``-triggered function.

Run: ``python -m emulators.gateway --port 8000 --offset 0 --project mkopo-local [--sandbox]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from http.cookiejar import CookieJar, DefaultCookiePolicy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from emulators.stack import DEV_PROJECT, HOST, Ports, health_probes
from mkopo import topology

log = logging.getLogger("mkopo.gateway")

# Hop-by-hop headers (RFC 9110 §7.6.1) are never forwarded; lengths are recomputed.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
# The gateway sets these itself on every response.
OWN_HEADERS = frozenset({"server", "date"})
FUNCTION_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Upstream:
    """Where the gateway sends requests and what its health check covers."""

    ports: Ports
    project: str
    sandbox: bool

    def function_url(self, fn: topology.Function) -> str:
        """Base URL of one function."""
        return f"http://{HOST}:{self.ports.function(fn.name)}"


def problem(status: int, detail: str, title: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """An RFC 9457 problem response."""
    body = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    return status, {"Content-Type": "application/problem+json"}, json.dumps(body).encode()


def health(upstream: Upstream) -> tuple[int, dict[str, str], bytes]:
    """200 when every probe passes, else 503 naming the failing checks."""
    probes = health_probes(upstream.ports, upstream.project, sandbox=upstream.sandbox)
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        results = dict(zip(probes, pool.map(lambda probe: probe(), probes.values()), strict=True))
    checks = {name: "ok" if ok else "down" for name, ok in results.items()}
    failing = sorted(name for name, ok in results.items() if not ok)
    status = 503 if failing else 200
    body: dict[str, Any] = {"status": "unavailable" if failing else "ok", "checks": checks}
    if failing:
        body["failing"] = failing
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def forward_headers(headers: Any, client_ip: str, host: str) -> dict[str, str]:
    """The request headers to send upstream: end-to-end ones plus ``X-Forwarded-*``."""
    out = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
    out["X-Forwarded-For"] = client_ip
    out["X-Forwarded-Host"] = host
    out["X-Forwarded-Proto"] = "http"
    return out


class GatewayHandler(BaseHTTPRequestHandler):
    """Routes one request: health check, forward to a function, or a problem."""

    protocol_version = "HTTP/1.1"
    server: GatewayServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        self._handle()

    def _handle(self) -> None:
        path = self.path.split("?", 1)[0]
        body = self._read_body()
        if path == "/healthz" and self.command in {"GET", "HEAD"}:
            self._reply(*health(self.server.upstream))
            return
        fn = topology.route_for(path)
        if fn is None:
            self._reply(*problem(404, f"no route for {path}"))
            return
        self._reply(*self._forward(fn, body))

    def _forward(self, fn: topology.Function, body: bytes) -> tuple[int, dict[str, str], bytes]:
        url = self.server.upstream.function_url(fn) + self.path
        headers = forward_headers(self.headers, self.client_address[0], self.headers.get("Host", ""))
        request = self.server.client.build_request(self.command, url, headers=headers, content=body)
        try:
            response = self.server.client.send(request, stream=True)
            try:
                content = b"".join(response.iter_raw())
            finally:
                response.close()
        except httpx.TimeoutException:
            return problem(504, f"function {fn.name} did not answer within {FUNCTION_TIMEOUT_S:.0f} s")
        except httpx.TransportError as exc:
            return problem(502, f"function {fn.name} is unreachable: {type(exc).__name__}")
        out = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP | OWN_HEADERS}
        return response.status_code, out, content

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while size := int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in {b"\r\n", b"\n", b""}:
            pass
        return b"".join(chunks)

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


def _no_cookies() -> CookieJar:
    """A cookie jar that refuses to keep anything."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class GatewayServer(ThreadingHTTPServer):
    """The gateway's HTTP server, holding the upstream map and one pooled HTTP client."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], upstream: Upstream) -> None:
        super().__init__(address, GatewayHandler)
        self.upstream = upstream
        # No cookie jar: the client is shared by every caller, so a Set-Cookie it kept would be sent on
        # other browsers' requests. Cookies pass through in the headers, as at a load balancer.
        self.client = httpx.Client(
            timeout=FUNCTION_TIMEOUT_S, trust_env=False, follow_redirects=False, cookies=_no_cookies()
        )


def relay_loop(upstream: Upstream, interval_s: float, stop: threading.Event) -> None:
    """Every ``interval_s`` POST to each scheduled function, as Cloud Scheduler does in the cloud: one
    timer per function, so a long export run never delays the relay or reconciliation."""
    scheduled = [fn for fn in topology.FUNCTIONS if fn.trigger == "schedule"]
    timers = [
        threading.Thread(target=_timer, args=(upstream, fn, local_interval(fn, interval_s), stop))
        for fn in scheduled
    ]
    for timer in timers:
        timer.daemon = True
        timer.start()
    for timer in timers:
        timer.join()


DAILY_SLOWDOWN = 12  # jobs the cloud runs hourly or daily run this many timer intervals apart here


def local_interval(fn: topology.Function, interval_s: float) -> float:
    """Minute-level jobs (relay, exporters, reconciliation) every ``interval_s``; hourly or daily ones
    (arrears) less often: they scan every active loan, and every few seconds is only load."""
    hour_field = (fn.schedule or "* *").split()[1]
    return interval_s if hour_field == "*" else interval_s * DAILY_SLOWDOWN


def _timer(upstream: Upstream, fn: topology.Function, interval_s: float, stop: threading.Event) -> None:
    with httpx.Client(timeout=60.0, trust_env=False) as client:
        while not stop.wait(interval_s):
            tick(client, upstream, fn)


def tick(client: httpx.Client, upstream: Upstream, fn: topology.Function) -> None:
    """One scheduler tick for one function; failures are logged, never raised."""
    headers = {"X-CloudScheduler": "true", "X-CloudScheduler-JobName": f"{fn.name}-local"}
    try:
        response = client.post(upstream.function_url(fn) + "/", json={}, headers=headers)
    except httpx.HTTPError as exc:
        log.warning("scheduler: %s unreachable (%s)", fn.name, type(exc).__name__)
        return
    if response.status_code >= 400:
        log.warning("scheduler: %s answered %s: %s", fn.name, response.status_code, response.text[:200])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="mkopo local API gateway")
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=None, help="default: 8000 + offset")
    parser.add_argument("--offset", type=int, default=0, help="port offset of the stack (see Ports)")
    parser.add_argument("--project", default=DEV_PROJECT)
    parser.add_argument("--sandbox", action="store_true", help="include the MoMo sandbox in /healthz")
    parser.add_argument("--relay-interval-s", type=float, default=5.0, help="0 disables the relay timer")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    args = parse_args(argv)
    ports = Ports(args.offset)
    upstream = Upstream(ports, args.project, args.sandbox)
    server = GatewayServer((args.host, args.port or ports.gateway), upstream)
    stop = threading.Event()
    if args.relay_interval_s > 0:
        threading.Thread(target=relay_loop, args=(upstream, args.relay_interval_s, stop), daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    log.info("gateway on http://%s:%s (offset %s)", args.host, server.server_port, args.offset)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        server.client.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
