"""Guarded state transitions shared by the pipeline steps: one transaction, one event, at most once."""

from __future__ import annotations

import logging
from collections.abc import Callable

from mkopo.domain.applications import Application, Status
from mkopo.domain.events import DomainEvent, MalformedEvent
from mkopo.service.audit import status_change
from mkopo.service.outbox import dispatch
from mkopo.service.ports import EventPublisher
from mkopo.service.store import Store, Transaction

log = logging.getLogger(__name__)


def load(store: Store, application_id: str) -> Application:
    """The application an event names; an event naming none can never succeed (dead-letter it)."""
    app = store.get_application(application_id)
    if app is None:
        raise MalformedEvent(f"application {application_id} does not exist")
    return app


def advance(
    store: Store,
    publisher: EventPublisher,
    application_id: str,
    expected: Status,
    change: Callable[[Transaction, Application], DomainEvent],
) -> bool:
    """Apply one guarded transition with its event; False if it had already happened."""

    def run(tx: Transaction) -> list[DomainEvent]:
        app = tx.get_application(application_id)
        if app is None:
            raise MalformedEvent(f"application {application_id} does not exist")
        if app.status != expected:
            return []
        before = app.status
        event = change(tx, app)
        tx.save_application(app)
        tx.add_event(event)
        tx.add_audit(status_change(app, before, action=event.event_type, at=app.updated_at))
        return [event]

    events = store.transaction(run)
    if not events:
        log.info("application %s is past %s already; event ignored", application_id, expected)
        return False
    dispatch(events, store=store, publisher=publisher)
    return True
