"""Ports: the small interfaces the service layer needs from the outside world."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from mkopo.domain.money import Money
from mkopo.domain.scorecard import Features


class PayoutStatus(StrEnum):
    PENDING = "PENDING"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"


@dataclass(frozen=True)
class PayoutResult:
    """What a mobile-money provider says about one payout, identified by our reference."""

    provider: str
    reference: str
    status: PayoutStatus
    provider_transaction_id: str | None = None
    reason: str | None = None


class PayoutNotFound(Exception):
    """The provider has no payout under this reference: it never accepted the request, nothing was paid."""


class ProviderUnavailable(Exception):
    """A transient provider fault (timeout, 5xx): the caller should retry later."""


class ProviderAnswerLost(ProviderUnavailable):
    """The request was sent but no answer came back (read timeout, dropped connection): the provider may
    have acted on it, so a request that is not idempotent must not simply be sent again."""


class PayoutProvider(Protocol):
    """Pays money to a borrower's wallet. Idempotent by ``reference``."""

    name: str

    def request_payout(self, *, reference: str, amount: Money, msisdn: str, note: str) -> PayoutResult:
        """Ask for a payout. A reference already used returns that payout's current status, never pays twice.

        ``msisdn`` is E.164 with a leading '+'; the adapter formats it as its provider expects.
        """
        ...

    def payout_status(self, reference: str) -> PayoutResult:
        """The current status of the payout with this reference."""
        ...


class Payments(Protocol):
    """Which provider pays out and collects in each currency, and where its callbacks reach us."""

    def payout_provider(self, currency: str, application_id: str) -> PayoutProvider: ...
    def collection_provider(self, currency: str, repayment_id: str) -> CollectionProvider: ...
    def collection_callback_url(self, currency: str, repayment_id: str) -> str | None: ...


Outgoing = tuple[str, dict[str, Any], dict[str, str]]  # topic, payload, attributes


class EventPublisher(Protocol):
    def publish(self, topic: str, payload: dict[str, Any], attributes: dict[str, str]) -> None: ...
    def publish_raw(self, topic: str, data: bytes, attributes: dict[str, str]) -> None: ...
    def publish_all(self, messages: Sequence[Outgoing]) -> None:
        """Publish every message at once and wait until the server has them all."""
        ...


@dataclass(frozen=True)
class SmsReceipt:
    """The provider accepted one SMS: its id for the delivery report, and what it cost."""

    provider_message_id: str | None = None
    cost: str | None = None


class SmsTransientError(RuntimeError):
    """The provider could not take the SMS now (outage, gateway error, our balance): try again later."""


class SmsRejected(RuntimeError):
    """The provider refused the SMS for good (invalid number, blacklisted, ...): sending again cannot help."""


class SmsChannel(Protocol):
    """Sends one SMS (or, in tests, records it). Raises SmsTransientError or SmsRejected."""

    def send(self, *, message_id: str, user_id: str, to: str, text: str, event_type: str) -> SmsReceipt: ...


class EventSink(Protocol):
    """Analytics store for domain events; must not keep two rows with the same event id."""

    def export(self, rows: Sequence[dict[str, Any]]) -> int: ...


@dataclass(frozen=True)
class Pulled:
    """One message pulled from a subscription, to be acknowledged (or not) by its ack id."""

    ack_id: str
    data: bytes
    attributes: Mapping[str, str]
    message_id: str = ""  # the broker's id, when it gives one


class Inbox(Protocol):
    """Pull subscriptions read in batches (the exporters)."""

    def pull(self, subscription: str, max_messages: int) -> list[Pulled]:
        """Up to ``max_messages`` waiting messages; an empty list at once when there are none."""
        ...

    def ack(self, subscription: str, ack_ids: Sequence[str]) -> None: ...

    def nack(self, subscription: str, ack_ids: Sequence[str]) -> None:
        """Hand the messages back for redelivery after the subscription's backoff."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...


class TokenIssuer(Protocol):
    def issue(self, *, subject: str, role: str) -> tuple[str, int]:
        """A signed access token and its lifetime in seconds."""
        ...


class CreditData(Protocol):
    """Where a borrower's mobile-money and airtime features come from."""

    def features_for(self, phone: str) -> Features: ...


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
    repeats_safely: bool  # a repeated request with the same reference is recognised, not a second prompt

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


class BureauSink(Protocol):
    """Where a month's credit-bureau submission goes: a local folder, a Cloud Storage bucket in the cloud."""

    def write(self, name: str, content: bytes) -> str:
        """Store (or replace) the file ``name``; returns where it went (a path or ``gs://`` URI)."""
        ...
