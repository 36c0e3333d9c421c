"""Scheduled jobs (Cloud Scheduler in the cloud, a timer locally)."""

from __future__ import annotations

from datetime import timedelta

from mkopo.bootstrap import container, utcnow
from mkopo.http.routing import Reply
from mkopo.service import outbox


def relay_outbox() -> Reply:
    c = container()
    count = outbox.relay(
        store=c.store,
        publisher=c.publisher,
        now=utcnow(),
        older_than=timedelta(seconds=c.settings.outbox_relay_after_s),
    )
    return Reply(200, {"relayed": count})
