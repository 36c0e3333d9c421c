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


def _export(table: exports.Table, sink_name: str) -> Reply:
    c = container()
    tally = exports.drain(
        table,
        inbox=c.inbox,
        store=c.store,
        sink=getattr(c, sink_name),
        publisher=c.publisher,
        now=utcnow,
        holder=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
        linger_s=c.settings.export_linger_s,
    )
    # A failed batch is redelivered by Pub/Sub, so the run itself still succeeded: 200 either way.
    return Reply(200, tally.as_dict())


def export_events() -> Reply:
    """Domain events from the exporter's pull subscriptions into the BigQuery events table."""
    return _export(exports.EVENTS, "event_sink")


def export_audit() -> Reply:
    """Audit records from the audit-exporter's pull subscription into the BigQuery audit table."""
    return _export(exports.AUDIT, "audit_sink")
