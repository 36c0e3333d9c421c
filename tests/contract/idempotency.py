"""Contract of the Idempotency port: one record per key, created with the request it answers."""

from __future__ import annotations

import pytest

from mkopo.service.store import Conflict, IdempotencyRecord, Store
from tests.contract.data import NOW, new_id


def record(key: str, status_code: int = 202) -> IdempotencyRecord:
    body = {"application_id": new_id("app"), "amount": "5000.00"}
    return IdempotencyRecord(key=key, request_hash="h1", status_code=status_code, body=body, created_at=NOW)


class IdempotencyContract:
    def test_a_record_reads_back_inside_and_outside_a_transaction(self, store: Store) -> None:
        made = record(new_id("key"))
        assert store.get_idempotency(made.key) is None
        store.transaction(lambda tx: tx.create_idempotency(made))
        assert store.get_idempotency(made.key) == made
        assert store.transaction(lambda tx: tx.get_idempotency(made.key)) == made

    def test_a_key_is_recorded_once_and_the_first_answer_stays(self, store: Store) -> None:
        first = record(new_id("key"))
        store.write(lambda tx: tx.create_idempotency(first))
        with pytest.raises(Conflict):
            store.write(lambda tx: tx.create_idempotency(record(first.key, status_code=409)))
        with pytest.raises(Conflict):
            store.transaction(lambda tx: tx.create_idempotency(record(first.key, status_code=409)))
        assert store.get_idempotency(first.key) == first
