"""Firestore adapter: the Store port, with transactions retried (with jitter) under contention."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore

from mkopo.domain.applications import Application
from mkopo.domain.events import DomainEvent
from mkopo.domain.offers import Offer
from mkopo.service.store import (
    AuditRecord,
    Borrower,
    Conflict,
    IdempotencyRecord,
    Notification,
    OutboxItem,
    User,
)

if TYPE_CHECKING:  # money types are imported on first use: most functions never touch them
    from mkopo.domain.ledger import JournalEntry
    from mkopo.domain.loans import Loan, Repayment

T = TypeVar("T")
log = logging.getLogger(__name__)

APPLICATIONS, OFFERS, USERS, PHONES = "applications", "offers", "users", "phones"
BORROWERS, IDEMPOTENCY, OUTBOX = "borrowers", "idempotency", "outbox"
NOTIFICATIONS, EXPORTS, AUDIT, LEASES = "notifications", "exports", "audit", "leases"
LOANS, REPAYMENTS, JOURNAL = "loans", "repayments", "journal"


def _app_doc(app: Application) -> dict[str, Any]:
    doc = app.model_dump(mode="json")
    doc["created_at"], doc["updated_at"] = app.created_at, app.updated_at
    return doc


def _loan_doc(loan: Loan) -> dict[str, Any]:
    doc = loan.model_dump(mode="json")
    doc["disbursed_at"], doc["updated_at"] = loan.disbursed_at, loan.updated_at
    return doc


def _repayment_doc(repayment: Repayment) -> dict[str, Any]:
    return repayment.model_dump(mode="json") | {"requested_at": repayment.requested_at}


def _journal_doc(entry: JournalEntry) -> dict[str, Any]:
    doc = entry.model_dump(mode="json") | {"occurred_at": entry.occurred_at}
    doc["accounts"] = sorted({str(line.account) for line in entry.lines})  # for array-contains queries
    return doc


def _journal_entry(doc: dict[str, Any]) -> JournalEntry:
    from mkopo.domain.ledger import JournalEntry

    doc.pop("accounts", None)
    return JournalEntry.model_validate(doc)


def _loan(doc: Any) -> Loan:
    from mkopo.domain.loans import Loan

    return Loan.model_validate(doc)


def _repayment(doc: Any) -> Repayment:
    from mkopo.domain.loans import Repayment

    return Repayment.model_validate(doc)


def _offer_doc(offer: Offer) -> dict[str, Any]:
    doc = offer.model_dump(mode="json")
    doc["expires_at"] = offer.expires_at  # a Firestore timestamp, for the TTL policy
    return doc


@lru_cache(maxsize=1)
def _background() -> ThreadPoolExecutor:
    """One small pool per process for writes the caller need not wait for."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="firestore-bg")


def _commit_quietly(batch: Any) -> None:
    try:
        batch.commit()
    except Exception:  # the outbox relay will republish what was not marked
        log.warning("background outbox update failed", exc_info=True)


MARK_SENT_DELAY_S = 0.1  # the "sent" marks of events published within this window share one commit
MAX_WRITES = 500  # Firestore's limit per commit


def _write_each(
    client: firestore.Client,
    collection: str,
    doc_ids: Sequence[str],
    fields: dict[str, Any],
    *,
    create: bool = False,
    commit: Callable[[Any], object] = lambda batch: batch.commit(),
) -> None:
    """Write ``fields`` to each document (update; set with ``create``), in commits of at most MAX_WRITES."""
    for start in range(0, len(doc_ids), MAX_WRITES):
        batch = client.batch()
        for doc_id in doc_ids[start : start + MAX_WRITES]:
            ref = client.collection(collection).document(doc_id)
            if create:
                batch.set(ref, fields)
            else:
                batch.update(ref, fields)
        commit(batch)


