"""What every part of the Firestore adapter shares: collection names, id checks, chunked writes, bases."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from google.cloud import firestore

APPLICATIONS, OFFERS, USERS, PHONES = "applications", "offers", "users", "phones"
BORROWERS, IDEMPOTENCY, OUTBOX = "borrowers", "idempotency", "outbox"
NOTIFICATIONS, AUDIT, LEASES = "notifications", "audit", "leases"
LOANS, REPAYMENTS, JOURNAL = "loans", "repayments", "journal"
PROPOSALS = "restructure_proposals"
REFRESH_TOKENS, TOKEN_FAMILIES, THROTTLE = "refresh_tokens", "token_families", "login_throttle"

MAX_WRITES = 500  # Firestore's limit per commit


def valid_id(doc_id: str) -> bool:
    """Whether a caller-supplied id can name a document (anything else is simply not found)."""
    return bool(doc_id) and "/" not in doc_id and len(doc_id) <= 200


def write_each(
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


class TxPart:
    """Base of each aggregate's transaction side: reads and writes through one transaction (or batch)."""

    def __init__(self, client: firestore.Client, tx: firestore.Transaction) -> None:
        self._db, self._tx = client, tx

    def _get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        snap = self._db.collection(collection).document(doc_id).get(transaction=self._tx)
        return snap.to_dict() if snap.exists else None

    def _get_together(self, *keys: tuple[str, str]) -> list[dict[str, Any] | None]:
        """Several documents in one batched read of this transaction, in the order asked."""
        refs = [self._db.collection(c).document(i) for c, i in keys if valid_id(i)]
        snaps = self._db.get_all(refs, transaction=self._tx) if refs else []
        docs = {s.reference.path: s.to_dict() for s in snaps if s.exists}
        return [docs.get(f"{c}/{i}") for c, i in keys]


class StorePart:
    """Base of each aggregate's query side: plain reads and writes on the client."""

    _db: firestore.Client

    def _get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        snap = self._db.collection(collection).document(doc_id).get()
        return snap.to_dict() if snap.exists else None

    def _get_together(self, *keys: tuple[str, str]) -> list[dict[str, Any] | None]:
        """Several documents in one batched get (get_all), in the order asked; None where absent."""
        refs = [self._db.collection(c).document(i) for c, i in keys if valid_id(i)]
        docs = {s.reference.path: s.to_dict() for s in self._db.get_all(refs) if s.exists} if refs else {}
        return [docs.get(f"{c}/{i}") for c, i in keys]
