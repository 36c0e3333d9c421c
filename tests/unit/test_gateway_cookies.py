"""The local gateway passes cookies through and never keeps one: one browser's session is never sent on
another browser's request (its pooled HTTP client must not have a cookie jar of its own)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
from emulators.gateway import Gateway, GatewayServer

from mkopo import topology


class Recorder(BaseHTTPRequestHandler):
    """A function that sets a session cookie on sign-in and records the Cookie header it receives."""

    seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        Recorder.seen.append(self.headers.get("Cookie"))
        self.send_response(200)
        if self.path.startswith("/console/login"):
            self.send_header("Set-Cookie", "mkopo_console=alice-session; Path=/console; HttpOnly")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class OneFunction:
    url: str

    def function_url(self, fn: Any) -> str:
        return self.url


def serve(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def gateway() -> Iterator[str]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    serve(upstream)
    gw = GatewayServer(("127.0.0.1", 0), OneFunction(f"http://127.0.0.1:{upstream.server_port}"))  # type: ignore[arg-type]
    serve(gw)
    yield f"http://127.0.0.1:{gw.server_port}"
    gw.shutdown()
    upstream.shutdown()
    gw.server_close()
    upstream.server_close()


def test_one_browsers_cookie_is_never_sent_for_another(gateway: str) -> None:
    Recorder.seen.clear()
    with (
        httpx.Client(base_url=gateway, trust_env=False) as alice,
        httpx.Client(base_url=gateway, trust_env=False) as bob,
    ):
        signed_in = alice.get("/console/login")
        assert signed_in.headers["Set-Cookie"].startswith("mkopo_console=alice-session")
        bob.get("/console/queue")
        alice.get("/console/queue")
    assert Recorder.seen == [None, None, "mkopo_console=alice-session"]


def test_a_safe_request_on_a_connection_the_function_dropped_goes_once_more() -> None:
    """A pooled connection closed as it is reused: a GET is sent again, a POST is a 502 (it may have run)."""
    calls: list[str] = []

    def function(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) % 2:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, stream=httpx.ByteStream(b"ok"))

    client = httpx.Client(transport=httpx.MockTransport(function))
    gateway = Gateway(OneFunction("http://fn"), client)  # type: ignore[arg-type]
    backoffice = topology.function("backoffice")
    environ = {"REQUEST_METHOD": "GET", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "gw"}
    status, _, content = gateway.forward(backoffice, environ, "/console/static/htmx.min.js", b"")
    assert (status, content, calls) == (200, b"ok", ["GET", "GET"])
    calls.clear()
    status, _, _ = gateway.forward(backoffice, environ | {"REQUEST_METHOD": "POST"}, "/v1/loans", b"{}")
    assert status == 502 and calls == ["POST"]
