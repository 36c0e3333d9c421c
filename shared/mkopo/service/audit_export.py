"""Audit records as rows of the BigQuery audit table (schema in mkopo.analytics)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from mkopo.service.store import AuditRecord


def audit_row(rec: AuditRecord, exported_at: datetime) -> dict[str, Any]:
    return {
        "event_id": rec.id,
        "occurred_at": rec.at.isoformat(),
        "actor_id": rec.actor_id,
        "actor_role": rec.actor_role,
        "action": rec.action,
        "entity_type": rec.entity_type,
        "entity_id": rec.entity_id,
        "before": json.dumps(rec.before, sort_keys=True) if rec.before is not None else None,
        "after": json.dumps(rec.after, sort_keys=True) if rec.after is not None else None,
        "request_id": rec.request_id,
        "exported_at": exported_at.isoformat(),
    }
