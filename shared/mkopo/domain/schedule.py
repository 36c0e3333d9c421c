"""Repayment schedules: the disclosed principal, interest and fees split into dated installments.

The offer discloses totals before acceptance; a schedule only decides *when* each part falls due. So every
schedule's totals equal the disclosed principal, interest and fees to the minor unit, whatever the method:

* ``FLAT`` interest: the disclosed interest is shared equally between installments.
* ``DECLINING_BALANCE`` interest: the disclosed interest is shared in proportion to the principal outstanding
  during each period times its length in days (what a per-period rate on the balance produces).
* ``EQUAL_PRINCIPAL`` amortisation: equal principal parts.
* ``EQUAL_INSTALLMENTS`` amortisation: under declining balance, principal parts of an annuity whose periodic
  rate makes its total interest equal the disclosed interest, so installments are (nearly) equal; under flat
  interest equal principal parts already give equal installments, so both amortisations coincide.

Every split works in integer minor units (optionally in multiples of ``unit`` minor units, e.g. 100 for
whole shillings as M-Pesa collects); each installment but the last is rounded down and the last takes the
remainder, so nothing is lost or created by rounding. Fees fall due spread over the installments or all
with the first one. Due dates split ``term_days`` evenly; the last installment is due at term end.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mkopo.domain.money import Currency, Money
from mkopo.domain.offers import Offer

__all__ = [
    "Amortization",
    "FeeTiming",
    "Installment",
    "InterestMethod",
    "RepaymentSchedule",
    "build_schedule",
    "schedule_for_offer",
    "split",
]


class InterestMethod(StrEnum):
    FLAT = "FLAT"
    DECLINING_BALANCE = "DECLINING_BALANCE"


class Amortization(StrEnum):
    EQUAL_INSTALLMENTS = "EQUAL_INSTALLMENTS"
    EQUAL_PRINCIPAL = "EQUAL_PRINCIPAL"


class FeeTiming(StrEnum):
    SPREAD = "SPREAD"
    FIRST_INSTALLMENT = "FIRST_INSTALLMENT"


class Installment(BaseModel):
    """One dated installment: its principal, interest, fees and penalties parts in minor units."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(ge=1)
    due_date: date
    principal: int = Field(ge=0)
    interest: int = Field(ge=0)
    fees: int = Field(ge=0)
    penalties: int = Field(default=0, ge=0)

    @property
    def total(self) -> int:
        """Everything due with this installment, in minor units."""
        return self.principal + self.interest + self.fees + self.penalties


