"""The persistence contract suites (tests/contract) against Firestore on the emulator."""

from __future__ import annotations

import pytest
from google.cloud import firestore

from mkopo.adapters.firestore import FirestoreStore
from mkopo.adapters.firestore.identity import FirestoreIdentityStore
from mkopo.adapters.firestore.stability import FirestoreStabilityReports
from mkopo.adapters.firestore.ussd import FirestoreUssdSessions
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


@pytest.fixture
def ussd_sessions(client: firestore.Client) -> FirestoreUssdSessions:
    return FirestoreUssdSessions(client)


@pytest.fixture
def stability_reports(client: firestore.Client) -> FirestoreStabilityReports:
    return FirestoreStabilityReports(client)


suites.collect_into(globals())
