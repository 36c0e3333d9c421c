"""The gateway's HTTP edge over raw sockets: framing errors, slow bodies and unknown methods get a
problem+json answer (not a hang or a dropped connection), and a burst of connections fits its backlog."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from emulators.gateway import GatewayServer, Upstream
from emulators.stack import HOST, Ports

from tests.conftest import TEST_PROJECT, stack_port_offset
from tests.integration.test_stack_wiring import Recorder

pytestmark = pytest.mark.integration


def _server() -> GatewayServer:
    # Function ports at the test offset + 600: nothing else of the test stacks listens there.
    return GatewayServer((HOST, 0), Upstream(Ports(stack_port_offset() + 600), TEST_PROJECT, sandbox=False))


@pytest.fixture
def gateway() -> Iterator[GatewayServer]:
    server = _server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    server.client.close()


def exchange(server: GatewayServer, raw: bytes, timeout_s: float = 15.0) -> tuple[bytes, float]:
    """Send ``raw`` and read until the gateway closes the connection; return what came back and when."""
    began = time.monotonic()
    with socket.create_connection((HOST, server.server_port), timeout=timeout_s) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks), time.monotonic() - began


def problem_of(reply: bytes, status: int) -> dict[str, object]:
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    assert lines[0].split(" ")[1] == str(status), lines[0]
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert headers["content-type"] == "application/problem+json"
    assert int(headers["content-length"]) == len(body)
    parsed: dict[str, object] = json.loads(body)
    assert parsed["status"] == status and {"type", "title", "detail"} <= parsed.keys()
    return parsed | {"_headers": headers}


def test_trace_is_405_problem_with_allow(gateway: GatewayServer) -> None:
    reply, _ = exchange(gateway, b"TRACE /v1/offers HTTP/1.1\r\nHost: x\r\n\r\n")
    allow = problem_of(reply, 405)["_headers"]
    assert isinstance(allow, dict) and "GET" in allow["allow"] and "TRACE" not in allow["allow"]


@pytest.mark.parametrize("length", ["abc", "-1", "1, 2", "+5", "0x10"])
def test_malformed_content_length_is_400_problem(gateway: GatewayServer, length: str) -> None:
    raw = f"POST /v1/checkout HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}".encode()
    problem_of(exchange(gateway, raw)[0], 400)


@pytest.mark.parametrize("body", [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n", b"5\r\n{}"])
def test_malformed_chunked_body_is_400_problem(gateway: GatewayServer, body: bytes) -> None:
    raw = b"POST /v1/checkout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    with socket.create_connection((HOST, gateway.server_port), timeout=15) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)  # the body ends here, whatever it promised
        reply = b"".join(iter(lambda: sock.recv(65536), b""))
    problem_of(reply, 400)


def test_body_shorter_than_its_content_length_is_408_within_seconds(gateway: GatewayServer) -> None:
    raw = b'POST /v1/checkout HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"offer_id":'
    reply, seconds = exchange(gateway, raw)
    problem_of(reply, 408)
    assert seconds < 10


def test_chunked_body_is_reassembled_and_forwarded(gateway: GatewayServer) -> None:
    status_fn = Recorder(gateway.upstream.ports.function("status"), status=201)
    try:
        raw = b"POST /v1/applications/a1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        reply, _ = exchange(gateway, raw + b'3\r\n{"a\r\n4\r\n": 1\r\n1\r\n}\r\n0\r\n\r\n')
    finally:
        status_fn.close()
    assert reply.startswith(b"HTTP/1.1 201 ")
    assert [r["body"] for r in status_fn.requests] == [b'{"a": 1}']


def test_a_burst_of_200_connections_fits_the_listen_backlog() -> None:
    server = _server()  # bound and listening, but accepting nothing: every connection waits in the backlog
    try:
        socks = [socket.create_connection((HOST, server.server_port), timeout=2) for _ in range(200)]
        for sock in socks:
            sock.close()
    finally:
        server.server_close()
        server.client.close()
