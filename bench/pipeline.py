"""Pipeline phases: checkout latency, time to decision and to cash, sustained throughput, push floor."""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from bench import driver
from bench.population import Applicant
from bench.stats import summary


def latency_run(post: Callable[[], float], concurrency: int, count: int) -> dict[str, float]:
    """Latency summary (ms) of ``count`` calls with ``concurrency`` workers."""
    values = driver.run_concurrent([post] * count, concurrency)
    return summary([v * 1000 for v in values])


def floor_call(client: httpx.Client) -> Callable[[], float]:
    def call() -> float:
        began = time.perf_counter()
        r = client.post("/", json={"offer_id": "floor"})
        r.raise_for_status()
        return time.perf_counter() - began

    return call


def checkout_call(client: httpx.Client, who: Sequence[Applicant], offer_id: str) -> Callable[[], float]:
    counter = iter(range(10**9))

    def call() -> float:
        outcome = driver.checkout(client, who[next(counter) % len(who)], offer_id)
        if outcome.status != 202:
            raise RuntimeError(f"checkout answered {outcome.status}")
        return outcome.latency_s

    return call


def paced_step(
    db: Any, client: httpx.Client, who: Sequence[Applicant], offer_id: str, rate: float, timeout_s: float
) -> dict[str, Any]:
    """One application per borrower at ``rate``/s; decision, cash and throughput from Firestore."""
    tasks = [lambda a=a: driver.checkout(client, a, offer_id) for a in who]
    outcomes = driver.run_paced(tasks, rate)
    ids = [o.application_id for o in outcomes if o.application_id]
    docs = driver.wait_terminal(db, ids, timeout_s)
    decision, cash, starts, ends = [], [], [], []
    for doc in docs.values():
        d, c, start, end = driver.stage_times(doc)
        if d is not None:
            decision.append(d)
        if c is not None:
            cash.append(c)
        if start and end:
            starts.append(start)
            ends.append(end)
    terminal = sum(1 for d in docs.values() if d.get("status") in driver.TERMINAL)
    span = (max(ends) - min(starts)).total_seconds() if ends else float("nan")
    return {
        "rate": rate,
        "submitted": len(who),
        "accepted": len(ids),
        "terminal": terminal,
        "disbursed": sum(1 for d in docs.values() if d.get("status") == "DISBURSED"),
        "throughput": round(terminal / span, 1) if span == span and span > 0 else None,
        "decision_ms": summary(decision, (50, 95)),
        "cash_ms": summary(cash, (50, 95)),
        "hops_ms": hop_summary(docs.values()),
        "application_ids": ids,
    }


def cpu_use(
    before: dict[str, float], during: dict[str, float], after: dict[str, float], wall_s: float, apps: int
) -> dict[str, Any]:
    """Where the CPU went: ms per application for each process group (largest first, up to ``after``, so
    the exporters' catching up counts), and the share of the cores the stack kept busy while the step ran
    (up to ``during``, over ``wall_s``)."""
    used = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
    busy = sum(during.get(name, 0.0) - before.get(name, 0.0) for name in during)
    per_app = {n: round(s * 1000 / max(apps, 1), 1) for n, s in sorted(used.items(), key=lambda x: -x[1])}
    total_ms = sum(used.values()) * 1000 / max(apps, 1)
    return {
        "ms_per_application": {n: ms for n, ms in per_app.items() if ms >= 0.5},
        "total_ms_per_application": round(total_ms, 1),
        # If the stack were CPU-bound: how many applications per second these cores could finish.
        "cpu_ceiling_per_s": round((os.cpu_count() or 1) * 1000 / total_ms, 1) if total_ms else None,
        "busy_share_of_cores": round(busy / (wall_s * (os.cpu_count() or 1)), 2),
    }


def hop_summary(docs: Any) -> dict[str, dict[str, float]]:
    """p50/p95 of each hop (status → next status) in ms."""
    hops: dict[str, list[float]] = {}
    for doc in docs:
        timeline = doc.get("timeline", [])
        for prev, nxt in itertools.pairwise(timeline):
            a, b = (driver.datetime.fromisoformat(x["at"]) for x in (prev, nxt))
            hops.setdefault(f"{prev['status']}->{nxt['status']}", []).append((b - a).total_seconds() * 1000)
    return {k: summary(v, (50, 95)) for k, v in hops.items()}


def sustainable(step: dict[str, Any]) -> bool:
    """Every accepted application terminal, completing at ≥ 90 % of the offered rate."""
    ok = step["accepted"] == step["submitted"] == step["terminal"]
    return bool(ok and step["throughput"] and step["throughput"] >= 0.9 * step["rate"])


def ensure_topic(stack: Any, name: str) -> str:
    """Create a topic on the stack's emulator if missing; its path."""
    from google.api_core.exceptions import AlreadyExists

    publisher, subscriber = stack.pubsub_admin()
    try:
        with contextlib.suppress(AlreadyExists):
            publisher.create_topic(name=stack.topic_path(name))
    finally:
        publisher.transport.close()
        subscriber.transport.close()
    return str(stack.topic_path(name))


def push_floor(stack: Any, noop_url: str, count: int) -> dict[str, Any]:
    """The emulator's own push throughput: ``count`` messages to a push subscription on a no-op function."""
    from google.api_core.exceptions import AlreadyExists
    from google.cloud import pubsub_v1

    publisher_admin, subscriber = stack.pubsub_admin()
    topic, sub = stack.topic_path("bench_noop"), stack.subscription_path("bench-noop")
    try:
        with contextlib.suppress(AlreadyExists):
            publisher_admin.create_topic(name=topic)
        with contextlib.suppress(AlreadyExists):
            subscriber.create_subscription(
                request={"name": sub, "topic": topic, "push_config": {"push_endpoint": noop_url + "/noop"}}
            )
    finally:
        publisher_admin.transport.close()
        subscriber.transport.close()
    probe = httpx.Client(base_url=noop_url, trust_env=False, timeout=10)
    before = int(probe.get("/").json()["count"])
    publisher = pubsub_v1.PublisherClient(
        batch_settings=pubsub_v1.types.BatchSettings(max_messages=100, max_latency=0.01)
    )
    began = time.monotonic()
    futures = [publisher.publish(topic, b'{"n":%d}' % i) for i in range(count)]
    for f in futures:
        f.result(timeout=60)
    deadline = began + 120
    got = 0
    while time.monotonic() < deadline:
        got = int(probe.get("/").json()["count"]) - before
        if got >= count:
            break
        time.sleep(0.05)
    seconds = time.monotonic() - began
    return {
        "messages": count,
        "received": got,
        "seconds": round(seconds, 2),
        "per_s": round(got / seconds, 1),
    }
