"""The batch exporter's adapters on the emulators: pull/ack/nack, the Firestore lease and markers, and a
drain from real pull subscriptions into the BigQuery emulator."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.cloud import firestore, pubsub_v1

from mkopo.adapters.bigquery import BigQueryEventSink, make_client
from mkopo.adapters.firestore import FirestoreStore
from mkopo.adapters.pubsub import PubSubInbox, PubSubPublisher
from mkopo.service import exports
from tests.factories import checkout_submitted

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


@pytest.fixture
def store(emulators: dict[str, str]) -> FirestoreStore:
    return FirestoreStore(firestore.Client(project=emulators["project_id"]))


def make_subscription(project: str, *, ack_deadline_s: int = 10) -> tuple[str, str]:
    """A fresh topic with one pull subscription; returns (topic, subscription) short names."""
    admin, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = f"it-export-{uuid.uuid4().hex[:8]}"
    admin.create_topic(name=admin.topic_path(project, topic))
    subscriber.create_subscription(
        request={
            "name": subscriber.subscription_path(project, topic + "-sub"),
            "topic": admin.topic_path(project, topic),
            "ack_deadline_seconds": ack_deadline_s,
        }
    )
    return topic, topic + "-sub"


def pull_until(inbox: PubSubInbox, subscription: str, want: int, timeout_s: float = 10) -> list:
    got: list = []
    deadline = time.monotonic() + timeout_s
    while len(got) < want and time.monotonic() < deadline:
        got += inbox.pull(subscription, 100)
        if len(got) < want:
            time.sleep(0.2)
    return got


def test_inbox_pulls_acks_and_hands_back(emulators: dict[str, str]) -> None:
    project = emulators["project_id"]
    topic, sub = make_subscription(project)
    inbox = PubSubInbox(project)
    assert inbox.pull(sub, 10) == []  # empty: answers at once
    publisher = PubSubPublisher(project)
    for i in range(3):
        publisher.publish(topic, {"n": i}, {"event_id": f"e-{i}"})
    first = pull_until(inbox, sub, 3)
    assert sorted(json.loads(m.data)["n"] for m in first) == [0, 1, 2]
    assert {m.attributes["event_id"] for m in first} == {"e-0", "e-1", "e-2"}
    inbox.ack(sub, [m.ack_id for m in first[:2]])
    inbox.nack(sub, [first[2].ack_id])
    again = pull_until(inbox, sub, 1)
    assert [json.loads(m.data)["n"] for m in again] == [json.loads(first[2].data)["n"]]
    inbox.ack(sub, [m.ack_id for m in again])
    time.sleep(0.5)
    assert inbox.pull(sub, 10) == []


def test_lease_has_one_holder_until_released_or_expired(store: FirestoreStore) -> None:
    name = f"export:it-{uuid.uuid4().hex[:8]}"
    ttl = timedelta(seconds=30)
    assert store.acquire_lease(name, "a", NOW, ttl)
    assert store.acquire_lease(name, "a", NOW, ttl)  # renewal by its holder
    assert not store.acquire_lease(name, "b", NOW, ttl)
    assert store.acquire_lease(name, "b", NOW + ttl + timedelta(seconds=1), ttl)  # a's lease expired
    store.release_lease(name, "a")  # not a's any more: no effect
    assert not store.acquire_lease(name, "c", NOW + ttl + timedelta(seconds=2), ttl)
    store.release_lease(name, "b")
    assert store.acquire_lease(name, "c", NOW, ttl)


def test_drain_exports_each_event_once_from_real_subscriptions(
    emulators: dict[str, str], store: FirestoreStore
) -> None:
    project = emulators["project_id"]
    client = make_client(project, emulators["bigquery_endpoint"])
    table_id = f"{project}.{emulators['bigquery_dataset']}.events"
    sink = BigQueryEventSink(client, table_id)
    topic, sub = make_subscription(project)
    publisher = PubSubPublisher(project)
    events = [checkout_submitted(str(uuid.uuid4()), NOW) for _ in range(3)]  # ids derive from the application
    for e in [*events, *events]:  # each published twice (the outbox relay's republish)
        publisher.publish(topic, e.payload(), e.attributes())
    publisher.publish_raw(topic, b"poison", {"event_id": "p-1"})
    table = exports.Table("exporter", (sub,), exports.event_to_row)
    inbox = PubSubInbox(project)
    tally = exports.Tally()
    deadline = time.monotonic() + 20
    while tally.exported + tally.skipped < 6 and time.monotonic() < deadline:
        run = exports.drain(
            table, inbox=inbox, store=store, sink=sink, publisher=publisher, now=lambda: NOW, holder="it"
        )
        tally.exported += run.exported
        tally.skipped += run.skipped
        tally.dead_lettered += run.dead_lettered
        time.sleep(0.3)
    assert (tally.exported, tally.skipped, tally.dead_lettered) == (3, 3, 1)
    apps = ", ".join(f"'{e.application_id}'" for e in events)
    query = f"SELECT event_id FROM `{table_id}` WHERE application_id IN ({apps})"  # noqa: S608
    rows = list(client.query(query).result())
    assert sorted(r["event_id"] for r in rows) == sorted(e.event_id for e in events)


def test_audit_records_go_from_firestore_to_bigquery_once(
    emulators: dict[str, str], store: FirestoreStore
) -> None:
    from mkopo.adapters.bigquery_audit import audit_sink
    from mkopo.service import audit

    project = emulators["project_id"]
    entity = f"app-{uuid.uuid4().hex[:8]}"
    records = [
        audit.record(
            actor_id="system",
            actor_role="system",
            action=a,
            entity_type="application",
            entity_id=entity,
            at=NOW,
        )
        for a in ("checkout_submitted", "application_scored")
    ]
    for rec in records:
        store.transaction(lambda tx, rec=rec: tx.add_audit(rec))
    assert {r.id for r in records} <= {
        r.id for _, r in store.audit_after(None, datetime.now(UTC) + timedelta(1), 500)
    }
    sink = audit_sink(project, emulators["bigquery_endpoint"], emulators["bigquery_dataset"])
    time.sleep(exports.AUDIT_SETTLE.total_seconds())
    tally = exports.export_audit(store=store, sink=sink, now=lambda: datetime.now(UTC), holder="it")
    assert tally.exported >= 2 and not tally.failed_batches
    assert not {r.id for r in records} & {
        r.id for _, r in store.audit_after(store.audit_export_mark(), datetime.now(UTC) + timedelta(1), 500)
    }
    table = f"{project}.{emulators['bigquery_dataset']}.audit"
    query = f"SELECT event_id, action FROM `{table}` WHERE entity_id = '{entity}'"  # noqa: S608
    rows = sorted(
        (r["event_id"], r["action"])
        for r in make_client(project, emulators["bigquery_endpoint"]).query(query).result()
    )
    assert rows == sorted((r.id, r.action) for r in records)
    assert (
        exports.export_audit(store=store, sink=sink, now=lambda: datetime.now(UTC), holder="it").exported == 0
    )


def test_audit_records_committed_while_the_exporter_runs_are_all_exported_once(
    emulators: dict[str, str], store: FirestoreStore
) -> None:
    """The mark is a settled commit time: what commits during a batch sorts after it, so none is missed."""
    from concurrent.futures import ThreadPoolExecutor

    from mkopo.adapters.bigquery_audit import audit_sink
    from mkopo.service import audit

    project, entity = emulators["project_id"], f"app-{uuid.uuid4().hex[:8]}"
    sink = audit_sink(project, emulators["bigquery_endpoint"], emulators["bigquery_dataset"])

    def commit(writer: int) -> list[str]:
        ids = []
        for n in range(15):
            rec = audit.record(
                actor_id=f"w{writer}",
                actor_role="system",
                action=f"step_{n}",
                entity_type="application",
                entity_id=entity,
                at=NOW - timedelta(seconds=n),  # its own time says nothing of when it commits
            )
            store.transaction(lambda tx, rec=rec: tx.add_audit(rec))
            ids.append(rec.id)
        return ids

    def export() -> int:
        return exports.export_audit(
            store=store, sink=sink, now=lambda: datetime.now(UTC), holder="it"
        ).exported

    with ThreadPoolExecutor(4) as pool:
        writers = [pool.submit(commit, w) for w in range(3)]
        exported = 0
        while not all(w.done() for w in writers):
            exported += export()  # exporting while the writers commit
        time.sleep(exports.AUDIT_SETTLE.total_seconds())
        exported += export()
    written = sorted(i for w in writers for i in w.result())
    query = f"SELECT event_id FROM `{sink._table}` WHERE entity_id = '{entity}'"  # noqa: S608
    rows = sorted(
        r["event_id"] for r in make_client(project, emulators["bigquery_endpoint"]).query(query).result()
    )
    assert rows == written and exported == len(written) == 45
