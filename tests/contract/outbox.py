"""Contract of the Outbox port: events written in the transaction of their change, drained oldest first."""

from __future__ import annotations

import time
import uuid

from mkopo import tracing
from mkopo.service.store import Store
from tests.contract.data import at, new_id
from tests.factories import checkout_submitted


class OutboxContract:
    def test_an_event_is_unsent_until_marked_and_only_if_older_than_asked(self, store: Store) -> None:
        event = checkout_submitted(new_id("app"), at(0))
        store.transaction(lambda tx: tx.add_event(event))
        [item] = store.unsent_outbox(at(1), 10)
        assert (item.event_id, item.topic, item.payload, item.sent) == (
            event.event_id,
            event.topic,
            event.payload(),
            False,
        )
        assert store.unsent_outbox(at(0), 10) == []  # created_before is strict
        store.mark_sent([event.event_id])
        assert store.unsent_outbox(at(1), 10) == []

    def test_an_event_keeps_the_trace_of_the_hop_that_wrote_it(self, store: Store) -> None:
        traced, untraced = (checkout_submitted(new_id("app"), at(s)) for s in (0, 1))
        parent = tracing.TraceContext(uuid.uuid4().hex, uuid.uuid4().hex[:16])
        with tracing.span("writer", parent) as hop:
            store.transaction(lambda tx: tx.add_event(traced))
        store.transaction(lambda tx: tx.add_event(untraced))
        by_id = {i.event_id: i.traceparent for i in store.unsent_outbox(at(5), 10)}
        assert by_id == {traced.event_id: hop.context.traceparent, untraced.event_id: None}

    def test_unsent_events_oldest_first_up_to_the_limit(self, store: Store) -> None:
        events = [checkout_submitted(new_id("app"), at(s)) for s in (20, 0, 10)]
        store.write(lambda tx: [tx.add_event(e) for e in events])
        oldest = [events[1].event_id, events[2].event_id, events[0].event_id]
        assert [i.event_id for i in store.unsent_outbox(at(60), 10)] == oldest
        assert [i.event_id for i in store.unsent_outbox(at(60), 2)] == oldest[:2]
        store.mark_sent(oldest[:2])
        assert [i.event_id for i in store.unsent_outbox(at(60), 10)] == oldest[2:]

    def test_an_event_written_twice_is_one_item(self, store: Store) -> None:
        event = checkout_submitted(new_id("app"), at(0))
        store.transaction(lambda tx: tx.add_event(event))
        store.transaction(lambda tx: tx.add_event(event))  # a redelivered step: same deterministic id
        assert [i.event_id for i in store.unsent_outbox(at(1), 10)] == [event.event_id]

    def test_marks_made_without_waiting_land_soon(self, store: Store) -> None:
        events = [checkout_submitted(new_id("app"), at(s)) for s in range(3)]
        store.write(lambda tx: [tx.add_event(e) for e in events])
        store.mark_sent([e.event_id for e in events], wait=False)
        deadline = time.monotonic() + 5
        while store.unsent_outbox(at(10), 10) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.unsent_outbox(at(10), 10) == []
