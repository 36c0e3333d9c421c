"""M-Pesa Daraja adapters against a small in-process fake of Daraja (httpx.MockTransport), and the parsers."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mkopo.adapters.payments.mpesa import (
    DarajaSession,
    MpesaAuthenticationError,
    MpesaCallbackError,
    MpesaPayoutProvider,
    MpesaReplyMismatch,
    MpesaStkCollectionProvider,
    nairobi_timestamp,
    parse_b2c_result,
    parse_payout_callback,
    parse_stk_callback,
    parse_transaction_status_result,
    stk_password,
)
from mkopo.domain.money import Money
from mkopo.service.ports import (
    CollectionNotFound,
    CollectionProvider,
    CollectionStatus,
    PayoutProvider,
    PayoutStatus,
    ProviderAnswerLost,
    ProviderUnavailable,
)

BASIC = "Basic " + base64.b64encode(b"ck:cs").decode()
NOW = datetime(2026, 12, 1, 6, 5, 9, tzinfo=UTC)  # 09:05:09 in Nairobi
REFERENCE = "0f8fad5b-d9cb-469f-a165-70867728950e"


@dataclass
class FakeDaraja:
    """Just enough Daraja: OAuth tokens, scripted replies per path, and a log of what was posted."""

    replies: dict[str, list[httpx.Response]] = field(default_factory=dict)
    bodies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tokens_issued: list[str] = field(default_factory=list)
    token_requests: list[httpx.Request] = field(default_factory=list)
    reject_tokens: int = 0
    raise_on_post: Exception | None = None
    expires_in: Any = "3599"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v1/generate":
            return self._token(request)
        if request.headers.get("Authorization") != f"Bearer {self.tokens_issued[-1]}" or self.reject_tokens:
            self.reject_tokens = max(self.reject_tokens - 1, 0)
            return httpx.Response(
                404, json={"errorCode": "404.001.03", "errorMessage": "Invalid Access Token"}
            )
        if self.raise_on_post is not None:
            raise self.raise_on_post
        self.bodies.setdefault(request.url.path, []).append(json.loads(request.content))
        script = self.replies.get(request.url.path) or [
            httpx.Response(500, json={"errorCode": "500.002.1001"})
        ]
        return script.pop(0) if len(script) > 1 else script[0]

    def _token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests.append(request)
        if request.headers.get("Authorization") != BASIC or request.url.params.get("grant_type") != (
            "client_credentials"
        ):
            return httpx.Response(
                400, json={"errorCode": "400.008.01", "errorMessage": "Invalid Authentication"}
            )
        self.tokens_issued.append(f"token-{len(self.tokens_issued)}")
        return httpx.Response(
            200, json={"access_token": self.tokens_issued[-1], "expires_in": self.expires_in}
        )

    def reply(self, path: str, *responses: httpx.Response) -> None:
        self.replies[path] = list(responses)


B2C_ACK = httpx.Response(
    200,
    json={
        "ConversationID": "AG_20261201_0000",
        "OriginatorConversationID": REFERENCE,
        "ResponseCode": "0",
        "ResponseDescription": "Accept the service request successfully.",
    },
)
QUERIED = {
    "ResponseCode": "0",
    "ResponseDescription": "The service request has been accepted successsfully",
    "MerchantRequestID": "29115-34620561-1",
    "CheckoutRequestID": "ws_CO_191220191020363925",
}
STK_ACK = httpx.Response(
    200,
    json={
        "MerchantRequestID": "29115-34620561-1",
        "CheckoutRequestID": "ws_CO_191220191020363925",
        "ResponseCode": "0",
        "ResponseDescription": "Success. Request accepted for processing",
        "CustomerMessage": "Success. Request accepted for processing",
    },
)


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def session(fake: FakeDaraja, clock: FakeClock | None = None, **overrides: Any) -> DarajaSession:
    params: dict[str, Any] = {
        "base_url": "https://daraja.test",
        "consumer_key": "ck",
        "consumer_secret": "cs",
        "transport": httpx.MockTransport(fake),
        "clock": clock or FakeClock(),
    }
    return DarajaSession(**{**params, **overrides})


def payouts(fake: FakeDaraja, **overrides: Any) -> MpesaPayoutProvider:
    return MpesaPayoutProvider(
        session=session(fake, **overrides),
        shortcode="600000",
        initiator_name="mkopo-api",
        security_credential="encrypted==",
        result_url="https://mkopo.test/mpesa/b2c/result",
        queue_timeout_url="https://mkopo.test/mpesa/b2c/timeout",
        status_result_url="https://mkopo.test/mpesa/status/result",
    )


def stk(fake: FakeDaraja, **overrides: Any) -> MpesaStkCollectionProvider:
    return MpesaStkCollectionProvider(
        session=session(fake, **overrides),
        shortcode="174379",
        passkey="pk",
        callback_url="https://mkopo.test/mpesa/stk",
        now=lambda: NOW,
    )


def pay(provider: MpesaPayoutProvider, **kwargs: Any) -> Any:
    args: dict[str, Any] = {
        "reference": REFERENCE,
        "amount": Money.parse("5000", "KES"),
        "msisdn": "+254708374149",
        "note": "mkopo loan L-1",
    }
    return provider.request_payout(**{**args, **kwargs})


def collect(provider: MpesaStkCollectionProvider, **kwargs: Any) -> Any:
    args: dict[str, Any] = {
        "reference": REFERENCE,
        "amount": Money.parse("1500", "KES"),
        "msisdn": "+254708374149",
        "description": "Loan repayment",
    }
    return provider.request_collection(**{**args, **kwargs})


@pytest.fixture
def fake() -> FakeDaraja:
    fake = FakeDaraja()
    fake.reply("/mpesa/b2c/v3/paymentrequest", B2C_ACK)
    fake.reply("/mpesa/stkpush/v1/processrequest", STK_ACK)
    return fake


def test_providers_satisfy_the_ports(fake: FakeDaraja) -> None:
    payout: PayoutProvider = payouts(fake)
    collection: CollectionProvider = stk(fake)
    assert payout.name == collection.name == "mpesa"


def test_b2c_body_follows_daraja_and_ack_is_pending(fake: FakeDaraja) -> None:
    result = pay(payouts(fake))
    assert (result.status, result.reference, result.provider_transaction_id) == (
        PayoutStatus.PENDING,
        REFERENCE,
        None,
    )
    [body] = fake.bodies["/mpesa/b2c/v3/paymentrequest"]
    assert body == {
        "OriginatorConversationID": REFERENCE,
        "InitiatorName": "mkopo-api",
        "SecurityCredential": "encrypted==",
        "CommandID": "BusinessPayment",
        "Amount": 5000,
        "PartyA": "600000",
        "PartyB": "254708374149",
        "Remarks": "mkopo loan L-1",
        "QueueTimeOutURL": "https://mkopo.test/mpesa/b2c/timeout",
        "ResultURL": "https://mkopo.test/mpesa/b2c/result",
        "Occasion": REFERENCE,
    }


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"amount": Money.parse("5000.50", "KES")}, "AMOUNT_NOT_WHOLE_SHILLINGS"),
        ({"amount": Money.parse("5000", "UGX")}, "UNSUPPORTED_CURRENCY"),
        ({"msisdn": "+256772123456"}, "INVALID_MSISDN"),
        ({"msisdn": "+25470837414"}, "INVALID_MSISDN"),
    ],
)
def test_requests_mpesa_cannot_take_fail_without_calling(
    fake: FakeDaraja, kwargs: dict[str, Any], reason: str
) -> None:
    assert (pay(payouts(fake), **kwargs).reason, collect(stk(fake), **kwargs).reason) == (reason, reason)
    assert fake.bodies == {} and fake.tokens_issued == []


def test_b2c_validation_error_is_failed(fake: FakeDaraja) -> None:
    fake.reply(
        "/mpesa/b2c/v3/paymentrequest",
        httpx.Response(400, json={"errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid PartyB"}),
    )
    assert (pay(payouts(fake)).status, pay(payouts(fake)).reason) == (PayoutStatus.FAILED, "400.002.02")


STATUS_ACK = httpx.Response(
    200, json={"ResponseCode": "0", "ConversationID": "AG_1", "OriginatorConversationID": "x"}
)


def test_duplicate_b2c_is_pending_and_confirmed_by_a_status_query(fake: FakeDaraja) -> None:
    """Daraja answers a repeated OriginatorConversationID with 500 errorCode 500.002.1001: not an outage."""
    fake.reply(
        "/mpesa/b2c/v3/paymentrequest",
        httpx.Response(
            500, json={"errorCode": "500.002.1001", "errorMessage": "Duplicate OriginatorConversationID."}
        ),
    )
    fake.reply("/mpesa/transactionstatus/v1/query", STATUS_ACK)
    result = pay(payouts(fake))
    assert (result.status, result.reason) == (PayoutStatus.PENDING, "DUPLICATE_REFERENCE")
    [query] = fake.bodies["/mpesa/transactionstatus/v1/query"]
    assert query["OriginalConversationID"] == REFERENCE
    assert query["ResultURL"] == "https://mkopo.test/mpesa/status/result"


def test_duplicate_b2c_is_pending_even_if_the_status_query_cannot_be_sent(fake: FakeDaraja) -> None:
    fake.reply(
        "/mpesa/b2c/v3/paymentrequest",
        httpx.Response(
            500, json={"errorCode": "500.002.1001", "errorMessage": "Duplicate OriginatorConversationID."}
        ),
    )
    fake.reply("/mpesa/transactionstatus/v1/query", httpx.Response(503, json={"errorCode": "503.001.01"}))
    result = pay(payouts(fake))
    assert (result.status, result.reason) == (PayoutStatus.PENDING, "DUPLICATE_REFERENCE")


def test_other_500_002_1001_errors_stay_provider_unavailable(fake: FakeDaraja) -> None:
    fake.reply(
        "/mpesa/b2c/v3/paymentrequest",
        httpx.Response(500, json={"errorCode": "500.002.1001", "errorMessage": "Internal Server Error"}),
    )
    with pytest.raises(ProviderUnavailable):
        pay(payouts(fake))
    assert "/mpesa/transactionstatus/v1/query" not in fake.bodies


def test_b2c_ack_with_non_zero_response_code_is_failed(fake: FakeDaraja) -> None:
    fake.reply(
        "/mpesa/b2c/v3/paymentrequest",
        httpx.Response(200, json={"ResponseCode": "1", "ResponseDescription": "x"}),
    )
    assert pay(payouts(fake)).status is PayoutStatus.FAILED


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_are_provider_unavailable(fake: FakeDaraja, status: int) -> None:
    fake.reply("/mpesa/b2c/v3/paymentrequest", httpx.Response(status, json={"errorCode": "500.002.1001"}))
    with pytest.raises(ProviderUnavailable):
        pay(payouts(fake))


def test_transport_faults_are_provider_unavailable(fake: FakeDaraja) -> None:
    fake.raise_on_post = httpx.ReadTimeout("slow")
    with pytest.raises(ProviderUnavailable) as info:
        pay(payouts(fake))
    assert not isinstance(info.value, MpesaAuthenticationError)


@pytest.mark.parametrize(
    ("fault", "lost"),
    [
        (httpx.ReadTimeout("slow"), True),
        (httpx.RemoteProtocolError("dropped"), True),
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("unreachable"), False),
    ],
)
def test_a_sent_request_without_an_answer_is_told_from_one_never_sent(
    fake: FakeDaraja, fault: httpx.HTTPError, lost: bool
) -> None:
    fake.raise_on_post = fault
    with pytest.raises(ProviderUnavailable) as info:
        pay(payouts(fake))
    assert isinstance(info.value, ProviderAnswerLost) is lost


def test_token_is_basic_auth_cached_and_refreshed_once_on_invalid_token(fake: FakeDaraja) -> None:
    provider = payouts(fake)
    pay(provider)
    pay(provider)
    assert len(fake.tokens_issued) == 1
    fake.reject_tokens = 1
    assert pay(provider).status is PayoutStatus.PENDING
    assert len(fake.tokens_issued) == 2


def test_token_is_refetched_near_expiry(fake: FakeDaraja) -> None:
    clock = FakeClock()
    provider = payouts(fake, clock=clock)
    pay(provider)
    clock.now += 3599 - 30
    pay(provider)
    assert len(fake.tokens_issued) == 2


def test_persistent_token_rejection_and_bad_credentials_raise_authentication_error(fake: FakeDaraja) -> None:
    fake.reject_tokens = 5
    with pytest.raises(MpesaAuthenticationError):
        pay(payouts(fake))
    with pytest.raises(MpesaAuthenticationError):
        pay(payouts(FakeDaraja(), consumer_secret="wrong"))


def test_payout_status_sends_a_transaction_status_query(fake: FakeDaraja) -> None:
    fake.reply("/mpesa/transactionstatus/v1/query", STATUS_ACK)
    result = payouts(fake).payout_status(REFERENCE)
    assert (result.status, result.reason) == (PayoutStatus.PENDING, "STATUS_QUERY_SENT")
    [body] = fake.bodies["/mpesa/transactionstatus/v1/query"]
    assert body["CommandID"] == "TransactionStatusQuery"
    assert body["OriginalConversationID"] == body["Occasion"] == REFERENCE
    assert body["ResultURL"] == "https://mkopo.test/mpesa/status/result"
    assert (body["PartyA"], body["IdentifierType"]) == ("600000", "4")


def test_reference_must_fit_daraja(fake: FakeDaraja) -> None:
    with pytest.raises(ValueError):
        pay(payouts(fake), reference="loan 42!")


def test_stk_push_body_password_and_nairobi_timestamp(fake: FakeDaraja) -> None:
    result = collect(stk(fake), description="Repayment of loan L-1")
    assert (result.status, result.provider_request_id) == (
        CollectionStatus.PENDING,
        "ws_CO_191220191020363925",
    )
    [body] = fake.bodies["/mpesa/stkpush/v1/processrequest"]
    assert body["Timestamp"] == "20261201090509"
    assert base64.b64decode(body["Password"]).decode() == "174379pk20261201090509"
    assert body["Password"] == stk_password("174379", "pk", "20261201090509")
    assert (body["Amount"], body["PartyA"], body["PhoneNumber"], body["PartyB"]) == (
        1500,
        "254708374149",
        "254708374149",
        "174379",
    )
    assert body["TransactionType"] == "CustomerPayBillOnline"
    assert body["CallBackURL"] == "https://mkopo.test/mpesa/stk"
    assert len(body["AccountReference"]) <= 12 and len(body["TransactionDesc"]) <= 13


def test_stk_push_repeat_in_process_does_not_prompt_twice(fake: FakeDaraja) -> None:
    provider = stk(fake)
    first, second = collect(provider), collect(provider)
    assert first == second
    assert len(fake.bodies["/mpesa/stkpush/v1/processrequest"]) == 1


def test_stk_query_maps_result_codes(fake: FakeDaraja) -> None:
    provider = stk(fake)
    collect(provider)
    fake.reply(
        "/mpesa/stkpushquery/v1/query",
        httpx.Response(
            500, json={"errorCode": "500.001.1001", "errorMessage": "The transaction is being processed"}
        ),
        httpx.Response(
            200, json={**QUERIED, "ResultCode": "1032", "ResultDesc": "Request cancelled by user"}
        ),
        httpx.Response(200, json={**QUERIED, "ResultCode": "0", "ResultDesc": "processed"}),
    )
    assert provider.collection_status(REFERENCE).status is CollectionStatus.PENDING
    cancelled = provider.collection_status(REFERENCE)
    assert (cancelled.status, cancelled.reason) == (
        CollectionStatus.FAILED,
        "1032: Request cancelled by user",
    )
    done = provider.collection_status(REFERENCE, provider_request_id="ws_CO_191220191020363925")
    assert (done.status, done.amount) == (CollectionStatus.SUCCESSFUL, None)
    assert fake.bodies["/mpesa/stkpushquery/v1/query"][0]["CheckoutRequestID"] == "ws_CO_191220191020363925"


@pytest.mark.parametrize(
    "named",
    [
        {"CheckoutRequestID": "ws_CO_SOMEONE_ELSES", "MerchantRequestID": "29115-34620561-1"},
        {"MerchantRequestID": "29115-34620561-1"},
    ],
)
def test_stk_query_reply_for_another_checkout_id_is_refused(fake: FakeDaraja, named: dict[str, str]) -> None:
    """A reply that does not name the CheckoutRequestID asked about is not believed (nor a success)."""
    provider = stk(fake)
    collect(provider)
    reply = {"ResponseCode": "0", "ResultCode": "0", "ResultDesc": "processed", **named}
    fake.reply("/mpesa/stkpushquery/v1/query", httpx.Response(200, json=reply))
    with pytest.raises(MpesaReplyMismatch):
        provider.collection_status(REFERENCE)


def test_stk_query_without_a_checkout_id_is_not_found(fake: FakeDaraja) -> None:
    with pytest.raises(CollectionNotFound):
        stk(fake).collection_status(REFERENCE)


def test_nairobi_timestamp_refuses_naive_times() -> None:
    assert nairobi_timestamp(datetime(2026, 12, 31, 22, 0, tzinfo=UTC)) == "20270101010000"
    with pytest.raises(ValueError):
        nairobi_timestamp(datetime(2026, 1, 1))


def b2c_result(code: int = 0, amount: Any = 5000) -> dict[str, Any]:
    params = [
        {"Key": "TransactionAmount", "Value": amount},
        {"Key": "TransactionReceipt", "Value": "NLJ41HAY6Q"},
        {"Key": "ReceiverPartyPublicName", "Value": "254708374149 - John Doe"},
        {"Key": "TransactionCompletedDateTime", "Value": "01.12.2026 09:05:12"},
        {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
    ]
    result: dict[str, Any] = {
        "ResultType": 0,
        "ResultCode": code,
        "ResultDesc": "The service request is processed successfully." if code == 0 else "Failed",
        "OriginatorConversationID": REFERENCE,
        "ConversationID": "AG_20261201_0000",
        "TransactionID": "NLJ41HAY6Q",
    }
    if code == 0:
        result["ResultParameters"] = {"ResultParameter": params}
    return {"Result": result}


def status_result(status: str = "Completed", code: int = 0) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ResultType": 0,
        "ResultCode": code,
        "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": "query-own-id",
        "ConversationID": "AG_20261201_0001",
        "TransactionID": "NLJ0000000",
        "ReferenceData": {"ReferenceItem": {"Key": "Occasion", "Value": REFERENCE}},
    }
    if code == 0:
        result["ResultParameters"] = {
            "ResultParameter": [
                {"Key": "ReceiptNo", "Value": "NLJ41HAY6Q"},
                {"Key": "TransactionStatus", "Value": status},
                {"Key": "Amount", "Value": "5000.00"},
                {"Key": "FinalisedTime", "Value": 20261201090512},
                {"Key": "TransactionReason"},
            ]
        }
    return {"Result": result}


def test_b2c_success_result_exposes_receipt_and_amount() -> None:
    outcome = parse_b2c_result(b2c_result())
    assert (outcome.result.status, outcome.result.reference, outcome.result.provider_transaction_id) == (
        PayoutStatus.SUCCESSFUL,
        REFERENCE,
        "NLJ41HAY6Q",
    )
    assert outcome.amount == Money.parse("5000", "KES")
    assert outcome.amount_matches(Money.parse("5000", "KES"))
    assert not parse_b2c_result(b2c_result(amount="4999")).amount_matches(Money.parse("5000", "KES"))


def test_b2c_failure_result_is_failed_with_code() -> None:
    outcome = parse_payout_callback(b2c_result(code=2040), kind="b2c")
    assert (outcome.result.status, outcome.result.reason, outcome.amount) == (
        PayoutStatus.FAILED,
        "2040: Failed",
        None,
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"Result": "x"},
        {"Result": {"ResultCode": 0}},
        {"Result": {"OriginatorConversationID": REFERENCE}},
        {"Result": {"ResultCode": 0, "OriginatorConversationID": REFERENCE}},
        b2c_result(amount="five thousand"),
        b2c_result(amount="10.001"),
        status_result(),
    ],
)
def test_malformed_b2c_results_are_rejected(body: dict[str, Any]) -> None:
    with pytest.raises(MpesaCallbackError):
        parse_b2c_result(body)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Completed", PayoutStatus.SUCCESSFUL),
        ("Failed", PayoutStatus.FAILED),
        ("Pending", PayoutStatus.PENDING),
    ],
)
def test_transaction_status_result_maps_the_payout_status(status: str, expected: PayoutStatus) -> None:
    outcome = parse_payout_callback(status_result(status), kind="status")
    assert (outcome.result.reference, outcome.result.status) == (REFERENCE, expected)
    assert outcome.amount == Money.parse("5000", "KES")


def test_failed_status_query_never_marks_the_payout_failed() -> None:
    outcome = parse_transaction_status_result(status_result(code=2001))
    assert (outcome.result.status, outcome.result.reason) == (
        PayoutStatus.PENDING,
        "STATUS_QUERY_FAILED:2001",
    )
    assert not outcome.transaction_unknown


def test_a_status_answer_of_no_such_transaction_is_told_apart() -> None:
    outcome = parse_transaction_status_result(status_result(code=2032))
    assert outcome.result.status == PayoutStatus.PENDING and outcome.transaction_unknown


def test_status_result_prefers_the_original_originator_conversation_id() -> None:
    body = status_result()
    body["Result"]["ResultParameters"]["ResultParameter"].append(
        {"Key": "OriginatorConversationID", "Value": "orig"}
    )
    assert parse_transaction_status_result(body).result.reference == "orig"
    del body["Result"]["ReferenceData"]
    body["Result"]["ResultParameters"]["ResultParameter"].pop()
    with pytest.raises(MpesaCallbackError):
        parse_transaction_status_result(body)


def stk_callback(code: int = 0, amount: Any = 1500) -> dict[str, Any]:
    callback: dict[str, Any] = {
        "MerchantRequestID": "29115-34620561-1",
        "CheckoutRequestID": "ws_CO_191220191020363925",
        "ResultCode": code,
        "ResultDesc": "The service request is processed successfully."
        if code == 0
        else "Request cancelled by user",
    }
    if code == 0:
        callback["CallbackMetadata"] = {
            "Item": [
                {"Name": "Amount", "Value": amount},
                {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                {"Name": "Balance"},
                {"Name": "TransactionDate", "Value": 20261201090530},
                {"Name": "PhoneNumber", "Value": 254708374149},
            ]
        }
    return {"Body": {"stkCallback": callback}}


def test_stk_callback_success_carries_receipt_amount_and_phone() -> None:
    parsed = parse_stk_callback(stk_callback(amount=1500.0))
    assert (parsed.status, parsed.receipt, parsed.amount, parsed.phone) == (
        CollectionStatus.SUCCESSFUL,
        "NLJ7RT61SV",
        Money.parse("1500", "KES"),
        "254708374149",
    )
    result = parsed.to_collection_result(REFERENCE)
    assert result.amount_matches(Money.parse("1500", "KES"))
    assert not result.amount_matches(Money.parse("1501", "KES"))


def test_stk_callback_failure_is_failed_with_code() -> None:
    parsed = parse_stk_callback(stk_callback(code=1032))
    assert (parsed.status, parsed.result_code, parsed.amount) == (CollectionStatus.FAILED, "1032", None)
    assert parsed.to_collection_result(REFERENCE).reason == "1032: Request cancelled by user"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"Body": {}},
        {"Body": {"stkCallback": {"ResultCode": 0}}},
        stk_callback(amount=None),
        stk_callback(amount=[1]),
    ],
)
def test_malformed_stk_callbacks_are_rejected(body: dict[str, Any]) -> None:
    with pytest.raises(MpesaCallbackError):
        parse_stk_callback(body)