class RepaymentSchedule(BaseModel):
    """A loan's installments, oldest first, in one currency."""

    model_config = ConfigDict(frozen=True)

    currency: Currency
    start: date
    installments: tuple[Installment, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _numbered_in_order(self) -> RepaymentSchedule:
        """Installments are numbered 1..n with non-decreasing due dates after the start."""
        numbers = [i.number for i in self.installments]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("installments must be numbered 1..n in order")
        dates = [self.start, *(i.due_date for i in self.installments)]
        if any(later < earlier for earlier, later in pairwise(dates)):
            raise ValueError("due dates must not go backwards or precede the start")
        return self

    @property
    def principal(self) -> Money:
        return self._money(sum(i.principal for i in self.installments))

    @property
    def interest(self) -> Money:
        return self._money(sum(i.interest for i in self.installments))

    @property
    def fees(self) -> Money:
        return self._money(sum(i.fees for i in self.installments))

    @property
    def penalties(self) -> Money:
        return self._money(sum(i.penalties for i in self.installments))

    @property
    def total_repayable(self) -> Money:
        return self._money(sum(i.total for i in self.installments))

    @property
    def maturity_date(self) -> date:
        """The last installment's due date."""
        return self.installments[-1].due_date

    def _money(self, minor: int) -> Money:
        return Money(minor=minor, currency=self.currency)


def split(total: int, weights: Sequence[float | int], unit: int = 1) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights``; all but the last part are rounded down to
    a multiple of ``unit`` and the last takes the remainder, so the parts always sum to ``total``."""
    if total < 0 or unit < 1 or not weights or any(w < 0 for w in weights):
        raise ValueError("split needs a non-negative total, a positive unit and non-negative weights")
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights, weight_sum = [1] * len(weights), len(weights)
    parts = _cap([_share(total, w, weight_sum) // unit * unit for w in weights[:-1]], total)
    return [*parts, total - sum(parts)]


def _share(total: int, weight: float | int, weight_sum: float | int) -> int:
    """``total * weight / weight_sum`` rounded down; exact for integer weights."""
    if isinstance(weight, int) and isinstance(weight_sum, int):
        return total * weight // weight_sum
    return int(total * weight / weight_sum)


def _cap(parts: list[int], total: int) -> list[int]:
    """Guard against float rounding pushing the leading parts above the total."""
    capped: list[int] = []
    room = total
    for part in parts:
        capped.append(min(part, room))
        room -= capped[-1]
    return capped


def build_schedule(
    *,
    principal: Money,
    interest: Money,
    fees: Money,
    term_days: int,
    start: date,
    installments: int = 1,
    method: InterestMethod = InterestMethod.FLAT,
    amortization: Amortization = Amortization.EQUAL_INSTALLMENTS,
    fee_timing: FeeTiming = FeeTiming.SPREAD,
    unit: int = 1,
) -> RepaymentSchedule:
    """A schedule whose totals equal exactly the given principal, interest and fees."""
    _check_inputs(principal, interest, fees, term_days, installments)
    due_dates = _due_dates(start, term_days, installments)
    periods = _period_days(start, due_dates)
    principal_weights = _principal_weights(principal, interest, periods, method, amortization)
    principal_parts = split(principal.minor, principal_weights, unit)
    interest_weights = _interest_weights(principal.minor, principal_parts, periods, method)
    interest_parts = split(interest.minor, interest_weights, unit)
    fee_parts = _fee_parts(fees.minor, installments, fee_timing, unit)
    rows = zip(due_dates, principal_parts, interest_parts, fee_parts, strict=True)
    return RepaymentSchedule(
        currency=principal.currency,
        start=start,
        installments=tuple(
            Installment(number=n, due_date=d, principal=p, interest=i, fees=f)
            for n, (d, p, i, f) in enumerate(rows, start=1)
        ),
    )


def schedule_for_offer(
    offer: Offer,
    start: date | datetime,
    *,
    installments: int = 1,
    method: InterestMethod = InterestMethod.FLAT,
    amortization: Amortization = Amortization.EQUAL_INSTALLMENTS,
    fee_timing: FeeTiming = FeeTiming.SPREAD,
    unit: int = 1,
) -> RepaymentSchedule:
    """The schedule of an accepted offer disbursed on ``start``; one installment at term end by default."""
    start_date = start.date() if isinstance(start, datetime) else start
    return build_schedule(
        principal=offer.principal,
        interest=offer.interest,
        fees=offer.total_fees,
        term_days=offer.term_days,
        start=start_date,
        installments=installments,
        method=method,
        amortization=amortization,
        fee_timing=fee_timing,
        unit=unit,
    )


def _check_inputs(principal: Money, interest: Money, fees: Money, term_days: int, installments: int) -> None:
    """Reject schedules that cannot be built: mixed currencies, negative amounts, bad term or count."""
    if len({principal.currency, interest.currency, fees.currency}) != 1:
        raise ValueError("principal, interest and fees must share one currency")
    if principal.minor <= 0 or interest.minor < 0 or fees.minor < 0:
        raise ValueError("principal must be positive; interest and fees must not be negative")
    if term_days < 1 or not 1 <= installments <= term_days:
        raise ValueError("need term_days >= 1 and 1 <= installments <= term_days")


def _fee_parts(fees: int, installments: int, timing: FeeTiming, unit: int) -> list[int]:
    """Fees spread over the installments, or all due with the first one."""
    if timing is FeeTiming.FIRST_INSTALLMENT:
        return [fees] + [0] * (installments - 1)
    return split(fees, [1] * installments, unit)


def _due_dates(start: date, term_days: int, installments: int) -> list[date]:
    """Evenly spread due dates; the last one is exactly ``term_days`` after the start."""
    return [start + timedelta(days=term_days * k // installments) for k in range(1, installments + 1)]


def _period_days(start: date, due_dates: list[date]) -> list[int]:
    """The length in days of each installment period."""
    previous = [start, *due_dates[:-1]]
    return [(due - prev).days for prev, due in zip(previous, due_dates, strict=True)]


def _principal_weights(
    principal: Money, interest: Money, periods: list[int], method: InterestMethod, amortization: Amortization
) -> list[float]:
    """Relative principal parts: equal, or an annuity's for declining balance with equal installments."""
    n = len(periods)
    if method is InterestMethod.FLAT or amortization is Amortization.EQUAL_PRINCIPAL or interest.minor == 0:
        return [1.0] * n
    rate = _annuity_rate(principal.minor, interest.minor, n)
    payment = principal.minor * rate / (1 - (1 + rate) ** -n)
    weights, balance = [], float(principal.minor)
    for _ in range(n):
        part = payment - rate * balance
        weights.append(max(part, 0.0))
        balance -= part
    return weights


def _annuity_rate(principal: int, interest: int, n: int) -> float:
    """The periodic rate at which an n-installment annuity on ``principal`` costs ``interest`` in total."""

    def total_interest(rate: float) -> float:
        return n * principal * rate / (1 - (1 + rate) ** -n) - principal

    low, high = 0.0, 1.0
    while total_interest(high) < interest and high < 1e6:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        if mid == 0 or total_interest(mid) < interest:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _interest_weights(
    principal: int, principal_parts: list[int], periods: list[int], method: InterestMethod
) -> list[float]:
    """Relative interest parts: equal (flat) or balance outstanding times days (declining balance)."""
    if method is InterestMethod.FLAT:
        return [1.0] * len(periods)
    weights, balance = [], principal
    for part, days in zip(principal_parts, periods, strict=True):
        weights.append(float(balance * days))
        balance -= part
    return weights
