"""Mwanga Finance: a bank-backed product with a fixed facilitation fee and lower interest."""

from decimal import Decimal

from mkopo.adapters.lenders.catalogue import CatalogueLender
from mkopo.domain.offers import Product

MWANGA = CatalogueLender(
    name="mwanga-finance",
    products=(
        Product(
            code="mwanga-kes-30",
            currency="KES",
            min_amount_minor=100_000,
            max_amount_minor=10_000_000,
            term_days=(30,),
            monthly_interest_rate=Decimal("0.05"),
            flat_fee_minor=10_000,
            late_fee_minor=30_000,
        ),
        Product(
            code="mwanga-kes-60",
            currency="KES",
            min_amount_minor=500_000,
            max_amount_minor=10_000_000,
            term_days=(60,),
            monthly_interest_rate=Decimal("0.045"),
            flat_fee_minor=20_000,
            late_fee_minor=30_000,
        ),
        Product(
            code="mwanga-ngn-30",
            currency="NGN",
            min_amount_minor=500_000,
            max_amount_minor=50_000_000,
            term_days=(30,),
            monthly_interest_rate=Decimal("0.06"),
            flat_fee_minor=50_000,
        ),
        Product(
            code="mwanga-ghs-30",
            currency="GHS",
            min_amount_minor=5_000,
            max_amount_minor=500_000,
            term_days=(30,),
            monthly_interest_rate=Decimal("0.055"),
            flat_fee_minor=500,
        ),
    ),
)
