"""Idempotency records on Firestore: created once per key, in the transaction of the request they answer."""

from __future__ import annotations

from mkopo.adapters.firestore.common import IDEMPOTENCY, StorePart, TxPart
from mkopo.service.store import IdempotencyRecord


class IdempotencyTx(TxPart):
    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        doc = self._get(IDEMPOTENCY, key)
        return IdempotencyRecord.model_validate(doc) if doc else None

    def create_idempotency(self, record: IdempotencyRecord) -> None:
        doc = record.model_dump(mode="json") | {"created_at": record.created_at}
        self._tx.create(self._db.collection(IDEMPOTENCY).document(record.key), doc)


class IdempotencyStore(StorePart):
    def get_idempotency(self, key: str) -> IdempotencyRecord | None:
        doc = self._get(IDEMPOTENCY, key)
        return IdempotencyRecord.model_validate(doc) if doc else None
