"""Late fees and penalties: a product's late terms, the market's cap on charges, what a day charges.

* A **late fee** is charged once per installment, on the first arrears run that finds it overdue.
* A **daily penalty** is a rate per day on the installment's overdue principal and interest (never on
  charges: no compounding), charged by each day's arrears run for that day only, keyed by the day.
* The **cap** (in-duplum, e.g. Kenya): unpaid interest plus charges never exceed ``multiple`` times the
  principal outstanding; a charge that would pass it is cut to what fits, and nothing once it is reached.

Every amount is rounded down to the currency's payable unit (whole shillings for M-Pesa), so what is
charged can always be paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain.allocation import (
    InstallmentPosition,
    InstallmentState,
    LoanPosition,
    Portion,
    installment_key,
)


class LateTerms(BaseModel):
    """A product's terms for late payment, disclosed in the offer before acceptance."""

    model_config = ConfigDict(frozen=True)

    late_fee_minor: int = Field(default=0, ge=0, description="Charged once per overdue installment")
    daily_penalty_rate: Decimal = Field(
        default=Decimal(0), ge=0, le=Decimal("0.01"), description="Per day on overdue principal+interest"
    )

    def __bool__(self) -> bool:
        return bool(self.late_fee_minor or self.daily_penalty_rate)


class ChargeRules(BaseModel):
    """Per market (settings): the cap on charges, and the days past due that write a loan off."""

    model_config = ConfigDict(frozen=True)

    cap_multiples: dict[str, Decimal] = Field(default_factory=lambda: {"KES": Decimal(1)})
    write_off_after_days: int = Field(default=180, ge=1)

    def cap_multiple(self, currency: str) -> Decimal | None:
        """The in-duplum multiple of principal outstanding for a currency; None: no cap."""
        return self.cap_multiples.get(currency)


def charge_room(
    *,
    principal_outstanding: int,
    interest_outstanding: int,
    charges_outstanding: int,
    multiple: Decimal | None,
) -> int | None:
    """How much more may be charged under the cap (0 once reached or exceeded); None when uncapped."""
    if multiple is None:
        return None
    ceiling = int((Decimal(principal_outstanding) * multiple).to_integral_value(rounding=ROUND_DOWN))
    return max(0, ceiling - interest_outstanding - charges_outstanding)


def capped(requested: int, room: int | None, unit: int = 1) -> int:
    """A requested charge cut to the room under the cap, in whole payable units."""
    amount = requested if room is None else min(requested, room)
    return amount - amount % unit


@dataclass(frozen=True)
class Charge:
    """What one installment is charged on one day: a late fee, a penalty, or both."""

    installment: int
    on: date
    fee: int
    penalty: int
    first: bool = False  # the installment's first charge (the borrower is told)
    version: int = 1  # the loan's schedule version: a restructure's installments are charged afresh

    @property
    def label(self) -> str:
        """The installment's key (``3``; ``v2:3`` on a restructured schedule)."""
        return installment_key(self.installment, self.version)

    @property
    def key(self) -> str:
        return f"{self.label}:{self.on.isoformat()}"

    @property
    def portion(self) -> Portion:
        return Portion(fees=self.fee, penalties=self.penalty)

    @property
    def total(self) -> int:
        return self.fee + self.penalty


def daily_penalty(installment: InstallmentPosition, rate: Decimal) -> int:
    """One day's penalty on an installment's overdue principal and interest (rounded down)."""
    base = installment.outstanding.principal + installment.outstanding.interest
    return int((Decimal(base) * rate).to_integral_value(rounding=ROUND_DOWN))


def charges_for_day(
    position: LoanPosition,
    terms: LateTerms,
    on: date,
    *,
    fee_charged: set[str],
    already: set[str],
    multiple: Decimal | None,
    unit: int = 1,
    version: int = 1,
) -> list[Charge]:
    """Day ``on``'s charges, none twice (``already`` keys, ``fee_charged`` installment keys), within the
    cap; ``version`` is the schedule's (the installments of a restructure are new ones)."""
    out = position.outstanding
    charges_out = out.fees + out.penalties
    result: list[Charge] = []
    for inst in position.installments:
        label = installment_key(inst.number, version)
        if inst.state(on) != InstallmentState.OVERDUE or f"{label}:{on.isoformat()}" in already:
            continue
        room = charge_room(
            principal_outstanding=out.principal,
            interest_outstanding=out.interest,
            charges_outstanding=charges_out,
            multiple=multiple,
        )
        fee = 0 if label in fee_charged else capped(terms.late_fee_minor, room, unit)
        room = None if room is None else room - fee
        penalty = capped(daily_penalty(inst, terms.daily_penalty_rate), room, unit)
        if fee or penalty:
            first = not any(k.startswith(f"{label}:") for k in already)
            charge = Charge(inst.number, on, fee, penalty, first=first, version=version)
            result.append(charge)
            charges_out += fee + penalty
    return result
