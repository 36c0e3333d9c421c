"""The Pub/Sub-triggered steps: each decodes its CloudEvent and runs one handler over the container."""

from __future__ import annotations

from typing import Any

from mkopo.domain import events as ev
from mkopo.entrypoints.container import AppContainer
from mkopo.entrypoints.pubsub import handle
from mkopo.service import decisions, disbursements, notifications, scoring
from mkopo.service.ports import EventPublisher


class Consumers:
    """One method per consumer, each taking a push CloudEvent's data (``{"message": ..., ...}``)."""

    def __init__(self, container: AppContainer) -> None:
        self.c = container

    def _publisher(self) -> EventPublisher:
        return self.c.publisher

    def score(self, data: Any) -> None:
        handle("scoring", data, self._score, self._publisher, ev.CheckoutSubmitted)

    def decide(self, data: Any) -> None:
        handle("confirm-payment", data, self._decide, self._publisher, ev.ApplicationScored)

    def disburse(self, data: Any) -> None:
        handle("disbursement", data, self._disburse, self._publisher, ev.LoanApproved)

    def notify(self, data: Any) -> None:
        handle("notify", data, self._notify, self._publisher, ev.DomainEvent)

    def _score(self, e: ev.CheckoutSubmitted) -> object:
        c = self.c
        return scoring.score_application(
            e,
            store=c.store,
            publisher=c.publisher,
            credit_data=c.credit_data,
            scorecard=c.scorecard,
            credit_terms=c.settings.credit_terms(),
            challenger=c.challenger,
            now=c.now(),
        )

    def _decide(self, e: ev.ApplicationScored) -> object:
        c = self.c
        return decisions.decide(e, store=c.store, publisher=c.publisher, policy=c.policy, now=c.now())

    def _disburse(self, e: ev.LoanApproved) -> object:
        c = self.c
        return disbursements.disburse(e, store=c.store, publisher=c.publisher, payments=c.payments, now=c.now)

    def _notify(self, e: ev.DomainEvent) -> object:
        c = self.c
        return notifications.notify_borrower(
            e, store=c.store, channel=c.sms_channel, now=c.now(), max_attempts=c.settings.sms_max_attempts
        )


def create_consumers(container: AppContainer) -> Consumers:
    return Consumers(container)
