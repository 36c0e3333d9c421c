"""Texts borrowers send to our shortcode: BAL (what is owed and when), HELP, STOP and START.

The answer goes back by SMS on the same channel as every notification. An unknown number or keyword gets
HELP's text; nothing a borrower texts changes money. STOP only silences reminders: decisions, receipts and
the notices the regulations require still go out (``mkopo.domain.messages.is_reminder``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from mkopo.domain.loans import LoanStatus
from mkopo.domain.notifications import Notification
from mkopo.domain.phone import InvalidPhone, masked, normalise
from mkopo.service.notifications import send_notification
from mkopo.service.ports import SmsChannel
from mkopo.service.store import Store

log = logging.getLogger(__name__)

HELP = (
    "mkopo: text BAL for what you owe and when, STOP to stop reminders, START to get them again. "
    "Decisions and receipts always come by SMS. Help: support@mkopo.example"
)
STOPPED = "mkopo: you will get no more reminders. Notices about your loans still come. Text START to undo."
STARTED = "mkopo: reminders are on again. Text STOP to stop them."
UNKNOWN = "mkopo: we have no account for this number. Register in the mkopo app or dial our USSD code."


def reply_to(store: Store, *, sender: str, text: str, now: datetime) -> str:
    """The reply to one inbound text (first word, any case); may record STOP or START."""
    keyword = (text.strip().split() or [""])[0].upper()
    if keyword == "STOP":
        store.set_sms_opt_out(sender, True, now)
        return STOPPED
    if keyword == "START":
        store.set_sms_opt_out(sender, False, now)
        return STARTED
    if keyword == "BAL":
        return balance(store, sender, now)
    return HELP


def balance(store: Store, phone: str, now: datetime) -> str:
    user = store.get_user_by_phone(phone)
    if user is None:
        return UNKNOWN
    open_loans = [
        loan
        for loan in store.list_loans(user.id, 20)
        if loan.status != LoanStatus.REPAID and loan.outstanding.minor  # written off: what is recoverable
    ]
    if not open_loans:
        return "mkopo: you owe nothing now. You can apply for a new loan any time."
    parts = []
    for loan in open_loans[:2]:
        owed = loan.outstanding
        due = loan.next_due(now.date()) if loan.written_off is None else None
        when = f" by {due['due_date']}" if due else ""
        parts.append(f"loan {loan.id[:8].upper()}: {loan.currency} {owed}{when}")
    return "mkopo: you owe " + "; ".join(parts) + "."


def answer_inbound(
    store: Store, channel: SmsChannel, *, sender: str, text: str, message_id: str, now: datetime
) -> Notification | None:
    """Reply to one inbound text by SMS, once per inbound id (the provider may post it again); the reply
    as a notification, or None for a sender that is not a phone we serve."""
    try:
        phone = normalise(sender)
    except InvalidPhone:
        log.warning("inbound SMS %s from a number we do not serve", message_id)
        return None
    reply_id = f"in-{message_id}"
    existing = store.get_notification(reply_id)
    if existing is not None and existing.handed_over:
        return existing
    user = store.get_user_by_phone(phone)
    note = existing or Notification(
        id=reply_id,
        user_id=user.id if user else "",
        to=phone,
        text=reply_to(store, sender=phone, text=text, now=now),
        event_type="sms_reply",
        created_at=now,
    )
    store.save_notification(note)
    # One attempt: a reply late by minutes is no help; a failure is recorded on the notification.
    if not send_notification(note, store=store, channel=channel, now=now, max_attempts=1):
        log.error("reply to inbound SMS %s from %s not sent", message_id, masked(phone))
    return store.get_notification(reply_id)
