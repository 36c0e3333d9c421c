"""Domain events: one class per topic payload, with deterministic ids."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mkopo import topology

EVENT_NAMESPACE = uuid.UUID("5b0f2f5e-6d1c-4b8e-9a51-6b6f6b6f706f")


def event_id_for(application_id: str, event_type: str, occurrence: str = "") -> str:
    """The same happening always gets the same id, so a republished event is recognisably the same.

    ``occurrence`` tells apart events of one type that happen more than once (e.g. each repayment).
    """
    suffix = f"/{occurrence}" if occurrence else ""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{application_id}/{event_type}{suffix}"))


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built on first use: cold start

    topic: ClassVar[str]
    event_id: str
    event_type: str
    occurred_at: datetime
    application_id: str
    borrower_id: str

    @classmethod
    def new(
        cls, *, application_id: str, occurred_at: datetime, occurrence: str = "", **fields: Any
    ) -> DomainEvent:
        return cls(
            event_id=event_id_for(application_id, cls.topic, occurrence),
            event_type=cls.topic,
            occurred_at=occurred_at,
            application_id=application_id,
            **fields,
        )

    def payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def attributes(self) -> dict[str, str]:
        return {
            "event_type": self.event_type,
            "event_id": self.event_id,
            "application_id": self.application_id,
        }


class CheckoutSubmitted(DomainEvent):
    topic: ClassVar[str] = topology.CHECKOUT_SUBMITTED
    lender: str
    product: str
    amount_minor: int
    currency: str
    term_days: int


class ApplicationScored(DomainEvent):
    topic: ClassVar[str] = topology.APPLICATION_SCORED
    score: int
    probability_of_default: float
    reasons: list[str] = Field(default_factory=list)
    credit_limit_minor: int  # the limit this application is decided against (our ladder's, capped)
    external_limit_minor: int | None = None  # what the credit bureau allows
    credit_level: int | None = None  # the borrower's step on our limit ladder
    # Explainable decisions: which points table scored it, the points of each characteristic and the
    # characteristic values they came from (the training sample of the next version).
    model_version: str = ""
    points: dict[str, int] = Field(default_factory=dict)
    features: dict[str, int] = Field(default_factory=dict)
    # The challenger's shadow score of the same features (MKOPO_CHALLENGER_VERSION), if one is configured.
    challenger_version: str | None = None
    challenger_score: int | None = None
    challenger_probability_of_default: float | None = None


class ReviewRequested(DomainEvent):
    """The policy referred a borderline application to a credit officer (status MANUAL_REVIEW)."""

    topic: ClassVar[str] = topology.REVIEW_REQUESTED
    lender: str
    amount_minor: int
    currency: str
    score: int
    reasons: list[str] = Field(default_factory=list)


class LoanApproved(DomainEvent):
    topic: ClassVar[str] = topology.LOAN_APPROVED
    lender: str
    amount_minor: int
    currency: str
    score: int


class LoanRejected(DomainEvent):
    topic: ClassVar[str] = topology.LOAN_REJECTED
    lender: str
    score: int | None
    reasons: list[str]


class LoanDisbursed(DomainEvent):
    topic: ClassVar[str] = topology.LOAN_DISBURSED
    amount_minor: int
    currency: str
    payout_provider: str
    reference: str
    provider_transaction_id: str | None
    total_repayable_minor: int | None = None


class DisbursementFailed(DomainEvent):
    topic: ClassVar[str] = topology.DISBURSEMENT_FAILED
    amount_minor: int
    currency: str
    payout_provider: str
    reference: str
    reason: str


class RepaymentReceived(DomainEvent):
    """Money from the borrower was posted to the loan (application_id is the loan id)."""

    topic: ClassVar[str] = topology.REPAYMENT_RECEIVED
    repayment_id: str
    amount_minor: int
    currency: str
    provider: str
    allocated_minor: int
    overpayment_minor: int
    outstanding_minor: int


class LoanRepaid(DomainEvent):
    topic: ClassVar[str] = topology.LOAN_REPAID
    amount_minor: int
    currency: str
    credit_balance_minor: int
    days_late: int = 0
    # The borrower's step on the limit ladder after this repayment, and the limit it gives now.
    credit_level: int | None = None
    credit_limit_minor: int | None = None


class RepaymentDue(DomainEvent):
    """A reminder: an installment falls due soon."""

    topic: ClassVar[str] = topology.REPAYMENT_DUE
    installment: int
    due_date: str
    outstanding_minor: int
    currency: str


class InstallmentOverdue(DomainEvent):
    topic: ClassVar[str] = topology.INSTALLMENT_OVERDUE
    installment: int
    days_past_due: int
    bucket: str
    outstanding_minor: int
    currency: str


class LoanRestructuring(DomainEvent):
    """A restructure proposal the borrower may now accept (APPROVED), or that took effect (ACCEPTED)."""

    topic: ClassVar[str] = topology.LOAN_RESTRUCTURING
    stage: str
    proposal_id: str
    code: str
    installments: int
    first_due_date: str
    new_total_minor: int
    waived_minor: int
    currency: str
    expires_at: str


class ChargeApplied(DomainEvent):
    """A late fee (and/or a day's penalty) charged to an overdue installment: the borrower is told."""

    topic: ClassVar[str] = topology.CHARGE_APPLIED
    installment: int
    charged_on: str
    fee_minor: int
    penalty_minor: int
    outstanding_minor: int
    currency: str


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.topic: cls
    for cls in (
        CheckoutSubmitted,
        ApplicationScored,
        LoanApproved,
        LoanRejected,
        LoanDisbursed,
        DisbursementFailed,
        RepaymentReceived,
        LoanRepaid,
        InstallmentOverdue,
        ReviewRequested,
        LoanRestructuring,
        ChargeApplied,
    )
}


class MalformedEvent(ValueError):
    """An event that can never be processed: acknowledge it into the dead-letter path."""


def json_object(raw: bytes) -> dict[str, Any]:
    """A message's data as a JSON object, or MalformedEvent."""
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise MalformedEvent("message data is not JSON") from exc
    if not isinstance(value, dict):
        raise MalformedEvent("message data is not a JSON object")
    return value


def parse_event(data: dict[str, Any]) -> DomainEvent:
    """Parse a published payload into its event class, or raise MalformedEvent."""
    event_type = data.get("event_type")
    cls = EVENT_TYPES.get(str(event_type))
    if cls is None:
        raise MalformedEvent(f"unknown event type {event_type!r}")
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise MalformedEvent(str(exc)) from exc
