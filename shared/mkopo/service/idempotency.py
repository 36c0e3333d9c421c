"""Idempotency-Key handling shared by every write the API accepts: keys, request fingerprints, replays."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel

from mkopo.service.errors import Unprocessable
from mkopo.service.store import IdempotencyRecord


class Accepted(BaseModel):
    """The answer to an idempotent write: stored with its key, replayed for a repeated one."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def record_key(scope: str, user_id: str, key: str) -> str:
    """Keys are per user and per kind of request: one borrower's key never collides with another's."""
    return hashlib.sha256(f"{scope}:{user_id}:{key}".encode()).hexdigest()


def fingerprint(request: dict[str, Any]) -> str:
    """What a repeated key must carry again: the request itself, in canonical form."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def replay(previous: IdempotencyRecord, request_fingerprint: str) -> Accepted:
    """The stored answer to a repeated Idempotency-Key, or 422 if the request body differs."""
    if previous.request_hash != request_fingerprint:
        raise Unprocessable("this Idempotency-Key was already used with a different request body")
    return Accepted(status_code=previous.status_code, body=previous.body, replayed=True)
