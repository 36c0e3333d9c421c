"""The MoMo sandbox in ``--mode mtn`` behaves like MTN's public sandbox: EUR only, MTN's test numbers only."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from mkopo.adapters.payments.momo import MomoPayoutProvider, MomoSession
from mkopo.adapters.payments.momo_collection import MomoCollectionProvider
from mkopo.adapters.payments.momo_profile import MomoProfile
from mkopo.config import MTN_TEST_NUMBERS
from mkopo.domain.money import Money
from mkopo.service.ports import CollectionStatus, PayoutStatus
from tests.integration.test_momo_sandbox import CREDENTIALS, StartSandbox, start_sandbox

pytestmark = pytest.mark.integration
__all__ = ["start_sandbox"]

MTN = MomoProfile(currency="EUR", test_numbers=MTN_TEST_NUMBERS)
UGX = Money.parse("50000", "UGX")


@pytest.fixture(scope="module")
def mtn(start_sandbox: StartSandbox) -> str:
    return start_sandbox("--mode", "mtn")


def payouts(base_url: str, profile: MomoProfile | None = None) -> MomoPayoutProvider:
    params: dict[str, Any] = {"base_url": base_url, "poll_timeout_s": 2.0, "poll_interval_s": 0.05}
    return MomoPayoutProvider(**CREDENTIALS, **params, profile=profile)


def collections(base_url: str, profile: MomoProfile | None = None) -> MomoCollectionProvider:
    session = MomoSession(base_url=base_url, product="collection", **CREDENTIALS)
    return MomoCollectionProvider(session=session, profile=profile)


def pay(provider: MomoPayoutProvider, msisdn: str = "+256772000001") -> Any:
    return provider.request_payout(reference=str(uuid.uuid4()), amount=UGX, msisdn=msisdn, note="loan")


def row(base_url: str, listing: str, key: str, reference: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = httpx.get(f"{base_url}/sandbox/{listing}").json()[key]
    [found] = [r for r in rows if r["referenceId"] == reference]
    return found


def test_mtn_mode_refuses_the_loan_currency_and_non_test_numbers(mtn: str) -> None:
    with payouts(mtn) as provider:
        result = pay(provider)
    assert (result.status, result.reason) == (PayoutStatus.FAILED, "INVALID_CURRENCY")
    with payouts(mtn, MomoProfile(currency="EUR")) as provider:
        result = pay(provider)
    assert (result.status, result.reason) == (PayoutStatus.FAILED, "PAYEE_NOT_FOUND")
    with collections(mtn, MomoProfile(currency="EUR")) as provider:
        asked = provider.request_collection(
            reference=str(uuid.uuid4()), amount=UGX, msisdn="+256772000001", description="repay"
        )
    assert (asked.status, asked.reason) == (CollectionStatus.FAILED, "PAYER_NOT_FOUND")


def test_mtn_profile_pays_in_eur_to_mtn_test_numbers(mtn: str) -> None:
    with payouts(mtn, MTN) as provider:
        result = pay(provider)
    assert result.status is PayoutStatus.SUCCESSFUL
    sent = row(mtn, "transfers", "transfers", result.reference)
    assert (sent["amount"], sent["currency"], sent["payee"]["partyId"]) == ("50000", "EUR", "46733123459")


@pytest.mark.parametrize(
    ("msisdn", "status", "reason"),
    [
        ("+254722000001", PayoutStatus.FAILED, "INTERNAL_PROCESSING_ERROR"),
        ("+254744000001", PayoutStatus.FAILED, "APPROVAL_REJECTED"),
        ("+254755000001", PayoutStatus.PENDING, None),
    ],
)
def test_mtn_test_numbers_settle_to_mtn_outcomes(
    mtn: str, msisdn: str, status: PayoutStatus, reason: str | None
) -> None:
    with payouts(mtn, MTN) as provider:
        provider._poll_timeout_s = 0.2
        result = pay(provider, msisdn)
    assert (result.status, result.reason) == (status, reason)


def test_mtn_profile_collects_in_eur_and_the_status_reads_no_loan_amount(mtn: str) -> None:
    reference = str(uuid.uuid4())
    with collections(mtn, MTN) as provider:
        asked = provider.request_collection(
            reference=reference, amount=UGX, msisdn="+256772000001", description="repay"
        )
        status = provider.collection_status(reference)
    assert asked.status is CollectionStatus.PENDING
    assert (status.status, status.amount) == (CollectionStatus.SUCCESSFUL, None)
    sent = row(mtn, "requests-to-pay", "requestsToPay", reference)
    assert (sent["currency"], sent["payer"]["partyId"]) == ("EUR", "46733123459")
