"""The PortfolioReader contract (tests/contract/portfolio.py) against the BigQuery adapter on the emulator:
the known events (with duplicated event ids) in a dataset of their own with the saved views, and a
warehouse that does not answer (nothing listens on the port)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from emulators.stack import Stack

from mkopo.adapters.bigquery import make_client
from mkopo.adapters.bigquery_portfolio import BigQueryPortfolioReader
from tests.contract import portfolio, suites
from tests.integration.known_events import D1, D2, known_events

pytestmark = pytest.mark.integration


@pytest.fixture
def portfolio_reader(
    new_dataset: Callable[[], tuple[Any, str]], local_stack: Stack
) -> BigQueryPortfolioReader:
    assert (D1, D2) == (portfolio.D1, portfolio.D2)  # the contract's figures are of these events
    client, dataset = new_dataset()
    assert client.insert_rows_json(f"{local_stack.project}.{dataset}.events", known_events()) == []
    ds = f"{local_stack.project}.{dataset}"
    return BigQueryPortfolioReader(client, ds, f"{ds}.events", timeout_s=30)


@pytest.fixture
def unreachable_portfolio_reader() -> BigQueryPortfolioReader:
    client = make_client("p", "http://127.0.0.1:9")
    return BigQueryPortfolioReader(client, "p.d", "p.d.events", timeout_s=2)


suites.collect_into(globals(), suites.WAREHOUSE_SUITES)
