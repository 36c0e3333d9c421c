"""MomoCollectionProvider against a small in-process fake of the MoMo collection API (httpx.MockTransport)."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mkopo.adapters.payments.momo import MomoAuthenticationError
from mkopo.adapters.payments.momo_collection import MomoCollectionProvider, MomoSession
from mkopo.domain.money import Money
from mkopo.service.ports import CollectionNotFound, CollectionProvider, CollectionStatus, ProviderUnavailable

PATH = "/collection/v1_0/requesttopay"
BASIC = "Basic " + base64.b64encode(b"user:key").decode()


@dataclass
class FakeCollection:
    """Tokens from /collection/token/, requests keyed by X-Reference-Id, a scripted status."""

    status: dict[str, Any] = field(
        default_factory=lambda: {"status": "SUCCESSFUL", "financialTransactionId": "77"}
    )
    post_status: int = 202
    status_code: int = 200
    unauthorized_calls: int = 0
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[httpx.Request] = field(default_factory=list)
    tokens_issued: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/collection/token/":
            if request.headers.get("Authorization") != BASIC:
                return httpx.Response(401, json={"error": "login_failed"})
            self.tokens_issued.append(f"t{len(self.tokens_issued)}")
            return httpx.Response(200, json={"access_token": self.tokens_issued[-1], "expires_in": 3600})
        if (
            request.headers.get("Authorization") != f"Bearer {self.tokens_issued[-1]}"
            or self.unauthorized_calls
        ):
            self.unauthorized_calls = max(self.unauthorized_calls - 1, 0)
            return httpx.Response(401, json={"statusCode": 401})
        if request.method == "POST":
            self.posts.append(request)
            if self.post_status != 202:
                return httpx.Response(self.post_status, json={"code": "INVALID_CURRENCY"})
            reference = request.headers["X-Reference-Id"]
            if reference in self.requests:
                return httpx.Response(409, json={"code": "RESOURCE_ALREADY_EXIST"})
            self.requests[reference] = json.loads(request.content)
            return httpx.Response(202)
        reference = request.url.path.rsplit("/", 1)[-1]
        if self.status_code != 200:
            return httpx.Response(self.status_code, json={"code": "ERR"})
        if reference not in self.requests:
            return httpx.Response(404, json={"code": "RESOURCE_NOT_FOUND"})
        return httpx.Response(200, json={**self.requests[reference], **self.status})


def provider(fake: FakeCollection, **overrides: Any) -> MomoCollectionProvider:
    params: dict[str, Any] = {
        "base_url": "https://momo.test",
        "product": "collection",
        "api_user": "user",
        "api_key": "key",
        "subscription_key": "collection-key",
        "target_environment": "mtnuganda",
        "transport": httpx.MockTransport(fake),
    }
    return MomoCollectionProvider(session=MomoSession(**{**params, **overrides}))


def collect(p: MomoCollectionProvider, reference: str | None = None, **kwargs: Any) -> Any:
    args: dict[str, Any] = {
        "reference": reference or str(uuid.uuid4()),
        "amount": Money.parse("15000", "UGX"),
        "msisdn": "+256772123456",
        "description": "Loan repayment",
    }
    return p.request_collection(**{**args, **kwargs})


@pytest.fixture
def fake() -> FakeCollection:
    return FakeCollection()


def test_is_a_collection_provider(fake: FakeCollection) -> None:
    p: CollectionProvider = provider(fake)
    assert p.name == "mtn-momo"


def test_request_to_pay_body_headers_and_pending(fake: FakeCollection) -> None:
    reference = str(uuid.uuid4())
    result = collect(provider(fake), reference, callback_url="https://mkopo.test/momo")
    assert (result.status, result.provider_request_id) == (CollectionStatus.PENDING, reference)
    assert fake.requests[reference] == {
        "amount": "15000",
        "currency": "UGX",
        "externalId": reference,
        "payer": {"partyIdType": "MSISDN", "partyId": "256772123456"},
        "payerMessage": "Loan repayment",
        "payeeNote": "Loan repayment",
    }
    sent = fake.posts[0]
    assert sent.headers["X-Callback-Url"] == "https://mkopo.test/momo"
    assert sent.headers["Ocp-Apim-Subscription-Key"] == "collection-key"
    assert sent.headers["X-Target-Environment"] == "mtnuganda"


def test_status_reports_receipt_and_amount(fake: FakeCollection) -> None:
    p = provider(fake)
    reference = collect(p).reference
    result = p.collection_status(reference)
    assert (result.status, result.provider_transaction_id, result.amount) == (
        CollectionStatus.SUCCESSFUL,
        "77",
        Money.parse("15000", "UGX"),
    )
    assert result.amount_matches(Money.parse("15000", "UGX"))


def test_reused_reference_returns_existing_request_and_never_asks_twice(fake: FakeCollection) -> None:
    p = provider(fake)
    reference = str(uuid.uuid4())
    collect(p, reference)
    again = collect(p, reference)
    assert again.status is CollectionStatus.SUCCESSFUL
    assert len(fake.requests) == 1 and len(fake.posts) == 2


def test_failed_status_carries_momo_reason(fake: FakeCollection) -> None:
    fake.status = {"status": "FAILED", "reason": "APPROVAL_REJECTED"}
    p = provider(fake)
    result = p.collection_status(collect(p).reference)
    assert (result.status, result.reason, result.provider_transaction_id) == (
        CollectionStatus.FAILED,
        "APPROVAL_REJECTED",
        None,
    )


def test_unknown_status_stays_pending(fake: FakeCollection) -> None:
    fake.status = {"status": "ONGOING"}
    p = provider(fake)
    result = p.collection_status(collect(p).reference)
    assert (result.status, result.reason) == (CollectionStatus.PENDING, "UNKNOWN_STATUS:ONGOING")


def test_bad_request_is_failed_and_bad_msisdn_never_calls(fake: FakeCollection) -> None:
    assert collect(provider(fake), msisdn="+2567").reason == "INVALID_MSISDN"
    assert fake.posts == []
    fake.post_status = 400
    assert collect(provider(fake)).reason == "INVALID_CURRENCY"


def test_not_found_and_server_errors(fake: FakeCollection) -> None:
    p = provider(fake)
    with pytest.raises(CollectionNotFound):
        p.collection_status(str(uuid.uuid4()))
    fake.status_code = 503
    with pytest.raises(ProviderUnavailable):
        p.collection_status(str(uuid.uuid4()))
    fake.post_status = 500
    with pytest.raises(ProviderUnavailable):
        collect(p)


def test_token_refresh_once_then_authentication_error(fake: FakeCollection) -> None:
    fake.unauthorized_calls = 1
    assert collect(provider(fake)).status is CollectionStatus.PENDING
    assert len(fake.tokens_issued) == 2
    fake.unauthorized_calls = 5
    with pytest.raises(MomoAuthenticationError):
        collect(provider(fake))
    with pytest.raises(MomoAuthenticationError):
        collect(provider(fake, api_key="wrong"))


def test_reference_must_be_a_uuid(fake: FakeCollection) -> None:
    with pytest.raises(ValueError, match="UUID"):
        collect(provider(fake), "loan-1")
