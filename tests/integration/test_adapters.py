"""The real adapters against the real emulators (no fakes here).

The store's own behaviour is in the contract suites (test_store_contract.py); here, what spans adapters.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from google.cloud import firestore

from mkopo.adapters.bigquery import BigQueryEventSink, make_client
from mkopo.adapters.firestore import FirestoreStore
from mkopo.adapters.pubsub import PubSubPublisher
from mkopo.service import checkout, warehouse_rows
from mkopo.service.store import User
from tests.factories import checkout_submitted, kes_offers

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


@pytest.fixture
def store(emulators: dict[str, str]) -> FirestoreStore:
    return FirestoreStore(firestore.Client(project=emulators["project_id"]))


def make_user(store: FirestoreStore, phone: str = "+254700000001") -> User:
    user = User(id=str(uuid.uuid4()), phone=phone, full_name="Amina", password_hash="x", created_at=NOW)
    store.transaction(lambda tx: tx.create_user(user))
    return user


class NullPublisher:
    def publish(self, topic: str, payload: dict, attributes: dict[str, str]) -> None:
        pass

    def publish_raw(self, topic: str, data: bytes, attributes: dict[str, str]) -> None:
        pass

    def publish_all(self, messages: list) -> None:
        pass


def test_concurrent_checkouts_with_one_key_create_one_application(store: FirestoreStore) -> None:
    user = make_user(store)
    [offer, *_] = kes_offers(store, NOW)

    def submit(_: int) -> dict:
        return checkout.submit(
            checkout.Checkout(offer_id=offer.id),
            user=user,
            offer=store.get_offer(offer.id),
            key="same-key",
            store=store,
            publisher=NullPublisher(),
            now=NOW,
            status_url="/v1/applications/{id}",
            terms_version="test-terms-v1",
        ).body

    with ThreadPoolExecutor(max_workers=6) as pool:
        bodies = list(pool.map(submit, range(6)))
    assert len({b["application_id"] for b in bodies}) == 1
    assert [a.id for a in store.list_applications(user.id, 10)] == [bodies[0]["application_id"]]


def test_publisher_delivers_payload_and_attributes(emulators: dict[str, str]) -> None:
    from google.cloud import pubsub_v1

    project = emulators["project_id"]
    topic = f"it-{uuid.uuid4().hex[:8]}"
    admin, sub_client = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    admin.create_topic(name=admin.topic_path(project, topic))
    sub = sub_client.subscription_path(project, topic + "-sub")
    sub_client.create_subscription(name=sub, topic=admin.topic_path(project, topic))
    PubSubPublisher(project).publish(topic, {"a": 1}, {"event_type": "x"})
    response = sub_client.pull(subscription=sub, max_messages=1, timeout=10)
    [received] = response.received_messages
    assert json.loads(received.message.data) == {"a": 1} and received.message.attributes["event_type"] == "x"


def test_bigquery_sink_keeps_one_row_per_event(emulators: dict[str, str]) -> None:
    project = emulators["project_id"]
    client = make_client(project, emulators["bigquery_endpoint"])
    sink = BigQueryEventSink(client, f"{project}.{emulators['bigquery_dataset']}.events")
    event = checkout_submitted(str(uuid.uuid4()), NOW)
    row = warehouse_rows.event_row(event, NOW)
    assert sink.export([row]) == 1
    assert sink.export([row]) == 0
    rows = list(
        client.query(
            f"SELECT event_id, amount_minor, JSON_VALUE(attributes, '$.product') AS product "  # noqa: S608
            f"FROM `{project}.{emulators['bigquery_dataset']}.events` "
            f"WHERE application_id = '{event.application_id}'"
        ).result()
    )
    assert [(r["event_id"], r["amount_minor"], r["product"]) for r in rows] == [
        (event.event_id, 500_000, "p")
    ]
