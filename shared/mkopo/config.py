"""Typed settings, read from the environment (prefix ``MKOPO_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MKOPO_", extra="ignore")

    environment: Literal["local", "cloud"] = "local"
    project_id: str = "mkopo-local"

    # Auth
    jwt_secret: SecretStr | None = None
    jwt_issuer: str = "mkopo"
    jwt_audience: str = "mkopo-api"
    access_token_ttl_s: int = Field(default=900, ge=60, le=86_400)

    # Offers and decisions
    offer_ttl_s: int = Field(default=900, ge=60)
    approve_min_score: int = 600
    max_exposure_minor: int = Field(default=10_000_000, ge=0)

    # Mobile money (MTN MoMo disbursement API shape)
    momo_base_url: str = "http://127.0.0.1:8090"
    momo_api_user: str = "mkopo-local"
    momo_api_key: SecretStr = SecretStr("local-sandbox-key")
    momo_subscription_key: SecretStr = SecretStr("local-sandbox-subscription")
    momo_target_environment: str = "sandbox"
    payout_poll_timeout_s: float = 5.0

    # M-Pesa Daraja (Kenya): B2C payouts and STK Push collections
    mpesa_base_url: str = "http://127.0.0.1:8091"
    mpesa_consumer_key: str = "mkopo-local"
    mpesa_consumer_secret: SecretStr = SecretStr("local-sandbox-secret")
    mpesa_shortcode: str = "600999"
    mpesa_initiator_name: str = "mkopo-api"
    mpesa_security_credential: SecretStr = SecretStr("local-sandbox-credential")
    mpesa_passkey: SecretStr = SecretStr("local-sandbox-passkey")

    # Provider callbacks reach us at public_base_url/v1/callbacks/... with a per-request token.
    public_base_url: str = "http://127.0.0.1:8000"
    callback_signing_key: SecretStr = SecretStr("local-callback-signing-key")
    callback_allowed_networks: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    # Payouts and collections still pending after this long are asked about by reconciliation.
    reconcile_after_s: int = Field(default=5, ge=0)
    repayment_reminder_days: int = Field(default=3, ge=0)

    # Analytics
    bigquery_endpoint: str | None = None
    bigquery_dataset: str = "mkopo"
    bigquery_events_table: str = "events"
    # Exporters keep pulling this long after the scheduler calls them (the cloud: 50 s of a 1-minute
    # schedule); 0 drains what is waiting and returns (the local timer calls every few seconds).
    export_linger_s: float = Field(default=0.0, ge=0, le=50)

    # Outbox relay: events older than this and still unsent are republished.
    outbox_relay_after_s: int = 10

    def signing_secret(self) -> str:
        """The JWT signing secret; only the functions that sign or verify tokens are given one.

        Locally a fixed development secret stands in; in the cloud a missing secret is an error.
        """
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        if self.environment == "cloud":
            raise RuntimeError("MKOPO_JWT_SECRET is not set (Secret Manager: jwt-signing-key)")
        return "mkopo-local-development-secret-not-for-production"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
