"""A small local API gateway: one port, public paths forwarded to the function that serves them.

Routes come from ``topology.route_for(path)``. ``GET /healthz`` checks every function port and every emulator.
Errors are ``application/problem+json``: 404 for an unknown path, 405 for a method no function serves (TRACE),
400 for malformed framing (Content-Length, chunk sizes), 408 when a promised body does not arrive within
``READ_TIMEOUT_S``, 502 when the function is down, 504 when it is too slow. It is served by werkzeug's
threaded WSGI server (what the sandboxes and Flask use) with a listen backlog of ``LISTEN_BACKLOG``.
The process also runs the local stand-in for Cloud Scheduler (``emulators.scheduler``): every
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
from typing import TYPE_CHECKING, Any

import httpx
from werkzeug.datastructures import EnvironHeaders
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from emulators.scheduler import relay_loop
from emulators.stack import DEV_PROJECT, HOST, Ports, health_probes
from mkopo import topology

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

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
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LISTEN_BACKLOG = 1024  # the kernel caps it at net.core.somaxconn (4096 here)
READ_TIMEOUT_S = 5.0  # a client socket silent this long: 408 while a body is due, else the connection ends
MAX_BODY_BYTES = 10 * 1024 * 1024
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
Headers = list[tuple[str, str]]
Reply = tuple[int, Headers, bytes]


@dataclass(frozen=True)
class Upstream:
    """Where the gateway sends requests and what its health check covers."""

    ports: Ports
    project: str
    sandbox: bool

    def function_url(self, fn: topology.Function) -> str:
        """Base URL of one function."""
        return f"http://{HOST}:{self.ports.function(fn.name)}"


def phrase(status: int) -> str:
    """The reason phrase of a status code (empty for codes without one)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def problem(status: int, detail: str, title: str | None = None) -> Reply:
    """An RFC 9457 problem response."""
    body = {"type": "about:blank", "title": title or phrase(status), "status": status, "detail": detail}
    return status, [("Content-Type", "application/problem+json")], json.dumps(body).encode()


def health(upstream: Upstream) -> Reply:
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
    return status, [("Content-Type", "application/json")], json.dumps(body).encode()


def forward_headers(headers: Any, client_ip: str, host: str) -> dict[str, str]:
    """The request headers to send upstream: end-to-end ones plus ``X-Forwarded-*``."""
    out = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
    out["X-Forwarded-For"] = client_ip
    out["X-Forwarded-Host"] = host
    out["X-Forwarded-Proto"] = "http"
    return out


class BodyError(Exception):
    """The request body is framed wrongly (400), too large (413) or too slow (408)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def read_body(environ: WSGIEnvironment) -> bytes:
    """The whole request body, checked against its framing (werkzeug de-chunks ``chunked`` bodies)."""
    encoding = environ.get("HTTP_TRANSFER_ENCODING")
    length = environ.get("CONTENT_LENGTH")
    if encoding is not None:
        if encoding.strip().lower() != "chunked":
            raise BodyError(400, f"unsupported Transfer-Encoding {encoding!r}")
        if length is not None:
            raise BodyError(400, "a request may not carry both Content-Length and Transfer-Encoding")
        return _read(environ["wsgi.input"], None)
    if not length:
        return b""
    if not (length.isascii() and length.isdigit()):
        raise BodyError(400, f"malformed Content-Length {length[:40]!r}")
    if int(length) > MAX_BODY_BYTES:
        raise BodyError(413, f"the body may not exceed {MAX_BODY_BYTES} bytes")
    body = _read(environ["wsgi.input"], int(length))
    if len(body) < int(length):
        raise BodyError(400, f"the body ended after {len(body)} of its {length} bytes")
    return body


def _read(stream: Any, length: int | None) -> bytes:
    """Up to ``length`` bytes (all of a chunked body if None), within the socket's read timeout."""
    parts: list[bytes] = []
    total, wanted = 0, MAX_BODY_BYTES + 1 if length is None else length
    try:
        while total < wanted and (part := stream.read(min(65536, wanted - total))):
            parts.append(part)
            total += len(part)
    except TimeoutError as exc:
        raise BodyError(408, f"the request body did not arrive within {READ_TIMEOUT_S:g} s") from exc
    except OSError as exc:  # werkzeug's de-chunker: bad chunk size or terminator
        raise BodyError(400, f"malformed chunked body: {exc}") from exc
    if total > MAX_BODY_BYTES:
        raise BodyError(413, f"the body may not exceed {MAX_BODY_BYTES} bytes")
    return b"".join(parts)


