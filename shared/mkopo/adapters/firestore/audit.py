"""The audit trail on Firestore: appended with each change; the audit exporter drains the unexported."""

from __future__ import annotations

from collections.abc import Sequence

from google.cloud import firestore

from mkopo.adapters.firestore.common import AUDIT, StorePart, TxPart, write_each
from mkopo.service.store import AuditRecord


class AuditTx(TxPart):
    def add_audit(self, record: AuditRecord) -> None:
        # "exported": the audit-exporter's queue (it reads unexported records straight from here).
        doc = record.model_dump(mode="json") | {"at": record.at, "exported": False}
        self._tx.create(self._db.collection(AUDIT).document(record.id), doc)


class AuditStore(StorePart):
    def list_audit(self, entity_id: str, limit: int) -> list[AuditRecord]:
        query = (
            self._db.collection(AUDIT)
            .where(filter=firestore.FieldFilter("entity_id", "==", entity_id))
            .order_by("at")
            .limit(limit)
        )
        return [AuditRecord.model_validate(s.to_dict()) for s in query.stream()]

    def unexported_audit(self, limit: int) -> list[AuditRecord]:
        query = self._db.collection(AUDIT).where(filter=firestore.FieldFilter("exported", "==", False))
        return [AuditRecord.model_validate(s.to_dict()) for s in query.limit(limit).stream()]

    def mark_audit_exported(self, record_ids: Sequence[str]) -> None:
        write_each(self._db, AUDIT, record_ids, {"exported": True})
