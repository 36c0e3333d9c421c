"""The dashboard's reader over the analytics views on the BigQuery emulator: the hand-computed figures of
the known events (with duplicated event ids), and a warehouse that does not answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from emulators.stack import Stack

from mkopo.adapters.bigquery import make_client
from mkopo.adapters.bigquery_portfolio import BigQueryPortfolioReader
from mkopo.service import portfolio
from mkopo.service.portfolio import Book, CashTimes, DayCounts, Disbursed, WarehouseUnavailable
from tests.integration.test_analytics_views import D1, D2, known_events, new_dataset  # noqa: F401 - a fixture


@pytest.fixture
def reader(new_dataset: Callable[[], tuple[Any, str]], local_stack: Stack) -> BigQueryPortfolioReader:  # noqa: F811
    client, dataset = new_dataset()
    assert client.insert_rows_json(f"{local_stack.project}.{dataset}.events", known_events()) == []
    ds = f"{local_stack.project}.{dataset}"
    return BigQueryPortfolioReader(client, ds, f"{ds}.events", timeout_s=30)


def test_the_reader_counts_as_the_views_do(reader: BigQueryPortfolioReader) -> None:
    start = date(2026, 2, 2)
    assert sorted(reader.day_counts(start, D2), key=lambda d: d.day) == [
        DayCounts(D1, applications=4, decided=4, approved=3),
        DayCounts(D2, applications=4, decided=3, approved=3),
    ]
    assert sorted(reader.disbursed(start, D2), key=lambda d: d.day) == [
        Disbursed(D1, "KES", loans=3, minor=80_000),
        Disbursed(D2, "UGX", loans=2, minor=100_000),
    ]
    window = reader.time_to_cash(start, D2)  # 34, 40, 60, 70, 100 s
    assert window.loans == 5 and window.p50_s == pytest.approx(60) and window.p95_s == pytest.approx(94)
    assert reader.time_to_cash(D2, D2) == CashTimes(2, pytest.approx(70), pytest.approx(97))  # type: ignore[arg-type]
    assert reader.time_to_cash(date(2026, 1, 1), date(2026, 1, 2)) == CashTimes()
    kes, ugx = sorted(reader.books(), key=lambda b: b.currency)
    assert kes == Book("KES", 3, 1, 80_000, 26_000, 2, 62_000, {1: 23_000, 30: 23_000, 60: 0, 90: 0})
    assert ugx == Book("UGX", 2, 0, 100_000, 0, 2, 104_000, {1: 44_000, 30: 0, 60: 0, 90: 0})
    assert reader.exported_at(start) == datetime(2026, 4, 9, 6, 5, 1, tzinfo=UTC)


def test_the_dashboard_from_the_views(reader: BigQueryPortfolioReader) -> None:
    board = portfolio.dashboard(reader, D2)
    window = board["window"]
    assert (window["applications"], window["decided"], window["approved"]) == (8, 7, 6)
    assert window["disbursed"] == {"KES": "800.00", "UGX": "100000"}
    assert (
        board["today"]["disbursed_minor"] == {"UGX": 100_000} and board["today"]["time_to_cash_p50_s"] == 70
    )
    kes = board["books"][0]
    assert kes["par"][30] == pytest.approx(23_000 / 62_000) and kes["collected"] == "260.00"


def test_a_warehouse_that_does_not_answer_is_unavailable_quickly() -> None:
    reader = BigQueryPortfolioReader(make_client("p", "http://127.0.0.1:9"), "p.d", "p.d.events", timeout_s=2)
    began = time.monotonic()
    with pytest.raises(WarehouseUnavailable, match="did not answer"):
        reader.books()
    assert time.monotonic() - began < 10
