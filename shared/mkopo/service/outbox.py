"""Publishing what a transaction wrote to the outbox, and relaying anything left behind."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from mkopo.domain.events import DomainEvent
from mkopo.faults import checkpoint
from mkopo.service.ports import EventPublisher
from mkopo.service.store import Store

log = logging.getLogger(__name__)


def dispatch(events: Sequence[DomainEvent], *, store: Store, publisher: EventPublisher) -> None:
    """Publish committed events, then mark them sent; a crash in between leaves them to the relay."""
    for event in events:
        checkpoint("outbox.before_publish")
        publisher.publish(event.topic, event.payload(), event.attributes())
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
        publisher.publish_all(
            [
                (i.topic, i.payload, {"event_type": i.topic, "event_id": i.event_id, "relayed": "true"})
                for i in items
            ]
        )
        store.mark_sent([i.event_id for i in items])
        total += len(items)
        if len(items) < limit:
            break
    if total:
        log.warning("outbox relay republished %d events", total)
    return total
