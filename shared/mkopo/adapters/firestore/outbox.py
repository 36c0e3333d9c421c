"""The outbox on Firestore: events written with the change that caused them, marked sent once published."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from google.cloud import firestore

from mkopo import tracing
from mkopo.adapters.firestore.common import OUTBOX, StorePart, TxPart, write_each
from mkopo.domain.events import DomainEvent
from mkopo.service.store import OutboxItem

log = logging.getLogger(__name__)
MARK_SENT_DELAY_S = 0.1  # the "sent" marks of events published within this window share one commit


@lru_cache(maxsize=1)
def _background() -> ThreadPoolExecutor:
    """One small pool per process for writes the caller need not wait for."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="firestore-bg")


def _commit_quietly(batch: Any) -> None:
    try:
        batch.commit()
    except Exception:  # the outbox relay will republish what was not marked
        log.warning("background outbox update failed", exc_info=True)


class _SentMarks:
    """Outbox items published and not yet marked: one background commit per short window, not per event."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client
        self._lock = threading.Lock()
        self._pending: list[str] = []

    def add(self, event_ids: Sequence[str]) -> None:
        with self._lock:
            first = not self._pending
            self._pending.extend(event_ids)
        if first:
            _background().submit(self._flush_after, MARK_SENT_DELAY_S)

    def _flush_after(self, delay_s: float) -> None:
        time.sleep(delay_s)
        with self._lock:
            ids, self._pending = list(dict.fromkeys(self._pending)), []
        write_each(self._db, OUTBOX, ids, {"sent": True}, commit=_commit_quietly)


class OutboxTx(TxPart):
    def add_event(self, event: DomainEvent) -> None:
        doc = {
            "topic": event.topic,
            "payload": event.payload(),
            "created_at": event.occurred_at,
            "sent": False,
            "traceparent": tracing.current_traceparent(),
        }
        self._tx.set(self._db.collection(OUTBOX).document(event.event_id), doc)


class OutboxStore(StorePart):
    @cached_property
    def _sent_marks(self) -> _SentMarks:
        return _SentMarks(self._db)

    def unsent_outbox(self, created_before: datetime, limit: int) -> list[OutboxItem]:
        query = (
            self._db.collection(OUTBOX)
            .where(filter=firestore.FieldFilter("sent", "==", False))
            .where(filter=firestore.FieldFilter("created_at", "<", created_before))
            .order_by("created_at")
            .limit(limit)
        )
        return [OutboxItem(event_id=s.id, **(s.to_dict() or {})) for s in query.stream()]

    def mark_sent(self, event_ids: Sequence[str], *, wait: bool = True) -> None:
        if not wait:
            self._sent_marks.add(event_ids)
            return
        write_each(self._db, OUTBOX, event_ids, {"sent": True})
