"""Password hashing (argon2id), signed access tokens (JWT, HS256 pinned, ``kid`` rotation), opaque secrets."""

from __future__ import annotations

import ctypes
import functools
import time
import uuid
from dataclasses import dataclass
from typing import Any

import argon2
import jwt

from mkopo.config import Settings

# OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane) instead of the library's RFC 9106 profile (64 MiB,
# 3 passes, 4 lanes): about 10x less CPU per PIN screen (USSD's p95 < 500 ms) and memory per function
# instance; old hashes still verify, since each carries its own parameters. A 4-digit PIN's real guard is
# the login throttle, not the hash's cost.
ARGON2_PARAMETERS = argon2.Parameters(
    type=argon2.Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=2,
    memory_cost=19_456,
    parallelism=1,
)


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
HASH_MEMORY_RETURNED_ABOVE = 1 << 20


@functools.cache
def _return_hash_memory() -> None:
    """Have glibc give each hash's 19 MiB back when it is freed.

    glibc's mmap threshold is dynamic: after the first such block is freed it rises above 19 MiB, and later
    hashes are carved from the thread's arena and kept there (PINs hashed on five threads at once left the
    USSD function at 212 MB). A fixed threshold stops that; without glibc's ``mallopt`` nothing changes.
    """
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, HASH_MEMORY_RETURNED_ABOVE)


class Argon2Hasher:
    def __init__(self) -> None:
        _return_hash_memory()
        self._hasher = argon2.PasswordHasher.from_parameters(ARGON2_PARAMETERS)

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
    """Short-lived HS256 access tokens with iss, aud, sub, iat, nbf, exp, jti, role and a ``kid`` header.

    The algorithm is pinned (``alg: none`` and every other algorithm are refused), the ``kid`` must name a
    configured key (several are accepted during a rotation; new tokens use the active one).
    """

    ALGORITHM = "HS256"
    LEEWAY_S = 30

    def __init__(
        self,
        *,
        secret: str | None = None,
        issuer: str,
        audience: str,
        ttl_s: int,
        keys: dict[str, str] | None = None,
        active_kid: str | None = None,
    ) -> None:
        if keys is None:
            if secret is None:
                raise ValueError("give a secret or a keyset")
            keys, active_kid = {"k1": secret}, "k1"
        if not active_kid or active_kid not in keys:
            raise ValueError("the active kid must be one of the keys")
        self._keys, self._active = dict(keys), active_kid
        self._issuer, self._audience, self._ttl = issuer, audience, ttl_s

    @classmethod
    def from_settings(cls, settings: Settings) -> JwtTokens:
        active, keys = settings.signing_keys()
        return cls(
            keys=keys,
            active_kid=active,
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
        token = jwt.encode(
            claims, self._keys[self._active], algorithm=self.ALGORITHM, headers={"kid": self._active}
        )
        return token, self._ttl

    def verify(self, token: str) -> Claims:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != self.ALGORITHM:
                raise InvalidToken("algorithm not allowed")
            key = self._keys.get(str(header.get("kid", "")))
            if key is None:
                raise InvalidToken("unknown key id")
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self.LEEWAY_S,
                options={"require": ["exp", "iat", "nbf", "sub", "jti", "aud", "iss", "role"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        return Claims(subject=str(claims["sub"]), role=str(claims["role"]), token_id=str(claims["jti"]))
