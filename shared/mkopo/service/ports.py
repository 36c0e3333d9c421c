"""Ports: the small interfaces the service layer needs from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
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


class ProviderUnavailable(Exception):
    """A transient provider fault (timeout, 5xx): the caller should retry later."""


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


class EventPublisher(Protocol):
    def publish(self, topic: str, payload: dict[str, Any], attributes: dict[str, str]) -> None: ...
    def publish_raw(self, topic: str, data: bytes, attributes: dict[str, str]) -> None: ...


class SmsChannel(Protocol):
    """Sends (or, locally, records) one SMS."""

    def send(self, *, message_id: str, user_id: str, to: str, text: str, event_type: str) -> None: ...


class EventSink(Protocol):
    """Analytics store for domain events; must not keep two rows with the same event id."""

    def export(self, rows: Sequence[dict[str, Any]]) -> int: ...


class Clock(Protocol):
    def now_ms(self) -> int: ...


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
