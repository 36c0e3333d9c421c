"""Settings of the access layer (tokens, throttling, CORS, review band), read from ``MKOPO_*`` variables.

Kept apart from ``mkopo.config`` so the API hardening can evolve without touching the pipeline settings.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from mkopo.config import Settings, get_settings

LOCAL_DEV_KID = "local-dev"
LOCAL_DEV_KEY = "mkopo-local-development-key-not-for-production-use"


class AccessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MKOPO_", extra="ignore")

    # Signing keys. JSON ``{"active": "<kid>", "keys": {"<kid>": "<secret>", ...}}`` from a file
    # (MKOPO_JWT_KEYS_FILE), a variable (MKOPO_JWT_KEYS) or, in the cloud, the Secret Manager secret
    # ``jwt-signing-key`` exposed as MKOPO_JWT_SECRET (a keyset JSON or one plain secret, kid "k1").
    jwt_keys: SecretStr | None = None
    jwt_keys_file: Path | None = None
    refresh_token_ttl_s: int = Field(default=30 * 86_400, ge=300)

    # Login throttling: per phone (lockout) and per client address (fixed windows).
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_s: int = Field(default=900, ge=1)
    login_ip_max_failures: int = Field(default=60, ge=1)
    login_ip_window_s: int = Field(default=300, ge=1)

    # Browsers allowed to call the API (comma-separated origins); empty: no cross-origin access.
    cors_allowed_origins: str = ""

    # Scores in [review_min_score, approve_min_score) go to an officer instead of being rejected.
    review_min_score: int = 560

    max_body_bytes: int = Field(default=16 * 1024, ge=1024)

    def allowed_origins(self) -> frozenset[str]:
        return frozenset(o.strip().rstrip("/") for o in self.cors_allowed_origins.split(",") if o.strip())


class KeyConfigError(RuntimeError):
    """No usable signing key (a missing key in the cloud, or a malformed keyset)."""


def parse_keyset(raw: str) -> tuple[str, dict[str, str]]:
    """(active kid, {kid: secret}) from a keyset JSON or one plain secret (kid ``k1``)."""
    text = raw.strip()
    if not text.startswith("{"):
        if len(text) < 32:
            raise KeyConfigError("a JWT signing secret must be at least 32 characters")
        return "k1", {"k1": text}
    try:
        data = json.loads(text)
        keys = {str(k): str(v) for k, v in dict(data["keys"]).items()}
        active = str(data["active"])
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyConfigError('keyset must be {"active": kid, "keys": {kid: secret}}') from exc
    if active not in keys:
        raise KeyConfigError(f"the active kid {active!r} is not among the keys")
    if any(len(v) < 32 for v in keys.values()):
        raise KeyConfigError("every JWT signing secret must be at least 32 characters")
    return active, keys


def signing_keys(settings: Settings, access: AccessSettings) -> tuple[str, dict[str, str]]:
    """The active kid and every verification key; a development key only when running locally."""
    if access.jwt_keys_file is not None:
        return parse_keyset(access.jwt_keys_file.read_text())
    if access.jwt_keys is not None:
        return parse_keyset(access.jwt_keys.get_secret_value())
    if settings.jwt_secret is not None:
        return parse_keyset(settings.jwt_secret.get_secret_value())
    if settings.environment == "cloud":
        raise KeyConfigError("no JWT signing key configured (Secret Manager secret jwt-signing-key)")
    return LOCAL_DEV_KID, {LOCAL_DEV_KID: LOCAL_DEV_KEY}


@lru_cache(maxsize=1)
def get_access_settings() -> AccessSettings:
    return AccessSettings()


def current_keys() -> tuple[str, dict[str, str]]:
    return signing_keys(get_settings(), get_access_settings())
