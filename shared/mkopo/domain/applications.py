"""A loan application and the state machine it moves through."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from mkopo.domain.offers import Offer


class Status(StrEnum):
    SUBMITTED = "SUBMITTED"
    SCORED = "SCORED"
    MANUAL_REVIEW = "MANUAL_REVIEW"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    DISBURSED = "DISBURSED"
    DISBURSEMENT_FAILED = "DISBURSEMENT_FAILED"


# The only legal moves; everything else is refused.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.SCORED}),
    Status.SCORED: frozenset({Status.APPROVED, Status.REJECTED, Status.MANUAL_REVIEW}),
    Status.MANUAL_REVIEW: frozenset({Status.APPROVED, Status.REJECTED}),
    Status.APPROVED: frozenset({Status.DISBURSED, Status.DISBURSEMENT_FAILED}),
    Status.REJECTED: frozenset(),
    Status.DISBURSED: frozenset(),
    Status.DISBURSEMENT_FAILED: frozenset(),
}
TERMINAL: frozenset[Status] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


class IllegalTransition(Exception):
    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"cannot move an application from {current} to {target}")
        self.current, self.target = current, target


class TimelineEntry(BaseModel):
    status: Status
    at: datetime


class Decision(BaseModel):
    outcome: Status | None = None
    score: int | None = None
    probability_of_default: float | None = Field(default=None, description="Model output, not money")
    reasons: list[str] = Field(default_factory=list)
    credit_limit_minor: int | None = None


class Disbursement(BaseModel):
    provider: str | None = None
    reference: str | None = None
    status: str | None = None
    provider_transaction_id: str | None = None
    reason: str | None = None
    requested_at: datetime | None = None


class Review(BaseModel):
    """A credit officer's decision on an application the policy referred to them."""

    officer_id: str
    outcome: Status
    comment: str
    decided_at: datetime


class Application(BaseModel):
    id: str
    borrower_id: str
    phone: str
    offer: Offer
    status: Status = Status.SUBMITTED
    decision: Decision = Field(default_factory=Decision)
    disbursement: Disbursement = Field(default_factory=Disbursement)
    review: Review | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime

    def can_move_to(self, target: Status) -> bool:
        return target in TRANSITIONS[self.status]

    def move_to(self, target: Status, at: datetime) -> None:
        """Apply a transition or raise IllegalTransition."""
        if not self.can_move_to(target):
            raise IllegalTransition(self.status, target)
        self.status = target
        self.timeline.append(TimelineEntry(status=target, at=at))
        self.updated_at = at

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL
