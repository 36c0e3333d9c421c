"""The persistence ports: one small port per aggregate, and the composite ``Store`` the service layer uses.

Each aggregate has a transaction side (``...Writes``: reads and writes inside one transaction, reads
first) and, where it has any, a query side (plain reads outside a transaction). ``Transaction`` and
``Store`` at the bottom are the union of them: the one place the union is spelled out. A handler that
needs only one aggregate may ask for its small port; the adapters and the fake implement the union.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel

from mkopo.domain.applications import Application
from mkopo.domain.credit import Borrower
from mkopo.domain.events import DomainEvent
from mkopo.domain.notifications import Notification
from mkopo.domain.offers import Offer

if TYPE_CHECKING:  # only in signatures here: functions that never touch money do not import it
    from mkopo.domain.ledger import JournalEntry
    from mkopo.domain.loans import Loan
    from mkopo.domain.repayments import Repayment
    from mkopo.domain.restructuring import RestructureProposal

T = TypeVar("T")
Tx = TypeVar("Tx", covariant=True)


class User(BaseModel):
    id: str
    phone: str
    full_name: str
    password_hash: str
    role: str = "applicant"
    status: str = "active"  # active | disabled | deleted (anonymised)
    created_at: datetime
    pin_hash: str | None = None  # the USSD PIN (argon2), set on first use of the channel
    language: str | None = None  # en | sw | fr, chosen at registration


class IdempotencyRecord(BaseModel):
    key: str
    request_hash: str
    status_code: int
    body: dict[str, Any]
    created_at: datetime


class OutboxItem(BaseModel):
    event_id: str
    topic: str
    payload: dict[str, Any]
    created_at: datetime
    sent: bool = False
    traceparent: str | None = None  # the trace of the hop that wrote it: a relayed event continues it


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


class Transactional(Protocol[Tx]):
    """A store whose changes run inside a transaction of type ``Tx``."""

    def transaction(self, fn: Callable[[Tx], T]) -> T:
        """Run fn in a transaction, re-running it on contention; Conflict if a create finds a document."""
        ...


# --- Applications and the borrower's exposure ----------------------------------------------------------


class ApplicationWrites(Protocol):
    def get_application(self, application_id: str) -> Application | None: ...
    def get_borrower(self, borrower_id: str) -> Borrower | None: ...
    def get_application_and_borrower(
        self, application_id: str, borrower_id: str
    ) -> tuple[Application | None, Borrower | None]:
        """Both documents in one read (scoring's hot path: one round trip, not two)."""
        ...

    def create_application(self, app: Application) -> None: ...
    def save_application(self, app: Application) -> None: ...
    def save_borrower(self, borrower: Borrower) -> None: ...


class Applications(Transactional[ApplicationWrites], Protocol):
    def get_application(self, application_id: str) -> Application | None: ...
    def get_borrower(self, borrower_id: str) -> Borrower | None:
        """The borrower's exposure and credit profile, outside a transaction (what they may read)."""
        ...

    def list_applications(self, borrower_id: str, limit: int) -> list[Application]:
        """A borrower's applications, newest first."""
        ...

    def list_applications_by_status(self, status: str, limit: int) -> list[Application]:
        """Applications in one status, oldest update first (a work queue)."""
        ...


# --- Money: loans, repayments and the journal (entries are immutable: create only) ---------------------


class LoanWrites(Protocol):
    def get_loan(self, loan_id: str) -> Loan | None: ...
    def get_repayment(self, repayment_id: str) -> Repayment | None: ...
    def create_loan(self, loan: Loan) -> None: ...
    def save_loan(self, loan: Loan) -> None: ...
    def create_repayment(self, repayment: Repayment) -> None: ...
    def save_repayment(self, repayment: Repayment) -> None: ...
    def add_journal_entry(self, entry: JournalEntry) -> None: ...


class Loans(Transactional[LoanWrites], Protocol):
    def get_loan(self, loan_id: str) -> Loan | None: ...
    def list_loans(self, borrower_id: str, limit: int) -> list[Loan]:
        """A borrower's loans, newest disbursement first."""
        ...

    def list_loans_by_status(self, status: str, limit: int) -> list[Loan]:
        """Loans in one status, in no particular order."""
        ...

    def get_repayment(self, repayment_id: str) -> Repayment | None: ...
    def list_repayments(self, loan_id: str, limit: int) -> list[Repayment]:
        """A loan's repayments, oldest request first."""
        ...

    def list_repayments_by_status(self, status: str, limit: int) -> list[Repayment]:
        """Repayments in one status, oldest request first."""
        ...

    def journal_entries(
        self, *, account: str | None = None, until: datetime | None = None, limit: int = 1000
    ) -> list[JournalEntry]:
        """Journal entries, oldest first, optionally only those touching one account or up to a time."""
        ...


# --- Restructure proposals (maker-checker, then the borrower's acceptance) ----------------------------


class ProposalWrites(Protocol):
    def get_proposal(self, proposal_id: str) -> RestructureProposal | None: ...
    def create_proposal(self, proposal: RestructureProposal) -> None: ...
    def save_proposal(self, proposal: RestructureProposal) -> None: ...


class Proposals(Transactional[ProposalWrites], Protocol):
    def get_proposal(self, proposal_id: str) -> RestructureProposal | None: ...
    def list_proposals(self, loan_id: str, limit: int) -> list[RestructureProposal]:
        """A loan's restructure proposals, newest first."""
        ...


# --- Users (as the loan pipeline sees them; accounts and sessions: mkopo.service.identity_store) -------


class UserWrites(Protocol):
    def get_user_id_by_phone(self, phone: str) -> str | None: ...
    def create_user(self, user: User) -> None:
        """Create the user and claim their phone; Conflict if either exists."""
        ...


class Users(Transactional[UserWrites], Protocol):
    def get_user(self, user_id: str) -> User | None: ...
    def get_user_by_phone(self, phone: str) -> User | None: ...


# --- Offers, idempotency, notifications -----------------------------------------------------------------


class Offers(Protocol):
    def get_offer(self, offer_id: str) -> Offer | None: ...
    def save_offers(self, offers: Sequence[Offer]) -> None: ...


class IdempotencyWrites(Protocol):
    def get_idempotency(self, key: str) -> IdempotencyRecord | None: ...
    def create_idempotency(self, record: IdempotencyRecord) -> None: ...


class Idempotency(Transactional[IdempotencyWrites], Protocol):
    def get_idempotency(self, key: str) -> IdempotencyRecord | None: ...


class Notifications(Protocol):
    def get_notification(self, notification_id: str) -> Notification | None: ...
    def save_notification(self, notification: Notification) -> None: ...
    def list_notifications(self, user_id: str, limit: int) -> list[Notification]:
        """A user's notifications, newest first."""
        ...

    def find_notification_by_provider_id(self, provider_message_id: str) -> Notification | None:
        """The notification the SMS provider knows by this message id (delivery reports name it)."""
        ...

    def sms_opted_out(self, phone: str) -> bool:
        """Whether this phone sent STOP (no more reminders; legally required notices still go)."""
        ...

    def set_sms_opt_out(self, phone: str, opted_out: bool, at: datetime) -> None: ...


# --- Outbox and audit: written with the change they record ---------------------------------------------


class OutboxWrites(Protocol):
    def add_event(self, event: DomainEvent) -> None:
        """Write the event to the outbox, in this transaction."""
        ...


class Outbox(Transactional[OutboxWrites], Protocol):
    def unsent_outbox(self, created_before: datetime, limit: int) -> list[OutboxItem]:
        """Items not yet marked sent and created before a time, oldest first."""
        ...

    def mark_sent(self, event_ids: Sequence[str], *, wait: bool = True) -> None:
        """Mark outbox items published; ``wait=False`` may finish in the background (the relay's republish
        of an item not yet marked is harmless: consumers are idempotent)."""
        ...


class AuditWrites(Protocol):
    def add_audit(self, record: AuditRecord) -> None:
        """Append an audit record, in this transaction (never updated or deleted)."""
        ...


@dataclass(frozen=True)
class AuditMark:
    """A place in the audit trail's commit order: a record's commit time, then its id for ties."""

    committed_at: datetime
    record_id: str


class Audit(Transactional[AuditWrites], Protocol):
    def list_audit(self, entity_id: str, limit: int) -> list[AuditRecord]:
        """Audit records of one entity, oldest first."""
        ...

    def audit_after(
        self, mark: AuditMark | None, committed_before: datetime, limit: int
    ) -> list[tuple[AuditMark, AuditRecord]]:
        """Records committed after ``mark`` (all if None) and before a time, in commit order: the audit
        exporter's queue."""
        ...

    def audit_export_mark(self) -> AuditMark | None:
        """Where the audit exporter stopped (None before its first batch)."""
        ...

    def save_audit_export_mark(self, mark: AuditMark) -> None: ...


# --- The exporters' bookkeeping: export marks and leases -----------------------------------------------


class Leases(Protocol):
    def acquire_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take (or renew) the named lease unless another holder has it unexpired."""
        ...

    def release_lease(self, name: str, holder: str) -> None:
        """Give the lease back if ``holder`` has it (otherwise nothing happens)."""
        ...


# --- Reads across aggregates, in one round trip ---------------------------------------------------------


class JointReads(Protocol):
    def get_user_and_offer(self, user_id: str, offer_id: str) -> tuple[User | None, Offer | None]:
        """A borrower and the offer they check out, read together (one round trip)."""
        ...

    def get_notification_and_application(
        self, notification_id: str, application_id: str
    ) -> tuple[Notification | None, Application | None]:
        """Both in one round trip (the notifier needs both for every event)."""
        ...


# --- The composite: the union of the ports above (the only place it is spelled out) --------------------


class Transaction(
    ApplicationWrites,
    LoanWrites,
    ProposalWrites,
    UserWrites,
    IdempotencyWrites,
    OutboxWrites,
    AuditWrites,
    Protocol,
):
    """Reads first, then writes: the Firestore rule. Writes apply only if the whole function succeeds."""


class Store(
    Applications,
    Loans,
    Proposals,
    Users,
    Offers,
    Idempotency,
    Notifications,
    Outbox,
    Audit,
    Leases,
    JointReads,
    Protocol,
):
    def transaction(self, fn: Callable[[Transaction], T]) -> T:
        """Run fn in a transaction, re-running it on contention; Conflict if a create finds a document."""
        ...

    def write(self, fn: Callable[[Transaction], T]) -> T:
        """Run a write-only fn as one atomic batch (one round trip); Conflict if a create finds a document."""
        ...
