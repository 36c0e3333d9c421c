"""USSD sessions on Firestore: ``ussd_sessions`` (TTL on expires_at) and ``ussd_session_ends``."""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from mkopo.adapters.firestore.common import valid_id
from mkopo.service.ussd.sessions import UssdSession, UssdSessionEnd

SESSIONS, ENDS = "ussd_sessions", "ussd_session_ends"


class FirestoreUssdSessions:
    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def _get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        if not valid_id(doc_id):
            return None
        snap = self._db.collection(collection).document(doc_id).get()
        return snap.to_dict() if snap.exists else None

    def get_ussd_session(self, session_id: str) -> UssdSession | None:
        doc = self._get(SESSIONS, session_id)
        return UssdSession.model_validate(doc) if doc else None

    def save_ussd_session(self, session: UssdSession) -> None:
        doc = session.model_dump(mode="json") | {"expires_at": session.expires_at}  # a timestamp: the TTL
        self._db.collection(SESSIONS).document(session.id).set(doc)

    def record_ussd_end(self, end: UssdSessionEnd) -> None:
        self._db.collection(ENDS).document(end.session_id).set(end.model_dump(mode="json"))

    def get_ussd_end(self, session_id: str) -> UssdSessionEnd | None:
        doc = self._get(ENDS, session_id)
        return UssdSessionEnd.model_validate(doc) if doc else None
