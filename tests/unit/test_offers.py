from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mkopo.adapters.lenders import default_lenders
from mkopo.domain.money import Money
from mkopo.domain.offers import LoanRequest, Product, annual_percentage_rate, price
from mkopo.service.errors import Unprocessable
from mkopo.service.offers import OfferQuery
from tests.unit.conftest import World

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def test_offers_fit_the_request_and_are_sorted_by_apr(world: World) -> None:
    found = world.store.col("offers")
    assert not found
    offers = [world.offer()]  # saves every fitting offer
    saved = list(world.store.col("offers").values())
    assert len({o.provider for o in saved}) == 3
    aprs = sorted(o.apr for o in saved)
    assert offers[0].apr == aprs[0]
    for o in saved:
        assert o.principal == Money.parse("5000", "KES")
        assert o.term_days == 30
        assert o.expires_at == NOW.replace(hour=12) + timedelta(minutes=15)


def test_disclosed_total_is_principal_plus_interest_plus_fees(world: World) -> None:
    world.offer("12347")
    for o in world.store.col("offers").values():
        assert o.total_repayable.minor == o.principal.minor + o.interest.minor + o.total_fees.minor
        assert o.total_cost.minor == o.interest.minor + o.total_fees.minor
        assert o.total_repayable.is_payable()  # M-Pesa moves whole shillings only


def test_kenyan_amounts_with_cents_are_refused_but_ghana_cedis_may_have_pesewas(world: World) -> None:
    with pytest.raises(Unprocessable, match="whole units"):
        world.offer("12345.67")
    assert world.offer("150.50", currency="GHS").principal.minor == 15_050


def test_minimum_origination_fee_applies_to_small_loans() -> None:
    product = Product(
        code="p",
        currency="KES",
        min_amount_minor=1,
        max_amount_minor=10**9,
        term_days=(30,),
        monthly_interest_rate=Decimal("0.05"),
        origination_fee_rate=Decimal("0.02"),
        min_origination_fee_minor=5_000,
    )
    offer = price(
        product,
        "l",
        LoanRequest(amount=Money.parse("1000", "KES"), term_days=30),
        offer_id="o",
        now=NOW,
        ttl=timedelta(minutes=5),
    )
    assert [f.amount.minor for f in offer.fees] == [5_000]
    assert offer.interest.minor == 5_000
    # cost 100 on 1000 for 30 days: 10% x 365/30 = 121.67%
    assert offer.apr == Decimal("121.67")


def test_no_offer_outside_every_catalogue(world: World) -> None:
    query = OfferQuery(amount="99999999", currency="KES", term_days=30)
    from mkopo.service.offers import compare_offers

    assert (
        compare_offers(query, lenders=default_lenders(), store=world.store, now=NOW, ttl=timedelta(minutes=1))
        == []
    )


@pytest.mark.parametrize("amount", ["0", "-5", "1.001", "ten", "100.50"])
def test_bad_amounts_are_unprocessable(amount: str) -> None:
    with pytest.raises(Unprocessable):
        OfferQuery(amount=amount, currency="KES", term_days=30).to_request()


@given(
    principal=st.integers(min_value=1, max_value=10**10),
    cost=st.integers(min_value=0, max_value=10**9),
    days=st.integers(min_value=1, max_value=365),
)
def test_apr_grows_with_cost_and_shrinks_with_term(principal: int, cost: int, days: int) -> None:
    p = Money(minor=principal, currency="KES")
    base = annual_percentage_rate(p, Money(minor=cost, currency="KES"), days)
    assert annual_percentage_rate(p, Money(minor=cost + principal, currency="KES"), days) > base
    if days < 365:
        assert annual_percentage_rate(p, Money(minor=cost, currency="KES"), days + 1) <= base
