"""Publishing domain events to Pub/Sub topics, and pulling the exporters' subscriptions (the emulator when
PUBSUB_EMULATOR_HOST is set)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1

from mkopo import metering
from mkopo.service.ports import Outgoing, Pulled

PUBLISH_TIMEOUT_S = 30
PULL_TIMEOUT_S = 30
ACK_CHUNK = 1000  # ack ids per acknowledge request (keeps requests well under the 512 KB limit)
# The exporters ask for what is waiting and return when there is nothing (they run on a schedule): the
# client flags return_immediately as deprecated, but Pub/Sub and its emulator still honour it.
warnings.filterwarnings("ignore", "The return_immediately flag is deprecated", DeprecationWarning)


class PubSubPublisher:
    def __init__(self, project_id: str, client: pubsub_v1.PublisherClient | None = None) -> None:
        self._project = project_id
        self._client = client or pubsub_v1.PublisherClient(
            batch_settings=pubsub_v1.types.BatchSettings(max_messages=100, max_latency=0.002)
        )

    def topic_path(self, topic: str) -> str:
        return self._client.topic_path(self._project, topic)

    def publish_raw(self, topic: str, data: bytes, attributes: dict[str, str]) -> None:
        _count_published([(data, attributes)])
        self._client.publish(self.topic_path(topic), data, **attributes).result(timeout=PUBLISH_TIMEOUT_S)

    def publish(self, topic: str, payload: dict[str, Any], attributes: dict[str, str]) -> None:
        """Publish and wait for the server's ack, so the caller may mark the event sent."""
        self.publish_raw(topic, _encode(payload), attributes)

    def publish_all(self, messages: Sequence[Outgoing]) -> None:
        """Hand every message to the client first (it batches them), then wait for each ack."""
        encoded = [(topic, _encode(payload), attributes) for topic, payload, attributes in messages]
        _count_published([(data, attributes) for _, data, attributes in encoded])
        futures = [
            self._client.publish(self.topic_path(topic), data, **attributes)
            for topic, data, attributes in encoded
        ]
        for future in futures:
            future.result(timeout=PUBLISH_TIMEOUT_S)


def _count_published(messages: Sequence[tuple[bytes, dict[str, str]]]) -> None:
    """Messages and billable bytes (data, attributes, at least 1,000 a request: batching aside)."""
    metering.count(metering.PUBLISHED, len(messages))
    sizes = (len(data) + sum(len(k) + len(v) for k, v in attrs.items()) for data, attrs in messages)
    metering.count(metering.PUBLISHED_BYTES, sum(metering.pubsub_bytes(n) for n in sizes))


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


class PubSubInbox:
    """Synchronous pull from this project's subscriptions (the emulator when PUBSUB_EMULATOR_HOST is set)."""

    def __init__(self, project_id: str, client: pubsub_v1.SubscriberClient | None = None) -> None:
        self._project = project_id
        self._client = client or pubsub_v1.SubscriberClient()

    def _path(self, subscription: str) -> str:
        return self._client.subscription_path(self._project, subscription)

    def pull(self, subscription: str, max_messages: int) -> list[Pulled]:
        # return_immediately: an empty subscription answers at once instead of holding the call open.
        response = self._client.pull(
            request={
                "subscription": self._path(subscription),
                "max_messages": max_messages,
                "return_immediately": True,
            },
            timeout=PULL_TIMEOUT_S,
        )
        received = response.received_messages
        if received:
            metering.count(metering.DELIVERED, len(received))
            size = sum(len(m.message.data) for m in received)
            metering.count(metering.DELIVERED_BYTES, metering.pubsub_bytes(size))  # one request
        return [
            Pulled(
                ack_id=m.ack_id,
                data=m.message.data,
                attributes=dict(m.message.attributes),
                message_id=m.message.message_id,
            )
            for m in received
        ]

    def ack(self, subscription: str, ack_ids: Sequence[str]) -> None:
        for chunk in _chunks(ack_ids):
            self._client.acknowledge(request={"subscription": self._path(subscription), "ack_ids": chunk})

    def nack(self, subscription: str, ack_ids: Sequence[str]) -> None:
        for chunk in _chunks(ack_ids):
            request = {"subscription": self._path(subscription), "ack_ids": chunk, "ack_deadline_seconds": 0}
            self._client.modify_ack_deadline(request=request)


def _chunks(ack_ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ack_ids), ACK_CHUNK):
        yield list(ack_ids[start : start + ACK_CHUNK])
