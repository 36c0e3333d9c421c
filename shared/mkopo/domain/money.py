"""Money in integer minor units of an ISO 4217 currency; never a float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

Currency = Literal["KES", "UGX", "TZS", "RWF", "NGN", "GHS"]
CURRENCIES: tuple[str, ...] = get_args(Currency)

# ISO 4217 minor-unit exponents (UGX and RWF have no minor unit in practice).
EXPONENT: dict[str, int] = {"KES": 2, "UGX": 0, "TZS": 2, "RWF": 0, "NGN": 2, "GHS": 2}


# The smallest amount mobile money moves in each market, in minor units: M-Pesa pays and collects
# whole shillings, so Kenyan loans are priced in whole shillings.
PAYABLE_UNIT: dict[str, int] = {"KES": 100, "UGX": 1, "TZS": 100, "RWF": 1, "NGN": 1, "GHS": 1}


# An amount as text: ASCII digits, an optional decimal point; no sign but minus, no padding, no exponent.
AMOUNT_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN)


class MoneyError(ValueError):
    """An amount that cannot be represented exactly in its currency."""


def amount_text(value: object) -> str:
    """A money input as exact decimal text: a JSON number (int or Decimal, never a float) or a string
    of ASCII digits. The currency's decimals are checked where the currency is known (``Money.parse``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        value = format(value, "f")
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        raise ValueError('must be a decimal number or string of ASCII digits, e.g. 2000 or "2000.00"')
    return value


# A request field holding an amount in major units: a JSON number or a decimal string, kept as exact text.
AmountInput = Annotated[
    str,
    BeforeValidator(amount_text),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": AMOUNT_PATTERN}, {"type": "number"}],
            "description": 'Amount in major units, e.g. 2000 or "2000.00"',
        }
    ),
]


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    minor: int = Field(description="Amount in the currency's minor units")
    currency: Currency

    @classmethod
    def parse(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Parse a major-unit amount ("5000", "5000.50") exactly; too many decimals is an error."""
        if currency not in EXPONENT:
            raise MoneyError(f"unsupported currency {currency!r}")
        if isinstance(amount, str) and not _AMOUNT.fullmatch(amount):
            raise MoneyError(f"{amount!r} is not a decimal amount in ASCII digits")
        try:
            value = Decimal(amount)
        except InvalidOperation as exc:
            raise MoneyError(f"{amount!r} is not a decimal amount") from exc
        if not value.is_finite():
            raise MoneyError(f"{amount!r} is not a finite amount")
        scaled = value.scaleb(EXPONENT[currency])
        written = isinstance(amount, str) and -int(value.as_tuple().exponent) > EXPONENT[currency]
        if written or scaled != scaled.to_integral_value():
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
