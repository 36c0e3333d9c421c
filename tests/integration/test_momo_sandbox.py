"""MomoPayoutProvider against the real MoMo sandbox, started as a subprocess on a free loopback port."""

from __future__ import annotations

import base64
import functools
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from mkopo.adapters.payments.momo import MomoPayoutProvider, PayoutNotFound
from mkopo.domain.money import Money
from mkopo.service.ports import PayoutStatus, ProviderUnavailable
from tests.sandboxes import StartSandbox, sandbox_starter

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {
    "api_user": "mkopo-local",
    "api_key": "local-sandbox-key",
    "subscription_key": "local-sandbox-subscription",
    "target_environment": "sandbox",
}
PAYEE = {"partyIdType": "MSISDN", "partyId": "254700000001"}


@pytest.fixture(scope="module")
def start_sandbox() -> Iterator[StartSandbox]:
    """Start MoMo sandboxes with the given CLI flags; every one is stopped when the module ends."""
    with sandbox_starter() as start:
        yield functools.partial(start, "momo_sandbox")


@pytest.fixture(scope="module")
def sandbox(start_sandbox: StartSandbox) -> str:
    """A zero-latency sandbox: transfers settle at once."""
    return start_sandbox()


def provider_for(base_url: str, **overrides: Any) -> MomoPayoutProvider:
    """An adapter pointed at a sandbox with the default local credentials."""
    params: dict[str, Any] = {"base_url": base_url, "poll_timeout_s": 2.0, "poll_interval_s": 0.05}
    return MomoPayoutProvider(**{**CREDENTIALS, **params, **overrides})


def pay(provider: MomoPayoutProvider, msisdn: str = "+254700000001", reference: str | None = None) -> Any:
    """Disburse 5000 KES to ``msisdn``."""
    return provider.request_payout(
        reference=reference or str(uuid.uuid4()),
        amount=Money.parse("5000", "KES"),
        msisdn=msisdn,
        note="mkopo loan",
    )


def received(base_url: str, reference: str) -> list[dict[str, Any]]:
    """What the sandbox received under one reference."""
    rows: list[dict[str, Any]] = httpx.get(f"{base_url}/sandbox/transfers").json()["transfers"]
    return [row for row in rows if row["referenceId"] == reference]


def test_payout_succeeds(sandbox: str) -> None:
    with provider_for(sandbox) as provider:
        result = pay(provider)
    assert result.status is PayoutStatus.SUCCESSFUL
    assert result.provider_transaction_id is not None and result.provider_transaction_id.isdigit()
    [row] = received(sandbox, result.reference)
    assert (row["amount"], row["currency"], row["payee"]["partyId"]) == ("5000.00", "KES", "254700000001")


@pytest.mark.parametrize(
    ("msisdn", "reason"),
    [
        ("+254722000001", "PAYEE_NOT_FOUND"),
        ("+254733000001", "NOT_ENOUGH_FUNDS"),
        ("+254744000001", "INTERNAL_PROCESSING_ERROR"),
    ],
)
def test_test_numbers_fail_with_momo_reasons(sandbox: str, msisdn: str, reason: str) -> None:
    with provider_for(sandbox) as provider:
        result = pay(provider, msisdn)
    assert (result.status, result.reason, result.provider_transaction_id) == (
        PayoutStatus.FAILED,
        reason,
        None,
    )


def test_repeated_reference_returns_same_outcome_and_pays_once(sandbox: str) -> None:
    reference = str(uuid.uuid4())
    with provider_for(sandbox) as provider:
        first = pay(provider, reference=reference)
        second = pay(provider, reference=reference)
    with provider_for(sandbox) as other_instance:
        third = pay(other_instance, reference=reference)
    assert first.status is PayoutStatus.SUCCESSFUL
    assert first == second == third
    [row] = received(sandbox, reference)
    assert row["attempts"] == 3


def test_concurrent_repeats_pay_once(sandbox: str) -> None:
    reference = str(uuid.uuid4())
    with provider_for(sandbox) as provider, ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: pay(provider, reference=reference), range(8)))
    assert {r.status for r in results} == {PayoutStatus.SUCCESSFUL}
    assert len({r.provider_transaction_id for r in results}) == 1
    [row] = received(sandbox, reference)
    assert row["attempts"] == 8


def test_never_settling_number_stays_pending(sandbox: str) -> None:
    with provider_for(sandbox, poll_timeout_s=0.2) as provider:
        result = pay(provider, "+254755000001")
        assert result.status is PayoutStatus.PENDING
        assert provider.payout_status(result.reference).status is PayoutStatus.PENDING


