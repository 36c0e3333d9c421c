"""Test data every tier builds the same way: a checkout_submitted event, the offers for a KES 5,000 loan."""

from __future__ import annotations

from datetime import datetime, timedelta

from mkopo.adapters.lenders import default_lenders
from mkopo.domain.events import CheckoutSubmitted
from mkopo.domain.offers import Offer
from mkopo.service import offers
from mkopo.service.store import Store


def checkout_submitted(
    application_id: str, at: datetime, *, borrower_id: str = "u-1", amount_minor: int = 500_000
) -> CheckoutSubmitted:
    event = CheckoutSubmitted.new(
        application_id=application_id,
        occurred_at=at,
        borrower_id=borrower_id,
        lender="jamii-credit",
        product="p",
        amount_minor=amount_minor,
        currency="KES",
        term_days=30,
    )
    assert isinstance(event, CheckoutSubmitted)
    return event


def kes_offers(store: Store, now: datetime) -> list[Offer]:
    """Every lender's offer for KES 5,000 over 30 days, stored as the offers endpoint stores them."""
    query = offers.OfferQuery(amount="5000", currency="KES", term_days=30)
    ttl = timedelta(minutes=5)
    return offers.compare_offers(query, lenders=default_lenders(), store=store, now=now, ttl=ttl)
