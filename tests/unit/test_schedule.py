"""Repayment schedules: dated installments whose totals equal the disclosed offer to the minor unit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mkopo.domain.money import CURRENCIES, Money
from mkopo.domain.offers import LoanRequest, Offer, Product, price
from mkopo.domain.schedule import (
    Amortization,
    FeeTiming,
    InterestMethod,
    build_schedule,
    schedule_for_offer,
    split,
)

START = date(2026, 12, 1)


def kes(amount: str) -> Money:
    return Money.parse(amount, "KES")


def offer_for(amount: str = "5000", term_days: int = 30) -> Offer:
    product = Product(
        code="p",
        currency="KES",
        min_amount_minor=100,
        max_amount_minor=10**9,
        term_days=(term_days,),
        monthly_interest_rate=Decimal("0.065"),
        origination_fee_rate=Decimal("0.02"),
        flat_fee_minor=3_333,
    )
    request = LoanRequest(amount=kes(amount), term_days=term_days)
    now = datetime(2026, 11, 29, tzinfo=UTC)
    return price(product, "jamii", request, offer_id="o-1", now=now, ttl=timedelta(minutes=15))


def test_single_installment_offer_is_due_at_term_end_with_disclosed_parts() -> None:
    offer = offer_for("12345.67", 30)
    schedule = schedule_for_offer(offer, datetime(2026, 12, 1, 9, tzinfo=UTC))
    [only] = schedule.installments
    assert only.due_date == date(2026, 12, 31)
    assert (only.principal, only.interest, only.fees) == (
        offer.principal.minor,
        offer.interest.minor,
        offer.total_fees.minor,
    )
    assert schedule.total_repayable == offer.total_repayable


def test_flat_equal_installments_split_evenly_with_remainder_on_last() -> None:
    schedule = build_schedule(
        principal=kes("1000"), interest=kes("100"), fees=kes("10"), term_days=30, start=START, installments=3
    )
    assert [i.principal for i in schedule.installments] == [33_333, 33_333, 33_334]
    assert [i.interest for i in schedule.installments] == [3_333, 3_333, 3_334]
    assert [i.fees for i in schedule.installments] == [333, 333, 334]
    assert [i.due_date for i in schedule.installments] == [
        date(2026, 12, 11),
        date(2026, 12, 21),
        date(2026, 12, 31),
    ]


def test_declining_balance_equal_principal_front_loads_interest() -> None:
    schedule = build_schedule(
        principal=kes("1200"),
        interest=kes("60"),
        fees=kes("0"),
        term_days=90,
        start=START,
        installments=3,
        method=InterestMethod.DECLINING_BALANCE,
        amortization=Amortization.EQUAL_PRINCIPAL,
    )
    assert [i.principal for i in schedule.installments] == [40_000, 40_000, 40_000]
    # balances 1200, 800, 400 over 30-day periods: interest 3:2:1
    assert [i.interest for i in schedule.installments] == [3_000, 2_000, 1_000]


def test_declining_balance_equal_installments_are_an_annuity() -> None:
    schedule = build_schedule(
        principal=kes("10000"),
        interest=kes("1000"),
        fees=kes("0"),
        term_days=120,
        start=START,
        installments=4,
        method=InterestMethod.DECLINING_BALANCE,
    )
    totals = [i.total for i in schedule.installments]
    assert max(totals) - min(totals) <= 4  # equal up to rounding
    principals = [i.principal for i in schedule.installments]
    interests = [i.interest for i in schedule.installments]
    assert principals == sorted(principals) and interests == sorted(interests, reverse=True)
    assert schedule.interest == kes("1000")


def test_whole_unit_rounding_for_mpesa() -> None:
    schedule = build_schedule(
        principal=kes("1000"),
        interest=kes("99.99"),
        fees=kes("0"),
        term_days=30,
        start=START,
        installments=3,
        unit=100,
    )
    assert [i.interest for i in schedule.installments[:-1]] == [3_300, 3_300]
    assert schedule.interest == kes("99.99")


def test_fees_with_first_installment() -> None:
    schedule = build_schedule(
        principal=kes("900"),
        interest=kes("0"),
        fees=kes("50"),
        term_days=30,
        start=START,
        installments=3,
        fee_timing=FeeTiming.FIRST_INSTALLMENT,
    )
    assert [i.fees for i in schedule.installments] == [5_000, 0, 0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"installments": 0},
        {"installments": 31},
        {"term_days": 0},
        {"principal": Money.parse("0", "KES")},
        {"interest": Money.parse("5", "UGX")},
    ],
)
def test_impossible_schedules_are_refused(kwargs: dict[str, object]) -> None:
    params: dict[str, object] = {
        "principal": kes("100"),
        "interest": kes("10"),
        "fees": kes("1"),
        "term_days": 30,
        "start": START,
        "installments": 1,
    }
    with pytest.raises(ValueError):
        build_schedule(**{**params, **kwargs})  # type: ignore[arg-type]


def test_split_keeps_every_minor_unit() -> None:
    assert split(10, [1, 1, 1]) == [3, 3, 4]
    assert split(0, [1, 2]) == [0, 0]
    assert split(7, [0, 0]) == [3, 4]


@settings(max_examples=300, deadline=None)
@given(
    currency=st.sampled_from(CURRENCIES),
    principal=st.integers(min_value=1, max_value=10**11),
    interest=st.integers(min_value=0, max_value=10**10),
    fees=st.integers(min_value=0, max_value=10**9),
    term_days=st.integers(min_value=1, max_value=365),
    installments=st.integers(min_value=1, max_value=24),
    method=st.sampled_from(InterestMethod),
    amortization=st.sampled_from(Amortization),
    fee_timing=st.sampled_from(FeeTiming),
    unit=st.sampled_from([1, 100]),
)
def test_totals_always_equal_the_disclosed_totals(
    currency: str,
    principal: int,
    interest: int,
    fees: int,
    term_days: int,
    installments: int,
    method: InterestMethod,
    amortization: Amortization,
    fee_timing: FeeTiming,
    unit: int,
) -> None:
    installments = min(installments, term_days)
    schedule = build_schedule(
        principal=Money(minor=principal, currency=currency),  # type: ignore[arg-type]
        interest=Money(minor=interest, currency=currency),  # type: ignore[arg-type]
        fees=Money(minor=fees, currency=currency),  # type: ignore[arg-type]
        term_days=term_days,
        start=START,
        installments=installments,
        method=method,
        amortization=amortization,
        fee_timing=fee_timing,
        unit=unit,
    )
    assert (schedule.principal.minor, schedule.interest.minor, schedule.fees.minor) == (
        principal,
        interest,
        fees,
    )
    assert schedule.total_repayable.minor == principal + interest + fees
    assert len(schedule.installments) == installments
    assert schedule.maturity_date == START + timedelta(days=term_days)
    assert all(i.principal >= 0 and i.interest >= 0 and i.fees >= 0 for i in schedule.installments)
    dates = [i.due_date for i in schedule.installments]
    assert dates == sorted(dates) and len(set(dates)) == installments
