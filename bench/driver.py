"""Driving the stack over HTTP like phone apps do, and reading the outcome back from Firestore."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import httpx

from bench.population import Applicant

T = TypeVar("T")
TERMINAL = frozenset({"DISBURSED", "REJECTED", "DISBURSEMENT_FAILED"})
DECIDED = frozenset({"APPROVED", "REJECTED"})


def http_client(base_url: str, connections: int = 128) -> httpx.Client:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.Client(base_url=base_url, timeout=60.0, trust_env=False, limits=limits)


def fetch_offer_id(client: httpx.Client, amount: str = "5000") -> str:
    """The cheapest offer for KES ``amount`` over 30 days (saved by the offers function)."""
    r = client.get("/v1/offers", params={"amount": amount, "currency": "KES", "term_days": 30})
    r.raise_for_status()
    return str(r.json()["offers"][0]["id"])


@dataclass(frozen=True)
class Outcome:
    status: int
    latency_s: float
    application_id: str | None
    replayed: bool
    key: str
    phone: str


def checkout(client: httpx.Client, who: Applicant, offer_id: str, key: str | None = None) -> Outcome:
    """One POST /v1/checkout (the client's base URL decides: gateway or the function directly)."""
    key = key or str(uuid.uuid4())
    headers = who.headers | {"Idempotency-Key": key}
    began = time.perf_counter()
    try:
        r = client.post("/v1/checkout", json={"offer_id": offer_id}, headers=headers)
    except httpx.HTTPError:
        return Outcome(0, time.perf_counter() - began, None, False, key, who.phone)
    latency = time.perf_counter() - began
    app_id = r.json().get("application_id") if r.status_code == 202 else None
    return Outcome(
        r.status_code, latency, app_id, r.headers.get("Idempotent-Replayed") == "true", key, who.phone
    )


def run_concurrent(tasks: Sequence[Callable[[], T]], concurrency: int) -> list[T]:
    """Run the tasks with ``concurrency`` workers, each taking the next task as soon as it is free."""
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda task: task(), tasks))


def run_paced(tasks: Sequence[Callable[[], T]], rate: float, workers: int = 64) -> list[T]:
    """Start task i at ``i / rate`` seconds (open loop: a slow answer does not delay the next start)."""
    t0 = time.monotonic()
    lock = threading.Lock()

    def timed(i: int, task: Callable[[], T]) -> T:
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        with lock:
            pass
        return task()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(timed, i, task) for i, task in enumerate(tasks)]
        return [f.result() for f in futures]


def read_applications(db: Any, app_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The application documents by id (missing ones left out)."""
    ids = list(app_ids)
    docs: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 300):
        refs = [db.collection("applications").document(i) for i in ids[start : start + 300]]
        for snap in db.get_all(refs):
            if snap.exists:
                docs[snap.id] = snap.to_dict() or {}
    return docs


def wait_terminal(
    db: Any, app_ids: Sequence[str], timeout_s: float, poll_s: float = 0.5
) -> dict[str, dict[str, Any]]:
    """Poll Firestore until every application is terminal or the time is up; return the last documents."""
    deadline = time.monotonic() + timeout_s
    while True:
        docs = read_applications(db, app_ids)
        done = sum(1 for d in docs.values() if d.get("status") in TERMINAL)
        if done == len(app_ids) or time.monotonic() > deadline:
            return docs
        time.sleep(poll_s)


def _at(doc: dict[str, Any], statuses: frozenset[str]) -> datetime | None:
    for entry in doc.get("timeline", []):
        if entry["status"] in statuses:
            return datetime.fromisoformat(entry["at"])
    return None


def stage_times(doc: dict[str, Any]) -> tuple[float | None, float | None, datetime | None, datetime | None]:
    """(time to decision, time to cash) in ms from the timeline's per-status ``at``, plus start and end."""
    start = _at(doc, frozenset({"SUBMITTED"}))
    decided = _at(doc, DECIDED)
    cash = _at(doc, frozenset({"DISBURSED"}))
    end = _at(doc, TERMINAL)
    if start is None:
        return None, None, None, None
    to_ms = lambda t: (t - start).total_seconds() * 1000 if t else None  # noqa: E731
    return to_ms(decided), to_ms(cash), start, end
