"""The dead-letter inbox, one home for the operator command (``python -m chaos.deadletters``) and the
console's operations page.

Messages a consumer gave up on land on the ``dead_letter`` topic; ``collect`` drains its pull subscription
(``dead_letter_inbox``) into records (``dead_letters/{message id}`` in Firestore) with the raw data, the
attributes, the consumer and the reason, status OPEN, then acknowledges them. An operator then replays a
record to its topic after a fix (REPLAYED) or discards it (DISCARDED, the reason kept). Recording is
create-if-absent, so a message delivered twice, or collected again after a replay, keeps its status.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from mkopo import topology
from mkopo.service.errors import NotFound, Unprocessable
from mkopo.service.ports import EventPublisher, Inbox, Pulled

COLLECTION = "dead_letters"
OPEN, REPLAYED, DISCARDED = "OPEN", "REPLAYED", "DISCARDED"
STATUSES = (OPEN, REPLAYED, DISCARDED)
REPLAY_ATTRIBUTES = frozenset({"event_type", "event_id", "traceparent"})  # a replay continues its trace
BATCH = 100


class DeadLetterBook(Protocol):
    """Where dead-letter records are kept, keyed by message id."""

    def add(self, record: dict[str, Any]) -> bool:
        """Store the record unless one with its ``message_id`` exists; True when it was new."""
        ...

    def get(self, message_id: str) -> dict[str, Any] | None: ...

    def list(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        """Records with this status (all when None), oldest first."""
        ...

    def update(self, message_id: str, fields: dict[str, Any]) -> None: ...


def record_of(message: Pulled, now: datetime) -> dict[str, Any]:
    """The alert record of one dead-lettered message."""
    attrs = dict(message.attributes)
    return {
        "message_id": message.message_id or _digest(message),
        "data_b64": base64.b64encode(message.data).decode(),
        "attributes": attrs,
        "consumer": attrs.get("consumer") or attrs.get("CloudPubSubDeadLetterSourceSubscription", "?"),
        "reason": attrs.get("reason") or "max delivery attempts exceeded",
        "topic": topic_of(message.data),
        "status": OPEN,
        "recorded_at": now,
    }


def _digest(message: Pulled) -> str:
    """A stable id for a message pulled without one (same data and attributes, same id)."""
    attrs = json.dumps(dict(message.attributes), sort_keys=True).encode()
    return hashlib.sha256(message.data + b"\0" + attrs).hexdigest()[:32]


def collect(inbox: Inbox, book: DeadLetterBook, now: datetime, max_batches: int = 50) -> list[dict[str, Any]]:
    """Drain the inbox into records (idempotently), acknowledging each batch once it is recorded."""
    recorded: list[dict[str, Any]] = []
    for _ in range(max_batches):
        batch = inbox.pull(topology.DEAD_LETTER_INBOX, BATCH)
        if not batch:
            break
        for message in batch:
            record = record_of(message, now)
            book.add(record)
            recorded.append(record)
        inbox.ack(topology.DEAD_LETTER_INBOX, [m.ack_id for m in batch])
    return recorded


def topic_of(data: bytes) -> str | None:
    """The topic a dead-lettered domain event belongs on (its event_type), if the data says."""
    try:
        event_type = json.loads(data).get("event_type")
    except (ValueError, AttributeError):
        return None
    return event_type if event_type in topology.EVENT_TOPICS else None


def application_of(record: dict[str, Any]) -> str | None:
    """The application a recorded dead letter is about, if its data is an event naming one."""
    try:
        value = json.loads(base64.b64decode(record.get("data_b64", "")))
    except ValueError:
        return None
    return value.get("application_id") if isinstance(value, dict) else None


def records(book: DeadLetterBook, status: str | None = OPEN, limit: int = 500) -> list[dict[str, Any]]:
    return book.list(status, limit)


def replay_one(
    book: DeadLetterBook, publisher: EventPublisher, message_id: str, now: datetime, topic: str | None = None
) -> str:
    """Republish a stored dead letter to its topic (or ``topic``) and mark it REPLAYED; the topic used.

    Only an OPEN record is replayed: replaying twice would publish the event twice."""
    doc = book.get(message_id)
    if doc is None:
        raise NotFound(f"no dead letter {message_id}")
    if doc.get("status") != OPEN:
        raise Unprocessable(f"dead letter {message_id} is {doc.get('status')}, not OPEN")
    target = topic or doc.get("topic")
    if target not in topology.TOPICS:
        raise Unprocessable(f"dead letter {message_id} names no known topic; choose one to replay it to")
    attrs = {k: v for k, v in doc.get("attributes", {}).items() if k in REPLAY_ATTRIBUTES}
    publisher.publish_raw(target, base64.b64decode(doc["data_b64"]), attrs | {"replayed": "true"})
    book.update(message_id, {"status": REPLAYED, "replayed_at": now, "replayed_to": target})
    return target


def discard_one(book: DeadLetterBook, message_id: str, now: datetime) -> None:
    """Mark a record DISCARDED (kept, with its reason); discarding again changes nothing."""
    doc = book.get(message_id)
    if doc is None:
        raise NotFound(f"no dead letter {message_id}")
    if doc.get("status") == OPEN:
        book.update(message_id, {"status": DISCARDED, "discarded_at": now})


def view(record: dict[str, Any]) -> dict[str, Any]:
    """A record as a page shows it: the data decoded as text (at most 2,000 characters)."""
    text = base64.b64decode(record.get("data_b64", "")).decode(errors="replace")
    return {**record, "data": text[:2000], "application_id": application_of(record)}


def ids_of(found: Sequence[dict[str, Any]]) -> list[str]:
    return [r["message_id"] for r in found]
