"""Append-only audit records: who (and in which role) did what to which entity, before → after, when."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from mkopo import request_context
from mkopo.domain.applications import Application, Status
from mkopo.service.store import AuditRecord, Store, User

SYSTEM = "system"


def record(
    *,
    actor_id: str,
    actor_role: str,
    action: str,
    entity_type: str,
    entity_id: str,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    return AuditRecord(
        id=str(uuid.uuid4()),
        at=at,
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        request_id=request_context.request_id.get(),
    )


def status_change(
    app: Application,
    before: Status,
    *,
    action: str,
    at: datetime,
    actor: User | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditRecord:
    """An application's move from ``before`` to its current status (actor ``system`` for pipeline steps)."""
    return record(
        actor_id=actor.id if actor else SYSTEM,
        actor_role=actor.role if actor else SYSTEM,
        action=action,
        entity_type="application",
        entity_id=app.id,
        at=at,
        before={"status": before.value},
        after={"status": app.status.value} | (extra or {}),
    )


def user_snapshot(user: User) -> dict[str, Any]:
    """What an audit record keeps of a user: never the password hash, the phone only masked."""
    return {"role": user.role, "status": user.status, "phone": mask_phone(user.phone)}


def mask_phone(phone: str) -> str:
    return phone[:4] + "*" * max(len(phone) - 7, 0) + phone[-3:] if len(phone) > 7 else "***"


def audit_view(rec: AuditRecord) -> dict[str, Any]:
    return rec.model_dump(mode="json")


def trail(store: Store, entity_id: str, limit: int) -> list[dict[str, Any]]:
    return [audit_view(r) for r in store.list_audit(entity_id, limit)]
