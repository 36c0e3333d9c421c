"""The audit trail on Firestore: appended with each change, stamped with its commit time; the audit
exporter reads it in commit order from a mark it keeps.

``committed_at`` is Firestore's server timestamp of the commit. A commit can become visible a moment after
the time it is stamped with (the emulator shows it under concurrent writers), so the exporter reads only
records stamped some seconds ago, and whatever commits later still sorts after its mark.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from mkopo.adapters.firestore.common import AUDIT, LEASES, StorePart, TxPart
from mkopo.service.store import AuditMark, AuditRecord

COMMITTED_AT = "committed_at"
EXPORT_MARK = "export-mark:audit"  # kept beside the exporters' leases


class AuditTx(TxPart):
    def add_audit(self, record: AuditRecord) -> None:
        doc = record.model_dump(mode="json") | {"at": record.at, COMMITTED_AT: firestore.SERVER_TIMESTAMP}
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

    def audit_after(
        self, mark: AuditMark | None, committed_before: datetime, limit: int
    ) -> list[tuple[AuditMark, AuditRecord]]:
        audit = self._db.collection(AUDIT)
        query = audit.where(filter=firestore.FieldFilter(COMMITTED_AT, "<", committed_before))
        query = query.order_by(COMMITTED_AT).order_by(FieldPath.document_id())
        if mark is not None:
            cursor = {COMMITTED_AT: mark.committed_at, "__name__": audit.document(mark.record_id)}
            query = query.start_after(cursor)
        return [_marked(s.to_dict() or {}) for s in query.limit(limit).stream()]

    def audit_export_mark(self) -> AuditMark | None:
        doc = self._get(LEASES, EXPORT_MARK)
        return AuditMark(doc[COMMITTED_AT], doc["record_id"]) if doc else None

    def save_audit_export_mark(self, mark: AuditMark) -> None:
        doc = {COMMITTED_AT: mark.committed_at, "record_id": mark.record_id}
        self._db.collection(LEASES).document(EXPORT_MARK).set(doc)


def _marked(doc: dict[str, Any]) -> tuple[AuditMark, AuditRecord]:
    committed_at = doc.pop(COMMITTED_AT)
    record = AuditRecord.model_validate(doc)
    return AuditMark(committed_at, record.id), record
