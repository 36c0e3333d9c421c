"""Credit data. Locally a sandbox with documented test numbers, like a payment sandbox's test cards.

- +254700000001 … +254700000099: strong mobile-money history, limit KES 50,000: approved within it.
- +254711000001 … +254711000099: poor history (defaults, late repayments): rejected.
- +254722000001 … +254722000099: strong history (approved), but the wallet payout fails at the provider.
- +256770000001 … +256770000099 (Uganda): strong history, limit UGX 1,400,000: approved within it.
- any other number: a thin-file profile derived deterministically from the number.
Inflow amounts are KES-equivalent minor units; the credit limit is in the borrower's own currency.
"""

from __future__ import annotations

import hashlib
from decimal import ROUND_DOWN, Decimal

from mkopo.domain import phone as phones
from mkopo.domain.scorecard import Features

# KES minor units → local minor units (rough, for the sandbox's limits only).
_FX_FROM_KES_MINOR: dict[str, Decimal] = {
    "KES": Decimal(1),
    "UGX": Decimal("0.28"),
    "TZS": Decimal(20),
    "RWF": Decimal("0.1"),
    "NGN": Decimal(12),
    "GHS": Decimal("0.11"),
}

STRONG = Features(
    monthly_inflow_minor=8_000_000,
    monthly_transactions=90,
    account_age_months=48,
    airtime_topups_monthly=12,
    loans_repaid=7,
    loans_defaulted=0,
    days_late_max=0,
    credit_limit_minor=5_000_000,
)
POOR = Features(
    monthly_inflow_minor=150_000,
    monthly_transactions=4,
    account_age_months=3,
    airtime_topups_monthly=1,
    loans_repaid=0,
    loans_defaulted=2,
    days_late_max=95,
    credit_limit_minor=0,
)


def _in_range(e164: str, prefix: str) -> bool:
    return e164.startswith(prefix) and len(e164) == len(prefix) + 2 and e164[-2:] != "00"


class SandboxCreditData:
    """Deterministic features per phone number (the documented test numbers above)."""

    def features_for(self, phone: str) -> Features:
        if _in_range(phone, "+2547000000") or _in_range(phone, "+2547220000"):
            return STRONG
        if _in_range(phone, "+2567700000"):
            return STRONG.model_copy(update={"credit_limit_minor": 1_400_000})
        if _in_range(phone, "+2547110000"):
            return POOR
        return self._thin_file(phone)

    @staticmethod
    def _thin_file(phone: str) -> Features:
        digest = hashlib.sha256(phone.encode()).digest()
        inflow = 200_000 + int.from_bytes(digest[0:3], "big") % 6_000_000
        repaid = digest[4] % 5
        defaulted = 1 if digest[5] % 10 == 0 else 0
        currency = phones.currency_of(phone)
        limit_kes = inflow // 2
        limit = int((Decimal(limit_kes) * _FX_FROM_KES_MINOR[currency]).to_integral_value(ROUND_DOWN))
        return Features(
            monthly_inflow_minor=inflow,
            monthly_transactions=5 + digest[6] % 70,
            account_age_months=1 + digest[7] % 60,
            airtime_topups_monthly=digest[8] % 15,
            loans_repaid=repaid,
            loans_defaulted=defaulted,
            days_late_max=(digest[9] % 40) if repaid else 0,
            credit_limit_minor=limit,
        )