class Gateway:
    """The WSGI application: health check, forward to a function, or a problem."""

    def __init__(self, upstream: Upstream, client: httpx.Client) -> None:
        self.upstream = upstream
        self.client = client

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        status, headers, body = self.handle(environ)
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {phrase(status)}".rstrip(), headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def handle(self, environ: WSGIEnvironment) -> Reply:
        """Route one request."""
        method = environ["REQUEST_METHOD"]
        if method not in METHODS:
            status, headers, body = problem(405, f"method {method[:20]} is not served here")
            return status, [*headers, ("Allow", ", ".join(METHODS))], body
        try:
            body = read_body(environ)
        except BodyError as exc:
            return problem(exc.status, exc.detail)
        target = environ.get("mkopo.target") or environ["REQUEST_URI"]
        path = target.split("?", 1)[0]
        if path == "/healthz" and method in {"GET", "HEAD"}:
            return health(self.upstream)
        fn = topology.route_for(path)
        if fn is None:
            return problem(404, f"no route for {path}")
        return self.forward(fn, environ, target, body)

    def forward(self, fn: topology.Function, environ: WSGIEnvironment, target: str, body: bytes) -> Reply:
        """Send the request to its function and return the function's answer."""
        url = self.upstream.function_url(fn) + target
        client_ip, host = environ.get("REMOTE_ADDR", ""), environ.get("HTTP_HOST", "")
        headers = forward_headers(EnvironHeaders(environ), client_ip, host)
        request = self.client.build_request(environ["REQUEST_METHOD"], url, headers=headers, content=body)
        # A pooled keep-alive connection the function closed as it was reused ends without a response; a
        # request safe to repeat goes once more on a fresh connection, as a load balancer retries it.
        attempts = 2 if request.method in SAFE_METHODS else 1
        for attempt in range(1, attempts + 1):
            try:
                response = self.client.send(request, stream=True)
                try:
                    content = b"".join(response.iter_raw())
                finally:
                    response.close()
                break
            except httpx.TimeoutException:
                return problem(504, f"function {fn.name} did not answer within {FUNCTION_TIMEOUT_S:.0f} s")
            except httpx.TransportError as exc:
                if attempt == attempts or not isinstance(exc, httpx.RemoteProtocolError):
                    return problem(502, f"function {fn.name} is unreachable: {type(exc).__name__}")
        skip = HOP_BY_HOP | OWN_HEADERS
        out = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in skip]
        return response.status_code, out, content


class GatewayRequestHandler(WSGIRequestHandler):
    """werkzeug's handler with a read timeout, the raw request target, and errors as problem+json."""

    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT_S  # socketserver applies it to every read and write on the client socket

    def make_environ(self) -> WSGIEnvironment:
        environ = super().make_environ()
        environ["mkopo.target"] = self.path  # as sent (werkzeug's PATH_INFO is percent-decoded)
        return environ

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What http.server itself refuses (bad request line, 414, 431): a problem, then close."""
        status, headers, body = problem(code, explain or message or phrase(code))
        self.close_connection = True
        self.send_response(status, message)
        for key, value in [*headers, ("Content-Length", str(len(body))), ("Connection", "close")]:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in {204, 304}:
            self.wfile.write(body)


def _no_cookies() -> CookieJar:
    """A cookie jar that refuses to keep anything."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class GatewayServer(ThreadedWSGIServer):
    """The gateway's HTTP server, holding the upstream map and one pooled HTTP client."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], upstream: Upstream) -> None:
        self.upstream = upstream
        # No cookie jar: the client is shared by every caller, so a Set-Cookie it kept would be sent on
        # other browsers' requests. Cookies pass through in the headers, as at a load balancer.
        self.client = httpx.Client(
            timeout=FUNCTION_TIMEOUT_S, trust_env=False, follow_redirects=False, cookies=_no_cookies()
        )
        super().__init__(address[0], address[1], Gateway(upstream, self.client), GatewayRequestHandler)


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
        threading.Thread(target=relay_loop, args=(ports, args.relay_interval_s, stop), daemon=True).start()
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
