"""Telling the borrower, by SMS, what happened to their application, and following the SMS to the phone.

One notification per event (keyed by the event id), written once the provider has answered: ``sent``
when it took the SMS, so a redelivered event finds it handed over and sends nothing. (A ``queued`` record
written before the call would guard nothing: a crash between the provider's answer and the write sends
again either way, and so does a delivery that overlaps the first.) A transient provider failure is
recorded as an attempt (still ``queued``) and raised for Pub/Sub to redeliver, up to ``max_attempts``;
then, or at once for a permanent refusal, the notification is ``failed``. Delivery reports move ``sent``
to ``delivered`` or ``failed``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from mkopo.domain.events import DomainEvent, MalformedEvent
from mkopo.domain.messages import is_reminder, sms_for
from mkopo.domain.notifications import FINAL, Notification
from mkopo.service.ports import SmsChannel, SmsRejected, SmsTransientError
from mkopo.service.store import Store

log = logging.getLogger(__name__)


def notify_borrower(
    event: DomainEvent, *, store: Store, channel: SmsChannel, now: datetime, max_attempts: int = 3
) -> bool:
    """Record and send one SMS per event; True if it was handed to the provider by this call."""
    existing, app = store.get_notification_and_application(event.event_id, event.application_id)
    if existing is not None and existing.handed_over:
        return False
    if app is None:
        raise MalformedEvent(f"application {event.application_id} does not exist")
    text = sms_for(event, app, app.language)  # the borrower's language now (accounts.follow_language)
    if text is None:
        return False
    if is_reminder(event) and store.sms_opted_out(app.phone):
        log.info("reminder %s not sent: the borrower replied STOP", event.event_id)
        return False
    note = existing or Notification(
        id=event.event_id,
        user_id=app.borrower_id,
        to=app.phone,
        text=text,
        event_type=event.event_type,
        created_at=now,
    )
    return send_notification(note, store=store, channel=channel, now=now, max_attempts=max_attempts)


def send_notification(
    note: Notification, *, store: Store, channel: SmsChannel, now: datetime, max_attempts: int
) -> bool:
    """Hand a queued notification to the provider and record what came of it, in one write (module doc)."""
    try:
        receipt = channel.send(
            message_id=note.id, user_id=note.user_id, to=note.to, text=note.text, event_type=note.event_type
        )
    except SmsRejected as exc:
        store.save_notification(note.moved("failed", now=now, failure_reason=str(exc)[:200]))
        return False
    except SmsTransientError as exc:
        tried = note.attempted(now=now, reason=str(exc)[:200])
        if tried.attempts >= max_attempts:
            log.error("notification %s failed after %d attempts: %s", note.id, tried.attempts, exc)
            store.save_notification(tried.moved("failed", now=now))
            return False
        store.save_notification(tried)
        raise
    sent = note.moved(
        "sent",
        now=now,
        attempts=note.attempts + 1,
        failure_reason=None,
        provider_message_id=receipt.provider_message_id,
        cost=receipt.cost,
    )
    store.save_notification(sent)
    return True


# Delivery-report statuses (Africa's Talking): still on its way, arrived, or never will.
DELIVERED = frozenset({"Success"})
UNDELIVERABLE = frozenset({"Failed", "Rejected"})


def record_delivery_report(
    store: Store, *, provider_message_id: str, status: str, reason: str | None, now: datetime
) -> Notification | None:
    """Apply one delivery report (repeats and late ones are harmless); None if no notification has the id."""
    note = store.find_notification_by_provider_id(provider_message_id)
    if note is None:
        return None
    if note.status in FINAL or note.status == "queued":
        return note
    if status in DELIVERED:
        note = note.moved("delivered", now=now)
    elif status in UNDELIVERABLE:
        note = note.moved("failed", now=now, failure_reason=reason or status)
    else:
        return note  # Sent, Submitted, Buffered: still on its way
    store.save_notification(note)
    return note
