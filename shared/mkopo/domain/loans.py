"""A disbursed loan: its schedule, where it stands, and the repayments that move it to REPAID."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from mkopo.domain.allocation import (
    Allocation,
    InstallmentPosition,
    InstallmentState,
    LoanPosition,
    LoanStatus,
    Portion,
    allocate,
    arrears_bucket,
    installment_key,
)
from mkopo.domain.charges import Charge, ChargeRules, LateTerms, charges_for_day
from mkopo.domain.money import Currency, Money
from mkopo.domain.restructuring import ProposalError, RestructureProposal, waived_portion
from mkopo.domain.schedule import Installment, RepaymentSchedule


class CollectionAboveOwed(ValueError):
    """A repayment request for more than may be paid now; ``payable`` is the most that may."""

    def __init__(self, payable: Money) -> None:
        super().__init__(f"at most {payable} {payable.currency} may be paid now")
        self.payable = payable


@dataclass
class Overdue:
    """An installment past its due date, newly in an arrears bucket."""

    installment: InstallmentPosition
    days_past_due: int
    bucket: str
    version: int = 1  # the loan's schedule version: a restructured loan's installments are new ones

    @property
    def key(self) -> str:
        return f"{installment_key(self.installment.number, self.version)}:{self.bucket}"


class ScheduleVersion(BaseModel):
    """One schedule a loan has had: who made it take effect, when and why (version 1: the disbursement)."""

    version: int
    schedule: RepaymentSchedule
    at: datetime
    proposal_id: str | None = None
    proposed_by: str | None = None
    approved_by: str | None = None
    reason: str | None = None


@dataclass
class Restructured:
    """What a restructure changed that the ledger must record."""

    waived: Portion  # penalties and fees forgiven
    earned_unpaid: Portion  # interest and fees already earned, not paid: deferred again to the new dates


@dataclass
class Arrears:
    """What one day's arrears run has to do on a loan: each item is done once, ever."""

    income_due: list[int] = field(default_factory=list)  # installment numbers whose income is now earned
    reminders: list[InstallmentPosition] = field(default_factory=list)  # falling due soon, unpaid
    overdue: list[Overdue] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.income_due or self.reminders or self.overdue)


class NotActive(ValueError):
    """A change only an ACTIVE loan allows (a write-off of a repaid or written-off loan)."""


