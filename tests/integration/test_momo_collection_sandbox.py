"""MomoCollectionProvider against the real MoMo sandbox subprocess (collection endpoints)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from mkopo.adapters.payments.momo_collection import MomoCollectionProvider, MomoSession
from mkopo.domain.money import Money
from mkopo.service.ports import CollectionNotFound, CollectionStatus, ProviderUnavailable
from tests.integration.test_momo_sandbox import CREDENTIALS, StartSandbox, sandbox, start_sandbox

pytestmark = pytest.mark.integration
__all__ = ["sandbox", "start_sandbox"]  # module-scoped fixtures shared with the disbursement tests


def provider_for(base_url: str, **overrides: Any) -> MomoCollectionProvider:
    params: dict[str, Any] = {"base_url": base_url, "product": "collection", **CREDENTIALS}
    return MomoCollectionProvider(session=MomoSession(**{**params, **overrides}))


def collect(
    provider: MomoCollectionProvider, msisdn: str = "+256772000001", reference: str | None = None
) -> Any:
    return provider.request_collection(
        reference=reference or str(uuid.uuid4()),
        amount=Money.parse("15000", "UGX"),
        msisdn=msisdn,
        description="Loan repayment",
        callback_url="http://127.0.0.1:9/unused",
    )


def received(base_url: str, reference: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = httpx.get(f"{base_url}/sandbox/requests-to-pay").json()["requestsToPay"]
    return [row for row in rows if row["referenceId"] == reference]


def test_request_to_pay_is_pending_then_successful_with_amount(sandbox: str) -> None:
    with provider_for(sandbox) as provider:
        ack = collect(provider)
        status = provider.collection_status(ack.reference)
    assert ack.status is CollectionStatus.PENDING
    assert status.status is CollectionStatus.SUCCESSFUL
    assert status.provider_transaction_id is not None and status.provider_transaction_id.isdigit()
    assert status.amount_matches(Money.parse("15000", "UGX"))
    [row] = received(sandbox, ack.reference)
    assert (row["amount"], row["currency"], row["payer"]["partyId"]) == ("15000", "UGX", "256772000001")


@pytest.mark.parametrize(
    ("msisdn", "reason"),
    [
        ("+254722000001", "PAYER_NOT_FOUND"),
        ("+254733000001", "NOT_ENOUGH_FUNDS"),
        ("+254744000001", "APPROVAL_REJECTED"),
    ],
)
def test_test_numbers_fail_with_momo_reasons(sandbox: str, msisdn: str, reason: str) -> None:
    with provider_for(sandbox) as provider:
        status = provider.collection_status(collect(provider, msisdn).reference)
    assert (status.status, status.reason, status.provider_transaction_id) == (
        CollectionStatus.FAILED,
        reason,
        None,
    )


def test_reused_reference_never_asks_twice(sandbox: str) -> None:
    reference = str(uuid.uuid4())
    with provider_for(sandbox) as provider:
        collect(provider, reference=reference)
        again = collect(provider, reference=reference)
    assert again.status is CollectionStatus.SUCCESSFUL
    [row] = received(sandbox, reference)
    assert row["attempts"] == 2


def test_never_approved_number_stays_pending_and_unknown_is_not_found(sandbox: str) -> None:
    with provider_for(sandbox) as provider:
        ack = collect(provider, "+254755000001")
        assert provider.collection_status(ack.reference).status is CollectionStatus.PENDING
        with pytest.raises(CollectionNotFound):
            provider.collection_status(str(uuid.uuid4()))


def test_collection_and_disbursement_books_are_separate(sandbox: str) -> None:
    with provider_for(sandbox) as provider:
        ack = collect(provider)
    transfers = httpx.get(f"{sandbox}/sandbox/transfers").json()["transfers"]
    assert all(row["referenceId"] != ack.reference for row in transfers)


def test_injected_500_is_provider_unavailable(start_sandbox: StartSandbox) -> None:
    faulty = start_sandbox("--fail-rate", "1.0")
    reference = str(uuid.uuid4())
    with provider_for(faulty) as provider, pytest.raises(ProviderUnavailable):
        collect(provider, reference=reference)
    assert received(faulty, reference) == []
