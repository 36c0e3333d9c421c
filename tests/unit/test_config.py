"""Settings: one home per rule, and no local development secret ever used in the cloud."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from mkopo.config import (
    LOCAL_CREDENTIALS,
    LOCAL_DEV_KEY,
    KeyConfigError,
    SecretNotConfigured,
    Settings,
)
from mkopo.domain.applications import Status

CREDENTIALS = sorted(LOCAL_CREDENTIALS)
REAL = "a-real-secret-from-secret-manager-0123456789"


def test_every_credential_is_a_secret_with_its_local_default() -> None:
    local = Settings(environment="local")
    for field, default in LOCAL_CREDENTIALS.items():
        value = getattr(local, field)
        assert isinstance(value, SecretStr) and value.get_secret_value() == default


@pytest.mark.parametrize("field", CREDENTIALS)
def test_the_cloud_refuses_a_secret_left_at_its_local_default(field: str) -> None:
    with pytest.raises(ValidationError, match=f"MKOPO_{field.upper()}"):
        Settings(environment="cloud", **{field: LOCAL_CREDENTIALS[field]})  # type: ignore[arg-type]


@pytest.mark.parametrize("field", CREDENTIALS)
def test_the_cloud_refuses_the_local_default_from_the_environment(
    field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MKOPO_ENVIRONMENT", "cloud")
    monkeypatch.setenv(f"MKOPO_{field.upper()}", LOCAL_CREDENTIALS[field])
    with pytest.raises(ValidationError, match="refuses local development secrets"):
        Settings()


@pytest.mark.parametrize("field", CREDENTIALS)
def test_a_cloud_secret_not_given_is_never_the_local_default(field: str) -> None:
    settings = Settings(environment="cloud")  # a function not given this secret still starts
    with pytest.raises(SecretNotConfigured, match=f"MKOPO_{field.upper()}"):
        getattr(settings, field).get_secret_value()


@pytest.mark.parametrize("field", CREDENTIALS)
def test_a_cloud_secret_given_is_used(field: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MKOPO_ENVIRONMENT", "cloud")
    monkeypatch.setenv(f"MKOPO_{field.upper()}", REAL)
    assert getattr(Settings(), field).get_secret_value() == REAL


@pytest.mark.parametrize("field", ["jwt_secret", "jwt_keys"])
def test_the_cloud_refuses_the_development_jwt_key(field: str) -> None:
    keyset = json.dumps({"active": "dev", "keys": {"dev": LOCAL_DEV_KEY}})
    for value in (LOCAL_DEV_KEY, keyset):
        with pytest.raises(ValidationError, match=f"MKOPO_{field.upper()}"):
            Settings(environment="cloud", **{field: value})  # type: ignore[arg-type]


def test_the_cloud_refuses_the_development_jwt_key_from_a_file(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"active": "dev", "keys": {"dev": LOCAL_DEV_KEY, "k2": REAL}}))
    with pytest.raises(KeyConfigError, match="development"):
        Settings(environment="cloud", jwt_keys_file=keys).signing_keys()
    assert Settings(environment="local", jwt_keys_file=keys).signing_keys()[0] == "dev"


def test_the_cloud_has_no_jwt_key_by_default_and_local_has_the_one_development_key() -> None:
    with pytest.raises(KeyConfigError):
        Settings(environment="cloud").signing_keys()
    active, keys = Settings(environment="local").signing_keys()
    assert keys == {active: LOCAL_DEV_KEY}
    assert Settings(environment="cloud", jwt_secret=REAL).signing_keys() == ("k1", {"k1": REAL})  # type: ignore[arg-type]


def test_one_error_names_every_local_secret_at_once() -> None:
    local = {field: LOCAL_CREDENTIALS[field] for field in ("callback_signing_key", "mpesa_passkey")}
    with pytest.raises(ValidationError) as refused:
        Settings(environment="cloud", **local)  # type: ignore[arg-type]
    assert "MKOPO_CALLBACK_SIGNING_KEY" in str(refused.value) and "MKOPO_MPESA_PASSKEY" in str(refused.value)


def test_the_credit_thresholds_have_one_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MKOPO_APPROVE_MIN_SCORE", "640")
    monkeypatch.setenv("MKOPO_REVIEW_MIN_SCORE", "600")
    monkeypatch.setenv("MKOPO_MAX_EXPOSURE_MINOR", "5000")
    policy = Settings().decision_policy()
    assert (policy.approve_min_score, policy.review_min_score, policy.max_exposure_minor) == (640, 600, 5000)

    def outcome(score: int, amount_minor: int) -> tuple[Status, list[str]]:
        return policy.decide(
            score=score,
            amount_minor=amount_minor,
            credit_limit_minor=10_000,
            active_application_id=None,
            application_id="a",
        )

    assert outcome(620, 100) == (Status.MANUAL_REVIEW, ["SCORE_IN_REVIEW_BAND"])
    assert outcome(700, 6000) == (Status.REJECTED, ["MAX_EXPOSURE_EXCEEDED"])
    assert outcome(599, 100) == (Status.REJECTED, ["SCORE_BELOW_CUTOFF"])
