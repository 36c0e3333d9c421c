"""In-memory identity ports, sharing the InMemoryStore's data (users written by either are seen by both)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from mkopo.service.identity_store import RefreshToken, ThrottleState, TokenFamily
from mkopo.service.store import User
from tests.unit.fakes_store import FakeTransaction, InMemoryStore

T = TypeVar("T")


class FakeIdentityTransaction(FakeTransaction):
    """The IdentityTransaction port: the pipeline's transaction plus accounts and sessions."""

    def get_user(self, user_id: str) -> User | None:
        return self._get("users", user_id)

    def save_user(self, user: User) -> None:
        self._put("users", user.id, user)

    def release_phone(self, phone: str) -> None:
        self.deletes.append(("phones", phone))

    def get_refresh_token(self, token_hash: str) -> RefreshToken | None:
        return self._get("refresh_tokens", token_hash)

    def get_family(self, family_id: str) -> TokenFamily | None:
        return self._get("token_families", family_id)

    def save_refresh_token(self, token: RefreshToken) -> None:
        self._put("refresh_tokens", token.id, token)

    def save_family(self, family: TokenFamily) -> None:
        self._put("token_families", family.id, family)


class FakeIdentityStore:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.throttle: dict[str, ThrottleState] = {}

    def transaction(self, fn: Callable[[FakeIdentityTransaction], T]) -> T:
        return self.store.run_transaction(FakeIdentityTransaction, fn)

    def list_users(self, *, limit: int, after: str | None, role: str | None) -> list[User]:
        users = sorted(self.store.col("users").values(), key=lambda u: u.id)
        chosen = [u for u in users if (after is None or u.id > after) and (role is None or u.role == role)]
        return copy.deepcopy(chosen[:limit])

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
