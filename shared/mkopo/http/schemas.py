"""Response and query models of the public API: what the OpenAPI document promises."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


# Built on first use (defer_build): most are only read by the OpenAPI document, and cold start matters.
class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class FieldError(_Out):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(defer_build=True)

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    locked_until: str | None = Field(default=None, description="When a locked account unlocks (429)")


class UserCreated(_Out):
    user_id: str


class TokenPair(_Out):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class UserOut(_Out):
    id: str
    phone: str
    full_name: str
    role: Literal["applicant", "officer", "admin"]
    status: Literal["active", "disabled", "deleted"]
    language: Literal["en", "sw", "fr"] | None = None
    created_at: str


class CreditOut(_Out):
    """What you may borrow: your limit on our ladder, what is available now, and how to grow it."""

    currency: str
    limit: str
    available: str
    loans_repaid_on_time: int
    next_limit_if_repaid_on_time: str
    reasons: list[str]


class UserPage(_Out):
    users: list[UserOut]
    next_cursor: str | None


class Fee(_Out):
    name: str
    amount: str


class OfferOut(_Out):
    id: str
    provider: str
    product: str
    amount: str
    currency: str
    term_days: int
    interest_rate: str
    interest: str
    fees: list[Fee]
    total_fees: str
    total_cost: str
    apr: str
    total_repayable: str
    expires_at: str
    late_fee: str | None = Field(default=None, description="Charged once per installment overdue")
    daily_penalty_rate: str = Field(
        default="0", description="Fraction per day on overdue principal and interest, within the market cap"
    )
    eligible: bool | None = Field(
        default=None, description="With a bearer token: whether it fits your available limit now"
    )
    ineligible_reason: str | None = Field(
        default=None, description="ABOVE_YOUR_LIMIT, ACTIVE_LOAN or OTHER_MARKET when not eligible"
    )


class OfferList(_Out):
    offers: list[OfferOut]


class CheckoutAccepted(_Out):
    application_id: str
    status: str
    status_url: str


class DecisionOut(_Out):
    outcome: str | None
    score: int | None
    reasons: list[str]
    model_version: str | None = Field(default=None, description="The scorecard version that scored it")
    points: dict[str, int] = Field(default_factory=dict, description="Points per characteristic")


class DisbursementOut(_Out):
    provider: str | None
    reference: str | None
    status: str | None


class ReviewOut(_Out):
    outcome: str
    decided_at: str
    officer_id: str | None = None
    comment: str | None = None


class TimelineOut(_Out):
    status: str
    at: str


class ConsentOut(_Out):
    """The disclosed terms the borrower accepted at checkout (digital-credit rules ask for this record)."""

    terms_version: str
    channel: str
    total_repayable: str
    total_cost: str
    apr: str
    accepted_at: str
    late_fee: str = Field(default="0.00", description="The late fee disclosed (charged once per installment)")
    daily_penalty_rate: str = Field(default="0", description="The daily penalty rate disclosed")


class ApplicationOut(_Out):
    id: str
    status: str
    offer: OfferOut
    amount: str
    currency: str
    decision: DecisionOut
    disbursement: DisbursementOut
    review: ReviewOut | None
    consent: ConsentOut | None
    timeline: list[TimelineOut]
    created_at: str
    updated_at: str


class ApplicationList(_Out):
    applications: list[ApplicationOut]


class NotificationOut(_Out):
    id: str
    channel: str
    text: str
    event_type: str
    status: Literal["queued", "sent", "delivered", "failed"]
    created_at: str


class NotificationList(_Out):
    notifications: list[NotificationOut]


class ReviewItem(ApplicationOut):
    borrower_id: str
    waiting_since: str


class ReviewQueue(_Out):
    reviews: list[ReviewItem]


class AuditOut(_Out):
    id: str
    at: str
    actor_id: str
    actor_role: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, object] | None
    after: dict[str, object] | None
    request_id: str | None


class AuditList(_Out):
    records: list[AuditOut]


# ------------------------------------------------------------------------------------ query strings
class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class PageQuery(_Query):
    limit: int = Field(default=50, ge=1, le=100)


class UserListQuery(PageQuery):
    cursor: str | None = Field(default=None, max_length=64, description="next_cursor of the previous page")
    role: Literal["applicant", "officer", "admin"] | None = None


class ReviewQuery(PageQuery):
    status: Literal["pending"] = "pending"


class AuditQuery(PageQuery):
    entity_id: str = Field(min_length=1, max_length=128, description="An application or user id")
    limit: int = Field(default=100, ge=1, le=500)


# --- loans, repayments and the ledger -----------------------------------------------------------
class LedgerBalance(_Out):
    account: str
    currency: str | None
    balance_minor: int = Field(description="Debits minus credits, in minor units")
    at: str | None
    entries: int


class LedgerLine(BaseModel):
    model_config = ConfigDict(defer_build=True)

    account: str
    amount: int


class LedgerEntry(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    occurred_at: str
    currency: str
    description: str
    kind: str
    reference: str
    lines: list[LedgerLine]
    reverses: str | None = None


class LedgerEntries(_Out):
    entries: list[LedgerEntry]


class TrialBalance(_Out):
    entries: int
    totals_minor: dict[str, int] = Field(description="Sum of every journal line per currency: always 0")


class BucketProvision(_Out):
    bucket: str
    loans: int
    gross_minor: int
    rate: str
    allowance_minor: int = Field(description="What a provisioning run now would set for this bucket")


class CurrencyProvision(_Out):
    currency: str
    allowance_minor: int = Field(description="What loan_loss_allowance:<currency> holds now")
    gross_receivables_minor: int
    coverage: str | None = Field(description="Allowance held / gross receivables")
    buckets: list[BucketProvision]


class Provisions(_Out):
    at: str
    currencies: list[CurrencyProvision]


class BalanceQuery(_Query):
    at: str | None = Field(default=None, max_length=40, description="ISO 8601 time with a timezone")
