"""The persistence port: repositories read and written inside one transaction, plus plain queries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel

from mkopo.domain.applications import Application
from mkopo.domain.events import DomainEvent
from mkopo.domain.offers import Offer

if TYPE_CHECKING:  # only in signatures here: functions that never touch money do not import it
    from mkopo.domain.ledger import JournalEntry
    from mkopo.domain.loans import Loan, Repayment

T = TypeVar("T")


class User(BaseModel):
    id: str
    phone: str
    full_name: str
    password_hash: str
    role: str = "applicant"
    status: str = "active"  # active | disabled | deleted (anonymised)
    created_at: datetime


class Borrower(BaseModel):
    """Per-borrower exposure; the only document two applications of one borrower both touch."""

    id: str
    active_application_id: str | None = None


class IdempotencyRecord(BaseModel):
    key: str
    request_hash: str
    status_code: int
    body: dict[str, Any]
    created_at: datetime


class Notification(BaseModel):
    id: str
    user_id: str
    to: str
    channel: str = "sms"
    text: str
    event_type: str
    status: str = "pending"
    created_at: datetime


class OutboxItem(BaseModel):
    event_id: str
    topic: str
    payload: dict[str, Any]
    created_at: datetime
    sent: bool = False


class AuditRecord(BaseModel):
    """One append-only audit entry, written in the same transaction as the change it records."""

    id: str
    at: datetime
    actor_id: str
    actor_role: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    request_id: str | None = None


class Conflict(Exception):
    """A document that must be new already exists."""


class Transaction(Protocol):
    """Reads first, then writes: the Firestore rule. Writes apply only if the whole function succeeds."""

    def get_application(self, application_id: str) -> Application | None: ...
    def get_borrower(self, borrower_id: str) -> Borrower | None: ...
    def get_idempotency(self, key: str) -> IdempotencyRecord | None: ...
    def get_user_id_by_phone(self, phone: str) -> str | None: ...

    def create_application(self, app: Application) -> None: ...
    def save_application(self, app: Application) -> None: ...
    def save_borrower(self, borrower: Borrower) -> None: ...
    def create_idempotency(self, record: IdempotencyRecord) -> None: ...
    def create_user(self, user: User) -> None: ...
    def add_event(self, event: DomainEvent) -> None:
        """Write the event to the outbox, in this transaction."""
        ...

    def add_audit(self, record: AuditRecord) -> None:
        """Append an audit record, in this transaction (never updated or deleted)."""
        ...

    # Money: loans, repayments and the journal (entries are immutable: create only).
    def get_loan(self, loan_id: str) -> Loan | None: ...
    def get_repayment(self, repayment_id: str) -> Repayment | None: ...
    def create_loan(self, loan: Loan) -> None: ...
    def save_loan(self, loan: Loan) -> None: ...
    def create_repayment(self, repayment: Repayment) -> None: ...
    def save_repayment(self, repayment: Repayment) -> None: ...
    def add_journal_entry(self, entry: JournalEntry) -> None: ...


class Store(Protocol):
    def transaction(self, fn: Callable[[Transaction], T]) -> T:
        """Run fn in a transaction, re-running it on contention; Conflict if a create finds a document."""
        ...

    def write(self, fn: Callable[[Transaction], T]) -> T:
        """Run a write-only fn as one atomic batch (one round trip); Conflict if a create finds a document."""
        ...

    def get_idempotency(self, key: str) -> IdempotencyRecord | None: ...
    def get_offer(self, offer_id: str) -> Offer | None: ...
    def save_offers(self, offers: Sequence[Offer]) -> None: ...
    def get_application(self, application_id: str) -> Application | None: ...
    def list_applications(self, borrower_id: str, limit: int) -> list[Application]: ...
    def list_applications_by_status(self, status: str, limit: int) -> list[Application]:
        """Applications in one status, oldest update first (a work queue)."""
        ...

    def unexported_audit(self, limit: int) -> list[AuditRecord]:
        """Audit records not yet in BigQuery (the audit exporter's queue)."""
        ...

    def mark_audit_exported(self, record_ids: Sequence[str]) -> None: ...
    def list_audit(self, entity_id: str, limit: int) -> list[AuditRecord]:
        """Audit records of one entity, oldest first."""
        ...

    def get_loan(self, loan_id: str) -> Loan | None: ...
    def list_loans(self, borrower_id: str, limit: int) -> list[Loan]: ...
    def list_loans_by_status(self, status: str, limit: int) -> list[Loan]: ...
    def get_repayment(self, repayment_id: str) -> Repayment | None: ...
    def list_repayments(self, loan_id: str, limit: int) -> list[Repayment]: ...
    def list_repayments_by_status(self, status: str, limit: int) -> list[Repayment]: ...
    def journal_entries(
        self, *, account: str | None = None, until: datetime | None = None, limit: int = 1000
    ) -> list[JournalEntry]:
        """Journal entries, oldest first, optionally only those touching one account or up to a time."""
        ...

    def get_user(self, user_id: str) -> User | None: ...
    def get_user_and_offer(self, user_id: str, offer_id: str) -> tuple[User | None, Offer | None]:
        """A borrower and the offer they check out, read together (one round trip)."""
        ...

    def get_user_by_phone(self, phone: str) -> User | None: ...
    def list_notifications(self, user_id: str, limit: int) -> list[Notification]: ...
    def get_notification_and_application(
        self, notification_id: str, application_id: str
    ) -> tuple[Notification | None, Application | None]:
        """Both in one round trip (the notifier needs both for every event)."""
        ...

    def get_notification(self, notification_id: str) -> Notification | None: ...
    def save_notification(self, notification: Notification) -> None: ...
    def unsent_outbox(self, created_before: datetime, limit: int) -> list[OutboxItem]: ...
    def mark_sent(self, event_ids: Sequence[str], *, wait: bool = True) -> None:
        """Mark outbox items published; ``wait=False`` may finish in the background (the relay's republish
        of an item not yet marked is harmless: consumers are idempotent)."""
        ...

    def exported(self, keys: Sequence[str]) -> set[str]:
        """Which of these export keys are marked exported (one read for the whole batch)."""
        ...

    def mark_exported(self, keys: Sequence[str]) -> None: ...
    def acquire_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take (or renew) the named lease unless another holder has it unexpired."""
        ...

    def release_lease(self, name: str, holder: str) -> None: ...
