"""Contract of the Audit port: append-only records, listed per entity and drained by the exporter."""

from __future__ import annotations

import pytest

from mkopo.service.store import Conflict, Store
from tests.contract.data import LATER, audit, new_id


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

    def test_records_come_in_commit_order_after_a_mark(self, store: Store) -> None:
        together = [audit(entity_id=new_id("app"), at_s=s) for s in (20, 0)]  # one commit: one timestamp
        store.write(lambda tx: [tx.add_audit(r) for r in together])
        later = audit(entity_id=new_id("app"), at_s=-30)  # committed last, although its own time is earliest
        store.transaction(lambda tx: tx.add_audit(later))
        batch = store.audit_after(None, LATER, 10)
        assert {r.id for _, r in batch[:2]} == {r.id for r in together} and batch[2][1] == later
        assert [r for _, r in batch] == [r for _, r in store.audit_after(None, LATER, 10)]  # a stable order
        first, second = batch[0][0], batch[1][0]
        assert [r for _, r in store.audit_after(first, LATER, 10)] == [
            batch[1][1],
            later,
        ]  # a tie broken by id
        assert [r for _, r in store.audit_after(second, LATER, 1)] == [later]
        assert store.audit_after(batch[2][0], LATER, 10) == []
        assert len(store.list_audit(later.entity_id, 10)) == 1  # exported records stay listed

    def test_the_export_mark_is_kept(self, store: Store) -> None:
        store.transaction(lambda tx: tx.add_audit(audit(entity_id=new_id("app"))))
        assert store.audit_export_mark() is None
        [(mark, _)] = store.audit_after(None, LATER, 10)
        store.save_audit_export_mark(mark)
        assert store.audit_export_mark() == mark
