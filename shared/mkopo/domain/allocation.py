"""Repayment allocation: how a payment settles a loan's installments, and where a loan stands on a date.

Order (Apache Fineract's default strategy): the OUTER loop walks installments oldest first, the INNER loop
settles each installment's components in the order penalties -> fees -> interest -> principal before any
money goes to the next installment. Whatever is left once nothing is outstanding is an overpayment: a credit
balance owed to the borrower (``borrower_credit`` in the ledger), never lost. A loan with nothing
outstanding is REPAID.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mkopo.domain.money import Currency, Money
from mkopo.domain.schedule import RepaymentSchedule

__all__ = [
    "ALLOCATION_ORDER",
    "Allocation",
    "AllocationLine",
    "ArrearsBucket",
    "Component",
    "InstallmentPosition",
    "InstallmentState",
    "LoanPosition",
    "LoanStatus",
    "Portion",
    "allocate",
    "arrears_bucket",
]


class Component(StrEnum):
    PENALTIES = "penalties"
    FEES = "fees"
    INTEREST = "interest"
    PRINCIPAL = "principal"


ALLOCATION_ORDER: tuple[Component, ...] = (
    Component.PENALTIES,
    Component.FEES,
    Component.INTEREST,
    Component.PRINCIPAL,
)


class InstallmentState(StrEnum):
    PENDING = "PENDING"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    OVERDUE = "OVERDUE"


class LoanStatus(StrEnum):
    ACTIVE = "ACTIVE"
    REPAID = "REPAID"
    WRITTEN_OFF = "WRITTEN_OFF"


class ArrearsBucket(StrEnum):
    CURRENT = "current"
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    DAYS_90_PLUS = "90+"


class Portion(BaseModel):
    """Amounts per component, in minor units."""

    model_config = ConfigDict(frozen=True)

    penalties: int = Field(default=0, ge=0)
    fees: int = Field(default=0, ge=0)
    interest: int = Field(default=0, ge=0)
    principal: int = Field(default=0, ge=0)

    @property
    def total(self) -> int:
        return self.penalties + self.fees + self.interest + self.principal

    def of(self, component: Component) -> int:
        """The amount of one component."""
        return int(getattr(self, component.value))

    def plus(self, other: Portion) -> Portion:
        """Component-wise sum."""
        return Portion(**{c.value: self.of(c) + other.of(c) for c in Component})

    def minus(self, other: Portion) -> Portion:
        """Component-wise difference; raises if any component would go negative."""
        return Portion(**{c.value: self.of(c) - other.of(c) for c in Component})


class InstallmentPosition(BaseModel):
    """One installment: what is due under the contract (plus penalties charged) and what has been paid."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(ge=1)
    due_date: date
    due: Portion
    paid: Portion = Portion()

    @model_validator(mode="after")
    def _not_overpaid(self) -> InstallmentPosition:
        """No component is ever paid beyond what is due."""
        self.due.minus(self.paid)
        return self

    @property
    def outstanding(self) -> Portion:
        return self.due.minus(self.paid)

    def state(self, on: date) -> InstallmentState:
        """PAID when nothing is outstanding, OVERDUE after the due date, else PARTIALLY_PAID or PENDING."""
        if self.outstanding.total == 0:
            return InstallmentState.PAID
        if on > self.due_date:
            return InstallmentState.OVERDUE
        return InstallmentState.PARTIALLY_PAID if self.paid.total else InstallmentState.PENDING

    def days_past_due(self, on: date) -> int:
        """Days since the due date while something is outstanding; 0 otherwise."""
        if self.outstanding.total == 0:
            return 0
        return max((on - self.due_date).days, 0)


