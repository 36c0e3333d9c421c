"""Rows of the BigQuery tables (schemas in mkopo.warehouse_schema): domain events and audit records,
with nothing personal in them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from mkopo.domain.events import DomainEvent
from mkopo.service.store import AuditRecord

_COLUMNS = {"event_id", "event_type", "occurred_at", "application_id", "borrower_id"}


def event_row(event: DomainEvent, exported_at: datetime) -> dict[str, Any]:
    """One row of the events table."""
    data = event.payload()
    provider = data.get("payout_provider") or data.get("provider") or data.get("lender")
    outcome = {
        "loan_approved": "APPROVED",
        "loan_rejected": "REJECTED",
        "loan_disbursed": "SUCCESSFUL",
        "disbursement_failed": "FAILED",
    }.get(event.event_type)
    if event.event_type == "loan_restructuring":  # APPROVED (offered) or ACCEPTED: the loan is restructured
        outcome = data.get("stage")
    rest = {k: v for k, v in data.items() if k not in _COLUMNS}
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "occurred_at": event.occurred_at.isoformat(),
        "application_id": event.application_id,
        "borrower_id": event.borrower_id,
        "provider": provider,
        "amount_minor": data.get("amount_minor"),
        "currency": data.get("currency"),
        "outcome": outcome,
        "score": data.get("score"),
        "attributes": json.dumps(rest, sort_keys=True),
        "exported_at": exported_at.isoformat(),
    }


def audit_row(rec: AuditRecord, exported_at: datetime) -> dict[str, Any]:
    """One row of the audit table."""
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
