"""End-to-end tier: the whole stack (emulators, topology, functions, MoMo sandbox, gateway) on test ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulators.stack import Stack

from tests.conftest import patched_environ

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is an end-to-end test."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="package")
def stack(local_stack: Stack) -> Iterator[Stack]:
    """The whole stack, started once for this tier (emulators are reused if integration started them).

    When the tier ends its functions, sandboxes and gateway stop, so that their scheduled jobs (outbox relay,
    dead-letter inbox, reconciliation) do not write into the tests that follow; the emulators stay up.
    """
    local_stack.start()
    try:
        with patched_environ(local_stack.emulator_env()):
            yield local_stack
    finally:
        local_stack.stop_platform()


@pytest.fixture(scope="package")
def gateway_url(stack: Stack) -> str:
    """Base URL of the local API gateway."""
    return stack.gateway_url


@pytest.fixture(scope="package")
def api(gateway_url: str) -> Iterator[httpx.Client]:
    """An HTTP client on the gateway, as a phone app would use it."""
    with httpx.Client(base_url=gateway_url, timeout=30.0, trust_env=False) as client:
        yield client


@pytest.fixture(scope="package")
def event_rows(stack: Stack) -> Iterator[Callable[[str], list[dict[str, Any]]]]:
    """Reads the BigQuery events rows of one application."""
    from google.cloud import bigquery

    client = stack.bigquery_client()

    def rows(application_id: str) -> list[dict[str, Any]]:
        job = client.query(
            f"SELECT * FROM `{stack.events_table_id}` WHERE application_id = @id",  # noqa: S608
            job_config=bigquery.QueryJobConfig(
                query_parameters=[bigquery.ScalarQueryParameter("id", "STRING", application_id)]
            ),
        )
        return [dict(row.items()) for row in job.result()]

    yield rows
    client.close()
