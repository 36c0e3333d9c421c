"""The credit decision (the confirm-payment step): APPROVED, REJECTED or MANUAL_REVIEW under the policy.

An officer's later decision on a MANUAL_REVIEW application ends in the same two events as the automatic
path (``loan_approved`` / ``loan_rejected``), built here so both paths publish exactly the same thing.
"""

from __future__ import annotations

from datetime import datetime

from mkopo.domain.applications import Application, Status
from mkopo.domain.events import (
    ApplicationScored,
    DomainEvent,
    LoanApproved,
    LoanRejected,
    MalformedEvent,
    ReviewRequested,
)
from mkopo.domain.policy import DecisionPolicy
from mkopo.service.audit import status_change
from mkopo.service.outbox import dispatch
from mkopo.service.ports import EventPublisher
from mkopo.service.store import Borrower, Store, Transaction


def approved_event(app: Application, score: int, now: datetime) -> DomainEvent:
    return LoanApproved.new(
        application_id=app.id,
        occurred_at=now,
        borrower_id=app.borrower_id,
        lender=app.offer.provider,
        amount_minor=app.offer.principal.minor,
        currency=app.offer.principal.currency,
        score=score,
    )


def rejected_event(app: Application, score: int | None, reasons: list[str], now: datetime) -> DomainEvent:
    return LoanRejected.new(
        application_id=app.id,
        occurred_at=now,
        borrower_id=app.borrower_id,
        lender=app.offer.provider,
        score=score,
        reasons=reasons,
    )


def approve(tx: Transaction, app: Application, borrower: Borrower, score: int, now: datetime) -> DomainEvent:
    """Move to APPROVED holding the borrower's single active-loan slot (the caller checked it is free)."""
    app.move_to(Status.APPROVED, now)
    app.decision.outcome = Status.APPROVED
    app.decision.reasons = []
    borrower.active_application_id = app.id
    tx.save_borrower(borrower)
    return approved_event(app, score, now)


def decide(
    event: ApplicationScored,
    *,
    store: Store,
    publisher: EventPublisher,
    policy: DecisionPolicy,
    now: datetime,
) -> bool:
    """APPROVED, REJECTED or MANUAL_REVIEW; the change, its event and its audit record in one transaction."""
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
        new_event: DomainEvent
        if outcome == Status.APPROVED:
            new_event = approve(tx, app, borrower, event.score, now)
        elif outcome == Status.MANUAL_REVIEW:
            app.move_to(Status.MANUAL_REVIEW, now)
            app.decision.outcome = None
            app.decision.reasons = reasons
            new_event = ReviewRequested.new(
                application_id=app.id,
                occurred_at=now,
                borrower_id=app.borrower_id,
                lender=app.offer.provider,
                amount_minor=app.offer.principal.minor,
                currency=app.offer.principal.currency,
                score=event.score,
                reasons=reasons,
            )
        else:
            app.move_to(Status.REJECTED, now)
            app.decision.outcome = Status.REJECTED
            app.decision.reasons = reasons + [r for r in event.reasons if r not in reasons]
            new_event = rejected_event(app, event.score, app.decision.reasons, now)
        tx.save_application(app)
        tx.add_event(new_event)
        tx.add_audit(
            status_change(app, Status.SCORED, action=new_event.event_type, at=now, extra={"reasons": reasons})
        )
        return [new_event]

    events = store.transaction(run)
    dispatch(events, store=store, publisher=publisher)
    return bool(events)