class WriteOff(BaseModel):
    """A loan written off: what was owed then, per component, why, by whom; and what was recovered since."""

    at: datetime
    reason: str
    actor_id: str
    days_past_due: int
    amount: Portion
    recovered_minor: int = 0

    @property
    def recoverable_minor(self) -> int:
        return max(0, self.amount.total - self.recovered_minor)


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
    collecting_minor: int = Field(default=0, description="Asked of the borrower's wallet, not yet settled")
    days_late_max: int = Field(
        default=0, description="The most days any installment was paid after its due date"
    )
    disbursed_at: datetime
    repaid_at: datetime | None = None
    updated_at: datetime
    # What the daily arrears run has already done, so it never does it twice.
    income_recognised: list[int] = Field(default_factory=list)
    reminders_sent: list[str] = Field(default_factory=list)
    overdue_flags: list[str] = Field(default_factory=list)
    # Credit-bureau reporting: the day the borrower was sent the notice before negative information.
    bureau_notice_on: date | None = None
    restructured: bool = False
    schedule_version: int = 1
    schedule_history: list[ScheduleVersion] = Field(default_factory=list)
    # Late terms from the offer, the charges made (keys installment:date) and the write-off, if any.
    late_terms: LateTerms = LateTerms()
    charges_made: list[str] = Field(default_factory=list)
    late_fees_charged: list[str] = Field(default_factory=list)  # installment keys (``3``, ``v2:3``)
    fees_charged_minor: int = 0
    penalties_charged_minor: int = 0
    written_off: WriteOff | None = None

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
        late_terms: LateTerms | None = None,
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
            late_terms=late_terms or LateTerms(),
        )

    @property
    def outstanding(self) -> Money:
        """What is owed; once written off, what was written off less what was recovered."""
        if self.written_off is not None:
            return Money(minor=self.written_off.recoverable_minor, currency=self.currency)
        return Money(minor=self.position.outstanding.total, currency=self.currency)

    @property
    def payable(self) -> Money:
        """What the borrower may still be asked for: what is owed less what is being collected already."""
        return Money(minor=max(0, self.outstanding.minor - self.collecting_minor), currency=self.currency)

    def reserve_collection(self, amount: Money) -> None:
        """Set aside a collection request, so that requests together never ask more than is owed."""
        if amount.minor > self.payable.minor:
            raise CollectionAboveOwed(self.payable)
        self.collecting_minor += amount.minor

    def release_collection(self, amount: Money) -> None:
        """The request settled (paid, failed or mismatched): it no longer holds part of what is owed."""
        self.collecting_minor = max(0, self.collecting_minor - amount.minor)

    def apply_payment(self, payment: Money, at: datetime) -> Allocation:
        """Allocate a payment (fees, interest, principal, oldest first); the rest is held as credit."""
        allocation = allocate(self.position, payment)
        for before, after in zip(self.position.installments, allocation.position.installments, strict=True):
            if before.outstanding.total and not after.outstanding.total:
                self.days_late_max = max(self.days_late_max, (at.date() - before.due_date).days)
        self.position = allocation.position
        self.paid_minor += allocation.allocated
        self.credit_balance_minor += allocation.overpayment
        self.updated_at = at
        if self.position.status == LoanStatus.REPAID and self.status != LoanStatus.REPAID:
            self.status = LoanStatus.REPAID
            self.repaid_at = at
        return allocation

    def arrears_due(self, on: date, reminder_days: int) -> Arrears:
        """Income to earn, reminders to send and overdue flags to raise on ``on``, none done before."""
        work = Arrears()
        for inst in self.position.installments:
            if inst.due_date <= on and inst.number not in self.income_recognised:
                work.income_due.append(inst.number)
            state = inst.state(on)
            due_soon = on <= inst.due_date <= on + timedelta(days=reminder_days)
            reminded = installment_key(inst.number, self.schedule_version) in self.reminders_sent
            if due_soon and state != InstallmentState.PAID and not reminded:
                work.reminders.append(inst)
            if state == InstallmentState.OVERDUE:
                days = inst.days_past_due(on)
                bucket = arrears_bucket(days).value
                overdue = Overdue(inst, days, bucket, self.schedule_version)
                if overdue.key not in self.overdue_flags:
                    work.overdue.append(overdue)
        return work

    def age_arrears(self, on: date, reminder_days: int, at: datetime) -> Arrears:
        """Record today's arrears work on the loan (so it is never done twice) and return it."""
        work = self.arrears_due(on, reminder_days)
        self.income_recognised.extend(work.income_due)
        self.reminders_sent.extend(installment_key(i.number, self.schedule_version) for i in work.reminders)
        self.overdue_flags.extend(o.key for o in work.overdue)
        self.updated_at = at
        return work

    def record_bureau_notice(self, on: date, at: datetime) -> bool:
        """The notice before a bureau listing was sent on ``on`` (the first notice counts; False after)."""
        if self.bureau_notice_on is not None:
            return False
        self.bureau_notice_on, self.updated_at = on, at
        return True

    def in_arrears(self, on: date) -> bool:
        """Overdue on ``on``, or flagged overdue by an arrears run (which may run as of a later day) and
        still unpaid."""
        flagged = {flag.rsplit(":", 1)[0] for flag in self.overdue_flags}
        return self.position.days_past_due(on) > 0 or any(
            inst.outstanding.total and installment_key(inst.number, self.schedule_version) in flagged
            for inst in self.position.installments
        )

    def restructure(self, proposal: RestructureProposal, at: datetime) -> Restructured:
        """Replace the unpaid installments by the accepted proposal's; what was paid stays as it was."""
        if self.status != LoanStatus.ACTIVE or self.id != proposal.loan_id:
            raise ProposalError(f"loan {self.id} is {self.status.value}: nothing to restructure")
        outstanding = self.position.outstanding
        since = self.charged.minus(proposal.basis_charged)  # the arrears run's charges since: forgiven
        if (self.paid_minor, outstanding.total - since.total) != (
            proposal.basis_paid_minor,
            proposal.basis_outstanding_minor,
        ):
            raise ProposalError("the loan changed since this proposal was made; propose again")
        kept = [i for i in self.position.installments if i.paid.total]
        earned = Portion()
        for inst in self.position.installments:
            if inst.number in self.income_recognised:
                earned = earned.plus(Portion(interest=inst.outstanding.interest, fees=inst.outstanding.fees))
        self._replace_schedule(proposal, kept, at)
        waived = waived_portion(outstanding, True) if proposal.terms.waive else since
        return Restructured(waived=waived, earned_unpaid=earned)

    def _replace_schedule(
        self, proposal: RestructureProposal, kept: list[InstallmentPosition], at: datetime
    ) -> None:
        """The paid installments closed as paid, then the new ones; the old schedule kept in the history."""
        if not self.schedule_history:
            self.schedule_history.append(
                ScheduleVersion(version=1, schedule=self.schedule, at=self.disbursed_at)
            )
        installments = (*(_closed(i) for i in kept), *proposal.installments)
        self.schedule = RepaymentSchedule(
            currency=self.currency, start=self.schedule.start, installments=installments
        )
        fresh = LoanPosition.from_schedule(self.schedule).installments[len(kept) :]
        closed = tuple(i.model_copy(update={"due": i.paid}) for i in kept)
        self.position = LoanPosition(currency=self.currency, installments=(*closed, *fresh))
        self.schedule_version += 1
        self.restructured, self.updated_at = True, at
        self.income_recognised = [n for n in self.income_recognised if n <= len(kept)]
        self.reminders_sent, self.overdue_flags = [], []
        self.schedule_history.append(
            ScheduleVersion(
                version=self.schedule_version,
                schedule=self.schedule,
                at=at,
                proposal_id=proposal.id,
                proposed_by=proposal.proposed_by,
                approved_by=proposal.decided_by,
                reason=proposal.terms.reason,
            )
        )

    @property
    def charged(self) -> Portion:
        """The late fees and penalties ever charged to the loan (as fees and penalties)."""
        return Portion(fees=self.fees_charged_minor, penalties=self.penalties_charged_minor)

    def charge_late(self, on: date, rules: ChargeRules, at: datetime) -> list[Charge]:
        """Charge day ``on``'s late fees and penalties (each once, within the market's cap)."""
        if self.status != LoanStatus.ACTIVE or not self.late_terms:
            return []
        charges = charges_for_day(
            self.position,
            self.late_terms,
            on,
            fee_charged=set(self.late_fees_charged),
            already=set(self.charges_made),
            multiple=rules.cap_multiple(self.currency),
            unit=Money.zero(self.currency).payable_unit,
            version=self.schedule_version,
        )
        for charge in charges:
            self.position = self.position.charged(charge.installment, charge.portion)
            self.charges_made.append(charge.key)
            if charge.fee:
                self.late_fees_charged.append(charge.label)
            self.fees_charged_minor += charge.fee
            self.penalties_charged_minor += charge.penalty
        if charges:
            self.updated_at = at
        return charges

    def write_off(self, *, reason: str, actor_id: str, at: datetime) -> WriteOff:
        """ACTIVE → WRITTEN_OFF: what is owed now, per component, moves out of the receivables."""
        if self.status != LoanStatus.ACTIVE:
            raise NotActive(f"loan {self.id} is {self.status.value}: only an ACTIVE loan can be written off")
        self.written_off = WriteOff(
            at=at,
            reason=reason,
            actor_id=actor_id,
            days_past_due=self.position.days_past_due(at.date()),
            amount=self.position.outstanding,
        )
        self.status, self.updated_at = LoanStatus.WRITTEN_OFF, at
        return self.written_off

    def recover(self, payment: Money, at: datetime) -> tuple[int, int]:
        """A payment on a written-off loan: (recovered, held as credit beyond what was written off)."""
        if self.written_off is None:
            raise NotActive(f"loan {self.id} is not written off")
        recovered = min(payment.minor, self.written_off.recoverable_minor)
        self.written_off.recovered_minor += recovered
        self.paid_minor += recovered
        self.credit_balance_minor += payment.minor - recovered
        self.updated_at = at
        return recovered, payment.minor - recovered

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


def _closed(inst: InstallmentPosition) -> Installment:
    """A (partly) paid installment kept by a restructure: what was paid is all it ever asks."""
    paid = inst.paid
    return Installment(
        number=inst.number,
        due_date=inst.due_date,
        principal=paid.principal,
        interest=paid.interest,
        fees=paid.fees,
        penalties=paid.penalties,
    )
