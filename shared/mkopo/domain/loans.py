"""A disbursed loan: its schedule, where it stands, and the repayments that move it to REPAID."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from mkopo.domain.allocation import Allocation, LoanPosition, LoanStatus, allocate
from mkopo.domain.money import Currency, Money
from mkopo.domain.schedule import RepaymentSchedule


class Loan(BaseModel):
    """One loan per approved application (same id); balances come from the position, the ledger agrees."""

    id: str
    borrower_id: str
    phone: str
    currency: Currency
    lender: str
    payout_provider: str
    schedule: RepaymentSchedule
    position: LoanPosition
    status: LoanStatus = LoanStatus.ACTIVE
    paid_minor: int = 0
    credit_balance_minor: int = Field(default=0, description="Overpayments held for the borrower")
    disbursed_at: datetime
    repaid_at: datetime | None = None
    updated_at: datetime
    # What the daily arrears run has already done, so it never does it twice.
    income_recognised: list[int] = Field(default_factory=list)
    reminders_sent: list[str] = Field(default_factory=list)
    overdue_flags: list[str] = Field(default_factory=list)

    @classmethod
    def open(
        cls,
        *,
        loan_id: str,
        borrower_id: str,
        phone: str,
        lender: str,
        payout_provider: str,
        schedule: RepaymentSchedule,
        at: datetime,
    ) -> Loan:
        return cls(
            id=loan_id,
            borrower_id=borrower_id,
            phone=phone,
            currency=schedule.currency,
            lender=lender,
            payout_provider=payout_provider,
            schedule=schedule,
            position=LoanPosition.from_schedule(schedule),
            disbursed_at=at,
            updated_at=at,
        )

    @property
    def outstanding(self) -> Money:
        return Money(minor=self.position.outstanding.total, currency=self.currency)

    def apply_payment(self, payment: Money, at: datetime) -> Allocation:
        """Allocate a payment (fees, interest, principal, oldest first); the rest is held as credit."""
        allocation = allocate(self.position, payment)
        self.position = allocation.position
        self.paid_minor += allocation.allocated
        self.credit_balance_minor += allocation.overpayment
        self.updated_at = at
        if self.position.status == LoanStatus.REPAID and self.status != LoanStatus.REPAID:
            self.status = LoanStatus.REPAID
            self.repaid_at = at
        return allocation

    def next_due(self, on: date) -> dict[str, Any] | None:
        """The oldest installment with something outstanding."""
        for inst in self.position.installments:
            if inst.outstanding.total:
                return {
                    "number": inst.number,
                    "due_date": inst.due_date.isoformat(),
                    "amount": str(Money(minor=inst.outstanding.total, currency=self.currency)),
                    "days_past_due": inst.days_past_due(on),
                }
        return None


class RepaymentStatus(StrEnum):
    PENDING = "PENDING"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"


class Repayment(BaseModel):
    """One collection request from the borrower's wallet, and what came of it."""

    id: str
    loan_id: str
    borrower_id: str
    amount: Money
    provider: str
    reference: str
    provider_request_id: str | None = None
    status: RepaymentStatus = RepaymentStatus.PENDING
    provider_transaction_id: str | None = None
    received_minor: int | None = None
    reason: str | None = None
    requested_at: datetime
    resent_at: datetime | None = None
    settled_at: datetime | None = None