def test_unknown_reference_is_not_found(sandbox: str) -> None:
    with provider_for(sandbox) as provider, pytest.raises(PayoutNotFound):
        provider.payout_status(str(uuid.uuid4()))


def test_latency_keeps_transfer_pending_then_successful(start_sandbox: StartSandbox) -> None:
    slow = start_sandbox("--latency-ms", "1500")
    with provider_for(slow, poll_timeout_s=0.2) as provider:
        result = pay(provider)
        assert result.status is PayoutStatus.PENDING
        deadline = time.monotonic() + 5
        while result.status is PayoutStatus.PENDING and time.monotonic() < deadline:
            time.sleep(0.1)
            result = provider.payout_status(result.reference)
    assert result.status is PayoutStatus.SUCCESSFUL
    assert len(received(slow, result.reference)) == 1


def test_injected_500_is_provider_unavailable_and_records_nothing(start_sandbox: StartSandbox) -> None:
    faulty = start_sandbox("--fail-rate", "1.0")
    reference = str(uuid.uuid4())
    with provider_for(faulty) as provider, pytest.raises(ProviderUnavailable):
        pay(provider, reference=reference)
    assert received(faulty, reference) == []


def test_timed_out_post_retried_with_same_reference_pays_once(start_sandbox: StartSandbox) -> None:
    hanging = start_sandbox("--timeout-rate", "1.0", "--hang-s", "2")
    reference = str(uuid.uuid4())
    with provider_for(hanging, timeout=httpx.Timeout(0.5)) as provider:
        with pytest.raises(ProviderUnavailable):
            pay(provider, reference=reference)
        retried = pay(provider, reference=reference)
    assert retried.status is PayoutStatus.SUCCESSFUL
    [row] = received(hanging, reference)
    assert row["attempts"] == 2


def sandbox_headers(token: str | None = None, reference: str | None = None) -> dict[str, str]:
    """MoMo headers for a raw call to the sandbox."""
    headers = {
        "Ocp-Apim-Subscription-Key": CREDENTIALS["subscription_key"],
        "X-Target-Environment": "sandbox",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if reference:
        headers["X-Reference-Id"] = reference
    return headers


def get_token(base_url: str, user: str, key: str) -> httpx.Response:
    """POST the token endpoint with Basic credentials."""
    basic = base64.b64encode(f"{user}:{key}".encode()).decode()
    headers = {**sandbox_headers(), "Authorization": f"Basic {basic}"}
    return httpx.post(f"{base_url}/disbursement/token/", headers=headers)


def test_sandbox_token_contract(sandbox: str) -> None:
    ok = get_token(sandbox, CREDENTIALS["api_user"], CREDENTIALS["api_key"])
    assert ok.status_code == 200
    assert ok.json()["token_type"] == "access_token" and ok.json()["expires_in"] == 3600
    assert get_token(sandbox, CREDENTIALS["api_user"], "wrong").status_code == 401


@pytest.mark.parametrize(
    ("reference", "body", "code"),
    [
        ("not-a-uuid", {}, "INVALID_REFERENCE_ID"),
        (None, {"amount": 5000, "currency": "KES"}, "BAD_REQUEST"),
        (None, {"amount": "-5", "currency": "KES"}, "BAD_REQUEST"),
        (
            None,
            {"amount": "5", "currency": "KES", "payee": {"partyIdType": "MSISDN", "partyId": "+2547"}},
            None,
        ),
    ],
)
def test_sandbox_rejects_malformed_transfers(
    sandbox: str, reference: str | None, body: dict[str, Any], code: str
) -> None:
    token = get_token(sandbox, CREDENTIALS["api_user"], CREDENTIALS["api_key"]).json()["access_token"]
    headers = sandbox_headers(token, reference or str(uuid.uuid4()))
    response = httpx.post(f"{sandbox}/disbursement/v1_0/transfer", headers=headers, json=body)
    assert response.status_code == 400
    assert response.json()["code"] == (code or "BAD_REQUEST")
    assert "message" in response.json()


def test_sandbox_requires_bearer_token(sandbox: str) -> None:
    headers = sandbox_headers("forged", str(uuid.uuid4()))
    response = httpx.get(f"{sandbox}/disbursement/v1_0/transfer/{uuid.uuid4()}", headers=headers)
    assert response.status_code == 401
