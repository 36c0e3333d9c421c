"""Cold start of every function (process start → first good response) and resident memory."""

from __future__ import annotations

import base64
import json
import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from emulators.stack import Stack

from bench import procs
from bench.population import Applicant
from mkopo import topology

COLD_PORT_BASE = 8400


@dataclass(frozen=True)
class Fixtures:
    """What the probes need: a registered user, a borrower's token, a finished application's events."""

    phone: str
    password: str
    applicant: Applicant
    offer_id: str
    replay_key: str
    events: dict[str, dict[str, Any]]  # topic -> outbox document (with "id")


def push_body(project: str, topic: str, event: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(event["payload"], separators=(",", ":"), sort_keys=True).encode()
    return {
        "subscription": f"projects/{project}/subscriptions/bench-cold",
        "message": {
            "data": base64.b64encode(data).decode(),
            "attributes": {"event_type": topic, "event_id": event["id"]},
            "messageId": str(uuid.uuid4().int % 10**12),
            "publishTime": "2026-01-01T00:00:00Z",
        },
    }


def probe_for(stack: Stack, fn: topology.Function, url: str, fx: Fixtures) -> Callable[[], bool]:
    """A request this function answers well once it is warm (a 2xx it would give in production)."""
    client = httpx.Client(base_url=url, timeout=10.0, trust_env=False)
    if fn.trigger == "pubsub":
        topic = next((t for t in fn.topics if t in fx.events), None)
        if topic is None:
            return lambda: client.post("/", json={}).status_code < 600
        body = push_body(stack.project, topic, fx.events[topic])
        path = f"/projects/{stack.project}/topics/{topic}"
        return lambda: client.post(path, json=body).status_code < 300
    requests: dict[str, Callable[[], httpx.Response]] = {
        "auth": lambda: client.post("/v1/auth/login", json={"phone": fx.phone, "password": fx.password}),
        "offers": lambda: client.get(
            "/v1/offers", params={"amount": "5000", "currency": "KES", "term_days": 30}
        ),
        "checkout": lambda: client.post(
            "/v1/checkout",
            json={"offer_id": fx.offer_id},
            headers=fx.applicant.headers | {"Idempotency-Key": fx.replay_key},
        ),
        "status": lambda: client.get("/v1/applications", headers=fx.applicant.headers),
        "outbox-relay": lambda: client.post("/"),
    }
    if fn.name in requests:
        return lambda: requests[fn.name]().status_code < 300
    prefix = fn.routes[0] if fn.routes else "/"
    return lambda: client.get(prefix, headers=fx.applicant.headers).status_code < 500


def measure_one(
    stack: Stack, name: str, target: str, port: int, probe: Callable[[int], Callable[[], bool]], **kw: Any
) -> tuple[float, dict[str, float]]:
    fp = procs.launch(stack, f"cold-{name}", target, port, **kw)
    try:
        seconds = procs.wait_good(fp, probe(port))
        return seconds, procs.group_rss(fp.proc.pid)
    finally:
        fp.stop()


def cold_starts(stack: Stack, fx: Fixtures, reps: int = 3) -> dict[str, Any]:
    """Median cold start per function and of a hello world, in ms, with RSS after the first response."""
    base = stack.ports.offset + COLD_PORT_BASE
    results: dict[str, Any] = {}

    def hello_probe(port: int) -> Callable[[], bool]:
        return lambda: httpx.get(f"http://127.0.0.1:{port}/", trust_env=False).status_code == 200

    runs = [
        measure_one(stack, "hello", "hello", base, hello_probe, source=procs.FLOOR_SOURCE)
        for _ in range(reps)
    ]
    hello_ms = statistics.median(r[0] for r in runs) * 1000
    results["hello"] = {"ms": round(hello_ms), "rss": runs[-1][1]}
    for i, fn in enumerate(topology.FUNCTIONS, start=1):
        signature = "cloudevent" if fn.trigger == "pubsub" else "http"

        def probe(port: int, fn: topology.Function = fn) -> Callable[[], bool]:
            return probe_for(stack, fn, f"http://127.0.0.1:{port}", fx)

        try:
            runs = [
                measure_one(stack, fn.name, fn.entry_point, base + i, probe, signature=signature)
                for _ in range(reps)
            ]
        except (RuntimeError, TimeoutError) as exc:
            results[fn.name] = {"error": str(exc)}
            continue
        ms = statistics.median(r[0] for r in runs) * 1000
        results[fn.name] = {"ms": round(ms), "ratio": round(ms / hello_ms, 2), "rss": runs[-1][1]}
    return results
