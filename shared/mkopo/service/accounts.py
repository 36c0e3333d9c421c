"""Registering borrowers and logging them in."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mkopo.domain import phone as phones
from mkopo.service.errors import AlreadyExists, Unauthorized
from mkopo.service.ports import PasswordHasher, TokenIssuer
from mkopo.service.store import Conflict, Store, Transaction, User


class RegisterUser(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str = Field(max_length=32)
    password: str = Field(min_length=8, max_length=128)
    full_name: str = Field(min_length=2, max_length=120)

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        return phones.normalise(value)


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str = Field(max_length=32)
    password: str = Field(max_length=128)


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


def register(cmd: RegisterUser, *, store: Store, hasher: PasswordHasher, now: datetime) -> str:
    """Create a borrower account; one account per phone number."""
    user = User(
        id=str(uuid.uuid4()),
        phone=cmd.phone,
        full_name=cmd.full_name,
        password_hash=hasher.hash(cmd.password),
        created_at=now,
    )

    def create(tx: Transaction) -> None:
        if tx.get_user_id_by_phone(user.phone) is not None:
            raise AlreadyExists("an account with this phone number already exists")
        tx.create_user(user)

    try:
        store.transaction(create)
    except Conflict as exc:
        raise AlreadyExists("an account with this phone number already exists") from exc
    return user.id


_DUMMY_HASH: dict[int, str] = {}


def login(cmd: Login, *, store: Store, hasher: PasswordHasher, tokens: TokenIssuer) -> AccessToken:
    """Exchange phone and password for an access token; never says which part was wrong."""
    try:
        phone = phones.normalise(cmd.phone)
    except phones.InvalidPhone:
        phone = None
    user = store.get_user_by_phone(phone) if phone else None
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which phones have accounts.
        dummy = _DUMMY_HASH.setdefault(0, hasher.hash("not-a-real-password"))
        hasher.verify(dummy, cmd.password)
        raise Unauthorized("invalid phone number or password")
    if not hasher.verify(user.password_hash, cmd.password):
        raise Unauthorized("invalid phone number or password")
    token, ttl = tokens.issue(subject=user.id, role=user.role)
    return AccessToken(access_token=token, expires_in=ttl)
