"""Scheduled jobs (Cloud Scheduler in the cloud, a timer locally)."""

from __future__ import annotations

from datetime import timedelta

from mkopo.bootstrap import container, utcnow
from mkopo.http.routing import Reply
from mkopo.service import disbursements, loans, outbox, repayments


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
