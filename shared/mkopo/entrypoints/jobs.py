"""Scheduled jobs (Cloud Scheduler in the cloud, a timer locally), one method each over the container."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from mkopo.entrypoints.container import AppContainer
from mkopo.http.routing import Reply
from mkopo.service import (
    bureau,
    disbursements,
    exports,
    loans,
    outbox,
    provisioning,
    repayments,
    score_stability,
)


class Jobs:
    def __init__(self, container: AppContainer) -> None:
        self.c = container

    def relay_outbox(self) -> Reply:
        c = self.c
        count = outbox.relay(
            store=c.store,
            publisher=c.publisher,
            now=c.now(),
            older_than=timedelta(seconds=c.settings.outbox_relay_after_s),
        )
        return Reply(200, {"relayed": count})

    def reconcile(self) -> Reply:
        """Ask providers about payouts and collections whose outcome has not arrived."""
        c = self.c
        older_than = timedelta(seconds=c.settings.reconcile_after_s)
        now = c.now()
        payouts = disbursements.reconcile_payouts(
            store=c.store,
            publisher=c.publisher,
            payments=c.payments,
            now=now,
            older_than=older_than,
        )
        collections = repayments.reconcile_repayments(
            store=c.store,
            publisher=c.publisher,
            payments=c.payments,
            now=now,
            older_than=older_than,
            credit_terms=c.settings.credit_terms(),
        )
        return Reply(200, {"payouts": payouts, "repayments": collections})

    def arrears(self) -> Reply:
        c = self.c
        counts = loans.run_arrears(
            store=c.store,
            publisher=c.publisher,
            now=c.now(),
            reminder_days=c.settings.repayment_reminder_days,
            credit_terms=c.settings.credit_terms(),
            charge_rules=c.settings.charge_rules(),
        )
        return Reply(200, counts)

    def provision(self) -> Reply:
        """The loan-loss allowance as of today, posted as adjusting entries."""
        c = self.c
        now = c.now()
        result = provisioning.run_provisioning(
            store=c.store, as_of=now.date(), now=now, rates=c.settings.provision_rates
        )
        return Reply(200, result)

    def bureau(self) -> Reply:
        """Last month's credit-bureau submission (notices first for loans that now qualify)."""
        c = self.c
        now = c.now()
        result = bureau.run_bureau(
            store=c.store,
            channel=c.sms_channel,
            sink=c.bureau_sink,
            month=bureau.previous_month(now.date()),
            as_of=now.date(),
            now=now,
            rules=c.settings.bureau_rules,
            sms_max_attempts=c.settings.sms_max_attempts,
        )
        return Reply(200, result)

    def score_stability(self) -> Reply:
        """PSI of the last week's scores of the champion (and the challenger) against their model cards."""
        c = self.c
        s = c.settings
        models: list[tuple[str, score_stability.Role]] = [(s.scorecard_version, "champion")]
        if s.challenger_version and s.challenger_version != s.scorecard_version:
            models.append((s.challenger_version, "challenger"))
        result = score_stability.run_score_stability(
            warehouse=c.score_warehouse,
            reports=c.stability_reports,
            cards=c.score_card,
            models=models,
            now=c.now(),
            min_scores=s.score_stability_min_scores,
        )
        return Reply(200, result)

    def export_events(self) -> Reply:
        """Domain events from the exporter's pull subscriptions into the BigQuery events table."""
        c = self.c
        tally = exports.drain(
            exports.EVENTS,
            inbox=c.inbox,
            store=c.store,
            sink=c.event_sink,
            publisher=c.publisher,
            now=c.now,
            holder=_holder(),
            linger_s=c.settings.export_linger_s,
        )
        # A failed batch comes back by itself (redelivery, or still unexported): the run succeeded either way.
        return Reply(200, tally.as_dict())

    def export_audit(self) -> Reply:
        """Audit records from Firestore into the BigQuery audit table."""
        c = self.c
        tally = exports.export_audit(
            store=c.store, sink=c.audit_sink, now=c.now, holder=_holder(), linger_s=c.settings.export_linger_s
        )
        return Reply(200, tally.as_dict())


def _holder() -> str:
    """Who holds an export lease: this process, this run."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def create_jobs(container: AppContainer) -> Jobs:
    return Jobs(container)
