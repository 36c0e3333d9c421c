"""Firestore adapter of the identity ports: user accounts, refresh-token families, login throttling.

Throttling is designed for contention: one small document per phone (hashed) and one per client address
and time window, updated with ``Increment`` (no transaction, no global hot document).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from google.cloud import firestore

from mkopo.adapters.firestore.common import (
    PHONES,
    REFRESH_TOKENS,
    THROTTLE,
    TOKEN_FAMILIES,
    USERS,
    StorePart,
    TxPart,
    valid_id,
)
from mkopo.adapters.firestore.store import FirestoreStore, FirestoreTransaction, run_transaction
from mkopo.adapters.firestore.users import user_doc, user_from
from mkopo.service.identity_store import RefreshToken, ThrottleState, TokenFamily
from mkopo.service.store import User

T = TypeVar("T")


class AccountsTx(TxPart):
    def get_user(self, user_id: str) -> User | None:
        return user_from(self._get(USERS, user_id) if valid_id(user_id) else None)

    def save_user(self, user: User) -> None:
        self._tx.set(self._db.collection(USERS).document(user.id), user_doc(user))

    def release_phone(self, phone: str) -> None:
        self._tx.delete(self._db.collection(PHONES).document(phone))


class SessionsTx(TxPart):
    def get_refresh_token(self, token_hash: str) -> RefreshToken | None:
        doc = self._get(REFRESH_TOKENS, token_hash)
        return RefreshToken.model_validate(doc) if doc else None

    def get_family(self, family_id: str) -> TokenFamily | None:
        doc = self._get(TOKEN_FAMILIES, family_id)
        return TokenFamily.model_validate(doc) if doc else None

    def save_refresh_token(self, token: RefreshToken) -> None:
        doc = token.model_dump(mode="json") | {"expires_at": token.expires_at}  # a timestamp, for the TTL
        self._tx.set(self._db.collection(REFRESH_TOKENS).document(token.id), doc)

    def save_family(self, family: TokenFamily) -> None:
        self._tx.set(self._db.collection(TOKEN_FAMILIES).document(family.id), family.model_dump(mode="json"))


class FirestoreIdentityTransaction(AccountsTx, SessionsTx, FirestoreTransaction):
    """The IdentityTransaction port (and the pipeline's, so a user change and its audit go together)."""


class UserDirectoryStore(StorePart):
    def list_users(self, *, limit: int, after: str | None, role: str | None) -> list[User]:
        query: Any = self._db.collection(USERS)
        if role:
            query = query.where(filter=firestore.FieldFilter("role", "==", role))
        query = query.order_by("id")
        if after:
            query = query.start_after({"id": after})
        return [User.model_validate(s.to_dict()) for s in query.limit(limit).stream()]


class LoginThrottleStore(StorePart):
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


class FirestoreIdentityStore(UserDirectoryStore, LoginThrottleStore):
    """The IdentityStore port on the same database as the FirestoreStore."""

    def __init__(self, client: firestore.Client, store: FirestoreStore | None = None) -> None:
        """``store`` is not needed (both share the client); accepted for the callers that pass it."""
        self._db = client

    def transaction(self, fn: Callable[[FirestoreIdentityTransaction], T]) -> T:
        return run_transaction(self._db, lambda tx: fn(FirestoreIdentityTransaction(self._db, tx)))