class LoanPosition(BaseModel):
    """Where a loan stands: every installment's due and paid amounts, oldest first."""

    model_config = ConfigDict(frozen=True)

    currency: Currency
    installments: tuple[InstallmentPosition, ...] = Field(min_length=1)

    @classmethod
    def from_schedule(cls, schedule: RepaymentSchedule) -> LoanPosition:
        """A freshly disbursed loan: everything in the schedule due, nothing paid."""
        return cls(
            currency=schedule.currency,
            installments=tuple(
                InstallmentPosition(
                    number=i.number,
                    due_date=i.due_date,
                    due=Portion(
                        penalties=i.penalties, fees=i.fees, interest=i.interest, principal=i.principal
                    ),
                )
                for i in schedule.installments
            ),
        )

    @property
    def outstanding(self) -> Portion:
        """Everything still owed, per component."""
        total = Portion()
        for installment in self.installments:
            total = total.plus(installment.outstanding)
        return total

    @property
    def status(self) -> LoanStatus:
        return LoanStatus.REPAID if self.outstanding.total == 0 else LoanStatus.ACTIVE

    def charged(self, number: int, charge: Portion) -> LoanPosition:
        """The position with a late fee or penalty added to what installment ``number`` has due."""
        installments = tuple(
            i.model_copy(update={"due": i.due.plus(charge)}) if i.number == number else i
            for i in self.installments
        )
        return self.model_copy(update={"installments": installments})

    def days_past_due(self, on: date) -> int:
        """Days past due of the oldest installment in arrears (0 when current)."""
        return max((i.days_past_due(on) for i in self.installments), default=0)

    def arrears_bucket(self, on: date) -> ArrearsBucket:
        """The delinquency bucket of the loan on a date."""
        return arrears_bucket(self.days_past_due(on))


class AllocationLine(BaseModel):
    """Part of a payment applied to one component of one installment."""

    model_config = ConfigDict(frozen=True)

    installment: int
    component: Component
    amount: int = Field(gt=0)


class Allocation(BaseModel):
    """How one payment was applied: per installment and component, the overpayment, and the new position."""

    model_config = ConfigDict(frozen=True)

    payment: Money
    lines: tuple[AllocationLine, ...]
    overpayment: int = Field(ge=0)
    position: LoanPosition

    @property
    def allocated(self) -> int:
        return sum(line.amount for line in self.lines)

    def by_component(self) -> Portion:
        """The allocated amounts summed per component."""
        totals = {c.value: 0 for c in Component}
        for line in self.lines:
            totals[line.component.value] += line.amount
        return Portion(**totals)


def allocate(position: LoanPosition, payment: Money) -> Allocation:
    """Apply a payment oldest installment first, penalties -> fees -> interest -> principal within each."""
    if payment.currency != position.currency:
        raise ValueError(f"payment in {payment.currency} for a {position.currency} loan")
    if payment.minor <= 0:
        raise ValueError("a payment must be positive")
    remaining = payment.minor
    lines: list[AllocationLine] = []
    installments: list[InstallmentPosition] = []
    for installment in position.installments:
        paid_now, remaining = _settle(installment, remaining)
        lines.extend(
            AllocationLine(installment=installment.number, component=c, amount=paid_now.of(c))
            for c in ALLOCATION_ORDER
            if paid_now.of(c)
        )
        installments.append(installment.model_copy(update={"paid": installment.paid.plus(paid_now)}))
    new_position = LoanPosition(currency=position.currency, installments=tuple(installments))
    return Allocation(payment=payment, lines=tuple(lines), overpayment=remaining, position=new_position)


def _settle(installment: InstallmentPosition, available: int) -> tuple[Portion, int]:
    """What ``available`` pays of one installment, in allocation order, and what is left over."""
    paid: dict[str, int] = {}
    outstanding = installment.outstanding
    for component in ALLOCATION_ORDER:
        amount = min(outstanding.of(component), available)
        paid[component.value] = amount
        available -= amount
    return Portion(**paid), available


def arrears_bucket(days_past_due: int) -> ArrearsBucket:
    """The delinquency bucket for a number of days past due: current, 1-30, 31-60, 61-90 or 90+."""
    if days_past_due < 0:
        raise ValueError("days past due cannot be negative")
    if days_past_due == 0:
        return ArrearsBucket.CURRENT
    if days_past_due <= 30:
        return ArrearsBucket.DAYS_1_30
    if days_past_due <= 60:
        return ArrearsBucket.DAYS_31_60
    if days_past_due <= 90:
        return ArrearsBucket.DAYS_61_90
    return ArrearsBucket.DAYS_90_PLUS


def installment_key(number: int, version: int) -> str:
    """An installment's key in event and ledger ids: ``3`` on the first schedule, ``v2:3`` after one
    restructure (the new installments are other installments, with their own reminders and flags)."""
    return f"{number}" if version == 1 else f"v{version}:{number}"
