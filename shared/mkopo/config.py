"""Typed settings, read from the environment (prefix ``MKOPO_``): the one home of every tunable rule.

Locally every secret has a development default that the sandboxes accept. With ``MKOPO_ENVIRONMENT=cloud``
none of them is ever used: a secret set to its local default refuses to load, and a secret the function was
not given raises ``SecretNotConfigured`` (naming the variable) as soon as anything reads it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mkopo.domain.bureau import BureauRules
from mkopo.domain.credit import CreditTerms, LimitLadder
from mkopo.domain.i18n import Language
from mkopo.domain.provisioning import ProvisionRates

if TYPE_CHECKING:
    from mkopo.domain.charges import ChargeRules
    from mkopo.domain.policy import DecisionPolicy

# The one local development JWT key (never accepted in the cloud).
LOCAL_DEV_KID = "local-dev"
LOCAL_DEV_KEY = "mkopo-local-development-key-not-for-production-use"

# Credential fields and their local defaults (what the M-Pesa and MoMo sandboxes accept).
LOCAL_CREDENTIALS: dict[str, str] = {
    "momo_api_user": "mkopo-local",
    "momo_api_key": "local-sandbox-key",
    "momo_subscription_key": "local-sandbox-subscription",
    "mpesa_consumer_key": "mkopo-local",
    "mpesa_consumer_secret": "local-sandbox-secret",
    "mpesa_security_credential": "local-sandbox-credential",
    "mpesa_passkey": "local-sandbox-passkey",
    "callback_signing_key": "local-callback-signing-key",
    "ussd_path_token": "local-ussd-path-token",
    "at_api_key": "local-sandbox-at-key",
}


class SecretNotConfigured(RuntimeError):
    """A cloud function read a secret it was not given (Secret Manager -> ``MKOPO_*`` variable)."""


class MissingSecret(SecretStr):
    """Stands in for a secret the cloud did not provide: reading it raises ``SecretNotConfigured``."""

    def __init__(self, field: str) -> None:
        super().__init__("")
        self.field = field

    def get_secret_value(self) -> str:
        raise SecretNotConfigured(f"MKOPO_{self.field.upper()} is not set (Secret Manager) in the cloud")


# MTN's sandbox test numbers (its own series; 4673312345x): borrower phones are mapped onto them by prefix
# of the E.164 number without '+' ("*" for any other), so our local test numbers keep their meaning.
MTN_TEST_NUMBERS: dict[str, str] = {
    "254722": "46733123450",  # payee/payer not found locally -> FAILED at MTN
    "254733": "46733123450",  # not enough funds locally -> FAILED at MTN
    "254744": "46733123451",  # rejected locally -> REJECTED at MTN
    "254755": "46733123453",  # never settles locally -> ONGOING (pending) at MTN
    "*": "46733123459",  # any other number -> SUCCESSFUL at MTN
}

ProviderProfile = Literal["local-sandbox", "provider-sandbox", "production"]

# What each provider profile sets (a field given explicitly as MKOPO_<FIELD> wins). The README's
# "Providers" section walks through each one.
PROVIDER_PROFILES: dict[str, dict[str, object]] = {
    "local-sandbox": {
        "momo_base_url": "http://127.0.0.1:8090",
        "momo_target_environment": "sandbox",
        "momo_currency": None,
        "momo_test_numbers": {},
        "mpesa_base_url": "http://127.0.0.1:8091",
        "at_base_url": "http://127.0.0.1:8092",
    },
    "provider-sandbox": {
        "momo_base_url": "https://sandbox.momodeveloper.mtn.com",
        "momo_target_environment": "sandbox",
        "momo_currency": "EUR",  # MTN's sandbox takes EUR only
        "momo_test_numbers": MTN_TEST_NUMBERS,
        "mpesa_base_url": "https://sandbox.safaricom.co.ke",
        "at_base_url": "https://api.sandbox.africastalking.com",
    },
    "production": {
        "momo_base_url": "https://proxy.momoapi.mtn.com",
        "momo_currency": None,
        "momo_test_numbers": {},
        "mpesa_base_url": "https://api.safaricom.co.ke",
        "at_base_url": "https://api.africastalking.com",
    },
}

DEFAULT_LANGUAGES: dict[str, Language] = {
    "KE": "en",
    "UG": "en",
    "TZ": "sw",
    "RW": "en",
    "NG": "en",
    "GH": "en",
}


def _local(field: str) -> SecretStr:
    return SecretStr(LOCAL_CREDENTIALS[field])


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MKOPO_", extra="ignore")

    environment: Literal["local", "cloud"] = "local"
    project_id: str = "mkopo-local"
    # --- Tracing: where finished spans go. Unset: Cloud Trace in the cloud, the file MKOPO_TRACE_FILE
    # locally when it is set (the local stack sets .run/<offset>/spans.jsonl), else nowhere.
    trace_exporter: Literal["none", "file", "cloud-trace"] | None = None
    trace_file: str | None = None

    # --- Auth: signing keys. JSON ``{"active": "<kid>", "keys": {"<kid>": "<secret>", ...}}`` from a file
    # (MKOPO_JWT_KEYS_FILE), a variable (MKOPO_JWT_KEYS) or, in the cloud, the Secret Manager secret
    # ``jwt-signing-key`` exposed as MKOPO_JWT_SECRET (a keyset JSON or one plain secret, kid "k1").
    jwt_secret: SecretStr | None = None
    jwt_keys: SecretStr | None = None
    jwt_keys_file: Path | None = None
    jwt_issuer: str = "mkopo"
    jwt_audience: str = "mkopo-api"
    access_token_ttl_s: int = Field(default=900, ge=60, le=86_400)
    refresh_token_ttl_s: int = Field(default=30 * 86_400, ge=300)
    # The officers' console: how long a signed-in session lasts without signing in again.
    console_session_ttl_s: int = Field(default=1800, ge=60, le=43_200)

    # --- Access: login throttling per phone (lockout) and per client address (fixed windows), CORS, bodies.
    terms_version: str = Field(
        default="2026-11-v1",
        min_length=1,
        description="Version of the loan terms a borrower accepts at checkout",
    )
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_s: int = Field(default=900, ge=1)
    login_phone_max_failures: int = Field(default=50, ge=1)
    login_phone_window_s: int = Field(default=3600, ge=1)
    login_ip_max_failures: int = Field(default=60, ge=1)
    login_ip_window_s: int = Field(default=300, ge=1)
    # Browsers allowed to call the API (comma-separated origins); empty: no cross-origin access.
    cors_allowed_origins: str = ""
    max_body_bytes: int = Field(default=16 * 1024, ge=1024)

    # --- Offers and credit decisions (the thresholds' one home).
    offer_ttl_s: int = Field(default=900, ge=60)
    approve_min_score: int = 600
    max_exposure_minor: int = Field(default=10_000_000, ge=0)
    # Scores in [review_min_score, approve_min_score) go to an officer instead of being rejected.
    review_min_score: int | None = 560
    # The limit ladder (mkopo.domain.credit): a default and per-currency overrides, as JSON in the env,
    # e.g. MKOPO_CREDIT_LADDERS='{"UGX": {"first_loan_share": "0.2", "step_up": "1.25"}}'.
    credit_ladder: LimitLadder = Field(default_factory=LimitLadder)
    credit_ladders: dict[str, LimitLadder] = Field(default_factory=dict)

    # --- Provider profile (PROVIDER_PROFILES): our local sandboxes, the providers' public sandboxes, or
    # production; it sets the provider fields below that are not given explicitly.
    provider_profile: ProviderProfile = "local-sandbox"

    # The champion points table (models/scorecard-<version>.json); MKOPO_MODELS_DIR overrides the folder.
    scorecard_version: str = Field(default="launch-v1", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    models_dir: Path | None = None
    # A challenger scores every application in shadow (on application_scored, never in the decision).
    challenger_version: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    # The daily score-stability run: fewer scores than this in its week get the verdict "few scores" (no
    # metric point, so no alert); the warehouse query gives up after score_stability_timeout_s.
    score_stability_min_scores: int = Field(default=100, ge=1)
    score_stability_timeout_s: float = Field(default=60.0, gt=0, le=300)

    # --- Mobile money (MTN MoMo disbursement API shape)
    momo_base_url: str = "http://127.0.0.1:8090"
    momo_api_user: SecretStr = _local("momo_api_user")
    momo_api_key: SecretStr = _local("momo_api_key")
    momo_subscription_key: SecretStr = _local("momo_subscription_key")
    momo_target_environment: str = "sandbox"
    payout_poll_timeout_s: float = 5.0
    # The currency MoMo is sent instead of the loan's (MTN's sandbox: EUR); None sends the loan's own.
    momo_currency: str | None = None
    # Borrower phone prefix -> the test number MoMo is sent instead (MTN's sandbox); empty sends the phone.
    momo_test_numbers: dict[str, str] = Field(default_factory=dict)

    # --- M-Pesa Daraja (Kenya): B2C payouts and STK Push collections
    mpesa_base_url: str = "http://127.0.0.1:8091"
    mpesa_consumer_key: SecretStr = _local("mpesa_consumer_key")
    mpesa_consumer_secret: SecretStr = _local("mpesa_consumer_secret")
    mpesa_shortcode: str = "600999"
    mpesa_initiator_name: str = "mkopo-api"
    mpesa_security_credential: SecretStr = _local("mpesa_security_credential")
    mpesa_passkey: SecretStr = _local("mpesa_passkey")

    # --- SMS: Africa's Talking (POST /version1/messaging). ``recording`` only writes Firestore (tests).
    sms_channel: Literal["africastalking", "recording"] = "africastalking"
    at_base_url: str = "http://127.0.0.1:8092"
    at_username: str = "sandbox"
    at_api_key: SecretStr = _local("at_api_key")
    at_sender_id: str | None = None  # the registered sender id or shortcode; None: the provider's default
    at_shortcode: str = "40404"  # where borrowers text BAL, HELP, STOP
    sms_timeout_s: float = Field(default=10.0, gt=0, le=60)
    # Provider attempts per SMS (transient failures are redelivered by Pub/Sub) before it is failed.
    sms_max_attempts: int = Field(default=3, ge=1, le=10)

    # --- Provider callbacks reach us at public_base_url/v1/callbacks/... with a per-request token.
    public_base_url: str = "http://127.0.0.1:8000"
    callback_signing_key: SecretStr = _local("callback_signing_key")
    callback_allowed_networks: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    # --- USSD (Africa's Talking): the callback's network allow-list, its secret path segment in the cloud,
    # the session's lifetime, the wrong PINs that lock (for the logins' lockout) and the loan term offered.
    ussd_allowed_networks: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    ussd_path_token: SecretStr = _local("ussd_path_token")
    ussd_session_ttl_s: int = Field(default=300, ge=30)
    ussd_pin_max_failures: int = Field(default=3, ge=1)
    ussd_term_days: int = Field(default=30, ge=1, le=365)
    # --- Languages (en, sw, fr): what a borrower reads until they choose, by market (the region of their
    # number); they choose at registration and may change it. Kiswahili where it is the first language of
    # daily life (Tanzania); English elsewhere, French for the francophone markets to come. JSON in the env.
    default_languages: dict[str, Language] = Field(default_factory=lambda: dict(DEFAULT_LANGUAGES))
    # Payouts and collections still pending after this long are asked about by reconciliation.
    reconcile_after_s: int = Field(default=5, ge=0)
    repayment_reminder_days: int = Field(default=3, ge=0)
    # A restructure proposal not approved and accepted within this many days is stale: propose again.
    restructure_proposal_ttl_days: int = Field(default=7, ge=1, le=60)
    # --- Late charges and write-off: per currency, unpaid interest plus charges never exceed this multiple
    # of the principal outstanding (Kenya's in-duplum rule: 1); a currency not listed has no cap. Loans this
    # many days past due are written off by the arrears run.
    charge_cap_multiples: dict[str, Decimal] = Field(default_factory=lambda: {"KES": Decimal(1)})
    write_off_after_days: int = Field(default=180, ge=1)

    # --- Analytics
    bigquery_endpoint: str | None = None
    bigquery_dataset: str = "mkopo"
    bigquery_events_table: str = "events"
    # The console's dashboard gives up on the warehouse after this long and says it is unavailable.
    warehouse_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # Exporters keep pulling this long after the scheduler calls them (the cloud: 50 s of a 1-minute
    # schedule); 0 drains what is waiting and returns (the local timer calls every few seconds).
    export_linger_s: float = Field(default=0.0, ge=0, le=50)

    # --- Loss provisioning: expected-credit-loss rates per arrears bucket, e.g.
    # MKOPO_PROVISION_RATES='{"current": "0.01", "days_1_30": "0.05", "days_90_plus": "1"}'.
    provision_rates: ProvisionRates = Field(default_factory=ProvisionRates)
    # --- Credit-bureau reporting: the notice before negative information and the listing threshold per
    # currency (MKOPO_BUREAU_RULES='{"notice_days": 30, "threshold_minor": {"KES": 100000}}'); where the
    # monthly file goes: a folder locally, a Cloud Storage bucket in the cloud.
    bureau_rules: BureauRules = Field(default_factory=BureauRules)
    bureau_folder: Path = Path(".run/bureau")
    bureau_bucket: str | None = None

    # --- Outbox relay: events older than this and still unsent are republished.
    outbox_relay_after_s: int = 10

    @model_validator(mode="after")
    def _no_local_secret_in_the_cloud(self) -> Settings:
        """In the cloud: refuse any secret set to its local default; make every unset one unreadable."""
        if self.environment != "cloud":
            return self
        local = []
        for field, default in LOCAL_CREDENTIALS.items():
            if field not in self.model_fields_set:
                setattr(self, field, MissingSecret(field))
            elif getattr(self, field).get_secret_value() == default:
                local.append(f"MKOPO_{field.upper()}")
        for field in ("jwt_secret", "jwt_keys"):
            value = getattr(self, field)
            if value is not None and LOCAL_DEV_KEY in value.get_secret_value():
                local.append(f"MKOPO_{field.upper()}")
        if local:
            raise ValueError(f"MKOPO_ENVIRONMENT=cloud refuses local development secrets: {', '.join(local)}")
        return self

    @model_validator(mode="after")
    def _apply_provider_profile(self) -> Settings:
        """Fill the provider fields not given explicitly from the profile; production has no sandbox rule."""
        given = set(self.model_fields_set)
        for field, value in PROVIDER_PROFILES[self.provider_profile].items():
            if field not in given:
                setattr(self, field, dict(value) if isinstance(value, dict) else value)
        if self.provider_profile != "production":
            return self
        if "momo_target_environment" not in given or self.momo_target_environment == "sandbox":
            raise ValueError(
                "production needs MKOPO_MOMO_TARGET_ENVIRONMENT naming the market (mtnuganda...)"
            )
        if self.momo_currency or self.momo_test_numbers:
            raise ValueError(
                "production sends the loan's currency and phone: unset MKOPO_MOMO_CURRENCY and "
                "MKOPO_MOMO_TEST_NUMBERS"
            )
        return self

    def allowed_origins(self) -> frozenset[str]:
        return frozenset(o.strip().rstrip("/") for o in self.cors_allowed_origins.split(",") if o.strip())

    def decision_policy(self) -> DecisionPolicy:
        """The credit policy with this configuration's thresholds."""
        from mkopo.domain.policy import DecisionPolicy

        return DecisionPolicy(
            approve_min_score=self.approve_min_score,
            max_exposure_minor=self.max_exposure_minor,
            review_min_score=self.review_min_score,
        )

    def default_language(self, phone: str) -> Language:
        """The language of a borrower who has not chosen one: their market's (English if it has none)."""
        from mkopo.domain.phone import market_of

        return self.default_languages.get(market_of(phone), "en")

    def charge_rules(self) -> ChargeRules:
        """The cap on late charges per market and the write-off threshold."""
        from mkopo.domain.charges import ChargeRules

        return ChargeRules(
            cap_multiples=self.charge_cap_multiples, write_off_after_days=self.write_off_after_days
        )

    def credit_terms(self) -> CreditTerms:
        """The limit ladders and the maximum exposure: how limits grow with repayment."""
        return CreditTerms(
            default=self.credit_ladder,
            by_currency=self.credit_ladders,
            max_exposure_minor=self.max_exposure_minor,
        )

    def signing_keys(self) -> tuple[str, dict[str, str]]:
        """The active kid and every verification key; the development key only when running locally."""
        if self.jwt_keys_file is not None:
            raw: str | None = self.jwt_keys_file.read_text()
        else:
            given = self.jwt_keys or self.jwt_secret
            raw = given.get_secret_value() if given is not None else None
        if raw is None and self.environment == "cloud":
            raise KeyConfigError("no JWT signing key configured (Secret Manager secret jwt-signing-key)")
        if raw is None:
            return LOCAL_DEV_KID, {LOCAL_DEV_KID: LOCAL_DEV_KEY}
        active, keys = parse_keyset(raw)
        if self.environment == "cloud" and LOCAL_DEV_KEY in keys.values():
            raise KeyConfigError("the local development JWT key is refused in the cloud")
        return active, keys


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


def trace_exporter(settings: Settings) -> str:
    """The span exporter these settings choose (``none``, ``file`` or ``cloud-trace``)."""
    if settings.trace_exporter is not None:
        return settings.trace_exporter
    if settings.environment == "cloud":
        return "cloud-trace"
    return "file" if settings.trace_file else "none"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
