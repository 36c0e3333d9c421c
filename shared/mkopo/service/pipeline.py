"""The asynchronous steps of one application: score, decide, disburse. Each is safe to run twice."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mkopo.domain.applications import Application, Status
from mkopo.domain.events import (
    ApplicationScored,
    CheckoutSubmitted,
    DisbursementFailed,
    DomainEvent,
    LoanApproved,
    LoanDisbursed,
    LoanRejected,
    MalformedEvent,
)
from mkopo.domain.policy import DecisionPolicy
from mkopo.domain.scorecard import Scorecard
from mkopo.service.errors import TransientFailure
from mkopo.service.outbox import dispatch
from mkopo.service.ports import CreditData, EventPublisher, PayoutProvider, PayoutStatus
from mkopo.service.store import Borrower, Store, Transaction

log = logging.getLogger(__name__)

PAYOUT_NAMESPACE = uuid.UUID("9d3c1a52-3f7e-4c61-8f0b-2b1c6d6f6b70")


def payout_reference(application_id: str) -> str:
    """One reference per application, so a repeated attempt can never pay twice.

    Derived by name (uuid5) but stamped as version 4, the form MTN MoMo asks for in X-Reference-Id.
    """
    return str(uuid.UUID(bytes=uuid.uuid5(PAYOUT_NAMESPACE, application_id).bytes, version=4))


def _load(store: Store, application_id: str) -> Application:
    app = store.get_application(application_id)
    if app is None:
        raise MalformedEvent(f"application {application_id} does not exist")
    return app


def _advance(
    store: Store,
    publisher: EventPublisher,
    application_id: str,
    expected: Status,
    change: Callable[[Transaction, Application], DomainEvent],
) -> bool:
    """Apply one guarded transition with its event; False if it had already happened."""

    def run(tx: Transaction) -> list[DomainEvent]:
        app = tx.get_application(application_id)
        if app is None:
            raise MalformedEvent(f"application {application_id} does not exist")
        if app.status != expected:
            return []
        event = change(tx, app)
        tx.save_application(app)
        tx.add_event(event)
        return [event]

    events = store.transaction(run)
    if not events:
        log.info("application %s is past %s already; event ignored", application_id, expected)
        return False
    dispatch(events, store=store, publisher=publisher)
    return True


def score_application(
    event: CheckoutSubmitted,
    *,
    store: Store,
    publisher: EventPublisher,
    credit_data: CreditData,
    scorecard: Scorecard,
    now: datetime,
) -> bool:
    app = _load(store, event.application_id)
    if app.status != Status.SUBMITTED:
        return False
    features = credit_data.features_for(app.phone)
    result = scorecard.score(features)

    def change(tx: Transaction, app: Application) -> DomainEvent:
        app.move_to(Status.SCORED, now)
        app.decision.score = result.score
        app.decision.probability_of_default = result.probability_of_default
        app.decision.reasons = result.reasons
        app.decision.credit_limit_minor = features.credit_limit_minor
        return ApplicationScored.new(
            application_id=app.id,
            occurred_at=now,
            borrower_id=app.borrower_id,
            score=result.score,
            probability_of_default=result.probability_of_default,
            reasons=result.reasons,
            credit_limit_minor=features.credit_limit_minor,
        )

    return _advance(store, publisher, event.application_id, Status.SUBMITTED, change)


def decide(
    event: ApplicationScored,
    *,
    store: Store,
    publisher: EventPublisher,
    policy: DecisionPolicy,
    now: datetime,
) -> bool:
    """APPROVED or REJECTED, holding the borrower's single active-loan slot on approval."""
    app_id = event.application_id

    def run(tx: Transaction) -> list[DomainEvent]:
        app = tx.get_application(app_id)
        if app is None:
            raise MalformedEvent(f"application {app_id} does not exist")
        if app.status != Status.SCORED:
            return []
        borrower = tx.get_borrower(app.borrower_id) or Borrower(id=app.borrower_id)
        outcome, reasons = policy.decide(
            score=event.score,
            amount_minor=app.offer.principal.minor,
            credit_limit_minor=event.credit_limit_minor,
            active_application_id=borrower.active_application_id,
            application_id=app.id,
        )
        app.move_to(outcome, now)
        app.decision.outcome = outcome
        new_event: DomainEvent
        if outcome == Status.APPROVED:
            app.decision.reasons = []
            borrower.active_application_id = app.id
            tx.save_borrower(borrower)
            new_event = LoanApproved.new(
                application_id=app.id,
                occurred_at=now,
                borrower_id=app.borrower_id,
                lender=app.offer.provider,
                amount_minor=app.offer.principal.minor,
                currency=app.offer.principal.currency,
                score=event.score,
            )
        else:
            app.decision.reasons = reasons + [r for r in event.reasons if r not in reasons]
            new_event = LoanRejected.new(
                application_id=app.id,
                occurred_at=now,
                borrower_id=app.borrower_id,
                lender=app.offer.provider,
                score=event.score,
                reasons=app.decision.reasons,
            )
        tx.save_application(app)
        tx.add_event(new_event)
        return [new_event]

    events = store.transaction(run)
    dispatch(events, store=store, publisher=publisher)
    return bool(events)


def disburse(
    event: LoanApproved,
    *,
    store: Store,
    publisher: EventPublisher,
    provider: PayoutProvider,
    now: Callable[[], datetime],
) -> bool:
    """Pay out once. Provider faults and pending payouts are retried; the reference makes that safe."""
    app = _load(store, event.application_id)
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

    return _advance(store, publisher, app.id, Status.APPROVED, change)
