"""The in-memory Store, one part per port (as the Firestore adapter is split), composed at the bottom.

Transactions behave like Firestore's: writes are buffered and applied only if the function succeeds,
a create that finds a document raises Conflict (nothing written), and a transaction whose reads changed
before it committed is run again (optimistic concurrency, safe across threads).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from mkopo import tracing
from mkopo.domain.applications import Application
from mkopo.domain.events import DomainEvent
from mkopo.domain.ledger import JournalEntry
from mkopo.domain.loans import Loan
from mkopo.domain.offers import Offer
from mkopo.domain.repayments import Repayment
from mkopo.domain.restructuring import RestructureProposal
from mkopo.service.store import (
    AuditMark,
    AuditRecord,
    Borrower,
    Conflict,
    IdempotencyRecord,
    Notification,
    OutboxItem,
    User,
)

T = TypeVar("T")
COMMIT_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # the fake's commit "times": one microsecond per record
MAX_ATTEMPTS = 20
Data = dict[str, dict[str, Any]]


class _TxPart:
    """Reads are copies, remembered to detect contention; writes wait for the commit."""

    def __init__(self, data: Data) -> None:
        self._data = data
        self.reads: dict[tuple[str, str], Any] = {}
        self.writes: list[tuple[str, str, Any, bool]] = []  # (collection, key, value, create)
        self.deletes: list[tuple[str, str]] = []

    def _get(self, collection: str, key: str) -> Any:
        value = self._data.setdefault(collection, {}).get(key)
        self.reads[(collection, key)] = copy.deepcopy(value)
        return copy.deepcopy(value)

    def _put(self, collection: str, key: str, value: Any, *, create: bool = False) -> None:
        self.writes.append((collection, key, value, create))


class ApplicationsTx(_TxPart):
    def get_application(self, application_id: str) -> Application | None:
        return self._get("applications", application_id)

    def get_borrower(self, borrower_id: str) -> Borrower | None:
        return self._get("borrowers", borrower_id)

    def get_application_and_borrower(
        self, application_id: str, borrower_id: str
    ) -> tuple[Application | None, Borrower | None]:
        return self.get_application(application_id), self.get_borrower(borrower_id)

    def create_application(self, app: Application) -> None:
        self._put("applications", app.id, app, create=True)

    def save_application(self, app: Application) -> None:
        self._put("applications", app.id, app)

    def save_borrower(self, borrower: Borrower) -> None:
        self._put("borrowers", borrower.id, borrower)


class LoansTx(_TxPart):
    def get_loan(self, loan_id: str) -> Loan | None:
        return self._get("loans", loan_id)

    def get_repayment(self, repayment_id: str) -> Repayment | None:
        return self._get("repayments", repayment_id)

    def create_loan(self, loan: Loan) -> None:
        self._put("loans", loan.id, loan, create=True)

    def save_loan(self, loan: Loan) -> None:
        self._put("loans", loan.id, loan)

    def create_repayment(self, repayment: Repayment) -> None:
        self._put("repayments", repayment.id, repayment, create=True)

    def save_repayment(self, repayment: Repayment) -> None:
        self._put("repayments", repayment.id, repayment)

    def add_journal_entry(self, entry: JournalEntry) -> None:
        self._put("journal", entry.id, entry, create=True)


class ProposalsTx(_TxPart):
    def get_proposal(self, proposal_id: str) -> RestructureProposal | None:
        return self._get("proposals", proposal_id)

    def create_proposal(self, proposal: RestructureProposal) -> None:
        self._put("proposals", proposal.id, proposal, create=True)

    def save_proposal(self, proposal: RestructureProposal) -> None:
        self._put("proposals", proposal.id, proposal)


class UsersTx(_TxPart):
    def get_user_id_by_phone(self, phone: str) -> str | None:
        return self._get("phones", phone)

    def create_user(self, user: User) -> None:
        self._put("phones", user.phone, user.id, create=True)
        self._put("users", user.id, user, create=True)


class IdempotencyTx(_TxPart):
    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        return self._get("idempotency", key)

    def create_idempotency(self, record: IdempotencyRecord) -> None:
        self._put("idempotency", record.key, record, create=True)


class OutboxTx(_TxPart):
    def add_event(self, event: DomainEvent) -> None:
        item = OutboxItem(
            event_id=event.event_id,
            topic=event.topic,
            payload=event.payload(),
            created_at=event.occurred_at,
            traceparent=tracing.current_traceparent(),
        )
        self._put("outbox", event.event_id, item)


class AuditTx(_TxPart):
    def add_audit(self, record: AuditRecord) -> None:
        self._put("audit", record.id, record, create=True)


class FakeTransaction(ApplicationsTx, LoansTx, ProposalsTx, UsersTx, IdempotencyTx, OutboxTx, AuditTx):
    """The Transaction port in memory."""


class _StorePart:
    data: Data

    def col(self, name: str) -> dict[str, Any]:
        return self.data.setdefault(name, {})

    def _read(self, collection: str, key: str) -> Any:
        return copy.deepcopy(self.col(collection).get(key))

    def _where(self, collection: str, keep: Callable[[Any], bool]) -> list[Any]:
        return [copy.deepcopy(v) for v in self.col(collection).values() if keep(v)]


class ApplicationsFake(_StorePart):
    def get_application(self, application_id: str) -> Application | None:
        return self._read("applications", application_id)

    def get_borrower(self, borrower_id: str) -> Borrower | None:
        return self._read("borrowers", borrower_id)

    def list_applications(self, borrower_id: str, limit: int) -> list[Application]:
        apps = self._where("applications", lambda a: a.borrower_id == borrower_id)
        return sorted(apps, key=lambda a: a.created_at, reverse=True)[:limit]

    def list_applications_by_status(self, status: str, limit: int) -> list[Application]:
        apps = self._where("applications", lambda a: a.status == status)
        return sorted(apps, key=lambda a: a.updated_at)[:limit]


class LoansFake(_StorePart):
    def get_loan(self, loan_id: str) -> Loan | None:
        return self._read("loans", loan_id)

    def list_loans(self, borrower_id: str, limit: int) -> list[Loan]:
        loans = self._where("loans", lambda x: x.borrower_id == borrower_id)
        return sorted(loans, key=lambda x: x.disbursed_at, reverse=True)[:limit]

    def list_loans_by_status(self, status: str, limit: int) -> list[Loan]:
        return self._where("loans", lambda x: x.status == status)[:limit]

    def get_repayment(self, repayment_id: str) -> Repayment | None:
        return self._read("repayments", repayment_id)

    def list_repayments(self, loan_id: str, limit: int) -> list[Repayment]:
        reps = self._where("repayments", lambda r: r.loan_id == loan_id)
        return sorted(reps, key=lambda r: r.requested_at)[:limit]

    def list_repayments_by_status(self, status: str, limit: int) -> list[Repayment]:
        reps = self._where("repayments", lambda r: r.status == status)
        return sorted(reps, key=lambda r: r.requested_at)[:limit]

    def journal_entries(
        self, *, account: str | None = None, until: datetime | None = None, limit: int = 1000
    ) -> list[JournalEntry]:
        entries = self._where(
            "journal",
            lambda e: (
                (account is None or any(str(line.account) == account for line in e.lines))
                and (until is None or e.occurred_at <= until)
            ),
        )
        return sorted(entries, key=lambda e: e.occurred_at)[:limit]


class ProposalsFake(_StorePart):
    def get_proposal(self, proposal_id: str) -> RestructureProposal | None:
        return self._read("proposals", proposal_id)

    def list_proposals(self, loan_id: str, limit: int) -> list[RestructureProposal]:
        found = self._where("proposals", lambda p: p.loan_id == loan_id)
        return sorted(found, key=lambda p: p.proposed_at, reverse=True)[:limit]


class UsersFake(_StorePart):
    def get_user(self, user_id: str) -> User | None:
        return self._read("users", user_id)

    def get_user_by_phone(self, phone: str) -> User | None:
        user_id = self.col("phones").get(phone)
        return self.get_user(user_id) if user_id else None


class OffersFake(_StorePart):
    def get_offer(self, offer_id: str) -> Offer | None:
        return self._read("offers", offer_id)

    def save_offers(self, offers: Sequence[Offer]) -> None:
        for offer in offers:
            self.col("offers")[offer.id] = copy.deepcopy(offer)


class IdempotencyFake(_StorePart):
    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        return self._read("idempotency", key)


class NotificationsFake(_StorePart):
    def get_notification(self, notification_id: str) -> Notification | None:
        return self._read("notifications", notification_id)

    def save_notification(self, notification: Notification) -> None:
        self.col("notifications")[notification.id] = copy.deepcopy(notification)

    def list_notifications(self, user_id: str, limit: int) -> list[Notification]:
        notes = self._where("notifications", lambda n: n.user_id == user_id)
        return sorted(notes, key=lambda n: n.created_at, reverse=True)[:limit]

    def find_notification_by_provider_id(self, provider_message_id: str) -> Notification | None:
        notes = self._where("notifications", lambda n: n.provider_message_id == provider_message_id)
        return notes[0] if notes else None

    def sms_opted_out(self, phone: str) -> bool:
        return bool(self.col("sms_preferences").get(phone))

    def set_sms_opt_out(self, phone: str, opted_out: bool, at: datetime) -> None:
        self.col("sms_preferences")[phone] = opted_out


class OutboxFake(_StorePart):
    def unsent_outbox(self, created_before: datetime, limit: int) -> list[OutboxItem]:
        items = self._where("outbox", lambda i: not i.sent and i.created_at < created_before)
        return sorted(items, key=lambda i: i.created_at)[:limit]

    def mark_sent(self, event_ids: Sequence[str], *, wait: bool = True) -> None:
        for event_id in event_ids:
            item = self.col("outbox")[event_id]
            self.col("outbox")[event_id] = item.model_copy(update={"sent": True})


class AuditFake(_StorePart):
    def list_audit(self, entity_id: str, limit: int) -> list[AuditRecord]:
        records = self._where("audit", lambda r: r.entity_id == entity_id)
        return sorted(records, key=lambda r: r.at)[:limit]

    def audit_after(
        self, mark: AuditMark | None, committed_before: datetime, limit: int
    ) -> list[tuple[AuditMark, AuditRecord]]:
        # Records are only ever created, so their place in the dict is their commit order.
        records = self.col("audit").values()
        marked = [
            (AuditMark(COMMIT_EPOCH + timedelta(microseconds=i), r.id), r) for i, r in enumerate(records)
        ]
        start = (mark.committed_at, mark.record_id) if mark else (COMMIT_EPOCH - timedelta(1), "")
        after = [
            (m, r)
            for m, r in marked
            if start < (m.committed_at, m.record_id) and m.committed_at < committed_before
        ]
        return copy.deepcopy(after[:limit])

    def audit_export_mark(self) -> AuditMark | None:
        return self.col("export_marks").get("audit")

    def save_audit_export_mark(self, mark: AuditMark) -> None:
        self.col("export_marks")["audit"] = mark


class LeasesFake(_StorePart):
    def acquire_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        held = self.col("leases").get(name)
        if held is not None and held[0] != holder and held[1] > now:
            return False
        self.col("leases")[name] = (holder, now + ttl)
        return True

    def release_lease(self, name: str, holder: str) -> None:
        if (self.col("leases").get(name) or ("", None))[0] == holder:
            del self.col("leases")[name]


class InMemoryStore(
    ApplicationsFake,
    LoansFake,
    ProposalsFake,
    UsersFake,
    OffersFake,
    IdempotencyFake,
    NotificationsFake,
    OutboxFake,
    AuditFake,
    LeasesFake,
):
    """The Store port in memory. ``before_commit`` runs once just before the next commit (a race)."""

    def __init__(self) -> None:
        self.data: Data = {}
        self.before_commit: Callable[[], None] | None = None
        self.joint_reads = 0  # get_user_and_offer and friends: one round trip each on Firestore
        self._commit_lock = threading.Lock()

    def transaction(self, fn: Callable[[FakeTransaction], T]) -> T:
        return self.run_transaction(FakeTransaction, fn)

    def run_transaction(self, new_tx: Callable[[Data], Any], fn: Callable[[Any], T]) -> T:
        """Run fn until it commits with its reads unchanged (or MAX_ATTEMPTS), like Firestore."""
        for _ in range(MAX_ATTEMPTS):
            tx = new_tx(self.data)
            result = fn(tx)
            self._run_hook()
            with self._commit_lock:
                if all(self.col(c).get(k) == seen for (c, k), seen in tx.reads.items()):
                    self._commit(tx)
                    return result
        raise RuntimeError(f"transaction still contended after {MAX_ATTEMPTS} attempts")

    def write(self, fn: Callable[[FakeTransaction], T]) -> T:
        """Write-only: a read inside fn is a bug, as it would be with a Firestore batch."""
        tx = FakeTransaction({})
        result = fn(tx)
        self._run_hook()
        with self._commit_lock:
            self._commit(tx)
        return result

    def _run_hook(self) -> None:
        if self.before_commit:
            hook, self.before_commit = self.before_commit, None
            hook()

    def _commit(self, tx: _TxPart) -> None:
        for collection, key, _, create in tx.writes:
            if create and key in self.col(collection):
                raise Conflict(f"{collection}/{key} exists")
        for collection, key, value, _ in tx.writes:
            self.col(collection)[key] = copy.deepcopy(value)
        for collection, key in tx.deletes:
            self.col(collection).pop(key, None)

    def get_user_and_offer(self, user_id: str, offer_id: str) -> tuple[User | None, Offer | None]:
        self.joint_reads += 1
        return self.get_user(user_id), self.get_offer(offer_id)

    def get_notification_and_application(
        self, notification_id: str, application_id: str
    ) -> tuple[Notification | None, Application | None]:
        self.joint_reads += 1
        return self.get_notification(notification_id), self.get_application(application_id)
