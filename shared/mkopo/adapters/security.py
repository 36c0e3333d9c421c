"""Password hashing (argon2id) and signed access tokens (JWT)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import argon2
import jwt

from mkopo.config import Settings


class Argon2Hasher:
    def __init__(self) -> None:
        self._hasher = argon2.PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class Claims:
    subject: str
    role: str
    token_id: str


class JwtTokens:
    """HS256 access tokens with issuer, audience, expiry and a unique id; the algorithm is pinned."""

    ALGORITHM = "HS256"
    LEEWAY_S = 30

    def __init__(self, *, secret: str, issuer: str, audience: str, ttl_s: int) -> None:
        self._secret, self._issuer, self._audience, self._ttl = secret, issuer, audience, ttl_s

    @classmethod
    def from_settings(cls, settings: Settings) -> JwtTokens:
        return cls(
            secret=settings.signing_secret(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_s=settings.access_token_ttl_s,
        )

    def issue(self, *, subject: str, role: str) -> tuple[str, int]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + self._ttl,
            "jti": str(uuid.uuid4()),
            "role": role,
        }
        return jwt.encode(claims, self._secret, algorithm=self.ALGORITHM), self._ttl

    def verify(self, token: str) -> Claims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self.ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self.LEEWAY_S,
                options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        return Claims(
            subject=str(claims["sub"]), role=str(claims.get("role", "applicant")), token_id=str(claims["jti"])
        )
