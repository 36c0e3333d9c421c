"""Turning domain events into analytics rows, with nothing personal in them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from mkopo.domain.events import DomainEvent
from mkopo.service.errors import TransientFailure
from mkopo.service.ports import EventSink
from mkopo.service.store import Store

_COLUMNS = {"event_id", "event_type", "occurred_at", "application_id", "borrower_id"}


def event_row(event: DomainEvent, exported_at: datetime) -> dict[str, Any]:
    """One row of the events table (schema in mkopo.analytics)."""
    data = event.payload()
    provider = data.get("payout_provider") or data.get("provider") or data.get("lender")
    outcome = {
        "loan_approved": "APPROVED",
        "loan_rejected": "REJECTED",
        "loan_disbursed": "SUCCESSFUL",
        "disbursement_failed": "FAILED",
    }.get(event.event_type)
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


EXPORT_LEASE = timedelta(seconds=60)


def export_event(event: DomainEvent, *, store: Store, sink: EventSink, now: datetime) -> bool:
    """Write the event once, even when two deliveries of it arrive at the same moment.

    The first delivery claims the event (a create, so only one can); a concurrent one is told to retry
    later, and by then the event is marked exported. A claim whose exporter died expires after a lease,
    and the sink itself skips rows already in the table.
    """
    claim = store.claim_export(event.event_id, now, EXPORT_LEASE)
    if claim == "done":
        return False
    if claim == "busy":
        raise TransientFailure(f"event {event.event_id} is being exported by another delivery")
    sink.export([event_row(event, now)])
    store.mark_exported(event.event_id)
    return True
