"""Fakes written against the ports: in-memory, with the same semantics the real adapters promise.

The store's fake is in ``fakes_store`` (one part per port), re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mkopo.domain.money import Money
from mkopo.service.ports import (
    CollectionNotFound,
    CollectionResult,
    CollectionStatus,
    PayoutNotFound,
    PayoutResult,
    PayoutStatus,
    ProviderUnavailable,
    Pulled,
    SmsReceipt,
)
from tests.unit.fakes_store import FakeTransaction, InMemoryStore

__all__ = ["FakeTransaction", "InMemoryStore"]  # and the fakes below


@dataclass
class FakePublisher:
    published: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    raw: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)
    fail: bool = False

    def publish(self, topic: str, payload: dict[str, Any], attributes: dict[str, str]) -> None:
        if self.fail:
            raise ConnectionError("pubsub down")
        self.published.append((topic, payload, attributes))

    def publish_raw(self, topic: str, data: bytes, attributes: dict[str, str]) -> None:
        self.raw.append((topic, data, attributes))

    def publish_all(self, messages: Sequence[tuple[str, dict[str, Any], dict[str, str]]]) -> None:
        for topic, payload, attributes in messages:
            self.publish(topic, payload, attributes)

    def topics(self) -> list[str]:
        return [t for t, _, _ in self.published]


@dataclass
class FakePayoutProvider:
    """Pays each reference at most once; numbers starting +254722 fail, like the sandbox."""

    name: str = "fake-momo"
    outcome: PayoutStatus | None = None
    unavailable: bool = False
    answers_later: bool = False  # status queries are answered by callback (M-Pesa): PENDING for now
    payouts: dict[str, tuple[Money, str]] = field(default_factory=dict)
    calls: int = 0

    def request_payout(self, *, reference: str, amount: Money, msisdn: str, note: str) -> PayoutResult:
        self.calls += 1
        if self.unavailable:
            raise ProviderUnavailable("timeout")
        self.payouts.setdefault(reference, (amount, msisdn))
        return self.payout_status(reference)

    def payout_status(self, reference: str) -> PayoutResult:
        if self.answers_later:
            return PayoutResult(self.name, reference, PayoutStatus.PENDING, reason="STATUS_QUERY_SENT")
        if reference not in self.payouts:
            raise PayoutNotFound(reference)
        _, msisdn = self.payouts[reference]
        status = self.outcome or (
            PayoutStatus.FAILED if msisdn.startswith("+254722") else PayoutStatus.SUCCESSFUL
        )
        reason = "PAYEE_NOT_FOUND" if status == PayoutStatus.FAILED else None
        tx_id = f"tx-{reference[:8]}" if status == PayoutStatus.SUCCESSFUL else None
        return PayoutResult(self.name, reference, status, tx_id, reason)


@dataclass
class FakeCollections:
    """Collects at once unless told to stay pending; reports the amount it was asked for (or ``short``)."""

    name: str = "fake-collect"
    repeats_safely: bool = False
    pending: bool = False
    short_minor: int = 0
    fault: type[ProviderUnavailable] | None = (
        None  # raised by the next request (AnswerLost: after it was taken)
    )
    prompts: int = 0
    requests: dict[str, tuple[Money, str]] = field(default_factory=dict)

    def request_collection(
        self, *, reference: str, amount: Money, msisdn: str, description: str, callback_url: str | None = None
    ) -> CollectionResult:
        fault, self.fault = self.fault, None
        if fault is ProviderUnavailable:
            raise fault("the provider is down")
        self.prompts += 1
        self.requests.setdefault(reference, (amount, msisdn))
        if fault is not None:
            raise fault("the answer was lost")
        return self.collection_status(reference)

    def collection_status(
        self, reference: str, *, provider_request_id: str | None = None
    ) -> CollectionResult:
        if reference not in self.requests:
            raise CollectionNotFound(reference)
        amount, _ = self.requests[reference]
        if self.pending:
            return CollectionResult(
                self.name, reference, CollectionStatus.PENDING, provider_request_id="req-1"
            )
        paid = Money(minor=amount.minor - self.short_minor, currency=amount.currency)
        return CollectionResult(
            self.name, reference, CollectionStatus.SUCCESSFUL, f"rx-{reference[:6]}", paid
        )


@dataclass
class FakePayments:
    payouts: FakePayoutProvider
    collections: FakeCollections

    def payout_provider(self, currency: str, application_id: str) -> FakePayoutProvider:
        return self.payouts

    def collection_provider(self, currency: str, repayment_id: str) -> FakeCollections:
        return self.collections

    def collection_callback_url(self, currency: str, repayment_id: str) -> str | None:
        return None


@dataclass
class FakeSms:
    """Records what it sends; ``failures`` are raised (in order) by the next calls instead of sending."""

    sent: dict[str, str] = field(default_factory=dict)
    sends: int = 0
    calls: int = 0
    failures: list[Exception] = field(default_factory=list)

    def send(self, *, message_id: str, user_id: str, to: str, text: str, event_type: str) -> SmsReceipt:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sends += 1
        self.sent[message_id] = text
        return SmsReceipt(provider_message_id=f"ATXid_{message_id}", cost="KES 0.8000")


@dataclass
class FakeSink:
    rows: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0  # each one a duplicate check that BigQuery bills

    def export(self, rows: Sequence[dict[str, Any]]) -> int:
        """Like the BigQuery sink: rows whose event id is in the table already are skipped."""
        self.calls += 1
        present = {r["event_id"] for r in self.rows}
        fresh = [r for r in rows if r["event_id"] not in present]
        self.rows.extend(fresh)
        return len(fresh)


@dataclass
class FakeBureauSink:
    """The bureau files written, by name (the last write of a name wins, as in a folder)."""

    files: dict[str, bytes] = field(default_factory=dict)

    def write(self, name: str, content: bytes) -> str:
        self.files[name] = content
        return f"memory://{name}"


@dataclass
class FailingSink:
    """A BigQuery that is down: every insert fails as the adapter reports it."""

    calls: int = 0

    def export(self, rows: Sequence[dict[str, Any]]) -> int:
        from mkopo.service.errors import TransientFailure

        self.calls += 1
        raise TransientFailure("BigQuery is unavailable")


@dataclass
class FakeInbox:
    """Pull subscriptions: pulled messages are in flight until acked, or back in line when nacked."""

    waiting: dict[str, list[Pulled]] = field(default_factory=dict)
    in_flight: dict[str, Pulled] = field(default_factory=dict)
    acked: list[str] = field(default_factory=list)
    pulls: int = 0
    _n: int = 0

    def put(self, subscription: str, data: bytes, attributes: dict[str, str] | None = None) -> None:
        self._n += 1
        message = Pulled(ack_id=f"{subscription}#{self._n}", data=data, attributes=attributes or {})
        self.waiting.setdefault(subscription, []).append(message)

    def pull(self, subscription: str, max_messages: int) -> list[Pulled]:
        self.pulls += 1
        line = self.waiting.get(subscription, [])
        taken, self.waiting[subscription] = line[:max_messages], line[max_messages:]
        self.in_flight |= {m.ack_id: m for m in taken}
        return taken

    def ack(self, subscription: str, ack_ids: Sequence[str]) -> None:
        for ack_id in ack_ids:
            del self.in_flight[ack_id]
            self.acked.append(ack_id)

    def nack(self, subscription: str, ack_ids: Sequence[str]) -> None:
        for ack_id in ack_ids:
            self.waiting.setdefault(subscription, []).append(self.in_flight.pop(ack_id))

    def backlog(self) -> int:
        return sum(len(line) for line in self.waiting.values()) + len(self.in_flight)


class PlainHasher:
    """Not a hash: makes unit tests fast; the argon2 adapter has its own test."""

    def hash(self, password: str) -> str:
        return "plain$" + password

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == "plain$" + password


@dataclass
class FakeDeadLetterBook:
    """Dead-letter records by message id, in insertion order."""

    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, record: dict[str, Any]) -> bool:
        if record["message_id"] in self.docs:
            return False
        self.docs[record["message_id"]] = dict(record)
        return True

    def get(self, message_id: str) -> dict[str, Any] | None:
        found = self.docs.get(message_id)
        return dict(found) if found is not None else None

    def list(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        return [dict(d) for d in self.docs.values() if status is None or d["status"] == status][:limit]

    def update(self, message_id: str, fields: dict[str, Any]) -> None:
        self.docs[message_id].update(fields)
