"""The composite Firestore store: every aggregate's part, and transactions retried (with jitter) under
contention."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore

from mkopo.adapters.firestore.applications import ApplicationsStore, ApplicationsTx
from mkopo.adapters.firestore.audit import AuditStore, AuditTx
from mkopo.adapters.firestore.common import APPLICATIONS, NOTIFICATIONS, OFFERS, USERS
from mkopo.adapters.firestore.exports import LeasesStore
from mkopo.adapters.firestore.idempotency import IdempotencyStore, IdempotencyTx
from mkopo.adapters.firestore.loans import LoansStore, LoansTx
from mkopo.adapters.firestore.notifications import NotificationsStore, notification_from
from mkopo.adapters.firestore.offers import OffersStore, offer_from
from mkopo.adapters.firestore.outbox import OutboxStore, OutboxTx
from mkopo.adapters.firestore.restructuring import ProposalsStore, ProposalsTx
from mkopo.adapters.firestore.users import UsersStore, UsersTx, user_from
from mkopo.domain.applications import Application
from mkopo.domain.offers import Offer
from mkopo.service.store import Conflict, Notification, User

T = TypeVar("T")


class FirestoreTransaction(ApplicationsTx, LoansTx, ProposalsTx, UsersTx, IdempotencyTx, OutboxTx, AuditTx):
    """The Transaction port over one google.cloud.firestore transaction (or a write batch)."""


def run_transaction(client: firestore.Client, fn: Callable[[firestore.Transaction], T]) -> T:
    """Run fn in a Firestore transaction, re-running it with jitter on contention; Conflict on a create
    that finds a document."""
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

    @retry(
        retry=retry_if_exception_type(gexc.Aborted),
        wait=wait_random_exponential(multiplier=0.05, max=2.0),
        stop=stop_after_attempt(10),
        reraise=True,
    )
    def attempt() -> T:
        try:
            return firestore.transactional(fn)(client.transaction(max_attempts=2))
        except gexc.AlreadyExists as exc:
            raise Conflict(str(exc)) from exc
        except ValueError as exc:
            # The client gives up on contention with a ValueError wrapping Aborted: retry with jitter.
            if isinstance(exc.__cause__, gexc.Aborted):
                raise exc.__cause__ from exc
            raise

    return attempt()


class FirestoreStore(
    ApplicationsStore,
    LoansStore,
    ProposalsStore,
    UsersStore,
    OffersStore,
    IdempotencyStore,
    NotificationsStore,
    OutboxStore,
    AuditStore,
    LeasesStore,
):
    """The Store port on Firestore (the emulator when FIRESTORE_EMULATOR_HOST is set)."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def transaction(self, fn: Callable[[FirestoreTransaction], T]) -> T:
        return run_transaction(self._db, lambda tx: fn(FirestoreTransaction(self._db, tx)))

    def write(self, fn: Callable[[FirestoreTransaction], T]) -> T:
        """Run a write-only fn as one atomic batch: a single commit round trip, no reads allowed."""
        batch = self._db.batch()
        result = fn(FirestoreTransaction(self._db, batch))  # type: ignore[arg-type]
        try:
            batch.commit()
        except gexc.AlreadyExists as exc:
            raise Conflict(str(exc)) from exc
        return result

    def get_user_and_offer(self, user_id: str, offer_id: str) -> tuple[User | None, Offer | None]:
        """Both documents in one round trip."""
        user, offer = self._get_together((USERS, user_id), (OFFERS, offer_id))
        return user_from(user), offer_from(offer)

    def get_notification_and_application(
        self, notification_id: str, application_id: str
    ) -> tuple[Notification | None, Application | None]:
        """Both documents in one round trip."""
        note, app = self._get_together((NOTIFICATIONS, notification_id), (APPLICATIONS, application_id))
        return notification_from(note), Application.model_validate(app) if app else None
