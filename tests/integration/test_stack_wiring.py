"""The local stack is wired as ``mkopo.topology`` and ``mkopo.warehouse_schema`` say, and behaves like the
cloud."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from emulators.stack import HOST, Ports, Stack, down, port_free
from google.cloud import bigquery, firestore

from mkopo import topology, warehouse_schema
from tests.conftest import TEST_PROJECT, stack_port_offset, unique_id

pytestmark = pytest.mark.integration


class Recorder(ThreadingHTTPServer):
    """A throwaway HTTP server that records every request and answers with a fixed status."""

    def __init__(self, port: int = 0, status: int = 500) -> None:
        self.status = status
        self.requests: list[dict[str, Any]] = []
        super().__init__((HOST, port), _RecorderHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_port}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _RecorderHandler(BaseHTTPRequestHandler):
    server: Recorder

    def do_GET(self) -> None:
        self._record()

    def do_POST(self) -> None:
        self._record()

    def _record(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        payload = json.dumps({"recorded": len(self.server.requests)}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Upstream", "recorder")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def wait_until(check: Any, timeout_s: float, every_s: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy, or fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(every_s)
    return value


@pytest.fixture(scope="module")
def wired(emulators: dict[str, str], local_stack: Stack) -> Stack:
    """The emulators with the full topology applied, twice (the second run must be a no-op)."""
    local_stack.apply_topology()
    local_stack.apply_topology()
    return local_stack


@pytest.fixture(scope="module")
def admin(wired: Stack) -> Iterator[tuple[Any, Any]]:
    """Pub/Sub admin clients on the test emulator."""
    publisher, subscriber = wired.pubsub_admin()
    yield publisher, subscriber
    publisher.transport.close()
    subscriber.transport.close()


def topic_path(topic: str) -> str:
    return f"projects/{TEST_PROJECT}/topics/{topic}"


def subscription_path(name: str) -> str:
    return f"projects/{TEST_PROJECT}/subscriptions/{name}"


def test_every_topic_exists(admin: tuple[Any, Any]) -> None:
    publisher, _ = admin
    names = {t.name for t in publisher.list_topics(project=f"projects/{TEST_PROJECT}")}
    assert {topic_path(t) for t in topology.TOPICS} <= names


def test_dead_letter_inbox_pulls_the_dead_letter_topic(admin: tuple[Any, Any]) -> None:
    _, subscriber = admin
    inbox = subscriber.get_subscription(subscription=subscription_path(topology.DEAD_LETTER_INBOX))
    assert inbox.topic == topic_path(topology.DEAD_LETTER)
    assert not inbox.push_config.push_endpoint


@pytest.mark.parametrize("sub", topology.subscriptions(), ids=lambda s: s.name)
def test_subscription_matches_topology(sub: topology.Subscription, admin: tuple[Any, Any]) -> None:
    _, subscriber = admin
    got = subscriber.get_subscription(subscription=subscription_path(sub.name))
    port = 8101 + stack_port_offset() + [fn.name for fn in topology.FUNCTIONS].index(sub.function.name)
    retry = sub.function.retry
    assert got.topic == topic_path(sub.topic)
    endpoint = f"http://127.0.0.1:{port}/{topic_path(sub.topic)}" if sub.push else ""
    assert got.push_config.push_endpoint == endpoint
    assert got.ack_deadline_seconds == retry.ack_deadline_s
    assert got.retry_policy.minimum_backoff == timedelta(seconds=retry.minimum_backoff_s)
    assert got.retry_policy.maximum_backoff == timedelta(seconds=retry.maximum_backoff_s)
    assert got.dead_letter_policy.dead_letter_topic == topic_path(topology.DEAD_LETTER)
    assert got.dead_letter_policy.max_delivery_attempts == retry.max_delivery_attempts


def test_subscriptions_on_emulator_are_exactly_the_topology(admin: tuple[Any, Any]) -> None:
    publisher, _ = admin
    for topic in topology.EVENT_TOPICS:
        on_topic = set(publisher.list_topic_subscriptions(topic=topic_path(topic)))
        expected = {subscription_path(s.name) for s in topology.subscriptions() if s.topic == topic}
        assert {s for s in on_topic if "--" in s} == expected


def pull_dead_letter(subscriber: Any, probe: str) -> Any:
    """Pull the dead-letter inbox once: ack and return our probe message, release the others."""
    inbox = subscription_path(topology.DEAD_LETTER_INBOX)
    response = subscriber.pull(subscription=inbox, max_messages=50, timeout=5)
    ours = [m for m in response.received_messages if m.message.attributes.get("probe") == probe]
    others = [m.ack_id for m in response.received_messages if m not in ours]
    if others:
        subscriber.modify_ack_deadline(subscription=inbox, ack_ids=others, ack_deadline_seconds=0)
    if ours:
        subscriber.acknowledge(subscription=inbox, ack_ids=[m.ack_id for m in ours])
    return ours[0].message if ours else None


def test_failing_push_ends_in_dead_letter_inbox_after_max_attempts(admin: tuple[Any, Any]) -> None:
    publisher, subscriber = admin
    failing = Recorder(status=500)
    name = unique_id("always-fails")
    try:
        publisher.create_topic(name=topic_path(name))
        subscriber.create_subscription(
            request={
                "name": subscription_path(name),
                "topic": topic_path(name),
                "push_config": {"push_endpoint": f"{failing.url}/{topic_path(name)}"},
                "ack_deadline_seconds": 10,
                "retry_policy": {
                    "minimum_backoff": timedelta(seconds=1),
                    "maximum_backoff": timedelta(seconds=1),
                },
                "dead_letter_policy": {
                    "dead_letter_topic": topic_path(topology.DEAD_LETTER),
                    "max_delivery_attempts": 5,
                },
            }
        )
        publisher.publish(topic=topic_path(name), messages=[{"data": b"boom", "attributes": {"probe": name}}])
        message = wait_until(lambda: pull_dead_letter(subscriber, name), timeout_s=60, every_s=0.5)
    finally:
        failing.close()
        subscriber.delete_subscription(subscription=subscription_path(name))
        publisher.delete_topic(topic=topic_path(name))
    assert message.data == b"boom"
    assert len(failing.requests) == 5
    assert all(r["path"] == f"/{topic_path(name)}" for r in failing.requests)


def test_events_table_has_the_analytics_schema(emulators: dict[str, str], local_stack: Stack) -> None:
    client = local_stack.bigquery_client()
    table = client.get_table(emulators["events_table"])
    assert [(f.name, f.field_type, f.mode, f.description) for f in table.schema] == list(
        warehouse_schema.EVENTS_SCHEMA
    )
    assert table.time_partitioning.type_ == "DAY"
    assert table.time_partitioning.field == warehouse_schema.PARTITION_FIELD
    assert tuple(table.clustering_fields) == warehouse_schema.CLUSTER_FIELDS


def test_events_table_json_column_answers_json_value(emulators: dict[str, str], local_stack: Stack) -> None:
    client = local_stack.bigquery_client()
    event_id, now = unique_id("evt"), datetime.now(UTC).isoformat()
    row = {
        "event_id": event_id,
        "event_type": topology.LOAN_APPROVED,
        "occurred_at": now,
        "application_id": unique_id("app"),
        "attributes": json.dumps({"product": "p30", "nested": {"term_days": 30}}),
        "exported_at": now,
    }
    assert client.insert_rows_json(emulators["events_table"], [row]) == []
    query = (
        "SELECT JSON_VALUE(attributes, '$.product') AS product, "  # noqa: S608
        "JSON_VALUE(attributes, '$.nested.term_days') AS term "
        f"FROM `{emulators['events_table']}` WHERE event_id = @id"
    )
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter("id", "STRING", event_id)]
    )
    rows = [dict(r.items()) for r in client.query(query, job_config=config).result()]
    assert rows == [{"product": "p30", "term": "30"}]


def test_reset_firestore_deletes_every_document(emulators: dict[str, str], local_stack: Stack) -> None:
    client = firestore.Client(project=emulators["project_id"])
    doc = client.collection("wiring").document(unique_id("doc"))
    doc.set({"a": 1})
    assert doc.get().exists
    local_stack.reset_firestore()
    assert not doc.get().exists


# The gateway alone, on its own ports (offset + 500), with recorders standing in for functions.


@pytest.fixture
def lone_gateway() -> Iterator[Stack]:
    """A gateway with nothing behind it (relay timer every 0.3 s); ``down`` must stop it."""
    stack = Stack(Ports(stack_port_offset() + 500), project=TEST_PROJECT, relay_interval_s=0.3)
    stack.start_gateway()
    yield stack
    stack.stop()


def test_gateway_healthz_is_503_naming_every_failing_check(lone_gateway: Stack) -> None:
    r = httpx.get(f"{lone_gateway.gateway_url}/healthz", trust_env=False, timeout=10)
    assert r.status_code == 503
    expected = {"pubsub", "firestore", "bigquery", *(f"fn-{fn.name}" for fn in topology.FUNCTIONS)}
    assert set(r.json()["failing"]) == expected
    assert set(r.json()["checks"].values()) == {"down"}


def test_gateway_unknown_path_and_down_function_are_problems(lone_gateway: Stack) -> None:
    unknown = httpx.get(f"{lone_gateway.gateway_url}/v1/nothing-here", trust_env=False)
    down_fn = httpx.get(f"{lone_gateway.gateway_url}/v1/offers", trust_env=False)
    for response, status in ((unknown, 404), (down_fn, 502)):
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert {"type", "title", "status", "detail"} <= response.json().keys()
        assert response.json()["status"] == status


def test_gateway_forwards_method_path_query_headers_and_body(lone_gateway: Stack) -> None:
    status_fn = Recorder(lone_gateway.ports.function("status"), status=201)
    try:
        r = httpx.post(
            f"{lone_gateway.gateway_url}/v1/applications/a1?limit=2",
            content=b'{"x": 1}',
            headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
            trust_env=False,
        )
    finally:
        status_fn.close()
    assert r.status_code == 201 and r.headers["x-upstream"] == "recorder" and r.json() == {"recorded": 1}
    [seen] = status_fn.requests
    assert (seen["method"], seen["path"], seen["body"]) == (
        "POST",
        "/v1/applications/a1?limit=2",
        b'{"x": 1}',
    )
    assert seen["headers"]["Authorization"] == "Bearer t"
    assert seen["headers"]["X-Forwarded-For"] == "127.0.0.1"


def test_gateway_relay_timer_posts_to_scheduled_functions(lone_gateway: Stack) -> None:
    relay = Recorder(lone_gateway.ports.function("outbox-relay"), status=200)
    try:
        wait_until(lambda: len(relay.requests) >= 2, timeout_s=5)
    finally:
        relay.close()
    assert all(r["method"] == "POST" and r["headers"]["X-CloudScheduler"] == "true" for r in relay.requests)


def test_down_stops_exactly_what_pids_json_lists(lone_gateway: Stack) -> None:
    [record] = json.loads(lone_gateway.pids_file.read_text())["processes"]
    assert record["name"] == "gateway" and record["port"] == lone_gateway.ports.gateway
    assert down(lone_gateway.ports.offset, lone_gateway.root, grace_s=5) == ["gateway"]
    assert wait_until(lambda: port_free(lone_gateway.ports.gateway), timeout_s=5)
    assert not lone_gateway.pids_file.exists()
    assert down(lone_gateway.ports.offset, lone_gateway.root) == []


def test_stop_platform_stops_the_gateway_and_keeps_the_emulators(
    emulators: dict[str, str], local_stack: Stack
) -> None:
    local_stack.start_gateway()
    assert local_stack.stop_platform(grace_s=5) == ["gateway"]
    assert wait_until(lambda: port_free(local_stack.ports.gateway), timeout_s=5)
    assert {"pubsub", "firestore", "bigquery"} <= set(local_stack.running())
    listed = [r["name"] for r in json.loads(local_stack.pids_file.read_text())["processes"]]
    assert "gateway" not in listed and "firestore" in listed
