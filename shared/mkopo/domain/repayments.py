"""A collection request from the borrower's wallet (STK Push, requesttopay) and what came of it."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from mkopo.domain.allocation import Allocation, AllocationLine
from mkopo.domain.events import DomainEvent, RepaymentReceived
from mkopo.domain.money import Money

NO_ANSWER = "NO_ANSWER"  # reason of a repayment given up: the provider never answered or acknowledged it


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
    answer_lost: bool = False  # the provider may have the request though it never answered
    resent_at: datetime | None = None
    settled_at: datetime | None = None
    allocation: tuple[AllocationLine, ...] = ()  # how the payment settled the loan, once posted
    overpayment_minor: int = 0  # the part of it kept as the borrower's credit

    def received_event(
        self, *, allocated_minor: int, overpayment_minor: int, outstanding_minor: int, at: datetime
    ) -> DomainEvent:
        """The repayment_received event for this payment once posted (to the loan, or as a recovery)."""
        return RepaymentReceived.new(
            application_id=self.loan_id,
            occurred_at=at,
            occurrence=self.id,
            borrower_id=self.borrower_id,
            repayment_id=self.id,
            amount_minor=self.amount.minor,
            currency=self.amount.currency,
            provider=self.provider,
            allocated_minor=allocated_minor,
            overpayment_minor=overpayment_minor,
            outstanding_minor=outstanding_minor,
        )

    @property
    def is_pending(self) -> bool:
        return self.status == RepaymentStatus.PENDING

    def awaits(self, *, paid: bool) -> bool:
        """Still open to a result: pending, or given up for want of an answer and now reported paid."""
        given_up = self.status == RepaymentStatus.FAILED and self.reason == NO_ANSWER
        return self.is_pending or (given_up and paid)

    def give_up(self, at: datetime) -> None:
        """No answer and no trace at the provider, and asking again could prompt twice: stop waiting.

        Money that arrives later is still posted (``awaits``)."""
        self.fail(NO_ANSWER, at, None)

    def remember_request(self, provider_request_id: str) -> bool:
        """Keep the provider's id for a request still pending (what a status query asks about)."""
        if not self.is_pending:
            return False
        self.provider_request_id = provider_request_id
        return True

    def fail(self, reason: str | None, at: datetime, transaction_id: str | None) -> None:
        """The provider says the borrower did not pay (declined, timed out, no funds)."""
        self.status, self.reason = RepaymentStatus.FAILED, reason
        self.settled_at, self.provider_transaction_id = at, transaction_id

    def receive(self, received: Money | None, at: datetime, transaction_id: str | None) -> bool:
        """Record what arrived: SUCCESSFUL if it is the amount asked, else AMOUNT_MISMATCH (False)."""
        self.settled_at, self.provider_transaction_id, self.reason = at, transaction_id, None
        self.received_minor = received.minor if received else None
        if received != self.amount:
            self.status, self.reason = (
                RepaymentStatus.AMOUNT_MISMATCH,
                f"asked {self.amount}, reported {received}",
            )
            return False
        self.status = RepaymentStatus.SUCCESSFUL
        return True

    def record_allocation(self, allocation: Allocation) -> None:
        """Keep how the payment was applied (per installment and component) and what was overpaid."""
        self.allocation, self.overpayment_minor = allocation.lines, allocation.overpayment

    def claim_resend(self, now: datetime, older_than: timedelta) -> bool:
        """One reconciliation pass at a time may resend a request the provider never got."""
        if not self.is_pending or (self.resent_at is not None and self.resent_at > now - older_than):
            return False
        self.resent_at = now
        return True

    def lose_answer(self) -> bool:
        """The request went out but no answer came: the provider may be prompting the borrower."""
        self.answer_lost = True
        return True
