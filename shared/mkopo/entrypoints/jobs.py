"""Scheduled jobs (Cloud Scheduler in the cloud, a timer locally)."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from mkopo.bootstrap import container, utcnow
from mkopo.http.routing import Reply
from mkopo.service import disbursements, exports, loans, outbox, repayments


def relay_outbox() -> Reply:
    c = container()
    count = outbox.relay(
        store=c.store,
        publisher=c.publisher,
        now=utcnow(),
        older_than=timedelta(seconds=c.settings.outbox_relay_after_s),
    )
    return Reply(200, {"relayed": count})


def reconcile() -> Reply:
    """Ask providers about payouts and collections whose outcome has not arrived."""
    c = container()
    older_than = timedelta(seconds=c.settings.reconcile_after_s)
    now = utcnow()
    payouts = disbursements.reconcile_payouts(
        store=c.store, publisher=c.publisher, payments=c.payments, now=now, older_than=older_than
    )
    collections = repayments.reconcile_repayments(
        store=c.store, publisher=c.publisher, payments=c.payments, now=now, older_than=older_than
    )
    return Reply(200, {"payouts": payouts, "repayments": collections})


def arrears() -> Reply:
    c = container()
    counts = loans.run_arrears(
        store=c.store, publisher=c.publisher, now=utcnow(), reminder_days=c.settings.repayment_reminder_days
    )
    return Reply(200, counts)


def _holder() -> str:
    """Who holds an export lease: this process, this run."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def export_events() -> Reply:
    """Domain events from the exporter's pull subscriptions into the BigQuery events table."""
    c = container()
    tally = exports.drain(
        exports.EVENTS,
        inbox=c.inbox,
        store=c.store,
        sink=c.event_sink,
        publisher=c.publisher,
        now=utcnow,
        holder=_holder(),
        linger_s=c.settings.export_linger_s,
    )
    # A failed batch comes back by itself (redelivery, or still unexported): the run succeeded either way.
    return Reply(200, tally.as_dict())


def export_audit() -> Reply:
    """Audit records from Firestore into the BigQuery audit table."""
    c = container()
    tally = exports.export_audit(
        store=c.store, sink=c.audit_sink, now=utcnow, holder=_holder(), linger_s=c.settings.export_linger_s
    )
    return Reply(200, tally.as_dict())
