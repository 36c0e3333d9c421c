"""Collection port: asking a borrower's wallet to pay us (M-Pesa STK Push, MTN MoMo requesttopay).

Provisional home: the lead will move these into ``mkopo.service.ports`` next to ``PayoutProvider``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from mkopo.domain.money import Money

__all__ = ["CollectionNotFound", "CollectionProvider", "CollectionResult", "CollectionStatus"]


class CollectionStatus(StrEnum):
    PENDING = "PENDING"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"


@dataclass(frozen=True)
class CollectionResult:
    """What a provider says about one collection identified by our reference.

    ``amount`` is what the provider reports as collected (None when it does not say): callers must match it
    against what they asked for before crediting a loan. ``provider_request_id`` is the provider's handle
    for the request (M-Pesa CheckoutRequestID, MoMo X-Reference-Id); store it to query the status later.
    ``provider_transaction_id`` is the receipt of the money movement (M-Pesa receipt, MoMo
    financialTransactionId), known once SUCCESSFUL.
    """

    provider: str
    reference: str
    status: CollectionStatus
    provider_transaction_id: str | None = None
    amount: Money | None = None
    reason: str | None = None
    provider_request_id: str | None = None

    def amount_matches(self, expected: Money) -> bool:
        """True only if the provider reported exactly ``expected`` (same currency and minor units)."""
        return self.amount is not None and self.amount == expected


class CollectionNotFound(Exception):
    """The provider has no collection under this reference: its request never got accepted."""


class CollectionProvider(Protocol):
    """Collects money from a borrower's wallet; the outcome comes later (callback or status query)."""

    name: str

    def request_collection(
        self, *, reference: str, amount: Money, msisdn: str, description: str, callback_url: str | None = None
    ) -> CollectionResult:
        """Ask the borrower to pay ``amount``; normally PENDING until they approve on their phone.

        ``msisdn`` is E.164 with a leading '+'; the adapter formats it as its provider expects.
        """
        ...

    def collection_status(
        self, reference: str, *, provider_request_id: str | None = None
    ) -> CollectionResult:
        """The collection's current status; some providers need the ``provider_request_id`` to look it up."""
        ...
