"""Officers' manual review: a queue of MANUAL_REVIEW applications, oldest first, and one decision each."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain.applications import Review, Status
from mkopo.domain.events import DomainEvent
from mkopo.service import queries
from mkopo.service.audit import status_change
from mkopo.service.decisions import approve, rejected_event
from mkopo.service.errors import AlreadyExists, Forbidden, NotFound
from mkopo.service.outbox import dispatch
from mkopo.service.ports import EventPublisher
from mkopo.service.store import Borrower, Store, Transaction, User

REVIEW_DECLINED = "REVIEW_DECLINED"


class ReviewOutcome(StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ReviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome: ReviewOutcome
    comment: str = Field(min_length=3, max_length=1000, description="Why: kept in the audit trail")


def queue(store: Store, *, limit: int) -> list[dict[str, Any]]:
    """Applications waiting for an officer, oldest first."""
    return [review_item(a) for a in store.list_applications_by_status(Status.MANUAL_REVIEW.value, limit)]


def review_item(app: Any) -> dict[str, Any]:
    view = queries.application_view(app)
    waiting_since = next((t.at for t in reversed(app.timeline) if t.status == Status.MANUAL_REVIEW), None)
    if app.review is not None:
        view["review"] |= {"officer_id": app.review.officer_id, "comment": app.review.comment}
    view["borrower_id"] = app.borrower_id
    view["waiting_since"] = (waiting_since or app.updated_at).isoformat()
    return view


def decide(
    application_id: str,
    cmd: ReviewDecision,
    *,
    officer: User,
    store: Store,
    publisher: EventPublisher,
    now: datetime,
) -> dict[str, Any]:
    """Record the officer's decision; approval resumes the disbursement path through the outbox."""

    def run(tx: Transaction) -> tuple[dict[str, Any], list[DomainEvent]]:
        app = tx.get_application(application_id)
        if app is None:
            raise NotFound(f"application {application_id} not found")
        if app.borrower_id == officer.id:
            raise Forbidden("you cannot decide your own application")
        if app.status != Status.MANUAL_REVIEW:
            if app.review is not None:
                raise AlreadyExists("this application has already been decided")
            raise AlreadyExists(f"this application is {app.status.value}, not waiting for review")
        score = app.decision.score or 0
        event: DomainEvent
        if cmd.outcome == ReviewOutcome.APPROVED:
            borrower = tx.get_borrower(app.borrower_id) or Borrower(id=app.borrower_id)
            if borrower.active_application_id not in (None, app.id):
                raise AlreadyExists("the borrower has another active loan; reject this application")
            event = approve(tx, app, borrower, score, now)
        else:
            app.move_to(Status.REJECTED, now)
            app.decision.outcome = Status.REJECTED
            app.decision.reasons = [REVIEW_DECLINED]
            event = rejected_event(app, app.decision.score, [REVIEW_DECLINED], now)
        app.review = Review(officer_id=officer.id, outcome=app.status, comment=cmd.comment, decided_at=now)
        tx.save_application(app)
        tx.add_event(event)
        tx.add_audit(
            status_change(
                app,
                Status.MANUAL_REVIEW,
                action="review_decided",
                at=now,
                actor=officer,
                extra={"outcome": app.status.value, "comment": cmd.comment},
            )
        )
        return review_item(app), [event]

    view, events = store.transaction(run)
    dispatch(events, store=store, publisher=publisher)
    return view
