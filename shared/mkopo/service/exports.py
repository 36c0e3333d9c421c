"""Batch export to BigQuery: domain events pulled from the exporter's subscriptions, audit records read
straight from Firestore in commit order from a mark; each row written once, a batch at a time.

One exporter holds a lease per table, so batches never race each other, and the sink skips ids already in
the table (a redelivery, or a crash between the insert and the acknowledgement): no mark is kept per event
in Firestore. A message that cannot become a row is dead-lettered at once; when the insert fails,
the batch is handed back and redelivered after the subscription's backoff (audit records simply stay
after the mark until the next run).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mkopo import topology
from mkopo.domain.events import MalformedEvent, json_object, parse_event
from mkopo.service.errors import TransientFailure
from mkopo.service.ports import EventPublisher, EventSink, Inbox, Pulled
from mkopo.service.store import Store
from mkopo.service.warehouse_rows import audit_row, event_row

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # messages per pull (events: from each subscription, all in one BigQuery insert)
MAX_RUN_S = 5.0  # no new batch this long after the linger (cloud: 50 + 5 s, under the 60 s timeout)
LEASE_MARGIN = timedelta(seconds=30)  # a lease outlives the longest run by this much
AUDIT_SETTLE = timedelta(seconds=2)  # audit records are exported once their commit is this old

Row = dict[str, Any]


@dataclass(frozen=True)
class Table:
    """One BigQuery table fed from some subscriptions: how a message becomes (export key, row)."""

    consumer: str  # the function, as dead letters name it
    subscriptions: tuple[str, ...]
    to_row: Callable[[bytes, datetime], tuple[str, Row]]  # raises MalformedEvent


@dataclass
class Tally:
    pulled: int = 0
    exported: int = 0
    skipped: int = 0  # duplicates in a batch, or exported before
    dead_lettered: int = 0
    batches: int = 0
    failed_batches: int = 0
    busy: bool = False
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "errors" or v}

    def failed(self, what: str, exc: Exception) -> None:
        """A batch that did not reach BigQuery (it will be tried again)."""
        log.warning("%s not exported: %s", what, exc)
        self.failed_batches += 1
        self.errors.append(str(exc)[:200])

    def written(self, received: int, inserted: int) -> None:
        """A batch done: ``inserted`` new rows of ``received`` (the rest were there already)."""
        self.batches += 1
        self.exported += inserted
        self.skipped += received - inserted


def event_to_row(data: bytes, now: datetime) -> tuple[str, Row]:
    """A domain event message → its events-table row, keyed by event id."""
    event = parse_event(json_object(data))
    return event.event_id, event_row(event, now)


EVENTS = Table("exporter", tuple(f"exporter--{t}" for t in topology.EVENT_TOPICS), event_to_row)


def export_batch(
    table: Table,
    pulled: Sequence[tuple[str, Sequence[Pulled]]],
    *,
    inbox: Inbox,
    sink: EventSink,
    publisher: EventPublisher,
    now: datetime,
    tally: Tally,
) -> bool:
    """Write the new rows of what a pass pulled from the table's subscriptions in one insert (one
    duplicate check, which BigQuery bills at 10 MB however few the ids), then acknowledge it; poison is
    dead-lettered, a failed insert nacked (and False returned)."""
    rows: dict[str, Row] = {}
    kept: dict[str, list[str]] = {}
    for subscription, messages in pulled:
        for message in messages:
            try:
                key, row = table.to_row(message.data, now)
            except MalformedEvent as exc:
                _dead_letter(table, message, str(exc), publisher)
                inbox.ack(subscription, [message.ack_id])
                tally.dead_lettered += 1
                continue
            kept.setdefault(subscription, []).append(message.ack_id)
            rows.setdefault(key, row)
    received = sum(len(ids) for ids in kept.values())
    try:
        inserted = sink.export(list(rows.values())) if rows else 0
    except TransientFailure as exc:
        tally.failed(f"{table.consumer}: batch of {received} from {len(kept)} subscription(s)", exc)
        for subscription, ack_ids in kept.items():
            inbox.nack(subscription, ack_ids)
        return False
    for subscription, ack_ids in kept.items():
        inbox.ack(subscription, ack_ids)
    tally.written(received, inserted)
    return True


def _dead_letter(table: Table, message: Pulled, reason: str, publisher: EventPublisher) -> None:
    log.error("dead-lettering a message %s cannot export: %s", table.consumer, reason)
    attributes = {"consumer": table.consumer, "reason": reason[:1000]}
    if event_id := message.attributes.get("event_id"):
        attributes["event_id"] = event_id
    publisher.publish_raw(topology.DEAD_LETTER, message.data, attributes)


Step = Callable[[Tally], bool | None]  # one batch: True if it did work, False if idle, None if failing


def _run_leased(
    name: str,
    step: Step,
    *,
    store: Store,
    now: Callable[[], datetime],
    holder: str,
    linger_s: float,
    monotonic: Callable[[], float],
    sleep: Callable[[float], None],
) -> Tally:
    """Run ``step`` under the table's lease until it is idle and ``linger_s`` has passed (the cloud's
    scheduler calls once a minute, so there it lingers ~50 s); never longer than ``linger_s + MAX_RUN_S``."""
    tally = Tally()
    ttl = timedelta(seconds=linger_s + MAX_RUN_S) + LEASE_MARGIN
    if not store.acquire_lease(f"export:{name}", holder, now(), ttl):
        tally.busy = True
        return tally
    began = monotonic()
    try:
        while monotonic() - began < linger_s + MAX_RUN_S:
            worked = step(tally)
            if worked is None:
                break  # the sink is failing: the next run tries again
            if not worked:
                if monotonic() - began >= linger_s:
                    break
                sleep(1.0)
    finally:
        store.release_lease(f"export:{name}", holder)
    return tally


def drain(
    table: Table,
    *,
    inbox: Inbox,
    store: Store,
    sink: EventSink,
    publisher: EventPublisher,
    now: Callable[[], datetime],
    holder: str,
    linger_s: float = 0.0,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Tally:
    """Export what waits on the table's pull subscriptions: a pass over all of them per step, one insert
    per pass."""

    def one_pass(tally: Tally) -> bool | None:
        pulled = [(sub, inbox.pull(sub, BATCH_SIZE)) for sub in table.subscriptions]
        pulled = [(sub, messages) for sub, messages in pulled if messages]
        if not pulled:
            return False
        tally.pulled += sum(len(messages) for _, messages in pulled)
        written = export_batch(
            table, pulled, inbox=inbox, sink=sink, publisher=publisher, now=now(), tally=tally
        )
        return True if written else None  # a failed batch comes back after its backoff

    return _run_leased(
        table.consumer,
        one_pass,
        store=store,
        now=now,
        holder=holder,
        linger_s=linger_s,
        monotonic=monotonic,
        sleep=sleep,
    )


def export_audit(
    *,
    store: Store,
    sink: EventSink,
    now: Callable[[], datetime],
    holder: str,
    linger_s: float = 0.0,
    settle: timedelta = AUDIT_SETTLE,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Tally:
    """Audit records committed after the exporter's mark, straight from the store, a batch per step; the
    mark moves to each batch's last record once BigQuery has it (one write a batch, none a record)."""
    mark = store.audit_export_mark()

    def one_batch(tally: Tally) -> bool | None:
        nonlocal mark
        batch = store.audit_after(mark, now() - settle, BATCH_SIZE)
        if not batch:
            return False
        tally.pulled += len(batch)
        try:
            inserted = sink.export([audit_row(record, now()) for _, record in batch])
        except TransientFailure as exc:
            tally.failed(f"audit-exporter: batch of {len(batch)}", exc)
            return None
        mark = batch[-1][0]
        store.save_audit_export_mark(mark)  # lost in a crash: the sink skips the batch's rows next time
        tally.written(len(batch), inserted)
        return True

    return _run_leased(
        "audit-exporter",
        one_batch,
        store=store,
        now=now,
        holder=holder,
        linger_s=linger_s,
        monotonic=monotonic,
        sleep=sleep,
    )
