"""Notifications on Firestore, keyed by the event they tell the borrower about."""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from mkopo.adapters.firestore.common import NOTIFICATIONS, StorePart
from mkopo.service.store import Notification


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
