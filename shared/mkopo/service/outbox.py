"""Publishing what a transaction wrote to the outbox, and relaying anything left behind."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from mkopo import tracing
from mkopo.domain.events import DomainEvent
from mkopo.faults import checkpoint
from mkopo.service.ports import EventPublisher
from mkopo.service.store import OutboxItem, Store

log = logging.getLogger(__name__)


def dispatch(events: Sequence[DomainEvent], *, store: Store, publisher: EventPublisher) -> None:
    """Publish committed events, then mark them sent; a crash in between leaves them to the relay."""
    trace = tracing.message_attributes()
    for event in events:
        tracing.annotate(application_id=event.application_id)
        checkpoint("outbox.before_publish")
        publisher.publish(event.topic, event.payload(), event.attributes() | trace)
    if events:
        # Published is what matters; the mark only spares the relay a harmless republish.
        store.mark_sent([e.event_id for e in events], wait=False)


def relay(
    *,
    store: Store,
    publisher: EventPublisher,
    now: datetime,
    older_than: timedelta,
    limit: int = 500,
    max_pages: int = 20,
) -> int:
    """Republish outbox items still unsent after ``older_than``, a page at a time; returns how many."""
    total = 0
    for _ in range(max_pages):
        items = store.unsent_outbox(now - older_than, limit)
        if not items:
            break
        _republish(items, publisher)
        store.mark_sent([i.event_id for i in items])
        total += len(items)
        if len(items) < limit:
            break
    if total:
        log.warning("outbox relay republished %d events", total)
    return total


def _republish(items: Sequence[OutboxItem], publisher: EventPublisher) -> None:
    """One relay span per item, in the trace of the hop that wrote it; its consumer continues from there."""
    spans = [
        tracing.start(
            f"relay {i.topic}",
            tracing.parse_traceparent(i.traceparent),
            application_id=i.payload.get("application_id"),
            event_id=i.event_id,
            queued_since=i.created_at.isoformat(),  # the waterfall's queue wait: time left in the outbox
        )
        for i in items
    ]
    messages = []
    for item, span in zip(items, spans, strict=True):
        attributes = {"event_type": item.topic, "event_id": item.event_id, "relayed": "true"}
        with tracing.activate(span):
            log.info("relaying %s %s", item.topic, item.event_id)
            messages.append((item.topic, item.payload, attributes | tracing.message_attributes()))
    try:
        publisher.publish_all(messages)
    finally:
        for span in spans:
            tracing.finish(span)
