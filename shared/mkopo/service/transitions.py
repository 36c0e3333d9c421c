"""Guarded state transitions shared by the pipeline steps and officers: one transaction, one event, once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mkopo import tracing
from mkopo.domain.applications import Application, Status
from mkopo.domain.events import DomainEvent, MalformedEvent
from mkopo.service.audit import status_change
from mkopo.service.outbox import dispatch
from mkopo.service.ports import EventPublisher
from mkopo.service.store import Store, Transaction, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """What a transition produced: its event, and how its audit record reads (default: the event type)."""

    event: DomainEvent
    action: str | None = None
    actor: User | None = None
    extra: dict[str, Any] | None = None


def missing_application(application_id: str) -> Exception:
    """An event naming no application can never succeed (dead-letter it)."""
    return MalformedEvent(f"application {application_id} does not exist")


def load(store: Store, application_id: str) -> Application:
    """The application an event names, or MalformedEvent."""
    app = store.get_application(application_id)
    if app is None:
        raise missing_application(application_id)
    return app


def advance(
    store: Store,
    publisher: EventPublisher,
    application_id: str,
    expected: Status,
    change: Callable[[Transaction, Application], DomainEvent | Change],
    *,
    check: Callable[[Application], None] | None = None,
    missing: Callable[[str], Exception] = missing_application,
    read: Callable[[Transaction], Application | None] | None = None,
) -> Application | None:
    """Apply one guarded transition with its event and audit record; None if it had already happened.

    ``check`` runs first on the current application and may raise (an officer's checks); ``change`` runs
    only while the application is still in ``expected`` and returns the event the move causes. ``read``
    replaces the transaction's read of the application (to read more documents in the same round trip).
    """

    def run(tx: Transaction) -> tuple[Application | None, list[DomainEvent]]:
        app = read(tx) if read is not None else tx.get_application(application_id)
        if app is None:
            raise missing(application_id)
        if check is not None:
            check(app)
        if app.status != expected:
            return None, []
        result = change(tx, app)
        done = result if isinstance(result, Change) else Change(event=result)
        tx.save_application(app)
        tx.add_event(done.event)
        action = done.action or done.event.event_type
        tx.add_audit(
            status_change(app, expected, action=action, at=app.updated_at, actor=done.actor, extra=done.extra)
        )
        return app, [done.event]

    app, events = store.transaction(run)
    if app is None:
        log.info("application %s is past %s already; event ignored", application_id, expected)
        return None
    # A provider's callback, a job or an officer: what this move publishes continues the loan's trace.
    with tracing.joined(app.trace, f"{expected.value} to {app.status.value}"):
        dispatch(events, store=store, publisher=publisher)
    return app


def update(store: Store, application_id: str, change: Callable[[Application], bool]) -> bool:
    """A change that moves no state and publishes nothing (payout bookkeeping); False if none was due."""

    def run(tx: Transaction) -> bool:
        app = tx.get_application(application_id)
        if app is None or not change(app):
            return False
        tx.save_application(app)
        return True

    return store.transaction(run)
