"""Unit-test fixtures: fakes wired like bootstrap wires the real adapters."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from mkopo.adapters.credit_data import SandboxCreditData
from mkopo.adapters.lenders import default_lenders
from mkopo.domain.applications import Application
from mkopo.domain.credit import CreditTerms
from mkopo.domain.offers import Offer
from mkopo.domain.policy import DecisionPolicy
from mkopo.domain.scorecard import Scorecard, default_scorecard
from mkopo.service import checkout, offers
from mkopo.service.idempotency import Accepted
from mkopo.service.store import User
from tests.unit.fakes import (
    FakeCollections,
    FakePayments,
    FakePayoutProvider,
    FakePublisher,
    FakeSink,
    FakeSms,
    InMemoryStore,
)


@pytest.fixture(autouse=True)
def _no_stack_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests see the defaults, not the variables an earlier tier's stack put in ``os.environ``."""
    for key in list(os.environ):
        if key.startswith("MKOPO_") or key.endswith("_EMULATOR_HOST"):
            monkeypatch.delenv(key)


NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.publisher = FakePublisher()
        self.provider = FakePayoutProvider()
        self.collections = FakeCollections()
        self.payments = FakePayments(self.provider, self.collections)
        self.sms = FakeSms()
        self.sink = FakeSink()
        self.credit = SandboxCreditData()
        self.scorecard = default_scorecard()
        self.challenger: Scorecard | None = None
        self.policy = DecisionPolicy(approve_min_score=600, max_exposure_minor=10_000_000)
        self.credit_terms = CreditTerms(max_exposure_minor=10_000_000)
        self.now = NOW
        self._n = 0

    def user(self, phone: str = "+254700000001") -> User:
        self._n += 1
        user = User(
            id=str(uuid.UUID(int=self._n, version=4)),
            phone=phone,
            full_name="Amina W",
            password_hash="x",
            created_at=self.now,
            language="en",  # as registration sets it (the market's default)
        )
        self.store.col("users")[user.id] = user
        self.store.col("phones")[phone] = user.id
        return user

    def offer(self, amount: str = "5000", currency: str = "KES", term_days: int = 30) -> Offer:
        query = offers.OfferQuery(amount=amount, currency=currency, term_days=term_days)
        found = offers.compare_offers(
            query, lenders=default_lenders(), store=self.store, now=self.now, ttl=timedelta(minutes=15)
        )
        return found[0]

    def submit(self, user: User, offer: Offer, key: str = "key-1") -> Accepted:
        return checkout.submit(
            checkout.Checkout(offer_id=offer.id),
            user=user,
            offer=self.store.get_offer(offer.id),
            key=key,
            store=self.store,
            publisher=self.publisher,
            now=self.now,
            status_url="/v1/applications/{id}",
            terms_version="test-terms-v1",
        )

    def application(self, application_id: str) -> Application:
        app = self.store.get_application(application_id)
        assert app is not None
        return app


@pytest.fixture
def world() -> World:
    return World()
