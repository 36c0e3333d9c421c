"""The credit decision (the confirm-payment step): APPROVED, REJECTED or MANUAL_REVIEW under the policy.

An officer's later decision on a MANUAL_REVIEW application ends in the same two events as the automatic
path (``loan_approved`` / ``loan_rejected``), built here so both paths publish exactly the same thing.
"""

from __future__ import annotations

from datetime import datetime

from mkopo.domain.applications import Application, Status
from mkopo.domain.events import ApplicationScored, DomainEvent, LoanApproved, LoanRejected, ReviewRequested
from mkopo.domain.policy import DecisionPolicy
from mkopo.service.ports import EventPublisher
from mkopo.service.store import Borrower, Store, Transaction
from mkopo.service.transitions import Change, advance


def approve(tx: Transaction, app: Application, borrower: Borrower, score: int, now: datetime) -> DomainEvent:
    """Move to APPROVED holding the borrower's single active-loan slot (the caller checked it is free)."""
    app.approve(now)
    borrower.hold_slot(app.id)
    tx.save_borrower(borrower)
    return LoanApproved.new(
        application_id=app.id,
        occurred_at=now,
        borrower_id=app.borrower_id,
        lender=app.offer.provider,
        amount_minor=app.offer.principal.minor,
        currency=app.offer.principal.currency,
        score=score,
    )


def reject(app: Application, score: int | None, reasons: list[str], now: datetime) -> DomainEvent:
    """Move to REJECTED with every reason, and the event that tells the borrower why."""
    app.reject(reasons, now)
    return LoanRejected.new(
        application_id=app.id,
        occurred_at=now,
        borrower_id=app.borrower_id,
        lender=app.offer.provider,
        score=score,
        reasons=reasons,
    )


def refer(app: Application, score: int, reasons: list[str], now: datetime) -> DomainEvent:
    """Move to MANUAL_REVIEW: a credit officer decides."""
    app.refer(reasons, now)
    return ReviewRequested.new(
        application_id=app.id,
        occurred_at=now,
        borrower_id=app.borrower_id,
        lender=app.offer.provider,
        amount_minor=app.offer.principal.minor,
        currency=app.offer.principal.currency,
        score=score,
        reasons=reasons,
    )


def decide(
    event: ApplicationScored,
    *,
    store: Store,
    publisher: EventPublisher,
    policy: DecisionPolicy,
    now: datetime,
) -> bool:
    """APPROVED, REJECTED or MANUAL_REVIEW; the change, its event and its audit record in one transaction."""

    def change(tx: Transaction, app: Application) -> Change:
        borrower = tx.get_borrower(app.borrower_id) or Borrower(id=app.borrower_id)
        outcome, reasons = policy.decide(
            score=event.score,
            amount_minor=app.offer.principal.minor,
            credit_limit_minor=event.credit_limit_minor,
            active_application_id=borrower.active_application_id,
            application_id=app.id,
        )
        if outcome == Status.APPROVED:
            new_event = approve(tx, app, borrower, event.score, now)
        elif outcome == Status.MANUAL_REVIEW:
            new_event = refer(app, event.score, reasons, now)
        else:
            every_reason = reasons + [r for r in event.reasons if r not in reasons]
            new_event = reject(app, event.score, every_reason, now)
        return Change(event=new_event, extra={"reasons": reasons})

    return advance(store, publisher, event.application_id, Status.SCORED, change) is not None
