"""SMS channels. Locally, a channel that records what would be sent instead of sending it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from google.cloud import firestore

from mkopo.domain.phone import masked

log = logging.getLogger(__name__)


class RecordingSmsChannel:
    """Writes each message to ``sms_sent/{message_id}``: idempotent and inspectable."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def send(self, *, message_id: str, user_id: str, to: str, text: str, event_type: str) -> None:
        doc = {
            "user_id": user_id,
            "to": to,
            "text": text,
            "event_type": event_type,
            "sent_at": datetime.now(UTC),
        }
        self._db.collection("sms_sent").document(message_id).set(doc)
        log.info("sms %s to %s recorded (%s)", message_id, masked(to), event_type)
