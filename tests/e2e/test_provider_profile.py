"""The provider-sandbox profile end to end: settings from the environment -> the payment directory's MoMo
adapters -> a MoMo sandbox started with ``MOMO_SANDBOX_MODE=mtn`` (MTN's public sandbox rules)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mkopo.adapters.payments.directory import PaymentDirectory
from mkopo.config import Settings
from mkopo.domain.money import Money
from mkopo.service.ports import CollectionStatus, PayoutStatus
from tests.conftest import patched_environ
from tests.sandboxes import sandbox_starter

UGX = Money.parse("75000", "UGX")


@pytest.fixture(scope="module")
def mtn_sandbox() -> Iterator[str]:
    """A MoMo sandbox in MTN mode, chosen by its environment variable as `make dev` would pass it."""
    with sandbox_starter() as start:
        yield start("momo_sandbox", env={"MOMO_SANDBOX_MODE": "mtn"})


def directory(profile: str, base_url: str) -> PaymentDirectory:
    """The payment directory as a function builds it, from MKOPO_* variables."""
    env = {
        "MKOPO_PROVIDER_PROFILE": profile,
        "MKOPO_MOMO_BASE_URL": base_url,
        "MKOPO_PAYOUT_POLL_TIMEOUT_S": "2",
    }
    with patched_environ(env):
        return PaymentDirectory(Settings())


def seen(base_url: str, listing: str, key: str, reference: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = httpx.get(f"{base_url}/sandbox/{listing}").json()[key]
    [row] = [r for r in rows if r["referenceId"] == reference]
    return row


def test_provider_sandbox_profile_pays_and_collects_in_eur_with_mtn_test_numbers(mtn_sandbox: str) -> None:
    payments = directory("provider-sandbox", mtn_sandbox)
    payout = payments.payout_provider("UGX", "app-e2e").request_payout(
        reference=str(uuid.uuid4()), amount=UGX, msisdn="+256772000123", note="mkopo loan"
    )
    assert payout.status is PayoutStatus.SUCCESSFUL and payout.provider_transaction_id
    sent = seen(mtn_sandbox, "transfers", "transfers", payout.reference)
    assert (sent["amount"], sent["currency"], sent["payee"]["partyId"]) == ("75000", "EUR", "46733123459")

    collections = payments.collection_provider("UGX", "rep-e2e")
    reference = str(uuid.uuid4())
    asked = collections.request_collection(
        reference=reference, amount=UGX, msisdn="+256772000123", description="Repayment"
    )
    assert asked.status is CollectionStatus.PENDING
    assert collections.collection_status(reference).status is CollectionStatus.SUCCESSFUL
    asked_row = seen(mtn_sandbox, "requests-to-pay", "requestsToPay", reference)
    assert (asked_row["currency"], asked_row["payer"]["partyId"]) == ("EUR", "46733123459")


def test_a_failing_test_number_keeps_its_meaning_under_the_mtn_profile(mtn_sandbox: str) -> None:
    payments = directory("provider-sandbox", mtn_sandbox)
    payout = payments.payout_provider("UGX", "app-e2e").request_payout(
        reference=str(uuid.uuid4()), amount=UGX, msisdn="+254722000001", note="mkopo loan"
    )
    assert (payout.status, payout.reason) == (PayoutStatus.FAILED, "INTERNAL_PROCESSING_ERROR")


def test_the_local_profile_is_refused_by_mtn_rules(mtn_sandbox: str) -> None:
    """What happened before: the loan's currency and phone sent to MTN's sandbox fail every loan."""
    payments = directory("local-sandbox", mtn_sandbox)
    payout = payments.payout_provider("UGX", "app-e2e").request_payout(
        reference=str(uuid.uuid4()), amount=UGX, msisdn="+256772000123", note="mkopo loan"
    )
    assert (payout.status, payout.reason) == (PayoutStatus.FAILED, "INVALID_CURRENCY")
