"""Texts borrowers send to our shortcode: BAL (what is owed and when), HELP, STOP, START and YES <code>
(accepting a restructured schedule).

The answer goes back by SMS on the same channel as every notification. An unknown number or keyword gets
HELP's text; nothing a borrower texts changes money. STOP only silences reminders: decisions, receipts and
the notices the regulations require still go out (``mkopo.domain.messages.is_reminder``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from mkopo.domain.loans import LoanStatus
from mkopo.domain.messages import sms
from mkopo.domain.notifications import Notification
from mkopo.domain.phone import InvalidPhone, masked, normalise
from mkopo.service import restructuring
from mkopo.service.notifications import send_notification
from mkopo.service.ports import SmsChannel
from mkopo.service.store import Store, User

log = logging.getLogger(__name__)


def reply_to(store: Store, *, sender: str, text: str, now: datetime, user: User | None) -> str:
    """The reply to one inbound text (first word, any case) in the sender's language; may record STOP
    or START."""
    keyword = (text.strip().split() or [""])[0].upper()
    lang = user.language if user else None
    if keyword == "STOP":
        store.set_sms_opt_out(sender, True, now)
        return sms("stopped", lang)
    if keyword == "START":
        store.set_sms_opt_out(sender, False, now)
        return sms("started", lang)
    if keyword == "BAL":
        return balance(store, user, now)
    if keyword == "YES":  # accepting a restructured schedule: YES <code>
        words = text.split()
        code = words[1] if len(words) > 1 else ""
        accepted = restructuring.accept_by_code(store, phone=sender, code=code, now=now)
        return accepted or sms("no_proposal", lang)
    return sms("help", lang)


def balance(store: Store, user: User | None, now: datetime) -> str:
    if user is None:
        return sms("unknown", None)
    lang = user.language
    open_loans = [
        loan
        for loan in store.list_loans(user.id, 20)
        if loan.status != LoanStatus.REPAID and loan.outstanding.minor  # written off: what is recoverable
    ]
    if not open_loans:
        return sms("owe_nothing", lang)
    parts = []
    for loan in open_loans[:2]:
        owed = f"{loan.currency} {loan.outstanding}"  # once written off: what is still recoverable
        due = loan.next_due(now.date()) if loan.written_off is None else None
        ref = loan.id[:8].upper()
        if due:
            parts.append(sms("owe_loan_due", lang, ref=ref, amount=owed, due=due["due_date"]))
        else:
            parts.append(sms("owe_loan", lang, ref=ref, amount=owed))
    return sms("owe", lang, loans="; ".join(parts))


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
        text=reply_to(store, sender=phone, text=text, now=now, user=user),
        event_type="sms_reply",
        created_at=now,
    )
    # One attempt: a reply late by minutes is no help; a failure is recorded on the notification.
    if not send_notification(note, store=store, channel=channel, now=now, max_attempts=1):
        log.error("reply to inbound SMS %s from %s not sent", message_id, masked(phone))
    return store.get_notification(reply_id)
