"""MomoPayoutProvider against a small in-process fake of the MoMo disbursement API (httpx.MockTransport)."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from mkopo.adapters.payments.momo import MomoAuthenticationError, MomoPayoutProvider, PayoutNotFound
from mkopo.config import Settings
from mkopo.domain.money import Money
from mkopo.service.ports import PayoutProvider, PayoutStatus, ProviderUnavailable

TRANSFER = "/disbursement/v1_0/transfer"
BASIC = "Basic " + base64.b64encode(b"user:key").decode()


@dataclass
class FakeMomo:
    """Just enough of MoMo: tokens, transfers keyed by X-Reference-Id, scripted statuses and faults."""

    statuses: list[dict[str, Any]] = field(default_factory=lambda: [{"status": "SUCCESSFUL"}])
    post_status: int = 202
    post_error: dict[str, Any] | None = None
    status_code: int = 200
    unauthorized_calls: int = 0
    expires_in: int = 3600
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[httpx.Request] = field(default_factory=list)
    gets: int = 0
    tokens_issued: list[str] = field(default_factory=list)
    raise_on_post: Exception | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/disbursement/token/":
            return self._token(request)
        if request.headers.get("Authorization") != f"Bearer {self.tokens_issued[-1]}":
            return httpx.Response(401, json={"statusCode": 401, "message": "bad token"})
        if self.unauthorized_calls:
            self.unauthorized_calls -= 1
            return httpx.Response(401, json={"statusCode": 401, "message": "expired"})
        if request.method == "POST":
            return self._post(request)
        return self._get(request)

    def _token(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != BASIC:
            return httpx.Response(401, json={"error": "login_failed"})
        self.tokens_issued.append(f"token-{len(self.tokens_issued)}")
        body = {"access_token": self.tokens_issued[-1], "token_type": "access_token"}
        return httpx.Response(200, json={**body, "expires_in": self.expires_in})

    def _post(self, request: httpx.Request) -> httpx.Response:
        self.posts.append(request)
        if self.raise_on_post is not None:
            raise self.raise_on_post
        if self.post_status != 202:
            return httpx.Response(self.post_status, json=self.post_error or {})
        reference = request.headers["X-Reference-Id"]
        if reference in self.transfers:
            return httpx.Response(409, json={"code": "RESOURCE_ALREADY_EXIST", "message": "dup"})
        self.transfers[reference] = json.loads(request.content)
        return httpx.Response(202)

    def _get(self, request: httpx.Request) -> httpx.Response:
        self.gets += 1
        reference = request.url.path.rsplit("/", 1)[-1]
        if self.status_code != 200:
            return httpx.Response(self.status_code, json={"code": "ERR"})
        if reference not in self.transfers:
            return httpx.Response(404, json={"code": "RESOURCE_NOT_FOUND"})
        script = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return httpx.Response(
            200, json={**self.transfers[reference], "financialTransactionId": "9001", **script}
        )


@dataclass
class FakeClock:
    """A monotonic clock that only moves when the adapter sleeps (or a test advances it)."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_provider(fake: FakeMomo, clock: FakeClock | None = None, **overrides: Any) -> MomoPayoutProvider:
    """A provider wired to the fake through a MockTransport."""
    clock = clock or FakeClock()
    params: dict[str, Any] = {
        "base_url": "https://momo.test",
        "api_user": "user",
        "api_key": "key",
        "subscription_key": "sub-key",
        "target_environment": "mtnkenya",
        "poll_timeout_s": 2.0,
        "poll_interval_s": 0.25,
        "transport": httpx.MockTransport(fake),
        "clock": clock,
        "sleep": clock.sleep,
    }
    return MomoPayoutProvider(**{**params, **overrides})


def pay(provider: MomoPayoutProvider, reference: str | None = None, **kwargs: Any) -> Any:
    """request_payout with defaults: 5000 KES to +254700000001."""
    args: dict[str, Any] = {
        "reference": reference or str(uuid.uuid4()),
        "amount": Money.parse("5000", "KES"),
        "msisdn": "+254700000001",
        "note": "mkopo loan",
    }
    return provider.request_payout(**{**args, **kwargs})


@pytest.fixture
def fake() -> FakeMomo:
    return FakeMomo()


def test_is_a_payout_provider(fake: FakeMomo) -> None:
    provider: PayoutProvider = make_provider(fake)
    assert provider.name == "mtn-momo"


