"""M-Pesa adapters against the real M-Pesa sandbox subprocess; callbacks land on a tiny local HTTP server."""

from __future__ import annotations

import functools
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from mkopo.adapters.payments.mpesa import (
    DarajaSession,
    MpesaAuthenticationError,
    MpesaPayoutProvider,
    MpesaStkCollectionProvider,
    parse_b2c_result,
    parse_stk_callback,
    parse_transaction_status_result,
)
from mkopo.domain.money import Money
from mkopo.service.ports import CollectionStatus, PayoutStatus, ProviderUnavailable
from tests.sandboxes import StartSandbox, sandbox_starter

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
KES_5000 = Money.parse("5000", "KES")


class Inbox:
    """A loopback HTTP server that records every callback POSTed to it, by path."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self._cond = threading.Condition()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                with inbox._cond:
                    inbox.received.append((self.path, body))
                    inbox._cond.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def wait_for(self, path: str, count: int = 1, timeout_s: float = 5.0) -> list[dict[str, Any]]:
        """The bodies POSTed to ``path`` once there are at least ``count`` of them (or when time is up)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while len(self.at(path)) < count and time.monotonic() < deadline:
                self._cond.wait(timeout=deadline - time.monotonic())
            return self.at(path)

    def at(self, path: str) -> list[dict[str, Any]]:
        return [body for p, body in self.received if p == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def start_sandbox() -> Iterator[StartSandbox]:
    """Start M-Pesa sandboxes with the given CLI flags; every one is stopped when the module ends."""
    with sandbox_starter() as start:
        yield functools.partial(start, "mpesa_sandbox")


@pytest.fixture(scope="module")
def sandbox(start_sandbox: StartSandbox) -> str:
    return start_sandbox()


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    yield box
    box.close()


def session(base_url: str, **overrides: Any) -> DarajaSession:
    params: dict[str, Any] = {
        "base_url": base_url,
        "consumer_key": "mkopo-local",
        "consumer_secret": "local-sandbox-secret",
    }
    return DarajaSession(**{**params, **overrides})


def payouts(base_url: str, inbox: Inbox, **overrides: Any) -> MpesaPayoutProvider:
    return MpesaPayoutProvider(
        session=session(base_url, **overrides),
        shortcode="600000",
        initiator_name="mkopo-api",
        security_credential="sandbox-credential",
        result_url=inbox.url("/b2c"),
        queue_timeout_url=inbox.url("/timeout"),
        status_result_url=inbox.url("/status"),
    )


def stk(base_url: str, inbox: Inbox, passkey: str = "local-sandbox-passkey") -> MpesaStkCollectionProvider:
    return MpesaStkCollectionProvider(
        session=session(base_url), shortcode="174379", passkey=passkey, callback_url=inbox.url("/stk")
    )


def pay(provider: MpesaPayoutProvider, msisdn: str = "+254708374149", reference: str | None = None) -> Any:
    return provider.request_payout(
        reference=reference or str(uuid.uuid4()), amount=KES_5000, msisdn=msisdn, note="mkopo loan"
    )


def collect(provider: MpesaStkCollectionProvider, msisdn: str = "+254708374149") -> Any:
    return provider.request_collection(
        reference=str(uuid.uuid4()), amount=Money.parse("1500", "KES"), msisdn=msisdn, description="Repayment"
    )


def rows(base_url: str, listing: str, key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.get(f"{base_url}/sandbox/{listing}").json()[key]
    return found


def test_b2c_payout_is_pending_then_the_result_callback_says_successful(sandbox: str, inbox: Inbox) -> None:
    with payouts(sandbox, inbox) as provider:
        ack = pay(provider)
    assert ack.status is PayoutStatus.PENDING
    [callback] = inbox.wait_for("/b2c")
    outcome = parse_b2c_result(callback)
    assert (outcome.result.reference, outcome.result.status) == (ack.reference, PayoutStatus.SUCCESSFUL)
    assert outcome.amount_matches(KES_5000)
    [row] = [r for r in rows(sandbox, "payouts", "payouts") if r["originatorConversationId"] == ack.reference]
    assert (row["amount"], row["partyB"], row["transactionId"]) == (
        5000,
        "254708374149",
        outcome.result.provider_transaction_id,
    )


@pytest.mark.parametrize(
    ("msisdn", "code"), [("+254722000001", "2040"), ("+254733000001", "1"), ("+254744000001", "2001")]
)
def test_b2c_test_numbers_fail_with_daraja_result_codes(
    sandbox: str, inbox: Inbox, msisdn: str, code: str
) -> None:
    with payouts(sandbox, inbox) as provider:
        pay(provider, msisdn)
    [callback] = inbox.wait_for("/b2c")
    outcome = parse_b2c_result(callback)
    assert (outcome.result.status, outcome.result_code, outcome.amount) == (PayoutStatus.FAILED, code, None)


def test_repeated_reference_pays_once_and_is_confirmed_by_a_status_query(sandbox: str, inbox: Inbox) -> None:
    reference = str(uuid.uuid4())
    with payouts(sandbox, inbox) as provider:
        first, second = pay(provider, reference=reference), pay(provider, reference=reference)
    assert (first.status, first.reason) == (PayoutStatus.PENDING, None)
    assert (second.status, second.reason) == (PayoutStatus.PENDING, "DUPLICATE_REFERENCE")
    [status] = inbox.wait_for("/status")
    confirmed = parse_transaction_status_result(status).result
    assert (confirmed.reference, confirmed.status) == (reference, PayoutStatus.SUCCESSFUL)
    inbox.wait_for("/b2c", count=2, timeout_s=1.0)
    assert len(inbox.at("/b2c")) == 1
    [row] = [r for r in rows(sandbox, "payouts", "payouts") if r["originatorConversationId"] == reference]
    assert row["attempts"] == 2


def test_sandbox_answers_a_repeated_originator_conversation_id_like_daraja(
    sandbox: str, inbox: Inbox
) -> None:
    """Daraja: 500 {requestId, errorCode 500.002.1001, errorMessage "Duplicate OriginatorConversationID."}."""
    reference = str(uuid.uuid4())
    with payouts(sandbox, inbox) as provider:
        pay(provider, reference=reference)
        body = {**rows(sandbox, "payouts", "payouts")[-1]["body"]}
        response = provider._session.post("/mpesa/b2c/v3/paymentrequest", body)
    assert response.status_code == 500
    error = response.json()
    assert (error["errorCode"], error["errorMessage"]) == (
        "500.002.1001",
        "Duplicate OriginatorConversationID.",
    )
    assert error["requestId"]


def test_status_query_reconciles_a_payout_by_callback(sandbox: str, inbox: Inbox) -> None:
    with payouts(sandbox, inbox) as provider:
        ack = pay(provider)
        [b2c] = inbox.wait_for("/b2c")
        queried = provider.payout_status(ack.reference)
    assert (queried.status, queried.reason) == (PayoutStatus.PENDING, "STATUS_QUERY_SENT")
    [status] = inbox.wait_for("/status")
    outcome = parse_transaction_status_result(status)
    assert (outcome.result.reference, outcome.result.status) == (ack.reference, PayoutStatus.SUCCESSFUL)
    assert outcome.result.provider_transaction_id == parse_b2c_result(b2c).result.provider_transaction_id
    assert outcome.amount_matches(KES_5000)
    assert outcome.completed_at is not None and len(outcome.completed_at) == 14


def test_status_result_carries_daraja_sample_fields(sandbox: str, inbox: Inbox) -> None:
    """Daraja's Transaction Status sample: FinalisedTime, InitiatedTime, DebitPartyCharges and so on."""
    with payouts(sandbox, inbox) as provider:
        ack = pay(provider)
        inbox.wait_for("/b2c")
        provider.payout_status(ack.reference)
    [status] = inbox.wait_for("/status")
    params = {p["Key"]: p.get("Value") for p in status["Result"]["ResultParameters"]["ResultParameter"]}
    expected = {
        "DebitPartyName",
        "CreditPartyName",
        "OriginatorConversationID",
        "InitiatedTime",
        "DebitAccountType",
        "DebitPartyCharges",
        "TransactionReason",
        "ReasonType",
        "TransactionStatus",
        "FinalisedTime",
        "Amount",
        "ConversationID",
        "ReceiptNo",
    }
    assert expected <= params.keys()
    assert re.fullmatch(r"\d{14}", str(params["FinalisedTime"]))
    assert re.fullmatch(r"\d{14}", str(params["InitiatedTime"]))
    assert str(params["InitiatedTime"]) <= str(params["FinalisedTime"])
    assert params["DebitAccountType"] == "Utility Account"
    assert str(params["DebitPartyCharges"]).startswith("Fee For B2C Payment|KES|")
    assert parse_transaction_status_result(status).completed_at == str(params["FinalisedTime"])


def test_never_settling_payout_stays_pending_and_unknown_reference_is_not_failed(
    sandbox: str, inbox: Inbox
) -> None:
    with payouts(sandbox, inbox) as provider:
        ack = pay(provider, "+254755000001")
        provider.payout_status(ack.reference)
        provider.payout_status(str(uuid.uuid4()))
    statuses = [parse_transaction_status_result(b).result for b in inbox.wait_for("/status", count=2)]
    assert inbox.at("/b2c") == []
    by_reference = {r.reference: r for r in statuses}
    assert by_reference[ack.reference].status is PayoutStatus.PENDING
    unknown = next(r for ref, r in by_reference.items() if ref != ack.reference)
    assert (unknown.status, unknown.reason) == (PayoutStatus.PENDING, "STATUS_QUERY_FAILED:2032")


def test_short_paid_payout_is_caught_by_the_amount_check(sandbox: str, inbox: Inbox) -> None:
    with payouts(sandbox, inbox) as provider:
        pay(provider, "+254766000001")
    outcome = parse_b2c_result(inbox.wait_for("/b2c")[0])
    assert outcome.result.status is PayoutStatus.SUCCESSFUL
    assert outcome.amount == Money.parse("4999", "KES") and not outcome.amount_matches(KES_5000)


def test_stk_push_succeeds_by_callback_and_query(sandbox: str, inbox: Inbox) -> None:
    with stk(sandbox, inbox) as provider:
        ack = collect(provider)
        assert ack.status is CollectionStatus.PENDING
        [callback] = inbox.wait_for("/stk")
        queried = provider.collection_status(ack.reference)
    parsed = parse_stk_callback(callback)
    assert parsed.checkout_request_id == ack.provider_request_id
    result = parsed.to_collection_result(ack.reference)
    assert (result.status, result.amount) == (CollectionStatus.SUCCESSFUL, Money.parse("1500", "KES"))
    assert result.provider_transaction_id and parsed.phone == "254708374149"
    assert queried.status is CollectionStatus.SUCCESSFUL
    [row] = [
        r for r in rows(sandbox, "stk-pushes", "pushes") if r["checkoutRequestId"] == ack.provider_request_id
    ]
    assert (row["amount"], row["body"]["PartyB"], row["body"]["TransactionType"]) == (
        1500,
        "174379",
        "CustomerPayBillOnline",
    )


@pytest.mark.parametrize(
    ("msisdn", "code"), [("+254722000001", "1"), ("+254733000001", "1032"), ("+254744000001", "1037")]
)
def test_stk_test_numbers_fail_with_daraja_result_codes(
    sandbox: str, inbox: Inbox, msisdn: str, code: str
) -> None:
    with stk(sandbox, inbox) as provider:
        ack = collect(provider, msisdn)
        parsed = parse_stk_callback(inbox.wait_for("/stk")[0])
        queried = provider.collection_status(ack.reference)
    assert (parsed.status, parsed.result_code) == (CollectionStatus.FAILED, code)
    assert queried.status is CollectionStatus.FAILED and (queried.reason or "").startswith(code)


def test_wrong_passkey_is_refused_and_wrong_secret_is_authentication_error(
    sandbox: str, inbox: Inbox
) -> None:
    with stk(sandbox, inbox, passkey="wrong") as provider:
        result = collect(provider)
    assert (result.status, result.reason) == (CollectionStatus.FAILED, "400.002.02")
    with (
        payouts(sandbox, inbox, consumer_secret="wrong") as provider,
        pytest.raises(MpesaAuthenticationError),
    ):
        pay(provider)


def test_latency_keeps_stk_processing_until_the_callback(start_sandbox: StartSandbox, inbox: Inbox) -> None:
    slow = start_sandbox("--latency-ms", "800")
    with stk(slow, inbox) as provider:
        ack = collect(provider)
        assert provider.collection_status(ack.reference).status is CollectionStatus.PENDING
        assert inbox.at("/stk") == []
        [callback] = inbox.wait_for("/stk")
        assert provider.collection_status(ack.reference).status is CollectionStatus.SUCCESSFUL
    assert parse_stk_callback(callback).status is CollectionStatus.SUCCESSFUL


def test_duplicate_callbacks_arrive_twice_identically(start_sandbox: StartSandbox, inbox: Inbox) -> None:
    noisy = start_sandbox("--duplicate-callbacks", "1.0")
    with payouts(noisy, inbox) as provider:
        pay(provider)
    first, second = inbox.wait_for("/b2c", count=2)
    assert first == second


def test_dropped_callbacks_are_recovered_by_the_status_query(
    start_sandbox: StartSandbox, inbox: Inbox
) -> None:
    lossy = start_sandbox("--drop-callbacks", "1.0")
    with stk(lossy, inbox) as provider:
        ack = collect(provider)
        time.sleep(0.3)
        assert provider.collection_status(ack.reference).status is CollectionStatus.SUCCESSFUL
    assert inbox.at("/stk") == []
    assert [c["dropped"] for c in rows(lossy, "callbacks", "callbacks")] == [True]


def test_injected_500_is_provider_unavailable_and_records_nothing(
    start_sandbox: StartSandbox, inbox: Inbox
) -> None:
    faulty = start_sandbox("--fail-rate", "1.0")
    with payouts(faulty, inbox) as provider, pytest.raises(ProviderUnavailable):
        pay(provider)
    assert rows(faulty, "payouts", "payouts") == []
