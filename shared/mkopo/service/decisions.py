"""The credit decision (the confirm-payment step): APPROVED or REJECTED under the policy."""

from __future__ import annotations

from datetime import datetime

from mkopo.domain.applications import Status
from mkopo.domain.events import ApplicationScored, DomainEvent, LoanApproved, LoanRejected, MalformedEvent
from mkopo.domain.policy import DecisionPolicy
from mkopo.service.outbox import dispatch
from mkopo.service.ports import EventPublisher
from mkopo.service.store import Borrower, Store, Transaction


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
