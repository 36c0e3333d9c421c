"""A loan application and the state machine it moves through."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from mkopo.domain.money import Currency
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

# Payout states kept on an application (the same values as the payments port's PayoutStatus).
PAYOUT_PENDING, PAYOUT_SUCCESSFUL, PAYOUT_FAILED = "PENDING", "SUCCESSFUL", "FAILED"
# A provider that answers "no such payout" for a pending one: the payout is requested again later.
PAYOUT_UNKNOWN = "PROVIDER_HAS_NO_RECORD"


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
    model_version: str | None = Field(default=None, description="Points table that scored it")
    points: dict[str, int] = Field(default_factory=dict, description="Points per characteristic")
    score_reasons: list[str] = Field(default_factory=list, description="The scorecard's reason codes")


class Disbursement(BaseModel):
    provider: str | None = None
    reference: str | None = None
    status: str | None = None
    provider_transaction_id: str | None = None
    reason: str | None = None
    requested_at: datetime | None = None


class Consent(BaseModel):
    """The borrower's acceptance of the disclosed terms: which terms, what they were told, when, how."""

    terms_version: str
    channel: str
    total_repayable_minor: int
    total_cost_minor: int
    apr: str
    currency: Currency
    accepted_at: datetime
    late_fee_minor: int = 0  # the late terms disclosed with the offer
    daily_penalty_rate: str = "0"

    @classmethod
    def to(cls, offer: Offer, *, terms_version: str, channel: str, at: datetime) -> Consent:
        return cls(
            terms_version=terms_version,
            channel=channel,
            total_repayable_minor=offer.total_repayable.minor,
            total_cost_minor=offer.total_cost.minor,
            apr=str(offer.apr),
            currency=offer.principal.currency,
            accepted_at=at,
            late_fee_minor=offer.late_fee.minor if offer.late_fee else 0,
            daily_penalty_rate=str(offer.daily_penalty_rate),
        )


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
    consent: Consent | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    trace: str | None = None  # W3C traceparent of the checkout: every later step joins that trace
    # The language the borrower reads their SMS in (en, sw, fr): theirs at checkout, following their
    # changes, so notify reads it here instead of reading the user for every SMS.
    language: str | None = None

    @classmethod
    def submit(
        cls,
        *,
        id: str,
        borrower_id: str,
        phone: str,
        offer: Offer,
        consent: Consent,
        at: datetime,
        trace: str | None = None,
        language: str | None = None,
    ) -> Application:
        """A borrower accepts the disclosed terms and checks the offer out: it starts SUBMITTED."""
        return cls(
            id=id,
            borrower_id=borrower_id,
            phone=phone,
            offer=offer,
            consent=consent,
            timeline=[TimelineEntry(status=Status.SUBMITTED, at=at)],
            created_at=at,
            updated_at=at,
            trace=trace,
            language=language,
        )

    def speak(self, language: str) -> bool:
        """The borrower changed their language: their next SMS about this application uses it."""
        changed, self.language = self.language != language, language
        return changed

    def can_move_to(self, target: Status) -> bool:
        return target in TRANSITIONS[self.status]

    def move_to(self, target: Status, at: datetime) -> None:
        """The one transition helper: apply a legal move (timeline, time) or raise IllegalTransition."""
        if not self.can_move_to(target):
            raise IllegalTransition(self.status, target)
        self.status = target
        self.timeline.append(TimelineEntry(status=target, at=at))
        self.updated_at = at

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def record_score(
        self,
        *,
        score: int,
        probability_of_default: float,
        reasons: list[str],
        credit_limit_minor: int,
        at: datetime,
        model_version: str | None = None,
        points: dict[str, int] | None = None,
    ) -> None:
        """SUBMITTED -> SCORED with the scorecard's result and the borrower's credit limit."""
        self.move_to(Status.SCORED, at)
        self.decision.score = score
        self.decision.probability_of_default = probability_of_default
        self.decision.reasons = reasons
        self.decision.credit_limit_minor = credit_limit_minor
        self.decision.model_version = model_version
        self.decision.points = dict(points or {})
        self.decision.score_reasons = list(reasons)

    def approve(self, at: datetime) -> None:
        self.move_to(Status.APPROVED, at)
        self.decision.outcome = Status.APPROVED
        self.decision.reasons = []

    def reject(self, reasons: list[str], at: datetime) -> None:
        self.move_to(Status.REJECTED, at)
        self.decision.outcome = Status.REJECTED
        self.decision.reasons = reasons

    def refer(self, reasons: list[str], at: datetime) -> None:
        """Refer to a credit officer (MANUAL_REVIEW): no outcome yet, the reasons say why."""
        self.move_to(Status.MANUAL_REVIEW, at)
        self.decision.outcome = None
        self.decision.reasons = reasons

    def record_review(self, officer_id: str, comment: str, at: datetime) -> None:
        """The officer's decision, once the application has left MANUAL_REVIEW for its outcome."""
        self.review = Review(officer_id=officer_id, outcome=self.status, comment=comment, decided_at=at)

    @property
    def payout_pending(self) -> bool:
        return self.status == Status.APPROVED and self.disbursement.status == PAYOUT_PENDING

    def record_payout_pending(self, provider: str, reference: str, at: datetime) -> bool:
        """The payout is on record before the provider hears of it; False if nothing changed."""
        if self.status != Status.APPROVED or self.disbursement.status == PAYOUT_PENDING:
            return False
        self.disbursement.provider = provider
        self.disbursement.reference = reference
        self.disbursement.status = PAYOUT_PENDING
        self.disbursement.requested_at = at
        self.updated_at = at
        return True

    def note_payout_unknown(self) -> bool:
        """The provider has no record of the pending payout; False if not pending or noted already."""
        if not self.payout_pending or self.disbursement.reason == PAYOUT_UNKNOWN:
            return False
        self.disbursement.reason = PAYOUT_UNKNOWN
        return True

    def request_payout_again(self, at: datetime) -> bool:
        """Clear the unknown mark and restart the payout's clock; False unless it was marked unknown."""
        if self.status != Status.APPROVED or self.disbursement.reason != PAYOUT_UNKNOWN:
            return False
        self.disbursement.reason = None
        self.disbursement.requested_at = at
        return True

    def record_payout_settled(
        self, *, provider: str, reference: str, provider_transaction_id: str | None, at: datetime
    ) -> None:
        """APPROVED -> DISBURSED: the provider paid the borrower."""
        self.move_to(Status.DISBURSED, at)
        self._record_payout(provider, reference, PAYOUT_SUCCESSFUL, provider_transaction_id, None)

    def record_payout_failed(
        self,
        *,
        provider: str,
        reference: str,
        provider_transaction_id: str | None,
        reason: str | None,
        at: datetime,
    ) -> None:
        """APPROVED -> DISBURSEMENT_FAILED: the provider could not pay the borrower."""
        self.move_to(Status.DISBURSEMENT_FAILED, at)
        self._record_payout(provider, reference, PAYOUT_FAILED, provider_transaction_id, reason)

    def _record_payout(
        self, provider: str, reference: str, status: str, transaction_id: str | None, reason: str | None
    ) -> None:
        self.disbursement.provider = provider
        self.disbursement.reference = reference
        self.disbursement.status = status
        self.disbursement.provider_transaction_id = transaction_id
        self.disbursement.reason = reason
