"""What a MoMo adapter changes in a request for the environment it talks to (``mkopo.config`` profiles).

MTN's public sandbox takes EUR only and pays only its own test numbers: under the ``provider-sandbox``
profile the adapters send ``currency`` instead of the loan's and map each borrower phone onto a test number
by prefix (``"*"`` for any other). Amounts reported back in that currency say nothing about the loan's own
currency, so they are not read as the loan's amount. The local and production profiles change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mkopo.domain.money import Money

if TYPE_CHECKING:
    from mkopo.config import Settings

__all__ = ["MomoProfile"]


@dataclass(frozen=True)
class MomoProfile:
    """The currency MoMo is sent (None: the loan's) and the test numbers borrower phones map onto."""

    currency: str | None = None
    test_numbers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> MomoProfile:
        return cls(settings.momo_currency, dict(settings.momo_test_numbers))

    def currency_for(self, amount: Money) -> str:
        """The currency code to send for ``amount``."""
        return self.currency or amount.currency

    def party_id(self, party_id: str) -> str:
        """The MSISDN to send for a borrower's ``party_id``: the longest matching prefix's test number."""
        if not self.test_numbers:
            return party_id
        prefixes = sorted((p for p in self.test_numbers if p != "*"), key=len, reverse=True)
        match = next((p for p in prefixes if party_id.startswith(p)), "*")
        return self.test_numbers.get(match, party_id)

    def reads_amount_in(self, currency: object) -> bool:
        """Whether an amount MoMo reports in ``currency`` is the loan's (not the sandbox's substitute)."""
        return self.currency is None or currency != self.currency
