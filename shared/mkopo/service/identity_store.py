"""The identity persistence ports: user accounts (staff work), refresh-token families and login throttling.

Kept apart from ``mkopo.service.store`` (the loan pipeline's ports); both share one database, and a user
change is written in the same transaction as its audit record. ``IdentityTransaction`` and
``IdentityStore`` at the bottom are the union of the small ports.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from pydantic import BaseModel

from mkopo.service.store import AuditWrites, Transactional, User, UserWrites

T = TypeVar("T")


class RefreshToken(BaseModel):
    """One refresh token, stored under the SHA-256 of its value (the value itself is never stored)."""

    id: str
    family_id: str
    user_id: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class TokenFamily(BaseModel):
    """Every refresh token descended from one login; revoking the family ends them all."""

    id: str
    user_id: str
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None


class ThrottleState(BaseModel):
    failures: int = 0
    locked_until: datetime | None = None


class AccountWrites(Protocol):
    """A user's account, changed by its owner or an admin."""

    def get_user(self, user_id: str) -> User | None: ...
    def save_user(self, user: User) -> None: ...
    def release_phone(self, phone: str) -> None:
        """Delete the phone → user link (after an account is anonymised the number may register again)."""
        ...


class SessionWrites(Protocol):
    """Refresh tokens and their families (one family per login)."""

    def get_refresh_token(self, token_hash: str) -> RefreshToken | None: ...
    def get_family(self, family_id: str) -> TokenFamily | None: ...
    def save_refresh_token(self, token: RefreshToken) -> None: ...
    def save_family(self, family: TokenFamily) -> None: ...


class UserDirectory(Protocol):
    def list_users(self, *, limit: int, after: str | None, role: str | None) -> list[User]:
        """Users ordered by id (opaque, random), starting after the cursor ``after``."""
        ...


class LoginThrottle(Protocol):
    """Failure counters and locks per key (a phone, a client address and window); no transaction."""

    def throttle_state(self, key: str) -> ThrottleState: ...
    def add_failure(self, key: str, *, expires_at: datetime) -> int:
        """Count one failure atomically (no read-modify-write); returns the count after it."""
        ...

    def lock(self, key: str, until: datetime) -> None:
        """Lock the key until a time and start counting failures afresh."""
        ...

    def clear(self, key: str) -> None: ...


# --- The composite: the union of the ports above (the only place it is spelled out) --------------------


class IdentityTransaction(AccountWrites, UserWrites, SessionWrites, AuditWrites, Protocol):
    """Reads first, then writes (the Firestore rule); applied only if the whole function succeeds."""


class IdentityStore(Transactional[IdentityTransaction], UserDirectory, LoginThrottle, Protocol):
    def transaction(self, fn: Callable[[IdentityTransaction], T]) -> T: ...
