"""The dead-letter inbox on the real emulators: a message published to ``dead_letter`` is pulled from
``dead_letter_inbox`` under its Pub/Sub message id, recorded once in Firestore, replayed to its topic."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from emulators.stack import Stack
from google.cloud import firestore

from mkopo import topology
from mkopo.adapters.firestore.dead_letters import FirestoreDeadLetterBook
from mkopo.adapters.pubsub import PubSubInbox, PubSubPublisher
from mkopo.service import dead_letters

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


def collect_until(inbox: PubSubInbox, book: FirestoreDeadLetterBook, n: int) -> list[dict]:
    found: list[dict] = []
    for _ in range(50):  # the emulator may take a moment to route a fresh message
        found += dead_letters.collect(inbox, book, NOW)
        if len(found) >= n:
            return found
        time.sleep(0.2)
    return found


def test_dead_letters_are_recorded_once_and_replayed(emulators: dict[str, str], local_stack: Stack) -> None:
    project = emulators["project_id"]
    book = FirestoreDeadLetterBook(firestore.Client(project=project))
    inbox, publisher = PubSubInbox(project), PubSubPublisher(project)
    dead_letters.collect(inbox, book, NOW)  # drain what earlier tests left on the subscription ...
    local_stack.reset_firestore()  # ... and forget it, so the book holds this test's letter alone
    event = {"event_type": topology.CHECKOUT_SUBMITTED, "application_id": "app-it"}
    attrs = {"event_type": topology.CHECKOUT_SUBMITTED, "event_id": "e-it", "reason": "poison"}
    publisher.publish_raw(topology.DEAD_LETTER, json.dumps(event).encode(), attrs)
    [record] = collect_until(inbox, book, 1)
    assert record["message_id"].isdigit() and record["topic"] == topology.CHECKOUT_SUBMITTED
    assert not book.add(record | {"status": "OPEN"})  # recorded once: a second delivery changes nothing
    assert [r["message_id"] for r in book.list(dead_letters.OPEN, 10)] == [record["message_id"]]
    target = dead_letters.replay_one(book, publisher, record["message_id"], NOW)
    stored = book.get(record["message_id"])
    assert target == topology.CHECKOUT_SUBMITTED and stored is not None and stored["status"] == "REPLAYED"
    assert book.list(dead_letters.OPEN, 10) == []
