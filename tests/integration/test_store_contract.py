"""The persistence contract suites (tests/contract) against Firestore on the emulator."""

from __future__ import annotations

import pytest
from emulators.stack import Stack
from google.cloud import firestore

from mkopo.adapters.firestore import FirestoreStore
from mkopo.adapters.firestore.identity import FirestoreIdentityStore
from mkopo.adapters.firestore.stability import FirestoreStabilityReports
from mkopo.adapters.firestore.ussd import FirestoreUssdSessions
from tests.contract import suites

pytestmark = pytest.mark.integration


# A Firestore of the suites' own: after the e2e tier the stack's scheduled jobs still run in this session
# (the outbox relay marked a suite's "old" events sent between two of its reads), and they only see theirs.
CONTRACT_PROJECT = "mkopo-contract"


@pytest.fixture
def client(emulators: dict[str, str], local_stack: Stack) -> firestore.Client:
    """A client on the emulator, in a project of its own, emptied before each test."""
    local_stack.reset_firestore(CONTRACT_PROJECT)
    return firestore.Client(project=CONTRACT_PROJECT)


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
