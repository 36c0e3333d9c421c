"""Officers' manual review: a queue of MANUAL_REVIEW applications, oldest first, and one decision each."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain.applications import Application, Status
from mkopo.domain.policy import has_other_active_loan
from mkopo.service import queries
from mkopo.service.decisions import approve, reject
from mkopo.service.errors import AlreadyExists, Forbidden, NotFound
from mkopo.service.ports import EventPublisher
from mkopo.service.store import Borrower, Store, Transaction, User
from mkopo.service.transitions import Change, advance

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

    def check(app: Application) -> None:
        if app.borrower_id == officer.id:
            raise Forbidden("you cannot decide your own application")
        if app.status != Status.MANUAL_REVIEW:
            if app.review is not None:
                raise AlreadyExists("this application has already been decided")
            raise AlreadyExists(f"this application is {app.status.value}, not waiting for review")

    def change(tx: Transaction, app: Application) -> Change:
        if cmd.outcome == ReviewOutcome.APPROVED:
            borrower = tx.get_borrower(app.borrower_id) or Borrower(id=app.borrower_id)
            if has_other_active_loan(borrower.active_application_id, app.id):
                raise AlreadyExists("the borrower has another active loan; reject this application")
            event = approve(tx, app, borrower, app.decision.score or 0, now)
        else:
            event = reject(app, app.decision.score, [REVIEW_DECLINED], now)
        app.record_review(officer.id, cmd.comment, now)
        extra = {"outcome": app.status.value, "comment": cmd.comment}
        return Change(event=event, action="review_decided", actor=officer, extra=extra)

    def not_found(app_id: str) -> Exception:
        return NotFound(f"application {app_id} not found")

    app = advance(
        store, publisher, application_id, Status.MANUAL_REVIEW, change, check=check, missing=not_found
    )
    if app is None:  # check() refuses every other status; kept for the type checker
        raise AlreadyExists("this application has already been decided")
    return review_item(app)
