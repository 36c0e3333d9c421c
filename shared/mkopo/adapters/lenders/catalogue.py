"""A lender whose products are published as a catalogue (the common case for partner lenders)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mkopo.domain.offers import LoanRequest, Offer, Product, price


@dataclass(frozen=True)
class CatalogueLender:
    name: str
    products: tuple[Product, ...]

    def quote(
        self, request: LoanRequest, *, now: datetime, ttl: timedelta, new_id: Callable[[], str]
    ) -> list[Offer]:
        """Offers from every product that fits the request."""
        return [
            price(p, self.name, request, offer_id=new_id(), now=now, ttl=ttl)
            for p in self.products
            if p.fits(request)
        ]
