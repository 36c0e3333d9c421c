"""Request bodies as the HTTP API accepts them: the service commands plus the input rules of the edge
(one id shape for body ids, printable names, money as a JSON number or a decimal string).

Each keeps its command's name, so the OpenAPI document names the same schemas, and is an instance of
the command, so the services receive exactly what they take.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from mkopo.domain import ids, text
from mkopo.domain.money import AmountInput
from mkopo.service import accounts, checkout, repayments


def _name(value: Any) -> Any:
    return text.check_name(value) if isinstance(value, str) else value


class RegisterUser(accounts.RegisterUser):
    """Create a borrower account."""

    _printable_name = field_validator("full_name")(_name)


class CreateUser(accounts.CreateUser):
    """An admin creates an account with a role (staff accounts)."""

    _printable_name = field_validator("full_name")(_name)


class UpdateMe(accounts.UpdateMe):
    """What a user may change about themselves (never role, status or phone)."""

    _printable_name = field_validator("full_name")(_name)


class Checkout(checkout.Checkout):
    """Apply for an offer (an id from GET /v1/offers)."""

    offer_id: str = Field(
        min_length=1, max_length=64, json_schema_extra={"format": "uuid", "pattern": ids.ID_PATTERN}
    )

    _offer_id = field_validator("offer_id")(ids.check_id)


class RequestRepayment(repayments.RequestRepayment):
    """Repay a loan: an amount in major units, at most the currency's decimals."""

    amount: AmountInput = Field(description="Amount in major units, e.g. 2000")
