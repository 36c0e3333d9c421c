"""Firestore adapter of the identity port.

Throttling is designed for contention: one small document per phone (hashed) and one per client address
and time window, updated with ``Increment`` (no transaction, no global hot document).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from google.cloud import firestore

from mkopo.adapters.firestore import PHONES, USERS, FirestoreStore, FirestoreTransaction
from mkopo.service.identity_store import RefreshToken, ThrottleState, TokenFamily
from mkopo.service.store import User

T = TypeVar("T")
REFRESH_TOKENS, TOKEN_FAMILIES, THROTTLE = "refresh_tokens", "token_families", "login_throttle"


def _user_doc(user: User) -> dict[str, Any]:
    return user.model_dump(mode="json") | {"created_at": user.created_at}


def _valid_id(doc_id: str) -> bool:
    return bool(doc_id) and "/" not in doc_id and len(doc_id) <= 200


class FirestoreIdentityTransaction(FirestoreTransaction):
    def get_user(self, user_id: str) -> User | None:
        doc = self._get(USERS, user_id) if _valid_id(user_id) else None
        return User.model_validate(doc) if doc else None

    def get_refresh_token(self, token_hash: str) -> RefreshToken | None:
        doc = self._get(REFRESH_TOKENS, token_hash)
        return RefreshToken.model_validate(doc) if doc else None

    def get_family(self, family_id: str) -> TokenFamily | None:
        doc = self._get(TOKEN_FAMILIES, family_id)
        return TokenFamily.model_validate(doc) if doc else None

    def save_user(self, user: User) -> None:
        self._tx.set(self._db.collection(USERS).document(user.id), _user_doc(user))

    def release_phone(self, phone: str) -> None:
        self._tx.delete(self._db.collection(PHONES).document(phone))

    def save_refresh_token(self, token: RefreshToken) -> None:
        doc = token.model_dump(mode="json") | {"expires_at": token.expires_at}
        self._tx.set(self._db.collection(REFRESH_TOKENS).document(token.id), doc)

    def save_family(self, family: TokenFamily) -> None:
        self._tx.set(self._db.collection(TOKEN_FAMILIES).document(family.id), family.model_dump(mode="json"))


class FirestoreIdentityStore:
    def __init__(self, client: firestore.Client, store: FirestoreStore) -> None:
        self._db, self._store = client, store

    def transaction(self, fn: Callable[[FirestoreIdentityTransaction], T]) -> T:
        def run(tx: FirestoreTransaction) -> T:
            return fn(FirestoreIdentityTransaction(tx._db, tx._tx))

        return self._store.transaction(run)

    def list_users(self, *, limit: int, after: str | None, role: str | None) -> list[User]:
        query: Any = self._db.collection(USERS)
        if role:
            query = query.where(filter=firestore.FieldFilter("role", "==", role))
        query = query.order_by("id")
        if after:
            query = query.start_after({"id": after})
        return [User.model_validate(s.to_dict()) for s in query.limit(limit).stream()]

    def _throttle(self, key: str) -> Any:
        return self._db.collection(THROTTLE).document(key)

    def throttle_state(self, key: str) -> ThrottleState:
        snap = self._throttle(key).get()
        return ThrottleState.model_validate(snap.to_dict()) if snap.exists else ThrottleState()

    def add_failure(self, key: str, *, expires_at: datetime) -> int:
        ref = self._throttle(key)
        ref.set({"failures": firestore.Increment(1), "expires_at": expires_at}, merge=True)
        return int((ref.get().to_dict() or {}).get("failures", 1))

    def lock(self, key: str, until: datetime) -> None:
        self._throttle(key).set({"failures": 0, "locked_until": until, "expires_at": until}, merge=True)

    def clear(self, key: str) -> None:
        self._throttle(key).delete()
