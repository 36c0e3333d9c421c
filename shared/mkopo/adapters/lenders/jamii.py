"""Jamii Credit: short-term digital loans in East Africa; interest plus a percentage origination fee."""

from decimal import Decimal

from mkopo.adapters.lenders.catalogue import CatalogueLender
from mkopo.domain.offers import Product

JAMII = CatalogueLender(
    name="jamii-credit",
    products=(
        Product(
            code="jamii-kes-30",
            currency="KES",
            min_amount_minor=50_000,
            max_amount_minor=5_000_000,
            term_days=(14, 30),
            monthly_interest_rate=Decimal("0.065"),
            origination_fee_rate=Decimal("0.02"),
            min_origination_fee_minor=5_000,
            late_fee_minor=50_000,
            daily_penalty_rate=Decimal("0.001"),
        ),
        Product(
            code="jamii-ugx-30",
            currency="UGX",
            min_amount_minor=20_000,
            max_amount_minor=3_000_000,
            term_days=(14, 30),
            monthly_interest_rate=Decimal("0.07"),
            origination_fee_rate=Decimal("0.02"),
            min_origination_fee_minor=2_000,
            late_fee_minor=20_000,
            daily_penalty_rate=Decimal("0.001"),
        ),
        Product(
            code="jamii-tzs-30",
            currency="TZS",
            min_amount_minor=1_000_000,
            max_amount_minor=200_000_000,
            term_days=(30,),
            monthly_interest_rate=Decimal("0.07"),
            origination_fee_rate=Decimal("0.02"),
        ),
        Product(
            code="jamii-rwf-30",
            currency="RWF",
            min_amount_minor=5_000,
            max_amount_minor=1_000_000,
            term_days=(30,),
            monthly_interest_rate=Decimal("0.06"),
            origination_fee_rate=Decimal("0.02"),
            min_origination_fee_minor=500,
        ),
    ),
)
