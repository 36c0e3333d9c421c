"""Paying the loan out to the borrower's wallet, exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mkopo.domain.applications import Application, Status
from mkopo.domain.events import DisbursementFailed, DomainEvent, LoanApproved, LoanDisbursed
from mkopo.service.errors import TransientFailure
from mkopo.service.ports import EventPublisher, PayoutProvider, PayoutStatus
from mkopo.service.store import Borrower, Store, Transaction
from mkopo.service.transitions import advance, load

PAYOUT_NAMESPACE = uuid.UUID("9d3c1a52-3f7e-4c61-8f0b-2b1c6d6f6b70")


def payout_reference(application_id: str) -> str:
    """One reference per application, so a repeated attempt can never pay twice.

    Derived by name (uuid5) but stamped as version 4, the form MTN MoMo asks for in X-Reference-Id.
    """
    return str(uuid.UUID(bytes=uuid.uuid5(PAYOUT_NAMESPACE, application_id).bytes, version=4))


def disburse(
    event: LoanApproved,
    *,
    store: Store,
    publisher: EventPublisher,
    provider: PayoutProvider,
    now: Callable[[], datetime],
) -> bool:
    """Pay out once. Provider faults and pending payouts are retried; the reference makes that safe."""
    app = load(store, event.application_id)
    if app.status != Status.APPROVED:
        return False
    reference = payout_reference(app.id)
    result = provider.request_payout(
        reference=reference,
        amount=app.offer.principal,
        msisdn=app.phone,
        note=f"mkopo loan {app.id[:8].upper()}",
    )
    if result.status == PayoutStatus.PENDING:
        raise TransientFailure(f"payout {reference} is still pending at {provider.name}")
    at = now()

    def change(tx: Transaction, app: Application) -> DomainEvent:
        app.disbursement.provider = provider.name
        app.disbursement.reference = reference
        app.disbursement.status = result.status.value
        app.disbursement.provider_transaction_id = result.provider_transaction_id
        app.disbursement.reason = result.reason
        common: dict[str, Any] = {
            "application_id": app.id,
            "occurred_at": at,
            "borrower_id": app.borrower_id,
            "amount_minor": app.offer.principal.minor,
            "currency": app.offer.principal.currency,
            "payout_provider": provider.name,
            "reference": reference,
        }
        if result.status == PayoutStatus.SUCCESSFUL:
            app.move_to(Status.DISBURSED, at)
            return LoanDisbursed.new(**common, provider_transaction_id=result.provider_transaction_id)
        app.move_to(Status.DISBURSEMENT_FAILED, at)
        borrower = Borrower(id=app.borrower_id, active_application_id=None)
        tx.save_borrower(borrower)
        return DisbursementFailed.new(**common, reason=result.reason or "UNKNOWN")

    return advance(store, publisher, app.id, Status.APPROVED, change)
