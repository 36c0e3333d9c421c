"""Provider profiles: what differs between our sandboxes, the providers' public sandboxes and production."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from emulators.momo_sandbox import parse_args
from pydantic import SecretStr, ValidationError

from mkopo.adapters.payments.directory import PaymentDirectory
from mkopo.adapters.payments.momo import MomoPayoutProvider, MomoSession
from mkopo.adapters.payments.momo_collection import MomoCollectionProvider
from mkopo.adapters.payments.momo_profile import MomoProfile
from mkopo.config import MTN_TEST_NUMBERS, Settings
from mkopo.domain.money import Money
from mkopo.service.ports import CollectionStatus, PayoutStatus
from tests.unit.test_momo_adapter import FakeMomo
from tests.unit.test_momo_collection import FakeCollection

UGX = Money.parse("50000", "UGX")


def test_local_sandbox_is_the_default_and_changes_nothing() -> None:
    s = Settings()
    assert s.provider_profile == "local-sandbox"
    assert (s.momo_base_url, s.mpesa_base_url) == ("http://127.0.0.1:8090", "http://127.0.0.1:8091")
    assert (s.momo_target_environment, s.momo_currency, s.momo_test_numbers) == ("sandbox", None, {})


def test_provider_sandbox_points_at_the_public_sandboxes_with_eur_and_mtn_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MKOPO_PROVIDER_PROFILE", "provider-sandbox")
    s = Settings()
    assert s.momo_base_url == "https://sandbox.momodeveloper.mtn.com"
    assert s.mpesa_base_url == "https://sandbox.safaricom.co.ke"
    assert (s.momo_target_environment, s.momo_currency) == ("sandbox", "EUR")
    assert s.momo_test_numbers == MTN_TEST_NUMBERS
    assert all(number.startswith("4673312345") for number in MTN_TEST_NUMBERS.values())


def test_a_setting_given_explicitly_wins_over_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MKOPO_PROVIDER_PROFILE", "provider-sandbox")
    monkeypatch.setenv("MKOPO_MOMO_BASE_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("MKOPO_MOMO_TEST_NUMBERS", json.dumps({"*": "46733123455"}))
    s = Settings()
    assert (s.momo_base_url, s.momo_currency) == ("http://127.0.0.1:9999", "EUR")
    assert s.momo_test_numbers == {"*": "46733123455"}


def test_production_needs_a_market_target_environment_and_no_sandbox_rules() -> None:
    with pytest.raises(ValidationError, match="MKOPO_MOMO_TARGET_ENVIRONMENT"):
        Settings(provider_profile="production")
    with pytest.raises(ValidationError, match="MKOPO_MOMO_CURRENCY"):
        Settings(provider_profile="production", momo_target_environment="mtnuganda", momo_currency="EUR")
    live = Settings(provider_profile="production", momo_target_environment="mtnuganda")
    assert (live.momo_base_url, live.mpesa_base_url) == (
        "https://proxy.momoapi.mtn.com",
        "https://api.safaricom.co.ke",
    )
    assert (live.momo_currency, live.momo_test_numbers) == (None, {})


@pytest.mark.parametrize(
    ("msisdn", "number"),
    [
        ("256772000001", "46733123459"),
        ("254722000001", "46733123450"),
        ("254744000001", "46733123451"),
        ("254755000001", "46733123453"),
    ],
)
def test_mtn_profile_maps_borrower_phones_to_mtn_test_numbers(msisdn: str, number: str) -> None:
    assert MomoProfile(currency="EUR", test_numbers=MTN_TEST_NUMBERS).party_id(msisdn) == number
    assert MomoProfile().party_id(msisdn) == msisdn


def sandbox_settings(**overrides: Any) -> Settings:
    params: dict[str, Any] = {
        "provider_profile": "provider-sandbox",
        "momo_base_url": "https://momo.test",
        "momo_api_user": SecretStr("user"),
        "momo_api_key": SecretStr("key"),
        "momo_subscription_key": SecretStr("sub"),
        "payout_poll_timeout_s": 0.0,
    }
    return Settings(**{**params, **overrides})


def test_payout_under_the_mtn_profile_sends_eur_and_the_test_number() -> None:
    fake = FakeMomo()
    provider = MomoPayoutProvider.from_settings(sandbox_settings(), transport=httpx.MockTransport(fake))
    result = provider.request_payout(
        reference=str(uuid.uuid4()), amount=UGX, msisdn="+256772000001", note="loan"
    )
    assert result.status is PayoutStatus.SUCCESSFUL
    body = json.loads(fake.posts[0].content)
    assert (body["amount"], body["currency"], body["payee"]["partyId"]) == ("50000", "EUR", "46733123459")
    assert fake.posts[0].headers["X-Target-Environment"] == "sandbox"


def test_collection_under_the_mtn_profile_sends_eur_and_does_not_misread_the_eur_amount() -> None:
    fake = FakeCollection()
    session = MomoSession(
        base_url="https://momo.test",
        product="collection",
        api_user="user",
        api_key="key",
        subscription_key="sub",
        transport=httpx.MockTransport(fake),
    )
    profile = MomoProfile(currency="EUR", test_numbers=MTN_TEST_NUMBERS)
    provider = MomoCollectionProvider(session=session, profile=profile)
    reference = str(uuid.uuid4())
    asked = provider.request_collection(
        reference=reference, amount=UGX, msisdn="+256772000001", description="repay"
    )
    assert asked.status is CollectionStatus.PENDING
    body = fake.requests[reference]
    assert (body["currency"], body["payer"]["partyId"]) == ("EUR", "46733123459")
    status = provider.collection_status(reference)
    assert status.amount is None  # EUR in MTN's sandbox says nothing about the loan's UGX


def test_the_sandbox_mode_comes_from_its_flag_or_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_args([])[2].mode == "local"
    assert parse_args(["--mode", "mtn"])[2].mode == "mtn"
    monkeypatch.setenv("MOMO_SANDBOX_MODE", "mtn")
    assert parse_args([])[2].mode == "mtn"
    with pytest.raises(SystemExit):
        parse_args(["--mode", "orange"])


def test_the_directory_builds_momo_adapters_with_the_profile() -> None:
    directory = PaymentDirectory(sandbox_settings())
    payouts = directory.payout_provider("UGX", "app-1")
    collections = directory.collection_provider("UGX", "rep-1")
    assert isinstance(payouts, MomoPayoutProvider) and isinstance(collections, MomoCollectionProvider)
    assert payouts.profile == collections.profile == MomoProfile("EUR", MTN_TEST_NUMBERS)
