"""A test and inspection SMS channel: records what would be sent in Firestore instead of sending it.

The local default is the Africa's Talking adapter (``mkopo.adapters.africastalking``) against the local
sandbox; this one is chosen with ``MKOPO_SMS_CHANNEL=recording``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from google.cloud import firestore

from mkopo.domain.phone import masked
from mkopo.service.ports import SmsReceipt

log = logging.getLogger(__name__)


class RecordingSmsChannel:
    """Writes each message to ``sms_sent/{message_id}``: idempotent and inspectable."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def send(self, *, message_id: str, user_id: str, to: str, text: str, event_type: str) -> SmsReceipt:
        doc = {
            "user_id": user_id,
            "to": to,
            "text": text,
            "event_type": event_type,
            "sent_at": datetime.now(UTC),
        }
        self._db.collection("sms_sent").document(message_id).set(doc)
        log.info("sms %s to %s recorded (%s)", message_id, masked(to), event_type)
        return SmsReceipt(provider_message_id=f"recorded-{message_id}")
