"""The identity persistence port: users (staff work), refresh-token families and login throttling.

Kept apart from ``mkopo.service.store`` (the loan pipeline's port); both share one database, and a user
change is written in the same transaction as its audit record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from pydantic import BaseModel

from mkopo.service.store import AuditRecord, User

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


class IdentityTransaction(Protocol):
    """Reads first, then writes (the Firestore rule); applied only if the whole function succeeds."""

    def get_user(self, user_id: str) -> User | None: ...
    def get_user_id_by_phone(self, phone: str) -> str | None: ...
    def get_refresh_token(self, token_hash: str) -> RefreshToken | None: ...
    def get_family(self, family_id: str) -> TokenFamily | None: ...

    def create_user(self, user: User) -> None: ...
    def save_user(self, user: User) -> None: ...
    def release_phone(self, phone: str) -> None:
        """Delete the phone → user link (after an account is anonymised the number may register again)."""
        ...

    def save_refresh_token(self, token: RefreshToken) -> None: ...
    def save_family(self, family: TokenFamily) -> None: ...
    def add_audit(self, record: AuditRecord) -> None: ...


class IdentityStore(Protocol):
    def transaction(self, fn: Callable[[IdentityTransaction], T]) -> T: ...

    def list_users(self, *, limit: int, after: str | None, role: str | None) -> list[User]:
        """Users ordered by id (opaque, random), starting after the cursor ``after``."""
        ...

    def throttle_state(self, key: str) -> ThrottleState: ...
    def add_failure(self, key: str, *, expires_at: datetime) -> int:
        """Count one failure atomically (no read-modify-write); returns the count after it."""
        ...

    def lock(self, key: str, until: datetime) -> None:
        """Lock the key until a time and start counting failures afresh."""
        ...

    def clear(self, key: str) -> None: ...
