"""Login sessions: phone and password for tokens, refresh-token rotation with reuse detection, logout."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain import phone as phones
from mkopo.service import audit
from mkopo.service.accounts import UserStatus
from mkopo.service.errors import Unauthorized
from mkopo.service.identity_store import IdentityStore, IdentityTransaction, RefreshToken, TokenFamily
from mkopo.service.login_throttle import Limits, LoginThrottle
from mkopo.service.ports import PasswordHasher, TokenIssuer
from mkopo.service.store import Store, User

INVALID_LOGIN = "invalid phone number or password"
INVALID_REFRESH = "the refresh token is invalid, expired or revoked; log in again"

__all__ = ["Limits", "login", "logout", "refresh"]


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str = Field(max_length=32)
    password: str = Field(max_length=128)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    refresh_token: str = Field(min_length=1, max_length=256)


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class TokenPair(AccessToken):
    refresh_token: str
    refresh_expires_in: int


def new_secret() -> str:
    """A 256-bit random opaque refresh token (URL-safe)."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """SHA-256 of a high-entropy token: stored instead of the token itself."""
    return hashlib.sha256(value.encode()).hexdigest()


_DUMMY_HASH: dict[int, str] = {}


def login(
    cmd: Login,
    *,
    store: Store,
    hasher: PasswordHasher,
    tokens: TokenIssuer,
    identity: IdentityStore,
    now: datetime,
    client_ip: str,
    limits: Limits,
) -> TokenPair:
    """Exchange phone and password for an access and a refresh token; never says which part was wrong."""
    try:
        phone: str | None = phones.normalise(cmd.phone)
    except phones.InvalidPhone:
        phone = None
    throttle = LoginThrottle(identity, limits, phone=phone or cmd.phone.strip(), client_ip=client_ip, now=now)
    throttle.check()
    user = store.get_user_by_phone(phone) if phone else None
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which phones have accounts.
        dummy = _DUMMY_HASH.setdefault(0, hasher.hash("not-a-real-password"))
        hasher.verify(dummy, cmd.password)
    if user is None or not hasher.verify(user.password_hash, cmd.password):
        throttle.failed()
        raise Unauthorized(INVALID_LOGIN)
    if user.status != UserStatus.ACTIVE:
        raise Unauthorized(INVALID_LOGIN)
    throttle.succeeded()
    return _issue_pair(identity, tokens, user, now, limits.refresh_ttl_s)


def _issue_pair(
    identity: IdentityStore, tokens: TokenIssuer, user: User, now: datetime, refresh_ttl_s: int
) -> TokenPair:
    value = new_secret()
    family = TokenFamily(id=str(uuid.uuid4()), user_id=user.id, created_at=now)
    record = RefreshToken(
        id=digest(value),
        family_id=family.id,
        user_id=user.id,
        issued_at=now,
        expires_at=now + timedelta(seconds=refresh_ttl_s),
    )

    def save(tx: IdentityTransaction) -> None:
        tx.save_family(family)
        tx.save_refresh_token(record)

    identity.transaction(save)
    access, ttl = tokens.issue(subject=user.id, role=user.role)
    return TokenPair(
        access_token=access, expires_in=ttl, refresh_token=value, refresh_expires_in=refresh_ttl_s
    )


# ---------------------------------------------------------------------------------------- refresh
def refresh(
    cmd: RefreshRequest, *, identity: IdentityStore, tokens: TokenIssuer, now: datetime, limits: Limits
) -> TokenPair:
    """Rotate: the presented token is spent and a new one (same family) issued. A spent token presented
    again means it was stolen (or replayed): the whole family is revoked, so the thief's copy dies too."""
    value = new_secret()

    def run(tx: IdentityTransaction) -> tuple[str, User | None]:
        current = tx.get_refresh_token(digest(cmd.refresh_token))
        if current is None:
            return "invalid", None
        family = tx.get_family(current.family_id)
        user = tx.get_user(current.user_id)
        if family is None or family.revoked_at is not None:
            return "invalid", None
        if current.used_at is not None:
            tx.save_family(family.model_copy(update={"revoked_at": now, "revoked_reason": "reuse"}))
            tx.add_audit(
                audit.record(
                    actor_id=current.user_id,
                    actor_role=user.role if user else "unknown",
                    action="refresh_token_reuse_detected",
                    entity_type="user",
                    entity_id=current.user_id,
                    at=now,
                    after={"family_revoked": True},
                )
            )
            return "reuse", None
        if current.expires_at <= now:
            return "invalid", None
        if user is None or user.status != UserStatus.ACTIVE:
            tx.save_family(family.model_copy(update={"revoked_at": now, "revoked_reason": "user_inactive"}))
            return "invalid", None
        tx.save_refresh_token(current.model_copy(update={"used_at": now}))
        tx.save_refresh_token(
            RefreshToken(
                id=digest(value),
                family_id=family.id,
                user_id=user.id,
                issued_at=now,
                expires_at=now + timedelta(seconds=limits.refresh_ttl_s),
            )
        )
        return "ok", user

    outcome, user = identity.transaction(run)
    if outcome != "ok" or user is None:
        raise Unauthorized(INVALID_REFRESH)
    access, ttl = tokens.issue(subject=user.id, role=user.role)
    return TokenPair(
        access_token=access, expires_in=ttl, refresh_token=value, refresh_expires_in=limits.refresh_ttl_s
    )


def logout(cmd: RefreshRequest, *, identity: IdentityStore, now: datetime) -> None:
    """Revoke the family of a refresh token (this login session); unknown tokens are ignored silently."""

    def run(tx: IdentityTransaction) -> None:
        current = tx.get_refresh_token(digest(cmd.refresh_token))
        family = tx.get_family(current.family_id) if current else None
        if family is not None and family.revoked_at is None:
            tx.save_family(family.model_copy(update={"revoked_at": now, "revoked_reason": "logout"}))

    identity.transaction(run)
