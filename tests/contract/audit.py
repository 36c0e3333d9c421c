"""Contract of the Audit port: append-only records, listed per entity and drained by the exporter."""

from __future__ import annotations

import pytest

from mkopo.service.store import Conflict, Store
from tests.contract.data import audit, new_id


class AuditContract:
    def test_an_entitys_records_oldest_first_up_to_the_limit(self, store: Store) -> None:
        entity = new_id("app")
        records = [audit(entity_id=entity, at_s=s) for s in (20, 0, 10)]
        store.write(lambda tx: [tx.add_audit(r) for r in [*records, audit(entity_id=new_id("app"))]])
        assert store.list_audit(entity, 10) == [records[1], records[2], records[0]]
        assert store.list_audit(entity, 1) == [records[1]]
        assert store.list_audit(new_id("app"), 10) == []

    def test_a_record_is_never_replaced(self, store: Store) -> None:
        record = audit(entity_id=new_id("app"))
        store.transaction(lambda tx: tx.add_audit(record))
        with pytest.raises(Conflict):
            store.transaction(lambda tx: tx.add_audit(record.model_copy(update={"action": "forged"})))
        assert store.list_audit(record.entity_id, 10) == [record]

    def test_unexported_records_until_marked_exported_up_to_the_limit(self, store: Store) -> None:
        records = [audit(entity_id=new_id("app"), at_s=s) for s in range(3)]
        store.write(lambda tx: [tx.add_audit(r) for r in records])
        assert {r.id for r in store.unexported_audit(10)} == {r.id for r in records}
        [first] = store.unexported_audit(1)
        assert first in records
        store.mark_audit_exported([records[0].id, records[1].id])
        assert store.unexported_audit(10) == [records[2]]
        assert len(store.list_audit(records[0].entity_id, 10)) == 1  # exported records stay listed
