"""In-memory identity port, sharing the InMemoryStore's data (users written by either are seen by both)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from mkopo.service.identity_store import RefreshToken, ThrottleState, TokenFamily
from mkopo.service.store import User
from tests.unit.fakes import FakeTransaction, InMemoryStore

T = TypeVar("T")


class FakeIdentityTransaction:
    def __init__(self, tx: FakeTransaction, deletes: list[tuple[str, str]]) -> None:
        self._tx, self._deletes = tx, deletes

    def __getattr__(self, name: str) -> Any:  # create_user, get_user_id_by_phone, add_audit
        return getattr(self._tx, name)

    def get_user(self, user_id: str) -> User | None:
        return self._tx._get("users", user_id)

    def get_refresh_token(self, token_hash: str) -> RefreshToken | None:
        return self._tx._get("refresh_tokens", token_hash)

    def get_family(self, family_id: str) -> TokenFamily | None:
        return self._tx._get("token_families", family_id)

    def save_user(self, user: User) -> None:
        self._tx.writes.append(("users", user.id, user, False))

    def release_phone(self, phone: str) -> None:
        self._deletes.append(("phones", phone))

    def save_refresh_token(self, token: RefreshToken) -> None:
        self._tx.writes.append(("refresh_tokens", token.id, token, False))

    def save_family(self, family: TokenFamily) -> None:
        self._tx.writes.append(("token_families", family.id, family, False))


class FakeIdentityStore:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.throttle: dict[str, ThrottleState] = {}

    def transaction(self, fn: Callable[[FakeIdentityTransaction], T]) -> T:
        deletes: list[tuple[str, str]] = []
        result = self.store.transaction(lambda tx: fn(FakeIdentityTransaction(tx, deletes)))
        for collection, key in deletes:
            self.store.col(collection).pop(key, None)
        return result

    def list_users(self, *, limit: int, after: str | None, role: str | None) -> list[User]:
        users = sorted(self.store.col("users").values(), key=lambda u: u.id)
        return [u for u in users if (after is None or u.id > after) and (role is None or u.role == role)][
            :limit
        ]

    def throttle_state(self, key: str) -> ThrottleState:
        return copy.deepcopy(self.throttle.get(key, ThrottleState()))

    def add_failure(self, key: str, *, expires_at: datetime) -> int:
        state = self.throttle.setdefault(key, ThrottleState())
        state.failures += 1
        return state.failures

    def lock(self, key: str, until: datetime) -> None:
        self.throttle[key] = ThrottleState(failures=0, locked_until=until)

    def clear(self, key: str) -> None:
        self.throttle.pop(key, None)
