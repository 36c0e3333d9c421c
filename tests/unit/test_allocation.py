"""Repayment allocation: oldest installment first, penalties, fees, interest, principal; nothing lost."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mkopo.domain.allocation import (
    ALLOCATION_ORDER,
    ArrearsBucket,
    Component,
    InstallmentState,
    LoanPosition,
    LoanStatus,
    allocate,
    arrears_bucket,
)
from mkopo.domain.money import Money
from mkopo.domain.schedule import InterestMethod, build_schedule
from tests.unit.penalties import with_penalty

START = date(2026, 12, 1)


def kes(minor: int) -> Money:
    return Money(minor=minor, currency="KES")


def position(installments: int = 2, penalty: int = 0) -> LoanPosition:
    """Principal 1000.00, interest 100.00, fees 20.00 over 60 days."""
    schedule = build_schedule(
        principal=kes(100_000),
        interest=kes(10_000),
        fees=kes(2_000),
        term_days=60,
        start=START,
        installments=installments,
    )
    loan = LoanPosition.from_schedule(schedule)
    return with_penalty(loan, 1, penalty) if penalty else loan


def test_components_settle_in_order_within_the_oldest_installment() -> None:
    loan = position(penalty=500)
    result = allocate(loan, kes(7_000))
    assert [(line.installment, line.component, line.amount) for line in result.lines] == [
        (1, Component.PENALTIES, 500),
        (1, Component.FEES, 1_000),
        (1, Component.INTEREST, 5_000),
        (1, Component.PRINCIPAL, 500),
    ]
    assert result.overpayment == 0
    assert result.position.installments[0].state(START) is InstallmentState.PARTIALLY_PAID
    assert result.position.installments[1].state(START) is InstallmentState.PENDING


def test_oldest_installment_is_paid_in_full_before_the_next() -> None:
    loan = position()
    result = allocate(loan, kes(56_000 + 1_000))
    assert result.position.installments[0].outstanding.total == 0
    assert [(line.installment, line.component) for line in result.lines][-1] == (2, Component.FEES)
    assert result.position.installments[0].state(START) is InstallmentState.PAID


def test_overpayment_becomes_a_credit_and_loan_is_repaid() -> None:
    result = allocate(position(), kes(112_000 + 2_500))
    assert result.overpayment == 2_500
    assert result.allocated == 112_000
    assert result.position.status is LoanStatus.REPAID
    assert result.position.outstanding.total == 0


def test_payment_on_a_repaid_loan_is_all_overpayment() -> None:
    repaid = allocate(position(), kes(112_000)).position
    again = allocate(repaid, kes(1_000))
    assert (again.lines, again.overpayment) == ((), 1_000)


def test_installment_states_and_days_past_due() -> None:
    loan = position(installments=1)
    [installment] = loan.installments
    due = installment.due_date
    assert installment.state(due) is InstallmentState.PENDING
    assert installment.state(due + timedelta(days=1)) is InstallmentState.OVERDUE
    assert loan.days_past_due(due + timedelta(days=45)) == 45
    assert loan.arrears_bucket(due + timedelta(days=45)) is ArrearsBucket.DAYS_31_60
    assert loan.arrears_bucket(due) is ArrearsBucket.CURRENT
    repaid = allocate(loan, kes(112_000)).position
    assert repaid.installments[0].state(due + timedelta(days=400)) is InstallmentState.PAID
    assert repaid.days_past_due(due + timedelta(days=400)) == 0


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
    ],
)
def test_arrears_buckets(days: int, bucket: str) -> None:
    assert arrears_bucket(days) == bucket


def test_wrong_currency_or_non_positive_payment_is_refused() -> None:
    with pytest.raises(ValueError):
        allocate(position(), Money(minor=100, currency="UGX"))
    with pytest.raises(ValueError):
        allocate(position(), kes(0))


@st.composite
def loans(draw: st.DrawFn) -> LoanPosition:
    """A loan with random amounts, installments, method and penalties."""
    n = draw(st.integers(min_value=1, max_value=6))
    schedule = build_schedule(
        principal=kes(draw(st.integers(min_value=1, max_value=10**8))),
        interest=kes(draw(st.integers(min_value=0, max_value=10**7))),
        fees=kes(draw(st.integers(min_value=0, max_value=10**6))),
        term_days=draw(st.integers(min_value=n, max_value=365)),
        start=START,
        installments=n,
        method=draw(st.sampled_from(InterestMethod)),
    )
    loan = LoanPosition.from_schedule(schedule)
    for number in draw(st.lists(st.integers(min_value=1, max_value=n), max_size=3)):
        loan = with_penalty(loan, number, draw(st.integers(min_value=1, max_value=10**5)))
    return loan


def order_key(installment: int, component: Component) -> tuple[int, int]:
    return installment, ALLOCATION_ORDER.index(component)


@settings(max_examples=300, deadline=None)
@given(loan=loans(), payments=st.lists(st.integers(min_value=1, max_value=10**8), min_size=1, max_size=6))
def test_allocation_never_loses_or_creates_money(loan: LoanPosition, payments: list[int]) -> None:
    for amount in payments:
        before = loan.outstanding.total
        result = allocate(loan, kes(amount))
        assert result.allocated + result.overpayment == amount
        assert result.allocated == min(amount, before)
        assert result.position.outstanding.total == before - result.allocated
        assert all(i.outstanding.total >= 0 for i in result.position.installments)
        keys = [order_key(line.installment, line.component) for line in result.lines]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        # only the last touched (installment, component) may be left partly unpaid
        for line in result.lines[:-1]:
            [inst] = [i for i in result.position.installments if i.number == line.installment]
            assert inst.outstanding.of(line.component) == 0
        assert (result.overpayment > 0) <= (result.position.status is LoanStatus.REPAID)
        if result.lines:
            last = order_key(result.lines[-1].installment, result.lines[-1].component)
            owed_earlier = {
                order_key(i.number, c)
                for i in loan.installments
                for c in Component
                if i.outstanding.of(c) and order_key(i.number, c) <= last
            }
            assert owed_earlier == set(keys)
        loan = result.position
