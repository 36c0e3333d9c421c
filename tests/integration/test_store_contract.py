"""The persistence contract suites (tests/contract) against Firestore on the emulator."""

from __future__ import annotations

import pytest
from google.cloud import firestore

from mkopo.adapters.firestore import FirestoreStore
from mkopo.adapters.firestore.identity import FirestoreIdentityStore
from tests.contract import suites

pytestmark = pytest.mark.integration


@pytest.fixture
def client(emulators: dict[str, str]) -> firestore.Client:
    """A client on the emulator, emptied before each test (tests/integration/conftest.py)."""
    return firestore.Client(project=emulators["project_id"])


@pytest.fixture
def store(client: firestore.Client) -> FirestoreStore:
    return FirestoreStore(client)


@pytest.fixture
def identity(client: firestore.Client) -> FirestoreIdentityStore:
    return FirestoreIdentityStore(client)


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
