"""Loan products, quotes and offers: what the borrower will really pay, disclosed before acceptance."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain.money import Currency, Money


class LoanRequest(BaseModel):
    """What a borrower asks for when comparing offers."""

    model_config = ConfigDict(frozen=True)

    amount: Money
    term_days: int = Field(ge=1, le=365)

    @property
    def currency(self) -> str:
        return self.amount.currency


class Fee(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    amount: Money


class Product(BaseModel):
    """One lender's loan product: limits and flat pricing for a single repayment at term end."""

    model_config = ConfigDict(frozen=True)

    code: str
    currency: Currency
    min_amount_minor: int = Field(gt=0)
    max_amount_minor: int = Field(gt=0)
    term_days: tuple[int, ...]
    monthly_interest_rate: Decimal = Field(ge=0, description="Flat rate per 30 days on the principal")
    origination_fee_rate: Decimal = Field(default=Decimal(0), ge=0)
    min_origination_fee_minor: int = Field(default=0, ge=0)
    flat_fee_minor: int = Field(default=0, ge=0, description="Fixed facilitation fee per loan")
    late_fee_minor: int = Field(default=0, ge=0, description="Charged once per overdue installment")
    daily_penalty_rate: Decimal = Field(
        default=Decimal(0), ge=0, description="Per day on overdue principal and interest"
    )

    def fits(self, request: LoanRequest) -> bool:
        return (
            request.currency == self.currency
            and self.min_amount_minor <= request.amount.minor <= self.max_amount_minor
            and request.term_days in self.term_days
        )


class Offer(BaseModel):
    """A priced, time-limited offer a borrower can check out."""

    model_config = ConfigDict(frozen=True)

    id: str
    provider: str
    product: str
    principal: Money
    term_days: int
    interest_rate: Decimal = Field(description="Interest for the whole term, as a fraction of principal")
    interest: Money
    fees: tuple[Fee, ...]
    total_repayable: Money
    apr: Decimal = Field(description="Annual percentage rate, percent, 2 decimals")
    created_at: datetime
    expires_at: datetime
    # Late terms, disclosed before acceptance (charged only if an installment is overdue).
    late_fee: Money | None = None
    daily_penalty_rate: Decimal = Decimal(0)

    @property
    def total_fees(self) -> Money:
        total = Money.zero(self.principal.currency)
        for fee in self.fees:
            total = total + fee.amount
        return total

    @property
    def total_cost(self) -> Money:
        """Total cost of credit: everything repaid beyond the principal."""
        return self.total_repayable - self.principal

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def due_date(self, start: datetime) -> datetime:
        return start + timedelta(days=self.term_days)


def annual_percentage_rate(principal: Money, total_cost: Money, term_days: int) -> Decimal:
    """Single-payment APR: cost over principal, annualised over 365 days (percent, 2 dp)."""
    if principal.minor <= 0:
        raise ValueError("principal must be positive")
    rate = Decimal(total_cost.minor) / Decimal(principal.minor) * Decimal(365) / Decimal(term_days)
    return (rate * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def price(
    product: Product,
    provider: str,
    request: LoanRequest,
    *,
    offer_id: str,
    now: datetime,
    ttl: timedelta,
) -> Offer:
    """Price a request under a product; the disclosed totals are exactly what will be repaid."""
    principal = request.amount
    interest_rate = (product.monthly_interest_rate * Decimal(request.term_days) / Decimal(30)).quantize(
        Decimal("0.000001"), rounding=ROUND_HALF_UP
    )
    unit = principal.payable_unit
    interest = principal.times(interest_rate, unit)
    fees: list[Fee] = []
    if product.origination_fee_rate or product.min_origination_fee_minor:
        origination = principal.times(product.origination_fee_rate, unit)
        if origination.minor < product.min_origination_fee_minor:
            origination = Money(minor=product.min_origination_fee_minor, currency=principal.currency)
        fees.append(Fee(name="origination", amount=origination))
    if product.flat_fee_minor:
        fees.append(
            Fee(name="facilitation", amount=Money(minor=product.flat_fee_minor, currency=principal.currency))
        )
    total_fees = sum((f.amount.minor for f in fees), 0)
    total = Money(minor=principal.minor + interest.minor + total_fees, currency=principal.currency)
    return Offer(
        id=offer_id,
        provider=provider,
        product=product.code,
        principal=principal,
        term_days=request.term_days,
        interest_rate=interest_rate,
        interest=interest,
        fees=tuple(fees),
        total_repayable=total,
        apr=annual_percentage_rate(principal, total - principal, request.term_days),
        created_at=now,
        expires_at=now + ttl,
        late_fee=Money(minor=product.late_fee_minor, currency=principal.currency)
        if product.late_fee_minor
        else None,
        daily_penalty_rate=product.daily_penalty_rate,
    )
