"""Floor functions for the benchmark, served by functions-framework like the real ones.

- ``floor``: one Firestore create and one Pub/Sub publish (what checkout does at the very least);
- ``hello``: a bare hello world (the cold-start floor);
- ``noop``: a push endpoint that only counts deliveries (the emulator's own push throughput); GET reads it.
"""

from __future__ import annotations

import os
import threading
import uuid
from functools import cache
from typing import Any

import functions_framework
from flask import Request

FLOOR_TOPIC = "bench_floor"
_lock = threading.Lock()
_count = {"n": 0}


@cache
def _clients() -> tuple[Any, Any, str]:
    from google.cloud import firestore, pubsub_v1

    project = os.environ.get("MKOPO_PROJECT_ID", "mkopo-local")
    db = firestore.Client(project=project)
    settings = pubsub_v1.types.BatchSettings(max_messages=100, max_latency=0.002)
    publisher = pubsub_v1.PublisherClient(batch_settings=settings)
    return db, publisher, publisher.topic_path(project, FLOOR_TOPIC)


def _clients_locked() -> tuple[Any, Any, str]:
    with _lock:
        return _clients()


@functions_framework.http
def floor(request: Request) -> tuple[dict[str, str], int]:
    db, publisher, topic = _clients_locked()
    doc_id = str(uuid.uuid4())
    db.collection("bench_floor").document(doc_id).create({"body": request.get_data(as_text=True)[:200]})
    publisher.publish(topic, doc_id.encode()).result(timeout=30)
    return {"id": doc_id}, 202


@functions_framework.http
def hello(request: Request) -> str:
    return "hello"


@functions_framework.http
def noop(request: Request) -> tuple[dict[str, int], int] | tuple[str, int]:
    if request.method == "GET":
        with _lock:
            return {"count": _count["n"]}, 200
    with _lock:
        _count["n"] += 1
    return "", 204
