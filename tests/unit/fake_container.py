"""A container made of the unit fakes, and the harness that serves the functions from it in process.

``FakeContainer`` has the shape ``mkopo.entrypoints.container.AppContainer`` describes; an HTTPS app is
mounted in Flask as functions-framework mounts it (every path, every method), and a consumer receives a
Pub/Sub push body the way functions-framework hands it over: converted into a CloudEvent first.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Response, request
from flask.testing import FlaskClient
from functions_framework import event_conversion

from mkopo import topology
from mkopo.adapters.lenders import default_lenders
from mkopo.adapters.security import JwtTokens
from mkopo.config import Settings
from mkopo.domain.policy import DecisionPolicy
from mkopo.domain.scorecard import Scorecard
from mkopo.entrypoints.consumers import create_consumers
from mkopo.http.routing import Router
from mkopo.service.offers import Lender
from mkopo.service.store import User
from tests.unit.conftest import World
from tests.unit.fakes import (
    FakeBureauSink,
    FakeDeadLetterBook,
    FakeInbox,
    FakePayments,
    FakePublisher,
    FakeSink,
    FakeSms,
    InMemoryStore,
    PlainHasher,
)
from tests.unit.fakes_identity import FakeIdentityStore
from tests.unit.fakes_portfolio import FakePortfolioReader
from tests.unit.fakes_ussd import FakeUssdSessions

TOKENS = JwtTokens(keys={"k1": "a" * 40}, active_kid="k1", issuer="mkopo", audience="mkopo-api", ttl_s=900)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


@dataclass
class FakeContainer:
    """What every factory takes, from one World: the same store, publisher and providers."""

    world: World
    settings: Settings = field(default_factory=Settings)
    tokens: JwtTokens = TOKENS
    hasher: PlainHasher = field(default_factory=PlainHasher)
    inbox: FakeInbox = field(default_factory=FakeInbox)
    dead_letters: FakeDeadLetterBook = field(default_factory=FakeDeadLetterBook)
    audit_sink: FakeSink = field(default_factory=FakeSink)
    lenders: tuple[Lender, ...] = field(default_factory=default_lenders)
    offer_ttl: timedelta = timedelta(minutes=15)
    ussd_sessions: FakeUssdSessions = field(default_factory=FakeUssdSessions)
    portfolio_reader: FakePortfolioReader = field(default_factory=FakePortfolioReader)
    identity: FakeIdentityStore = field(init=False)
    bureau_sink: FakeBureauSink = field(default_factory=FakeBureauSink)

    def __post_init__(self) -> None:
        self.identity = FakeIdentityStore(self.world.store)

    @property
    def store(self) -> InMemoryStore:
        return self.world.store

    @property
    def publisher(self) -> FakePublisher:
        return self.world.publisher

    @property
    def payments(self) -> FakePayments:
        return self.world.payments

    @property
    def credit_data(self) -> Any:
        return self.world.credit

    @property
    def sms_channel(self) -> FakeSms:
        return self.world.sms

    @property
    def event_sink(self) -> FakeSink:
        return self.world.sink

    @property
    def scorecard(self) -> Scorecard:
        return self.world.scorecard

    @property
    def challenger(self) -> Scorecard | None:
        return self.world.challenger

    @property
    def policy(self) -> DecisionPolicy:
        return self.world.policy

    def now(self) -> datetime:
        return self.world.now


# ------------------------------------------------------------------------------------------ HTTPS
def http_client(router: Router) -> FlaskClient:
    """The router served at every path and method, as functions-framework serves an HTTP function."""
    app = Flask("mkopo-function")

    def run(path: str = "") -> Response:
        return router(request)

    app.add_url_rule("/", "root", run, methods=METHODS)
    app.add_url_rule("/<path:path>", "run", run, methods=METHODS)
    return app.test_client()


def bearer(user: User, tokens: JwtTokens = TOKENS) -> dict[str, str]:
    token, _ = tokens.issue(subject=user.id, role=user.role)
    return {"Authorization": f"Bearer {token}"}


def is_problem(response: Any, status: int) -> bool:
    return bool(response.status_code == status and response.mimetype == "application/problem+json")


# ---------------------------------------------------------------------------------------- Pub/Sub
def push_body(data: bytes, attributes: dict[str, str], message_id: str = "1") -> dict[str, Any]:
    """A push request body exactly as the Pub/Sub emulator sends it (see /work/shared/NOTES.md)."""
    message = {"data": base64.b64encode(data).decode(), "attributes": attributes, "messageId": message_id}
    return {
        "subscription": "projects/mkopo-local/subscriptions/test",
        "message": message | {"publishTime": "2026-11-29T12:00:00.000Z"},
    }


def recorded_push(publisher: FakePublisher, topic: str, message_id: str = "1") -> dict[str, Any]:
    """The push body that delivers the last message the app published on ``topic``."""
    [*_, (payload, attributes)] = [(p, a) for t, p, a in publisher.published if t == topic]
    return push_body(json.dumps(payload).encode(), attributes, message_id)


def pubsub_client(consume: Callable[[Any], None]) -> FlaskClient:
    """A consumer behind the push endpoint: the body becomes a CloudEvent and ``consume`` gets its data.

    Anything the consumer raises is a 500 (Pub/Sub redelivers); a return is 200 (acknowledged).
    """
    app = Flask("mkopo-consumer")

    def run(path: str = "") -> str:
        consume(event_conversion.background_event_to_cloud_event(request).data)
        return "OK"

    app.add_url_rule("/", "root", run, methods=["POST"])
    app.add_url_rule("/<path:path>", "run", run, methods=["POST"])
    return app.test_client()


def deliver(consume: Callable[[Any], None], body: dict[str, Any], topic: str = "test") -> int:
    """Push one message to a consumer, as the emulator does (to a path naming the topic); the status."""
    return pubsub_client(consume).post(f"/projects/mkopo-local/topics/{topic}", json=body).status_code


def carry_events(container: FakeContainer) -> None:
    """Push each step's event to the next consumer, as the subscriptions do: checkout_submitted to
    scoring, application_scored to confirm-payment, loan_approved to disbursement (while published)."""
    consumers = create_consumers(container)
    steps = [
        (topology.CHECKOUT_SUBMITTED, consumers.score),
        (topology.APPLICATION_SCORED, consumers.decide),
        (topology.LOAN_APPROVED, consumers.disburse),
    ]
    for topic, consume in steps:
        if topic not in container.publisher.topics():
            return
        assert deliver(consume, recorded_push(container.publisher, topic), topic) == 200
