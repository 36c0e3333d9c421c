"""The PortfolioReader contract (tests/contract/portfolio.py) against the fake the dashboard's tests use."""

from __future__ import annotations

import pytest

from tests.contract import portfolio, suites
from tests.unit.fakes_portfolio import FakePortfolioReader


@pytest.fixture
def portfolio_reader() -> FakePortfolioReader:
    return FakePortfolioReader(
        counts=list(portfolio.DAYS),
        payouts=list(portfolio.PAYOUTS),
        cash=dict(portfolio.CASH),
        book=list(portfolio.BOOKS),
        exported=portfolio.EXPORTED_AT,
    )


@pytest.fixture
def unreachable_portfolio_reader() -> FakePortfolioReader:
    return FakePortfolioReader(down=True)


suites.collect_into(globals(), suites.WAREHOUSE_SUITES)
