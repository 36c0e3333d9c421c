"""Dead-letter records on Firestore: ``dead_letters/{message id}`` (see ``service.dead_letters``)."""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions
from google.cloud import firestore

from mkopo.service.dead_letters import COLLECTION


class FirestoreDeadLetterBook:
    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def add(self, record: dict[str, Any]) -> bool:
        try:
            self._db.collection(COLLECTION).document(record["message_id"]).create(record)
        except exceptions.AlreadyExists:
            return False
        return True

    def get(self, message_id: str) -> dict[str, Any] | None:
        snap = self._db.collection(COLLECTION).document(message_id).get()
        return snap.to_dict() if snap.exists else None

    def list(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        # Filtered on status only (no composite index to deploy) and ordered here: the inbox stays small.
        query: Any = self._db.collection(COLLECTION)
        if status:
            query = query.where(filter=firestore.FieldFilter("status", "==", status))
        found = [s.to_dict() or {} for s in query.limit(limit).stream()]
        return sorted(found, key=lambda r: (str(r.get("recorded_at", "")), r.get("message_id", "")))

    def update(self, message_id: str, fields: dict[str, Any]) -> None:
        self._db.collection(COLLECTION).document(message_id).update(fields)
