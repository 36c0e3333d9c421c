"""Loans built directly (no pipeline) for the provisioning and bureau tests: one installment, KES."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from mkopo.domain.loans import Loan
from mkopo.domain.money import Money
from mkopo.domain.schedule import build_schedule

START = date(2026, 10, 1)


def book_loan(
    principal: int = 500_000, *, currency: str = "KES", start: date = START, term_days: int = 30
) -> Loan:
    """A loan of ``principal`` minor units with 10% interest, no fees, due ``term_days`` after ``start``."""
    money = lambda minor: Money(minor=minor, currency=currency)  # noqa: E731
    plan = build_schedule(
        principal=money(principal),
        interest=money(principal // 10),
        fees=money(0),
        term_days=term_days,
        start=start,
    )
    return Loan.open(
        loan_id=str(uuid.uuid4()),
        borrower_id=str(uuid.uuid4()),
        phone="+254700000042",
        lender="jamii",
        payout_provider="mpesa",
        schedule=plan,
        at=datetime.combine(start, datetime.min.time(), tzinfo=UTC),
    )


def noon(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=12)
