"""Users and the phone → user links that keep phones unique, on Firestore (the pipeline's side)."""

from __future__ import annotations

from typing import Any

from mkopo.adapters.firestore.common import PHONES, USERS, StorePart, TxPart, valid_id
from mkopo.service.store import User


def user_doc(user: User) -> dict[str, Any]:
    return user.model_dump(mode="json") | {"created_at": user.created_at}


def user_from(doc: dict[str, Any] | None) -> User | None:
    return User.model_validate(doc) if doc else None


class UsersTx(TxPart):
    def get_user_id_by_phone(self, phone: str) -> str | None:
        doc = self._get(PHONES, phone)
        return str(doc["user_id"]) if doc else None

    def create_user(self, user: User) -> None:
        self._tx.create(self._db.collection(PHONES).document(user.phone), {"user_id": user.id})
        self._tx.create(self._db.collection(USERS).document(user.id), user_doc(user))


class UsersStore(StorePart):
    def get_user(self, user_id: str) -> User | None:
        return user_from(self._get(USERS, user_id) if valid_id(user_id) else None)

    def get_user_by_phone(self, phone: str) -> User | None:
        link = self._get(PHONES, phone) if valid_id(phone) else None
        return self.get_user(str(link["user_id"])) if link else None
