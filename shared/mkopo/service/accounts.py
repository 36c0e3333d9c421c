"""Accounts: registration, login (throttled) with rotating refresh tokens, self-service and administration."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mkopo.domain import phone as phones
from mkopo.service import audit
from mkopo.service.errors import AlreadyExists, NotFound, TooManyRequests, Unauthorized, Unprocessable
from mkopo.service.identity_store import IdentityStore, IdentityTransaction, RefreshToken, TokenFamily
from mkopo.service.ports import PasswordHasher, TokenIssuer
from mkopo.service.store import Conflict, Store, Transaction, User

INVALID_LOGIN = "invalid phone number or password"
INVALID_REFRESH = "the refresh token is invalid, expired or revoked; log in again"


class Role(StrEnum):
    APPLICANT = "applicant"
    OFFICER = "officer"
    ADMIN = "admin"


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    DELETED = "deleted"


STAFF = frozenset({Role.OFFICER.value, Role.ADMIN.value})


def _phone(value: str) -> str:
    return phones.normalise(value)


class RegisterUser(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str = Field(max_length=32, description="Mobile number, international form, e.g. +254712345678")
    password: str = Field(min_length=8, max_length=128)
    full_name: str = Field(min_length=2, max_length=120)

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        return _phone(value)


class CreateUser(RegisterUser):
    """An admin creates an account with a role (staff accounts)."""

    role: Role


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str = Field(max_length=32)
    password: str = Field(max_length=128)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    refresh_token: str = Field(min_length=1, max_length=256)


class UpdateMe(BaseModel):
    """What a user may change about themselves (never role, status or phone)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    full_name: str | None = Field(default=None, min_length=2, max_length=120)
    current_password: str | None = Field(default=None, max_length=128)
    new_password: str | None = Field(default=None, min_length=8, max_length=128)

    @model_validator(mode="after")
    def _password_pair(self) -> UpdateMe:
        if (self.new_password is None) != (self.current_password is None):
            raise ValueError("send current_password and new_password together")
        if self.full_name is None and self.new_password is None:
            raise ValueError("nothing to change")
        return self


class AdminUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    status: UserStatus | None = Field(default=None, description="active or disabled (delete to anonymise)")

    @model_validator(mode="after")
    def _something(self) -> AdminUpdate:
        if self.role is None and self.status is None:
            raise ValueError("nothing to change")
        if self.status == UserStatus.DELETED:
            raise ValueError("use DELETE /v1/users/{id} to delete an account")
        return self


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class TokenPair(AccessToken):
    refresh_token: str
    refresh_expires_in: int


@dataclass(frozen=True)
class Limits:
    max_failures: int = 5
    lockout_s: int = 900
    ip_max_failures: int = 60
    ip_window_s: int = 300
    refresh_ttl_s: int = 30 * 86_400


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "phone": user.phone,
        "full_name": user.full_name,
        "role": user.role,
        "status": user.status,
        "created_at": user.created_at.isoformat(),
    }


# ------------------------------------------------------------------------------------ registration
def register(
    cmd: RegisterUser,
    *,
    store: Store,
    hasher: PasswordHasher,
    now: datetime,
    role: Role = Role.APPLICANT,
    actor: User | None = None,
) -> str:
    """Create an account (one per phone number); audited with the creator (the user, an admin or system)."""
    user = User(
        id=str(uuid.uuid4()),
        phone=cmd.phone,
        full_name=cmd.full_name,
        password_hash=hasher.hash(cmd.password),
        role=role.value,
        created_at=now,
    )

    def create(tx: Transaction) -> None:
        if tx.get_user_id_by_phone(user.phone) is not None:
            raise AlreadyExists("an account with this phone number already exists")
        tx.create_user(user)
        # The creator: an admin, the applicant themselves, or the bootstrap command (system).
        by = actor or (user if role == Role.APPLICANT else None)
        tx.add_audit(
            audit.record(
                actor_id=by.id if by else audit.SYSTEM,
                actor_role=by.role if by else audit.SYSTEM,
                action="user_created",
                entity_type="user",
                entity_id=user.id,
                at=now,
                after=audit.user_snapshot(user),
            )
        )

    try:
        store.transaction(create)
    except Conflict as exc:
        raise AlreadyExists("an account with this phone number already exists") from exc
    return user.id