def test_accepted_transfer_then_status_successful(fake: FakeMomo) -> None:
    reference = str(uuid.uuid4())
    result = pay(make_provider(fake), reference)
    assert result.status is PayoutStatus.SUCCESSFUL
    assert (result.provider, result.reference, result.provider_transaction_id) == (
        "mtn-momo",
        reference,
        "9001",
    )
    sent = fake.posts[0]
    assert sent.headers["X-Reference-Id"] == reference
    assert sent.headers["X-Target-Environment"] == "mtnkenya"
    assert sent.headers["Ocp-Apim-Subscription-Key"] == "sub-key"
    assert fake.transfers[reference]["externalId"] == reference


def test_transfer_body_follows_momo_schema(fake: FakeMomo) -> None:
    reference = str(uuid.uuid4())
    pay(make_provider(fake), reference, note="Loan L-1")
    assert fake.transfers[reference] == {
        "amount": "5000.00",
        "currency": "KES",
        "externalId": reference,
        "payee": {"partyIdType": "MSISDN", "partyId": "254700000001"},
        "payerMessage": "Loan L-1",
        "payeeNote": "Loan L-1",
    }


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("1000", "UGX", "1000"), ("5000", "KES", "5000.00"), ("150.5", "GHS", "150.50"), ("750", "RWF", "750")],
)
def test_amount_is_a_major_unit_string(fake: FakeMomo, amount: str, currency: str, expected: str) -> None:
    reference = str(uuid.uuid4())
    pay(make_provider(fake), reference, amount=Money.parse(amount, currency))
    assert (fake.transfers[reference]["amount"], fake.transfers[reference]["currency"]) == (
        expected,
        currency,
    )


@pytest.mark.parametrize(
    ("msisdn", "party_id"), [("+256772123456", "256772123456"), (" +254700000001", "254700000001")]
)
def test_msisdn_is_e164_without_plus(fake: FakeMomo, msisdn: str, party_id: str) -> None:
    reference = str(uuid.uuid4())
    pay(make_provider(fake), reference, msisdn=msisdn)
    assert fake.transfers[reference]["payee"]["partyId"] == party_id


@pytest.mark.parametrize("msisdn", ["+2547-000", "+254", "+25470000000\u0661", "+2547000000011234"])
def test_malformed_msisdn_fails_without_calling_momo(fake: FakeMomo, msisdn: str) -> None:
    result = pay(make_provider(fake), msisdn=msisdn)
    assert (result.status, result.reason) == (PayoutStatus.FAILED, "INVALID_MSISDN")
    assert fake.posts == []


def test_reference_must_be_a_uuid(fake: FakeMomo) -> None:
    with pytest.raises(ValueError, match="UUID"):
        pay(make_provider(fake), "loan-42")


def test_pending_is_polled_until_settled(fake: FakeMomo) -> None:
    fake.statuses = [{"status": "PENDING"}, {"status": "PENDING"}, {"status": "SUCCESSFUL"}]
    clock = FakeClock()
    result = pay(make_provider(fake, clock), str(uuid.uuid4()))
    assert result.status is PayoutStatus.SUCCESSFUL
    assert fake.gets == 3
    assert clock.sleeps == [0.25, 0.25]


def test_still_pending_after_poll_timeout_returns_pending(fake: FakeMomo) -> None:
    fake.statuses = [{"status": "PENDING"}]
    clock = FakeClock()
    result = pay(make_provider(fake, clock), str(uuid.uuid4()))
    assert result.status is PayoutStatus.PENDING
    assert 2.0 <= sum(clock.sleeps) <= 2.25


def test_failed_transfer_carries_reason(fake: FakeMomo) -> None:
    fake.statuses = [{"status": "FAILED", "reason": "PAYEE_NOT_FOUND", "financialTransactionId": None}]
    result = pay(make_provider(fake))
    assert (result.status, result.reason, result.provider_transaction_id) == (
        PayoutStatus.FAILED,
        "PAYEE_NOT_FOUND",
        None,
    )


def test_reason_object_form_is_read(fake: FakeMomo) -> None:
    fake.statuses = [{"status": "FAILED", "reason": {"code": "NOT_ENOUGH_FUNDS", "message": "low"}}]
    assert pay(make_provider(fake)).reason == "NOT_ENOUGH_FUNDS"


def test_unknown_status_stays_pending(fake: FakeMomo) -> None:
    fake.statuses = [{"status": "ONGOING"}]
    result = pay(make_provider(fake, poll_timeout_s=0))
    assert (result.status, result.reason) == (PayoutStatus.PENDING, "UNKNOWN_STATUS:ONGOING")


