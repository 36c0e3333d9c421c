"""Fakes written against the ports: in-memory, with the same semantics the real adapters promise."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from mkopo.domain.applications import Application
from mkopo.domain.events import DomainEvent
from mkopo.domain.ledger import JournalEntry
from mkopo.domain.loans import Loan, Repayment
from mkopo.domain.money import Money
from mkopo.domain.offers import Offer
from mkopo.service.ports import (
    CollectionNotFound,
    CollectionResult,
    CollectionStatus,
    PayoutNotFound,
    PayoutResult,
    PayoutStatus,
    ProviderUnavailable,
    Pulled,
)
from mkopo.service.store import (
    AuditRecord,
    Borrower,
    Conflict,
    IdempotencyRecord,
    Notification,
    OutboxItem,
    User,
)

T = TypeVar("T")


class FakeTransaction:
    """Buffers writes; creates fail at commit if the document exists, like Firestore."""

    def __init__(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data
        self.writes: list[tuple[str, str, Any, bool]] = []

    def _get(self, collection: str, key: str) -> Any:
        return copy.deepcopy(self._data.setdefault(collection, {}).get(key))

    def get_application(self, application_id: str) -> Application | None:
        return self._get("applications", application_id)

    def get_borrower(self, borrower_id: str) -> Borrower | None:
        return self._get("borrowers", borrower_id)

    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        return self._get("idempotency", key)

    def get_user_id_by_phone(self, phone: str) -> str | None:
        return self._get("phones", phone)

    def create_application(self, app: Application) -> None:
        self.writes.append(("applications", app.id, app, True))

    def save_application(self, app: Application) -> None:
        self.writes.append(("applications", app.id, app, False))

    def save_borrower(self, borrower: Borrower) -> None:
        self.writes.append(("borrowers", borrower.id, borrower, False))

    def create_idempotency(self, record: IdempotencyRecord) -> None:
        self.writes.append(("idempotency", record.key, record, True))

    def create_user(self, user: User) -> None:
        self.writes.append(("phones", user.phone, user.id, True))
        self.writes.append(("users", user.id, user, True))

    def add_event(self, event: DomainEvent) -> None:
        item = OutboxItem(
            event_id=event.event_id, topic=event.topic, payload=event.payload(), created_at=event.occurred_at
        )
        self.writes.append(("outbox", event.event_id, item, False))

    def get_loan(self, loan_id: str) -> Loan | None:
        return self._get("loans", loan_id)

    def get_repayment(self, repayment_id: str) -> Repayment | None:
        return self._get("repayments", repayment_id)

    def create_loan(self, loan: Loan) -> None:
        self.writes.append(("loans", loan.id, loan, True))

    def save_loan(self, loan: Loan) -> None:
        self.writes.append(("loans", loan.id, loan, False))

    def create_repayment(self, repayment: Repayment) -> None:
        self.writes.append(("repayments", repayment.id, repayment, True))

    def save_repayment(self, repayment: Repayment) -> None:
        self.writes.append(("repayments", repayment.id, repayment, False))

    def add_journal_entry(self, entry: JournalEntry) -> None:
        self.writes.append(("journal", entry.id, entry, True))

    def add_audit(self, record: AuditRecord) -> None:
        self.writes.append(("audit", record.id, record, True))


class InMemoryStore:
    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.before_commit: Callable[[], None] | None = None
        self.joint_reads = 0  # get_user_and_offer calls: one round trip each on Firestore

    def col(self, name: str) -> dict[str, Any]:
        return self.data.setdefault(name, {})

    def transaction(self, fn: Callable[[FakeTransaction], T]) -> T:
        tx = FakeTransaction(self.data)
        result = fn(tx)
        if self.before_commit:
            hook, self.before_commit = self.before_commit, None
            hook()
        for collection, key, _, create in tx.writes:
            if create and key in self.col(collection):
                raise Conflict(f"{collection}/{key} exists")
        for collection, key, value, _ in tx.writes:
            self.col(collection)[key] = copy.deepcopy(value)
        return result

    def write(self, fn: Callable[[FakeTransaction], T]) -> T:
        """Write-only: a read inside fn is a bug, as it would be with a Firestore batch."""
        tx = FakeTransaction({})
        result = fn(tx)
        if self.before_commit:
            hook, self.before_commit = self.before_commit, None
            hook()
        for collection, key, _, create in tx.writes:
            if create and key in self.col(collection):
                raise Conflict(f"{collection}/{key} exists")
        for collection, key, value, _ in tx.writes:
            self.col(collection)[key] = copy.deepcopy(value)
        return result

    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        return copy.deepcopy(self.col("idempotency").get(key))

    def get_offer(self, offer_id: str) -> Offer | None:
        return self.col("offers").get(offer_id)

    def save_offers(self, offers: Sequence[Offer]) -> None:
        for o in offers:
            self.col("offers")[o.id] = o

    def get_application(self, application_id: str) -> Application | None:
        return copy.deepcopy(self.col("applications").get(application_id))

    def list_applications(self, borrower_id: str, limit: int) -> list[Application]:
        apps = [a for a in self.col("applications").values() if a.borrower_id == borrower_id]
        return sorted(apps, key=lambda a: a.created_at, reverse=True)[:limit]

    def list_applications_by_status(self, status: str, limit: int) -> list[Application]:
        apps = [a for a in self.col("applications").values() if a.status == status]
        return sorted(apps, key=lambda a: a.updated_at)[:limit]

    def list_audit(self, entity_id: str, limit: int) -> list[AuditRecord]:
        records = [r for r in self.col("audit").values() if r.entity_id == entity_id]
        return sorted(records, key=lambda r: r.at)[:limit]

    def get_loan(self, loan_id: str) -> Loan | None:
        return copy.deepcopy(self.col("loans").get(loan_id))

    def list_loans(self, borrower_id: str, limit: int) -> list[Loan]:
        loans = [x for x in self.col("loans").values() if x.borrower_id == borrower_id]
        return sorted(loans, key=lambda x: x.disbursed_at, reverse=True)[:limit]

    def list_loans_by_status(self, status: str, limit: int) -> list[Loan]:
        return [copy.deepcopy(x) for x in self.col("loans").values() if x.status == status][:limit]

    def get_repayment(self, repayment_id: str) -> Repayment | None:
        return copy.deepcopy(self.col("repayments").get(repayment_id))

    def list_repayments(self, loan_id: str, limit: int) -> list[Repayment]:
        reps = [r for r in self.col("repayments").values() if r.loan_id == loan_id]
        return sorted(reps, key=lambda r: r.requested_at)[:limit]

    def list_repayments_by_status(self, status: str, limit: int) -> list[Repayment]:
        reps = [r for r in self.col("repayments").values() if r.status == status]
        return sorted(reps, key=lambda r: r.requested_at)[:limit]

    def journal_entries(
        self, *, account: str | None = None, until: datetime | None = None, limit: int = 1000
    ) -> list[JournalEntry]:
        entries = [
            e
            for e in self.col("journal").values()
            if (account is None or any(str(line.account) == account for line in e.lines))
            and (until is None or e.occurred_at <= until)
        ]
        return sorted(entries, key=lambda e: e.occurred_at)[:limit]

    def get_user(self, user_id: str) -> User | None:
        return self.col("users").get(user_id)

    def get_user_and_offer(self, user_id: str, offer_id: str) -> tuple[User | None, Offer | None]:
        self.joint_reads += 1
        return self.get_user(user_id), self.get_offer(offer_id)

    def get_user_by_phone(self, phone: str) -> User | None:
        user_id = self.col("phones").get(phone)
        return self.get_user(user_id) if user_id else None

    def list_notifications(self, user_id: str, limit: int) -> list[Notification]:
        notes = [n for n in self.col("notifications").values() if n.user_id == user_id]
        return sorted(notes, key=lambda n: n.created_at, reverse=True)[:limit]

    def get_notification(self, notification_id: str) -> Notification | None:
        return self.col("notifications").get(notification_id)

    def get_notification_and_application(
        self, notification_id: str, application_id: str
    ) -> tuple[Notification | None, Application | None]:
        self.joint_reads += 1
        return self.get_notification(notification_id), self.get_application(application_id)

    def save_notification(self, notification: Notification) -> None:
        self.col("notifications")[notification.id] = notification

    def unsent_outbox(self, created_before: datetime, limit: int) -> list[OutboxItem]:
        items = [i for i in self.col("outbox").values() if not i.sent and i.created_at < created_before]
        return items[:limit]

    def mark_sent(self, event_ids: Sequence[str], *, wait: bool = True) -> None:
        for event_id in event_ids:
            item = self.col("outbox")[event_id]
            self.col("outbox")[event_id] = item.model_copy(update={"sent": True})

    def unexported_audit(self, limit: int) -> list[AuditRecord]:
        done = self.col("audit_exported")
        return [r for r in self.col("audit").values() if r.id not in done][:limit]

    def mark_audit_exported(self, record_ids: Sequence[str]) -> None:
        for record_id in record_ids:
            self.col("audit_exported")[record_id] = True

    def exported(self, keys: Sequence[str]) -> set[str]:
        return {k for k in keys if self.col("exports").get(k) is True}

    def mark_exported(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.col("exports")[key] = True

    def acquire_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        held = self.col("leases").get(name)
        if held is not None and held[0] != holder and held[1] > now:
            return False
        self.col("leases")[name] = (holder, now + ttl)
        return True

    def release_lease(self, name: str, holder: str) -> None:
        if (self.col("leases").get(name) or ("", None))[0] == holder:
            del self.col("leases")[name]


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
    pending: bool = False
    short_minor: int = 0
    requests: dict[str, tuple[Money, str]] = field(default_factory=dict)

    def request_collection(
        self, *, reference: str, amount: Money, msisdn: str, description: str, callback_url: str | None = None
    ) -> CollectionResult:
        self.requests.setdefault(reference, (amount, msisdn))
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
    sent: dict[str, str] = field(default_factory=dict)
    sends: int = 0

    def send(self, *, message_id: str, user_id: str, to: str, text: str, event_type: str) -> None:
        self.sends += 1
        self.sent[message_id] = text


@dataclass
class FakeSink:
    rows: list[dict[str, Any]] = field(default_factory=list)

    def export(self, rows: Sequence[dict[str, Any]]) -> int:
        self.rows.extend(rows)
        return len(rows)


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
