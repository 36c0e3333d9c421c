"""Notifications on Firestore, keyed by the event they tell the borrower about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud import firestore

from mkopo.adapters.firestore.common import NOTIFICATIONS, StorePart
from mkopo.domain.phone import masked
from mkopo.service.store import Notification

SMS_PREFERENCES = "sms_preferences"


def notification_from(doc: dict[str, Any] | None) -> Notification | None:
    return Notification.model_validate(doc) if doc else None


class NotificationsStore(StorePart):
    def get_notification(self, notification_id: str) -> Notification | None:
        return notification_from(self._get(NOTIFICATIONS, notification_id))

    def save_notification(self, notification: Notification) -> None:
        doc = notification.model_dump(mode="json") | {"created_at": notification.created_at}
        self._db.collection(NOTIFICATIONS).document(notification.id).set(doc)

    def list_notifications(self, user_id: str, limit: int) -> list[Notification]:
        query = (
            self._db.collection(NOTIFICATIONS)
            .where(filter=firestore.FieldFilter("user_id", "==", user_id))
            .order_by("created_at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [Notification.model_validate(s.to_dict()) for s in query.stream()]

    def find_notification_by_provider_id(self, provider_message_id: str) -> Notification | None:
        query = (
            self._db.collection(NOTIFICATIONS)
            .where(filter=firestore.FieldFilter("provider_message_id", "==", provider_message_id))
            .limit(1)
        )
        return next((Notification.model_validate(s.to_dict()) for s in query.stream()), None)

    def sms_opted_out(self, phone: str) -> bool:
        doc = self._get(SMS_PREFERENCES, phone)
        return bool(doc and doc.get("opted_out"))

    def set_sms_opt_out(self, phone: str, opted_out: bool, at: datetime) -> None:
        doc = {"opted_out": opted_out, "updated_at": at, "masked": masked(phone)}
        self._db.collection(SMS_PREFERENCES).document(phone).set(doc)
