"""Response models of the loan API: a loan, its schedule and repayments, restructure proposals, late
charges and the write-off (re-exported by ``mkopo.http.schemas``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


# Built on first use (defer_build), as every response model of ``mkopo.http.schemas``.
class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class RepaymentOut(_Out):
    id: str
    loan_id: str
    amount: str
    currency: str
    provider: str
    status: Literal["PENDING", "SUCCESSFUL", "FAILED", "AMOUNT_MISMATCH"]
    reason: str | None
    requested_at: str
    settled_at: str | None


class RepaymentAccepted(RepaymentOut):
    status_url: str


class NextDue(_Out):
    number: int
    due_date: str
    amount: str
    days_past_due: int


class InstallmentOut(_Out):
    number: int
    due_date: str
    amount: str
    paid: str
    state: Literal["PENDING", "PARTIALLY_PAID", "PAID", "OVERDUE"]


class OutstandingOut(_Out):
    penalties: str
    fees: str
    interest: str
    principal: str


class ProposedInstallment(_Out):
    number: int
    due_date: str
    amount: str


class ProposalOut(_Out):
    """A restructure proposal: the new installments and totals, and who moved it where, when."""

    id: str
    loan_id: str
    status: Literal["PROPOSED", "APPROVED", "REJECTED", "ACCEPTED", "EXPIRED"]
    terms: dict[str, Any]
    installments: list[ProposedInstallment]
    outstanding_before: str
    waived: str
    new_total: str
    currency: str
    proposed_by: str
    proposed_at: str
    expires_at: str
    decided_by: str | None
    decided_at: str | None
    accepted_at: str | None
    accepted_via: str | None


class ProposalList(_Out):
    proposals: list[ProposalOut]


class ScheduleVersionOut(_Out):
    version: int
    at: str
    proposal_id: str | None
    proposed_by: str | None
    approved_by: str | None
    reason: str | None
    installments: int
    total_repayable: str


class LateChargesOut(_Out):
    late_fee: str
    daily_penalty_rate: str
    fees_charged: str
    penalties_charged: str
    days_charged: int


class WriteOffDetail(_Out):
    at: str
    reason: str
    days_past_due: int
    amount: str
    recovered: str
    recoverable: str


class WriteOffOut(_Out):
    id: str
    status: Literal["WRITTEN_OFF"]
    write_off: WriteOffDetail


class LoanOut(_Out):
    id: str
    status: Literal["ACTIVE", "REPAID", "WRITTEN_OFF"]
    currency: str
    lender: str
    principal: str
    interest: str
    fees: str
    total_repayable: str
    paid: str
    outstanding: str
    outstanding_by_component: OutstandingOut
    credit_balance: str
    next_due: NextDue | None
    days_past_due: int
    arrears_bucket: str
    schedule: list[InstallmentOut]
    repayments: list[RepaymentOut]
    disbursed_at: str
    repaid_at: str | None
    restructured: bool
    schedule_version: int
    schedule_history: list[ScheduleVersionOut]
    pending_proposal: ProposalOut | None
    late_charges: LateChargesOut
    write_off: WriteOffDetail | None


class LoanList(_Out):
    loans: list[LoanOut]
