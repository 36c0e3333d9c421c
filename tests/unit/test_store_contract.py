"""The persistence contract suites (tests/contract) against the in-memory fakes."""

from __future__ import annotations

import pytest

from tests.contract import suites
from tests.unit.fakes import InMemoryStore
from tests.unit.fakes_identity import FakeIdentityStore
from tests.unit.fakes_stability import FakeStabilityReports
from tests.unit.fakes_ussd import FakeUssdSessions


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def identity(store: InMemoryStore) -> FakeIdentityStore:
    return FakeIdentityStore(store)


@pytest.fixture
def ussd_sessions() -> FakeUssdSessions:
    return FakeUssdSessions()


@pytest.fixture
def stability_reports() -> FakeStabilityReports:
    return FakeStabilityReports()


suites.collect_into(globals())