def test_repeated_reference_returns_same_outcome_and_posts_once_more_only(fake: FakeMomo) -> None:
    provider = make_provider(fake)
    reference = str(uuid.uuid4())
    first = pay(provider, reference)
    second = pay(provider, reference)
    assert first == second
    assert len(fake.transfers) == 1
    assert len(fake.posts) == 2


def test_bad_request_is_failed_with_momo_code(fake: FakeMomo) -> None:
    fake.post_status, fake.post_error = 400, {"code": "INVALID_CURRENCY", "message": "no"}
    result = pay(make_provider(fake))
    assert (result.status, result.reason) == (PayoutStatus.FAILED, "INVALID_CURRENCY")
    assert fake.gets == 0


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_are_provider_unavailable(fake: FakeMomo, status: int) -> None:
    fake.post_status = status
    with pytest.raises(ProviderUnavailable):
        pay(make_provider(fake))


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), httpx.RemoteProtocolError("eof")],
)
def test_transport_faults_are_provider_unavailable(fake: FakeMomo, exc: Exception) -> None:
    fake.raise_on_post = exc
    with pytest.raises(ProviderUnavailable) as info:
        pay(make_provider(fake))
    assert not isinstance(info.value, MomoAuthenticationError)


def test_expired_token_is_refreshed_once_and_call_retried(fake: FakeMomo) -> None:
    fake.unauthorized_calls = 1
    result = pay(make_provider(fake))
    assert result.status is PayoutStatus.SUCCESSFUL
    assert len(fake.tokens_issued) == 2
    assert len(fake.transfers) == 1


def test_persistent_401_raises_authentication_error(fake: FakeMomo) -> None:
    fake.unauthorized_calls = 5
    with pytest.raises(MomoAuthenticationError):
        pay(make_provider(fake))
    assert len(fake.tokens_issued) == 2
    assert len(fake.posts) == 0


def test_wrong_api_key_raises_authentication_error(fake: FakeMomo) -> None:
    with pytest.raises(MomoAuthenticationError):
        pay(make_provider(fake, api_key="wrong"))


def test_token_is_cached_across_calls(fake: FakeMomo) -> None:
    provider = make_provider(fake)
    pay(provider)
    pay(provider)
    assert len(fake.tokens_issued) == 1


def test_token_is_refetched_shortly_before_expiry(fake: FakeMomo) -> None:
    clock = FakeClock()
    provider = make_provider(fake, clock)
    pay(provider)
    clock.now += 3600 - 30
    pay(provider)
    assert len(fake.tokens_issued) == 2


def test_payout_status_maps_fields(fake: FakeMomo) -> None:
    provider = make_provider(fake)
    reference = pay(provider).reference
    result = provider.payout_status(reference)
    assert (result.status, result.provider_transaction_id, result.reason) == (
        PayoutStatus.SUCCESSFUL,
        "9001",
        None,
    )


def test_payout_status_unknown_reference_raises_not_found(fake: FakeMomo) -> None:
    with pytest.raises(PayoutNotFound):
        make_provider(fake).payout_status(str(uuid.uuid4()))


def test_payout_status_server_error_is_provider_unavailable(fake: FakeMomo) -> None:
    provider = make_provider(fake)
    reference = pay(provider).reference
    fake.status_code = 503
    with pytest.raises(ProviderUnavailable):
        provider.payout_status(reference)


def test_unreadable_status_after_accept_returns_pending(fake: FakeMomo) -> None:
    fake.status_code = 500
    result = pay(make_provider(fake, poll_timeout_s=0.5))
    assert result.status is PayoutStatus.PENDING


def test_from_settings_uses_secret_values(fake: FakeMomo) -> None:
    settings = Settings(
        momo_base_url="https://momo.test",
        momo_api_user="user",
        momo_api_key=SecretStr("key"),
        momo_subscription_key=SecretStr("sub-key"),
        momo_target_environment="mtnkenya",
        payout_poll_timeout_s=0.0,
    )
    provider = MomoPayoutProvider.from_settings(settings, transport=httpx.MockTransport(fake))
    assert pay(provider).status is PayoutStatus.SUCCESSFUL
    assert fake.posts[0].headers["Ocp-Apim-Subscription-Key"] == "sub-key"


def test_given_client_is_used_and_not_closed(fake: FakeMomo) -> None:
    client = httpx.Client(base_url="https://momo.test", transport=httpx.MockTransport(fake))
    with make_provider(fake, client=client, transport=None) as provider:
        pay(provider)
    assert not client.is_closed
    client.close()
