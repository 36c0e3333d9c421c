"""Tujenge Microfinance: no fees at all, a higher interest rate, small first loans."""

from decimal import Decimal

from mkopo.adapters.lenders.catalogue import CatalogueLender
from mkopo.domain.offers import Product

TUJENGE = CatalogueLender(
    name="tujenge-mfi",
    products=(
        Product(
            code="tujenge-kes-7",
            currency="KES",
            min_amount_minor=10_000,
            max_amount_minor=1_000_000,
            term_days=(7, 14),
            monthly_interest_rate=Decimal("0.09"),
        ),
        Product(
            code="tujenge-kes-30",
            currency="KES",
            min_amount_minor=10_000,
            max_amount_minor=2_000_000,
            term_days=(30,),
            monthly_interest_rate=Decimal("0.085"),
            daily_penalty_rate=Decimal("0.0005"),
        ),
        Product(
            code="tujenge-ugx-30",
            currency="UGX",
            min_amount_minor=10_000,
            max_amount_minor=2_000_000,
            term_days=(7, 14, 30),
            monthly_interest_rate=Decimal("0.09"),
        ),
        Product(
            code="tujenge-ngn-30",
            currency="NGN",
            min_amount_minor=100_000,
            max_amount_minor=20_000_000,
            term_days=(14, 30),
            monthly_interest_rate=Decimal("0.1"),
        ),
    ),
)
