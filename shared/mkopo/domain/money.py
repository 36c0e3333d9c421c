"""Money in integer minor units of an ISO 4217 currency; never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Currency = Literal["KES", "UGX", "TZS", "RWF", "NGN", "GHS"]
CURRENCIES: tuple[str, ...] = get_args(Currency)

# ISO 4217 minor-unit exponents (UGX and RWF have no minor unit in practice).
EXPONENT: dict[str, int] = {"KES": 2, "UGX": 0, "TZS": 2, "RWF": 0, "NGN": 2, "GHS": 2}


# The smallest amount mobile money moves in each market, in minor units: M-Pesa pays and collects
# whole shillings, so Kenyan loans are priced in whole shillings.
PAYABLE_UNIT: dict[str, int] = {"KES": 100, "UGX": 1, "TZS": 100, "RWF": 1, "NGN": 1, "GHS": 1}


class MoneyError(ValueError):
    """An amount that cannot be represented exactly in its currency."""


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    minor: int = Field(description="Amount in the currency's minor units")
    currency: Currency

    @classmethod
    def parse(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Parse a major-unit amount ("5000", "5000.50") exactly; too many decimals is an error."""
        if currency not in EXPONENT:
            raise MoneyError(f"unsupported currency {currency!r}")
        try:
            value = Decimal(str(amount).strip())
        except InvalidOperation as exc:
            raise MoneyError(f"{amount!r} is not a decimal amount") from exc
        if not value.is_finite():
            raise MoneyError(f"{amount!r} is not a finite amount")
        scaled = value.scaleb(EXPONENT[currency])
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{currency} allows at most {EXPONENT[currency]} decimal places")
        return cls(minor=int(scaled), currency=currency)  # type: ignore[arg-type]

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls.parse(0, currency)

    def decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-EXPONENT[self.currency])

    def __str__(self) -> str:
        exp = EXPONENT[self.currency]
        return f"{self.decimal():.{exp}f}"

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(minor=self.minor + other.minor, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(minor=self.minor - other.minor, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def times(self, rate: Decimal, unit: int = 1) -> Money:
        """Multiply by a rate, rounding half-up to ``unit`` minor units (1: the currency's minor unit)."""
        exact = Decimal(self.minor) * rate / unit
        units = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return Money(minor=units * unit, currency=self.currency)

    @property
    def payable_unit(self) -> int:
        return PAYABLE_UNIT[self.currency]

    def is_payable(self) -> bool:
        """Whether mobile money can move exactly this amount."""
        return self.minor % self.payable_unit == 0

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(f"cannot combine {self.currency} and {other.currency}")
