from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mkopo.domain.money import EXPONENT, Money, MoneyError


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("5000", "KES", 500_000), ("5000.5", "KES", 500_050), ("0.01", "NGN", 1), ("1500", "UGX", 1500)],
)
def test_parse_is_exact(amount: str, currency: str, minor: int) -> None:
    assert Money.parse(amount, currency).minor == minor


@pytest.mark.parametrize(
    ("amount", "currency"), [("1.5", "UGX"), ("0.001", "KES"), ("abc", "KES"), ("NaN", "KES"), ("1", "USD")]
)
def test_parse_refuses_what_it_cannot_represent(amount: str, currency: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(amount, currency)


def test_mixing_currencies_is_an_error() -> None:
    with pytest.raises(MoneyError):
        _ = Money.parse("1", "KES") + Money.parse("1", "UGX")


def test_times_rounds_half_up_to_the_minor_unit() -> None:
    assert Money.parse("0.05", "KES").times(Decimal("0.5")).minor == 3
    assert Money.parse("3", "UGX").times(Decimal("0.5")).minor == 2


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(sorted(EXPONENT)))
def test_string_form_round_trips(minor: int, currency: str) -> None:
    money = Money(minor=minor, currency=currency)  # type: ignore[arg-type]
    assert Money.parse(str(money), currency) == money