class _SentMarks:
    """Outbox items published and not yet marked: one background commit per short window, not per event."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client
        self._lock = threading.Lock()
        self._pending: list[str] = []

    def add(self, event_ids: Sequence[str]) -> None:
        with self._lock:
            first = not self._pending
            self._pending.extend(event_ids)
        if first:
            _background().submit(self._flush_after, MARK_SENT_DELAY_S)

    def _flush_after(self, delay_s: float) -> None:
        time.sleep(delay_s)
        with self._lock:
            ids, self._pending = list(dict.fromkeys(self._pending)), []
        _write_each(self._db, OUTBOX, ids, {"sent": True}, commit=_commit_quietly)


class FirestoreTransaction:
    """The Transaction port over one google.cloud.firestore transaction."""

    def __init__(self, client: firestore.Client, tx: firestore.Transaction) -> None:
        self._db, self._tx = client, tx

    def _get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        snap = self._db.collection(collection).document(doc_id).get(transaction=self._tx)
        return snap.to_dict() if snap.exists else None

    def get_application(self, application_id: str) -> Application | None:
        doc = self._get(APPLICATIONS, application_id)
        return Application.model_validate(doc) if doc else None

    def get_borrower(self, borrower_id: str) -> Borrower | None:
        doc = self._get(BORROWERS, borrower_id)
        return Borrower.model_validate(doc) if doc else None

    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        doc = self._get(IDEMPOTENCY, key)
        return IdempotencyRecord.model_validate(doc) if doc else None

    def get_user_id_by_phone(self, phone: str) -> str | None:
        doc = self._get(PHONES, phone)
        return str(doc["user_id"]) if doc else None

    def create_application(self, app: Application) -> None:
        self._tx.create(self._db.collection(APPLICATIONS).document(app.id), _app_doc(app))

    def save_application(self, app: Application) -> None:
        self._tx.set(self._db.collection(APPLICATIONS).document(app.id), _app_doc(app))

    def save_borrower(self, borrower: Borrower) -> None:
        self._tx.set(self._db.collection(BORROWERS).document(borrower.id), borrower.model_dump(mode="json"))

    def create_idempotency(self, record: IdempotencyRecord) -> None:
        doc = record.model_dump(mode="json") | {"created_at": record.created_at}
        self._tx.create(self._db.collection(IDEMPOTENCY).document(record.key), doc)

    def create_user(self, user: User) -> None:
        self._tx.create(self._db.collection(PHONES).document(user.phone), {"user_id": user.id})
        doc = user.model_dump(mode="json") | {"created_at": user.created_at}
        self._tx.create(self._db.collection(USERS).document(user.id), doc)

    def add_event(self, event: DomainEvent) -> None:
        doc = {
            "topic": event.topic,
            "payload": event.payload(),
            "created_at": event.occurred_at,
            "sent": False,
        }
        self._tx.set(self._db.collection(OUTBOX).document(event.event_id), doc)

    def get_loan(self, loan_id: str) -> Loan | None:
        doc = self._get(LOANS, loan_id)
        return _loan(doc) if doc else None

    def get_repayment(self, repayment_id: str) -> Repayment | None:
        doc = self._get(REPAYMENTS, repayment_id)
        return _repayment(doc) if doc else None

    def create_loan(self, loan: Loan) -> None:
        self._tx.create(self._db.collection(LOANS).document(loan.id), _loan_doc(loan))

    def save_loan(self, loan: Loan) -> None:
        self._tx.set(self._db.collection(LOANS).document(loan.id), _loan_doc(loan))

    def create_repayment(self, repayment: Repayment) -> None:
        self._tx.create(self._db.collection(REPAYMENTS).document(repayment.id), _repayment_doc(repayment))

    def save_repayment(self, repayment: Repayment) -> None:
        self._tx.set(self._db.collection(REPAYMENTS).document(repayment.id), _repayment_doc(repayment))

    def add_journal_entry(self, entry: JournalEntry) -> None:
        self._tx.create(self._db.collection(JOURNAL).document(entry.id), _journal_doc(entry))

    def add_audit(self, record: AuditRecord) -> None:
        # "exported": the audit-exporter's queue (it reads unexported records straight from here).
        doc = record.model_dump(mode="json") | {"at": record.at, "exported": False}
        self._tx.create(self._db.collection(AUDIT).document(record.id), doc)


class FirestoreStore:
    """The Store port on Firestore (the emulator when FIRESTORE_EMULATOR_HOST is set)."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client
        self._sent_marks = _SentMarks(client)

    def transaction(self, fn: Callable[[FirestoreTransaction], T]) -> T:
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

        @retry(
            retry=retry_if_exception_type(gexc.Aborted),
            wait=wait_random_exponential(multiplier=0.05, max=2.0),
            stop=stop_after_attempt(10),
            reraise=True,
        )
        def attempt() -> T:
            @firestore.transactional
            def run(tx: firestore.Transaction) -> T:
                return fn(FirestoreTransaction(self._db, tx))

            try:
                return run(self._db.transaction(max_attempts=2))
            except gexc.AlreadyExists as exc:
                raise Conflict(str(exc)) from exc
            except ValueError as exc:
                # The client gives up on contention with a ValueError wrapping Aborted: retry with jitter.
                if isinstance(exc.__cause__, gexc.Aborted):
                    raise exc.__cause__ from exc
                raise

        return attempt()

    def write(self, fn: Callable[[FirestoreTransaction], T]) -> T:
        """Run a write-only fn as one atomic batch: a single commit round trip, no reads allowed."""
        batch = self._db.batch()
        result = fn(FirestoreTransaction(self._db, batch))  # type: ignore[arg-type]
        try:
            batch.commit()
        except gexc.AlreadyExists as exc:
            raise Conflict(str(exc)) from exc
        return result

    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        doc = self._get(IDEMPOTENCY, key)
        return IdempotencyRecord.model_validate(doc) if doc else None

    def _get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        snap = self._db.collection(collection).document(doc_id).get()
        return snap.to_dict() if snap.exists else None

    def get_offer(self, offer_id: str) -> Offer | None:
        if not offer_id or "/" in offer_id:
            return None
        doc = self._get(OFFERS, offer_id)
        return Offer.model_validate(doc) if doc else None

    def save_offers(self, offers: Sequence[Offer]) -> None:
        batch = self._db.batch()
        for offer in offers:
            batch.set(self._db.collection(OFFERS).document(offer.id), _offer_doc(offer))
        batch.commit()

    def get_application(self, application_id: str) -> Application | None:
        if not application_id or "/" in application_id:
            return None
        doc = self._get(APPLICATIONS, application_id)
        return Application.model_validate(doc) if doc else None

    def list_applications(self, borrower_id: str, limit: int) -> list[Application]:
        query = (
            self._db.collection(APPLICATIONS)
            .where(filter=firestore.FieldFilter("borrower_id", "==", borrower_id))
            .order_by("created_at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [Application.model_validate(s.to_dict()) for s in query.stream()]

    def list_applications_by_status(self, status: str, limit: int) -> list[Application]:
        query = (
            self._db.collection(APPLICATIONS)
            .where(filter=firestore.FieldFilter("status", "==", status))
            .order_by("updated_at")
            .limit(limit)
        )
        return [Application.model_validate(s.to_dict()) for s in query.stream()]

    def unexported_audit(self, limit: int) -> list[AuditRecord]:
        query = self._db.collection(AUDIT).where(filter=firestore.FieldFilter("exported", "==", False))
        return [AuditRecord.model_validate(s.to_dict()) for s in query.limit(limit).stream()]

    def mark_audit_exported(self, record_ids: Sequence[str]) -> None:
        _write_each(self._db, AUDIT, record_ids, {"exported": True})

    def list_audit(self, entity_id: str, limit: int) -> list[AuditRecord]:
        query = (
            self._db.collection(AUDIT)
            .where(filter=firestore.FieldFilter("entity_id", "==", entity_id))
            .order_by("at")
            .limit(limit)
        )
        return [AuditRecord.model_validate(s.to_dict()) for s in query.stream()]

    def get_loan(self, loan_id: str) -> Loan | None:
        doc = self._get(LOANS, loan_id) if loan_id and "/" not in loan_id else None
        return _loan(doc) if doc else None

    def list_loans(self, borrower_id: str, limit: int) -> list[Loan]:
        query = (
            self._db.collection(LOANS)
            .where(filter=firestore.FieldFilter("borrower_id", "==", borrower_id))
            .order_by("disbursed_at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [_loan(s.to_dict()) for s in query.stream()]

    def list_loans_by_status(self, status: str, limit: int) -> list[Loan]:
        query = (
            self._db.collection(LOANS)
            .where(filter=firestore.FieldFilter("status", "==", status))
            .limit(limit)
        )
        return [_loan(s.to_dict()) for s in query.stream()]

    def get_repayment(self, repayment_id: str) -> Repayment | None:
        doc = self._get(REPAYMENTS, repayment_id) if repayment_id and "/" not in repayment_id else None
        return _repayment(doc) if doc else None

    def list_repayments(self, loan_id: str, limit: int) -> list[Repayment]:
        query = (
            self._db.collection(REPAYMENTS)
            .where(filter=firestore.FieldFilter("loan_id", "==", loan_id))
            .order_by("requested_at")
            .limit(limit)
        )
        return [_repayment(s.to_dict()) for s in query.stream()]

    def list_repayments_by_status(self, status: str, limit: int) -> list[Repayment]:
        query = (
            self._db.collection(REPAYMENTS)
            .where(filter=firestore.FieldFilter("status", "==", status))
            .order_by("requested_at")
            .limit(limit)
        )
        return [_repayment(s.to_dict()) for s in query.stream()]

    def journal_entries(
        self, *, account: str | None = None, until: datetime | None = None, limit: int = 1000
    ) -> list[JournalEntry]:
        query: Any = self._db.collection(JOURNAL)
        if account is not None:
            query = query.where(filter=firestore.FieldFilter("accounts", "array_contains", account))
        if until is not None:
            query = query.where(filter=firestore.FieldFilter("occurred_at", "<=", until))
        query = query.order_by("occurred_at").limit(limit)
        return [_journal_entry(s.to_dict() or {}) for s in query.stream()]

    def get_user(self, user_id: str) -> User | None:
        doc = self._get(USERS, user_id) if user_id and "/" not in user_id else None
        return User.model_validate(doc) if doc else None

    def _get_together(self, *keys: tuple[str, str]) -> list[dict[str, Any] | None]:
        """Several documents in one batched get (get_all), in the order asked; None where absent."""
        refs = [self._db.collection(c).document(i) for c, i in keys if i and "/" not in i]
        docs = {s.reference.path: s.to_dict() for s in self._db.get_all(refs) if s.exists} if refs else {}
        return [docs.get(f"{c}/{i}") for c, i in keys]

    def get_user_and_offer(self, user_id: str, offer_id: str) -> tuple[User | None, Offer | None]:
        """Both documents in one round trip."""
        user, offer = self._get_together((USERS, user_id), (OFFERS, offer_id))
        return (User.model_validate(user) if user else None, Offer.model_validate(offer) if offer else None)

    def get_notification_and_application(
        self, notification_id: str, application_id: str
    ) -> tuple[Notification | None, Application | None]:
        """Both documents in one round trip."""
        note, app = self._get_together((NOTIFICATIONS, notification_id), (APPLICATIONS, application_id))
        return (
            Notification.model_validate(note) if note else None,
            Application.model_validate(app) if app else None,
        )

    def get_user_by_phone(self, phone: str) -> User | None:
        link = self._get(PHONES, phone)
        return self.get_user(str(link["user_id"])) if link else None

    def list_notifications(self, user_id: str, limit: int) -> list[Notification]:
        query = (
            self._db.collection(NOTIFICATIONS)
            .where(filter=firestore.FieldFilter("user_id", "==", user_id))
            .order_by("created_at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [Notification.model_validate(s.to_dict()) for s in query.stream()]

    def get_notification(self, notification_id: str) -> Notification | None:
        doc = self._get(NOTIFICATIONS, notification_id)
        return Notification.model_validate(doc) if doc else None

    def save_notification(self, notification: Notification) -> None:
        doc = notification.model_dump(mode="json") | {"created_at": notification.created_at}
        self._db.collection(NOTIFICATIONS).document(notification.id).set(doc)

    def unsent_outbox(self, created_before: datetime, limit: int) -> list[OutboxItem]:
        query = (
            self._db.collection(OUTBOX)
            .where(filter=firestore.FieldFilter("sent", "==", False))
            .where(filter=firestore.FieldFilter("created_at", "<", created_before))
            .limit(limit)
        )
        return [OutboxItem(event_id=s.id, **(s.to_dict() or {})) for s in query.stream()]

    def mark_sent(self, event_ids: Sequence[str], *, wait: bool = True) -> None:
        if not wait:
            self._sent_marks.add(event_ids)
            return
        _write_each(self._db, OUTBOX, event_ids, {"sent": True})

    def exported(self, keys: Sequence[str]) -> set[str]:
        refs = [self._db.collection(EXPORTS).document(k) for k in keys]
        return {snap.id for snap in self._db.get_all(refs) if snap.exists} if refs else set()

    def mark_exported(self, keys: Sequence[str]) -> None:
        _write_each(self._db, EXPORTS, keys, {"exported": True}, create=True)

    def acquire_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        ref = self._db.collection(LEASES).document(name)

        @firestore.transactional
        def take(tx: Any) -> bool:
            doc = ref.get(transaction=tx).to_dict() or {}
            if doc.get("holder") not in (None, holder) and doc.get("expires_at", now) > now:
                return False
            tx.set(ref, {"holder": holder, "expires_at": now + ttl})
            return True

        try:
            return bool(take(self._db.transaction()))
        except (gexc.Aborted, gexc.Conflict):
            return False  # another exporter is taking it at this moment: let it

    def release_lease(self, name: str, holder: str) -> None:
        ref = self._db.collection(LEASES).document(name)

        @firestore.transactional
        def give_back(tx: Any) -> None:
            if (ref.get(transaction=tx).to_dict() or {}).get("holder") == holder:
                tx.delete(ref)

        give_back(self._db.transaction())
