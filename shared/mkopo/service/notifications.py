"""Telling the borrower, by SMS, what happened to their application."""

from __future__ import annotations

from datetime import datetime

from mkopo.domain.events import DomainEvent, MalformedEvent
from mkopo.domain.messages import sms_for
from mkopo.service.ports import SmsChannel
from mkopo.service.store import Notification, Store


def notify_borrower(event: DomainEvent, *, store: Store, channel: SmsChannel, now: datetime) -> bool:
    """Record and send one SMS per event; a redelivered event that was sent already sends nothing."""
    existing, app = store.get_notification_and_application(event.event_id, event.application_id)
    if existing is not None and existing.status == "sent":
        return False
    if app is None:
        raise MalformedEvent(f"application {event.application_id} does not exist")
    text = sms_for(event, app)
    if text is None:
        return False
    note = existing or Notification(
        id=event.event_id,
        user_id=app.borrower_id,
        to=app.phone,
        text=text,
        event_type=event.event_type,
        created_at=now,
    )
    store.save_notification(note)
    channel.send(
        message_id=note.id, user_id=note.user_id, to=note.to, text=note.text, event_type=note.event_type
    )
    store.save_notification(note.model_copy(update={"status": "sent"}))
    return True
