"""The Pub/Sub-triggered steps: each decodes its CloudEvent and runs one handler."""

from __future__ import annotations

from typing import Any

from mkopo.bootstrap import container, utcnow
from mkopo.domain import events as ev
from mkopo.entrypoints.pubsub import handle
from mkopo.service import decisions, disbursements, notifications, scoring
from mkopo.service.ports import EventPublisher


def _publisher() -> EventPublisher:
    return container().publisher


def score(data: Any) -> None:
    c = container()

    def run(e: ev.CheckoutSubmitted) -> object:
        return scoring.score_application(
            e,
            store=c.store,
            publisher=c.publisher,
            credit_data=c.credit_data,
            scorecard=c.scorecard,
            now=utcnow(),
        )

    handle("scoring", data, run, _publisher, ev.CheckoutSubmitted)


def decide(data: Any) -> None:
    c = container()

    def run(e: ev.ApplicationScored) -> object:
        return decisions.decide(e, store=c.store, publisher=c.publisher, policy=c.policy, now=utcnow())

    handle("confirm-payment", data, run, _publisher, ev.ApplicationScored)


def disburse(data: Any) -> None:
    c = container()

    def run(e: ev.LoanApproved) -> object:
        return disbursements.disburse(
            e, store=c.store, publisher=c.publisher, payments=c.payments, now=utcnow
        )

    handle("disbursement", data, run, _publisher, ev.LoanApproved)


def notify(data: Any) -> None:
    c = container()

    def run(e: ev.DomainEvent) -> object:
        return notifications.notify_borrower(e, store=c.store, channel=c.sms_channel, now=utcnow())

    handle("notify", data, run, _publisher, ev.DomainEvent)
