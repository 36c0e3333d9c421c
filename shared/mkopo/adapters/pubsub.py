"""Publishing domain events to Pub/Sub topics (the emulator when PUBSUB_EMULATOR_HOST is set)."""

from __future__ import annotations

import json
from typing import Any

import google.cloud.pubsub_v1 as pubsub_v1

PUBLISH_TIMEOUT_S = 30


class PubSubPublisher:
    def __init__(self, project_id: str, client: pubsub_v1.PublisherClient | None = None) -> None:
        self._project = project_id
        self._client = client or pubsub_v1.PublisherClient(
            batch_settings=pubsub_v1.types.BatchSettings(max_messages=100, max_latency=0.002)
        )

    def topic_path(self, topic: str) -> str:
        return self._client.topic_path(self._project, topic)

    def publish_raw(self, topic: str, data: bytes, attributes: dict[str, str]) -> None:
        self._client.publish(self.topic_path(topic), data, **attributes).result(timeout=PUBLISH_TIMEOUT_S)

    def publish(self, topic: str, payload: dict[str, Any], attributes: dict[str, str]) -> None:
        """Publish and wait for the server's ack, so the caller may mark the event sent."""
        data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        self.publish_raw(topic, data, attributes)
