"""The persistence contract suites (tests/contract) against the in-memory fakes."""

from __future__ import annotations

import pytest

from tests.contract import suites
from tests.unit.fakes import InMemoryStore
from tests.unit.fakes_identity import FakeIdentityStore


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def identity(store: InMemoryStore) -> FakeIdentityStore:
    return FakeIdentityStore(store)


class TestApplications(suites.ApplicationsContract): ...


class TestLoans(suites.LoansContract): ...


class TestUsers(suites.UsersContract): ...


class TestOffers(suites.OffersContract): ...


class TestJointReads(suites.JointReadsContract): ...


class TestIdempotency(suites.IdempotencyContract): ...


class TestNotifications(suites.NotificationsContract): ...


class TestOutbox(suites.OutboxContract): ...


class TestAudit(suites.AuditContract): ...


class TestExportMarks(suites.ExportMarksContract): ...


class TestLeases(suites.LeasesContract): ...


class TestTransactions(suites.TransactionsContract): ...


class TestAccounts(suites.AccountsContract): ...


class TestSessions(suites.SessionsContract): ...


class TestUserDirectory(suites.UserDirectoryContract): ...


class TestLoginThrottle(suites.LoginThrottleContract): ...
