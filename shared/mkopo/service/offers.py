"""Comparing offers from every lender for one request."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mkopo.domain.money import CURRENCIES, Money, MoneyError
from mkopo.domain.offers import LoanRequest, Offer
from mkopo.service.errors import Unprocessable
from mkopo.service.store import Store


class Lender(Protocol):
    @property
    def name(self) -> str: ...

    def quote(
        self, request: LoanRequest, *, now: datetime, ttl: timedelta, new_id: Callable[[], str]
    ) -> list[Offer]: ...


class OfferQuery(BaseModel):
    """The query string of GET /v1/offers."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: str = Field(max_length=20, description="Principal in major units, e.g. 5000 or 5000.50")
    currency: str = Field(max_length=3)
    term_days: int = Field(ge=1, le=365)

    @field_validator("currency")
    @classmethod
    def _known(cls, value: str) -> str:
        if value.upper() not in CURRENCIES:
            raise ValueError(f"must be one of {', '.join(CURRENCIES)}")
        return value.upper()

    def to_request(self) -> LoanRequest:
        try:
            money = Money.parse(self.amount, self.currency)
        except MoneyError as exc:
            raise Unprocessable(str(exc), errors=[{"field": "amount", "message": str(exc)}]) from exc
        if money.minor <= 0:
            raise Unprocessable(
                "amount must be positive", errors=[{"field": "amount", "message": "must be > 0"}]
            )
        if not money.is_payable():
            message = f"{money.currency} loans are paid out in whole units: no cents"
            raise Unprocessable(message, errors=[{"field": "amount", "message": message}])
        return LoanRequest(amount=money, term_days=self.term_days)


def compare_offers(
    query: OfferQuery, *, lenders: Sequence[Lender], store: Store, now: datetime, ttl: timedelta
) -> list[Offer]:
    """Offers that fit the request from every lender, cheapest APR first, saved so they can be checked out."""
    request = query.to_request()

    def new_id() -> str:
        return str(uuid.uuid4())

    offers = [o for lender in lenders for o in lender.quote(request, now=now, ttl=ttl, new_id=new_id)]
    offers.sort(key=lambda o: (o.apr, o.total_repayable.minor, o.provider))
    if offers:
        store.save_offers(offers)
    return offers
