"""Restructuring a loan in arrears: an officer's proposal, a second officer's approval, the borrower's yes.

A proposal re-spreads what is outstanding (principal, interest, fees and penalties) over new installments,
every ``period_days`` from ``first_due_date``. No interest is added for the longer term: the borrower
accepted the disclosed interest of the product's term, and a restructure changes only *when* the rest is
due, never what it costs (a lender that charges for the extension would need a new disclosure and
consent). With ``waive`` the outstanding penalties and fees are forgiven and reversed in the ledger; the new
installments then carry only principal and interest. So the new schedule's total equals what is outstanding
(less what is waived) to the minor unit. A proposal is PROPOSED → APPROVED (by someone else than its maker:
maker-checker) → ACCEPTED by the borrower, or REJECTED; past ``expires_at`` it is stale and may only be
proposed again.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain.allocation import Portion
from mkopo.domain.money import Currency
from mkopo.domain.schedule import Installment, split


class ProposalStatus(StrEnum):
    PROPOSED = "PROPOSED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    ACCEPTED = "ACCEPTED"


class ProposalError(ValueError):
    """A step the proposal's state does not allow (stale, decided already, expired)."""


class OwnApproval(ProposalError):
    """The maker of a proposal may not approve it too."""


class RestructureTerms(BaseModel):
    """What an officer proposes: the number of new installments, their spacing and first due date."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    installments: int = Field(ge=1, le=52, description="How many new installments")
    period_days: int = Field(default=30, ge=1, le=92, description="Days between new installments")
    first_due_date: date = Field(description="Due date of the first new installment (after today)")
    waive: bool = Field(default=False, description="Forgive the outstanding penalties and fees")
    reason: str = Field(min_length=3, max_length=1000, description="Why: kept in the audit trail")


def new_installments(
    outstanding: Portion, terms: RestructureTerms, *, first_number: int, unit: int = 1
) -> tuple[Installment, ...]:
    """The replacement installments: principal, interest and fees equal parts, penalties with the first."""
    n = terms.installments
    fees = 0 if terms.waive else outstanding.fees
    penalties = 0 if terms.waive else outstanding.penalties
    principal = split(outstanding.principal, [1] * n, unit)
    interest = split(outstanding.interest, [1] * n, unit)
    fee_parts = split(fees, [1] * n, unit)
    return tuple(
        Installment(
            number=first_number + k,
            due_date=terms.first_due_date + timedelta(days=terms.period_days * k),
            principal=principal[k],
            interest=interest[k],
            fees=fee_parts[k],
            penalties=penalties if k == 0 else 0,
        )
        for k in range(n)
    )


def waived_portion(outstanding: Portion, waive: bool) -> Portion:
    """What a restructure forgives: the penalties and fees outstanding, or nothing."""
    return Portion(penalties=outstanding.penalties, fees=outstanding.fees) if waive else Portion()


class RestructureProposal(BaseModel):
    """One proposed new schedule for one loan, and who proposed, decided and accepted it, when."""

    id: str
    loan_id: str
    borrower_id: str
    currency: Currency
    terms: RestructureTerms
    installments: tuple[Installment, ...]
    waived: Portion
    basis_outstanding_minor: int = Field(description="What was outstanding when proposed")
    basis_paid_minor: int = Field(description="What had been paid when proposed (a payment since: stale)")
    # The loan's late charges made until the proposal (a late fee or penalty since is forgiven on acceptance).
    basis_charged: Portion = Field(default_factory=Portion)
    code: str = Field(description="What the borrower texts back: YES <code>")
    status: ProposalStatus = ProposalStatus.PROPOSED
    proposed_by: str
    proposed_at: datetime
    expires_at: datetime
    decided_by: str | None = None
    decided_role: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    accepted_at: datetime | None = None
    accepted_via: str | None = None

    @property
    def new_total_minor(self) -> int:
        return sum(i.total for i in self.installments)

    def expired(self, now: datetime) -> bool:
        return self.status in (ProposalStatus.PROPOSED, ProposalStatus.APPROVED) and now >= self.expires_at

    def effective_status(self, now: datetime) -> str:
        return "EXPIRED" if self.expired(now) else self.status.value

    def approve(self, officer_id: str, role: str, comment: str | None, at: datetime) -> None:
        """The checker's approval: never the maker's own, only while proposed and not expired."""
        if officer_id == self.proposed_by:
            raise OwnApproval("you cannot approve your own proposal")
        self._decide(ProposalStatus.APPROVED, officer_id, role, comment, at)

    def reject(self, officer_id: str, role: str, comment: str | None, at: datetime) -> None:
        self._decide(ProposalStatus.REJECTED, officer_id, role, comment, at)

    def _decide(
        self, status: ProposalStatus, officer_id: str, role: str, comment: str | None, at: datetime
    ) -> None:
        self._open(ProposalStatus.PROPOSED, at)
        self.status, self.decided_by, self.decided_role = status, officer_id, role
        self.decided_at, self.comment = at, comment

    def accept(self, via: str, at: datetime) -> None:
        """The borrower's yes: only once approved and before it expires."""
        self._open(ProposalStatus.APPROVED, at)
        self.status, self.accepted_at, self.accepted_via = ProposalStatus.ACCEPTED, at, via

    def _open(self, expected: ProposalStatus, at: datetime) -> None:
        if self.status != expected:
            raise ProposalError(f"this proposal is {self.status.value}, not {expected.value}")
        if self.expired(at):
            raise ProposalError("this proposal has expired; propose again")


def accept_code() -> str:
    """A short code the borrower can text back (digits only: easy on a feature phone)."""
    return f"{secrets.randbelow(1_000_000):06d}"
