"""Integration tier: the real emulators (Pub/Sub, Firestore, BigQuery) on the test ports."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from analytics import views
from emulators.stack import Stack, events_table

from tests.conftest import patched_environ

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is an integration test."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def emulators(local_stack: Stack) -> Iterator[dict[str, str]]:
    """Start the emulators once, create the topics and events table, point this process's clients at them."""
    local_stack.start_emulators()
    local_stack.apply_topology(push=False)
    info = {
        "project_id": local_stack.project,
        "pubsub_host": local_stack.pubsub_host,
        "firestore_host": local_stack.firestore_host,
        "bigquery_endpoint": local_stack.bigquery_url,
        "bigquery_dataset": local_stack.bigquery_dataset,
        "events_table": local_stack.events_table_id,
    }
    with patched_environ(local_stack.emulator_env()):
        yield info


@pytest.fixture(autouse=True)
def clean_firestore(request: pytest.FixtureRequest) -> None:
    """Empty Firestore before every test that uses the emulators."""
    if "emulators" in request.fixturenames:
        request.getfixturevalue("emulators")
        stack: Stack = request.getfixturevalue("local_stack")
        stack.reset_firestore()


@pytest.fixture
def new_dataset(emulators: dict[str, str], local_stack: Stack) -> Iterator[Callable[[], tuple[Any, str]]]:
    """Make datasets of their own (events table + views); deleted afterwards."""
    client = local_stack.bigquery_client()
    made: list[str] = []

    def make() -> tuple[Any, str]:
        dataset = f"analytics_{uuid.uuid4().hex[:10]}"
        client.create_dataset(f"{local_stack.project}.{dataset}")
        made.append(dataset)
        client.create_table(events_table(f"{local_stack.project}.{dataset}.events"))
        views.create_views(client, project=local_stack.project, dataset=dataset)
        return client, dataset

    yield make
    for dataset in made:
        client.delete_dataset(f"{local_stack.project}.{dataset}", delete_contents=True, not_found_ok=True)
    client.close()
