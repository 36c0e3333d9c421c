"""The dead-letter inbox service (one home for ``chaos.deadletters`` and the console): collect records each
message once, replay republishes an OPEN record once, discard keeps it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from mkopo import topology
from mkopo.service import dead_letters
from mkopo.service.errors import NotFound, Unprocessable
from tests.unit.fakes import FakeDeadLetterBook, FakeInbox, FakePublisher

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
EVENT = {"event_type": topology.CHECKOUT_SUBMITTED, "event_id": "e1", "application_id": "app-1"}


def poisoned(inbox: FakeInbox) -> None:
    attrs = {"event_type": topology.CHECKOUT_SUBMITTED, "event_id": "e1", "consumer": "scoring"}
    inbox.put(topology.DEAD_LETTER_INBOX, json.dumps(EVENT).encode(), attrs)
    inbox.put(topology.DEAD_LETTER_INBOX, b"not json", {})


def test_collect_records_each_message_once_and_acks_it() -> None:
    inbox, book = FakeInbox(), FakeDeadLetterBook()
    poisoned(inbox)
    found = dead_letters.collect(inbox, book, NOW)
    assert [r["topic"] for r in found] == [topology.CHECKOUT_SUBMITTED, None]
    assert not inbox.in_flight and len(inbox.acked) == 2
    assert dead_letters.application_of(found[0]) == "app-1" and found[0]["consumer"] == "scoring"
    first = found[0]["message_id"]
    dead_letters.discard_one(book, first, NOW)
    poisoned(inbox)  # delivered again: the same records, their status kept
    dead_letters.collect(inbox, book, NOW)
    assert len(book.docs) == 2 and book.docs[first]["status"] == dead_letters.DISCARDED


def test_replay_republishes_an_open_record_once() -> None:
    inbox, book, publisher = FakeInbox(), FakeDeadLetterBook(), FakePublisher()
    poisoned(inbox)
    event, garbage = dead_letters.ids_of(dead_letters.collect(inbox, book, NOW))
    assert dead_letters.replay_one(book, publisher, event, NOW) == topology.CHECKOUT_SUBMITTED
    [(topic, data, attrs)] = publisher.raw
    assert topic == topology.CHECKOUT_SUBMITTED and json.loads(data) == EVENT
    assert attrs == {"event_type": topology.CHECKOUT_SUBMITTED, "event_id": "e1", "replayed": "true"}
    with pytest.raises(Unprocessable):
        dead_letters.replay_one(book, publisher, event, NOW)  # already replayed
    with pytest.raises(Unprocessable):
        dead_letters.replay_one(book, publisher, garbage, NOW)  # no topic of its own
    with pytest.raises(NotFound):
        dead_letters.replay_one(book, publisher, "nope", NOW)
    assert len(publisher.raw) == 1
    assert [r["message_id"] for r in dead_letters.records(book)] == [garbage]
