"""Accounts: registration, self-service and administration of users (login sessions: ``sessions``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mkopo.domain import phone as phones
from mkopo.domain import text
from mkopo.domain.i18n import Language
from mkopo.service import audit
from mkopo.service.errors import AlreadyExists, NotFound, Unprocessable
from mkopo.service.identity_store import IdentityStore, IdentityTransaction
from mkopo.service.ports import PasswordHasher
from mkopo.service.store import Conflict, Store, Transaction, User


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
    """Create a borrower account."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str = Field(max_length=32, description="Mobile number, international form, e.g. +254712345678")
    password: str = Field(min_length=8, max_length=128)
    full_name: str = Field(min_length=2, max_length=120)
    language: Language | None = Field(
        default=None, description="en, sw or fr: the language of your SMS (default: your market's)"
    )

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        return _phone(value)

    _printable_name = field_validator("full_name")(text.check_name)


class RegisterByPin(BaseModel):
    """Create a borrower account from a feature phone: the network's number, a name and a PIN's hash."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str = Field(max_length=32)
    full_name: str = Field(min_length=2, max_length=40)
    pin_hash: str = Field(min_length=1)
    language: str = Field(pattern="^(en|sw|fr)$")

    _e164 = field_validator("phone")(_phone)
    _printable_name = field_validator("full_name")(text.check_name)


class CreateUser(RegisterUser):
    """An admin creates an account with a role (staff accounts)."""

    role: Role


class UpdateMe(BaseModel):
    """What a user may change about themselves (never role, status or phone)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    full_name: str | None = Field(default=None, min_length=2, max_length=120)
    current_password: str | None = Field(default=None, max_length=128)
    new_password: str | None = Field(default=None, min_length=8, max_length=128)
    language: Language | None = Field(default=None, description="en, sw or fr: the language of your SMS")

    _printable_name = field_validator("full_name")(text.check_optional_name)

    @model_validator(mode="after")
    def _password_pair(self) -> UpdateMe:
        if (self.new_password is None) != (self.current_password is None):
            raise ValueError("send current_password and new_password together")
        if self.full_name is None and self.new_password is None and self.language is None:
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


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "phone": user.phone,
        "full_name": user.full_name,
        "role": user.role,
        "status": user.status,
        "language": user.language,
        "created_at": user.created_at.isoformat(),
    }


# ------------------------------------------------------------------------------------ language
def follow_language(store: Store, user_id: str, language: str, *, most: int = 20) -> int:
    """Carry a borrower's new language onto their applications, where each SMS reads it (no read of the
    user per SMS: a language changes rarely, SMS go out all the time); how many changed."""
    changed = 0
    for app in store.list_applications(user_id, most):
        if app.language == language:
            continue

        def run(tx: Transaction, app_id: str = app.id) -> None:
            fresh = tx.get_application(app_id)
            if fresh is not None and fresh.speak(language):
                tx.save_application(fresh)

        store.transaction(run)
        changed += 1
    return changed


# ------------------------------------------------------------------------------------ registration
def register(
    cmd: RegisterUser,
    *,
    store: Store,
    hasher: PasswordHasher,
    now: datetime,
    role: Role = Role.APPLICANT,
    actor: User | None = None,
    default_language: Language = "en",
) -> str:
    """Create an account (one per phone number); audited with the creator (the user, an admin or system).

    ``default_language`` is the borrower's market's, for a registration that chose none."""
    user = User(
        id=str(uuid.uuid4()),
        phone=cmd.phone,
        full_name=cmd.full_name,
        password_hash=hasher.hash(cmd.password),
        role=role.value,
        created_at=now,
        language=cmd.language or default_language,
    )
    return _create(store, user, now, role, actor)


def register_by_pin(cmd: RegisterByPin, *, store: Store, now: datetime) -> str:
    """A borrower registering from a feature phone (USSD): a PIN (already hashed), no password."""
    user = User(
        id=str(uuid.uuid4()),
        phone=cmd.phone,
        full_name=cmd.full_name,
        password_hash="!",  # noqa: S106 - matches no password: this account logs in with its PIN
        role=Role.APPLICANT.value,
        created_at=now,
        pin_hash=cmd.pin_hash,
        language=cmd.language,
    )
    return _create(store, user, now, Role.APPLICANT, None)


def _create(store: Store, user: User, now: datetime, role: Role, actor: User | None) -> str:
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
        if cmd.language is not None:
            fresh.language, changed["language"] = cmd.language, cmd.language
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