# ------------------------------------------------------------------------------------------ login
def new_secret() -> str:
    """A 256-bit random opaque refresh token (URL-safe)."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """SHA-256 of a high-entropy token: stored instead of the token itself."""
    return hashlib.sha256(value.encode()).hexdigest()


_DUMMY_HASH: dict[int, str] = {}


def _key(kind: str, value: str) -> str:
    return f"{kind}-" + hashlib.sha256(value.encode()).hexdigest()[:40]


def _ip_window(client_ip: str, now: datetime, window_s: int) -> tuple[str, datetime]:
    index = int(now.timestamp()) // window_s
    return _key("ip", f"{client_ip}/{index}"), datetime.fromtimestamp((index + 1) * window_s, tz=now.tzinfo)


def login(
    cmd: Login,
    *,
    store: Store,
    hasher: PasswordHasher,
    tokens: TokenIssuer,
    identity: IdentityStore | None = None,
    now: datetime | None = None,
    client_ip: str = "unknown",
    limits: Limits | None = None,
) -> AccessToken:
    """Exchange phone and password for tokens; never says which part was wrong.

    With an identity store: throttled per phone (a lockout after ``max_failures`` failures, reported with
    the time it ends) and per client address (failures per fixed window), and a refresh token is issued.
    """
    try:
        phone: str | None = phones.normalise(cmd.phone)
    except phones.InvalidPhone:
        phone = None
    lim = limits or Limits()
    phone_key = _key("phone", phone or cmd.phone.strip())
    ip_key, window_end = _ip_window(client_ip, now, lim.ip_window_s) if now else ("", None)
    if identity is not None and now is not None and window_end is not None:
        state = identity.throttle_state(phone_key)
        if state.locked_until is not None and state.locked_until > now:
            raise _locked(state.locked_until, now)
        if identity.throttle_state(ip_key).failures >= lim.ip_max_failures:
            raise TooManyRequests(
                "too many failed logins from your network; try again later",
                retry_after_s=int((window_end - now).total_seconds()) + 1,
            )
    user = store.get_user_by_phone(phone) if phone else None
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which phones have accounts.
        dummy = _DUMMY_HASH.setdefault(0, hasher.hash("not-a-real-password"))
        hasher.verify(dummy, cmd.password)
        ok = False
    else:
        ok = hasher.verify(user.password_hash, cmd.password)
    if not ok or user is None:
        if identity is not None and now is not None and window_end is not None:
            failures = identity.add_failure(phone_key, expires_at=now + timedelta(seconds=lim.lockout_s))
            identity.add_failure(ip_key, expires_at=window_end)
            if failures >= lim.max_failures:
                until = now + timedelta(seconds=lim.lockout_s)
                identity.lock(phone_key, until)
                raise _locked(until, now)
        raise Unauthorized(INVALID_LOGIN)
    if user.status != UserStatus.ACTIVE:
        raise Unauthorized(INVALID_LOGIN)
    if identity is None or now is None:
        token, ttl = tokens.issue(subject=user.id, role=user.role)
        return AccessToken(access_token=token, expires_in=ttl)
    if identity.throttle_state(phone_key).failures:
        identity.clear(phone_key)
    return _issue_pair(identity, tokens, user, now, lim.refresh_ttl_s)


def _locked(until: datetime, now: datetime) -> TooManyRequests:
    return TooManyRequests(
        f"too many failed attempts: this account is locked until {until.isoformat(timespec='seconds')}",
        retry_after_s=int((until - now).total_seconds()) + 1,
        locked_until=until.isoformat(timespec="seconds"),
    )


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


# ---------------------------------------------------------------------------------- self-service
def update_me(
    user: User, cmd: UpdateMe, *, identity: IdentityStore, hasher: PasswordHasher, now: datetime
) -> dict[str, Any]:
    if cmd.current_password is not None and not hasher.verify(user.password_hash, cmd.current_password):
        raise Unprocessable(
            "current_password is not correct",
            errors=[{"field": "current_password", "message": "not your current password"}],
        )
    new_hash = hasher.hash(cmd.new_password) if cmd.new_password else None

    def run(tx: IdentityTransaction) -> User:
        fresh = tx.get_user(user.id)
        if fresh is None:
            raise NotFound("user not found")
        changed = {}
        if cmd.full_name is not None:
            fresh.full_name, changed["full_name"] = cmd.full_name, "changed"
        if new_hash is not None:
            fresh.password_hash, changed["password"] = new_hash, "changed"
        tx.save_user(fresh)
        tx.add_audit(
            audit.record(
                actor_id=user.id,
                actor_role=user.role,
                action="user_updated_self",
                entity_type="user",
                entity_id=user.id,
                at=now,
                after=changed,
            )
        )
        return fresh

    return user_view(identity.transaction(run))


# -------------------------------------------------------------------------------- administration
def list_users(
    identity: IdentityStore, *, limit: int, cursor: str | None, role: Role | None
) -> dict[str, Any]:
    users = identity.list_users(limit=limit + 1, after=cursor, role=role.value if role else None)
    page, more = users[:limit], len(users) > limit
    return {"users": [user_view(u) for u in page], "next_cursor": page[-1].id if more and page else None}


def get_user(store: Store, user_id: str) -> dict[str, Any]:
    user = store.get_user(user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user_view(user)


def admin_update(
    admin: User, user_id: str, cmd: AdminUpdate, *, identity: IdentityStore, now: datetime
) -> dict[str, Any]:
    if user_id == admin.id:
        raise Unprocessable("you cannot change your own role or status; ask another admin")

    def run(tx: IdentityTransaction) -> User:
        user = tx.get_user(user_id)
        if user is None or user.status == UserStatus.DELETED:
            raise NotFound(f"user {user_id} not found")
        before = audit.user_snapshot(user)
        if cmd.role is not None:
            user.role = cmd.role.value
        if cmd.status is not None:
            user.status = cmd.status.value
        tx.save_user(user)
        tx.add_audit(
            audit.record(
                actor_id=admin.id,
                actor_role=admin.role,
                action="user_updated",
                entity_type="user",
                entity_id=user.id,
                at=now,
                before=before,
                after=audit.user_snapshot(user),
            )
        )
        return user

    return user_view(identity.transaction(run))


def delete_user(admin: User, user_id: str, *, identity: IdentityStore, now: datetime) -> None:
    """Anonymise the account (name, phone, password) and free the phone number; loans and the ledger stay,
    keyed by the pseudonymous user id, as the retention rules for credit records require."""
    if user_id == admin.id:
        raise Unprocessable("you cannot delete your own account; ask another admin")

    def run(tx: IdentityTransaction) -> None:
        user = tx.get_user(user_id)
        if user is None or user.status == UserStatus.DELETED:
            raise NotFound(f"user {user_id} not found")
        before = audit.user_snapshot(user)
        phone = user.phone
        user.full_name = "deleted user"
        user.phone = f"deleted:{user.id}"
        user.password_hash = "!"  # noqa: S105 - matches no password
        user.status = UserStatus.DELETED.value
        tx.release_phone(phone)
        tx.save_user(user)
        tx.add_audit(
            audit.record(
                actor_id=admin.id,
                actor_role=admin.role,
                action="user_deleted",
                entity_type="user",
                entity_id=user.id,
                at=now,
                before=before,
                after={"status": user.status, "anonymised": True},
            )
        )

    identity.transaction(run)


def create_admin(cmd: RegisterUser, *, store: Store, hasher: PasswordHasher, now: datetime) -> str:
    """The bootstrap path for the first admin (``python -m mkopo.cli create-admin``), actor ``system``."""
    return register(cmd, store=store, hasher=hasher, now=now, role=Role.ADMIN)
