"""Decoding Pub/Sub push CloudEvents, and deciding what is retried and what is dead-lettered."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from mkopo import metering, topology, tracing
from mkopo.domain.events import DomainEvent, MalformedEvent, json_object, parse_event
from mkopo.service.ports import EventPublisher

log = logging.getLogger(__name__)
E = TypeVar("E", bound=DomainEvent)


def decode(cloud_event_data: Any) -> tuple[bytes, DomainEvent]:
    """The raw message bytes and the domain event they carry; MalformedEvent if they carry none."""
    try:
        raw = base64.b64decode(cloud_event_data["message"]["data"], validate=True)
    except (KeyError, TypeError, binascii.Error) as exc:
        raise MalformedEvent("push body has no base64 message.data") from exc
    metering.count(metering.DELIVERED)
    metering.count(metering.DELIVERED_BYTES, metering.pubsub_bytes(len(raw)))
    return raw, parse_event(json_object(raw))


def handle(
    consumer: str,
    cloud_event_data: Any,
    handler: Callable[[E], object],
    publisher: Callable[[], EventPublisher],
    accepts: type[E],
) -> None:
    """Run one consumer in a span continuing the message's trace; poison messages go to the dead-letter
    topic; anything else raised is retried."""
    parent, delivery = _delivery(cloud_event_data)
    with tracing.span(f"consume {delivery.pop('event_type') or '?'}", parent, **delivery):
        log.info("%s: message %s, attempt %s", consumer, delivery["message_id"], delivery["delivery_attempt"])
        _handle(consumer, cloud_event_data, handler, publisher, accepts)


def _delivery(cloud_event_data: Any) -> tuple[tracing.TraceContext | None, dict[str, Any]]:
    """The trace a pushed message carries, and what its span records about the delivery."""
    envelope = _mapping(cloud_event_data)
    message = _mapping(envelope.get("message"))
    attributes = _mapping(message.get("attributes"))
    return tracing.parse_traceparent(attributes.get(tracing.ATTRIBUTE)), {
        "application_id": attributes.get("application_id"),
        "event_id": attributes.get("event_id"),
        "event_type": attributes.get("event_type"),
        "message_id": message.get("messageId") or message.get("message_id"),
        "publish_time": message.get("publishTime") or message.get("publish_time"),
        "delivery_attempt": envelope.get("deliveryAttempt"),
        "relayed": attributes.get("relayed"),
    }


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _handle(
    consumer: str,
    cloud_event_data: Any,
    handler: Callable[[E], object],
    publisher: Callable[[], EventPublisher],
    accepts: type[E],
) -> None:
    try:
        raw, event = decode(cloud_event_data)
        if not isinstance(event, accepts):
            raise MalformedEvent(f"{consumer} does not consume {event.event_type}")
    except MalformedEvent as exc:
        raw = _raw_bytes(cloud_event_data)
        log.error("dead-lettering a message %s cannot process: %s", consumer, exc)
        publisher().publish_raw(
            topology.DEAD_LETTER,
            raw,
            {"consumer": consumer, "reason": str(exc)[:1000]} | tracing.message_attributes(),
        )
        return
    try:
        handler(event)
    except MalformedEvent as exc:
        log.error("dead-lettering %s for %s: %s", event.event_id, consumer, exc)
        publisher().publish_raw(
            topology.DEAD_LETTER,
            raw,
            {"consumer": consumer, "reason": str(exc)[:1000], "event_id": event.event_id}
            | tracing.message_attributes(),
        )


def _raw_bytes(cloud_event_data: Any) -> bytes:
    try:
        return base64.b64decode(cloud_event_data["message"]["data"])
    except (KeyError, TypeError, binascii.Error, ValueError):
        return json.dumps(cloud_event_data, default=str).encode()
