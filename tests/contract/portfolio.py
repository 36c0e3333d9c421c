"""Contract of the PortfolioReader port: what the dashboard may rely on from a reader of the analytics views.

Each tier gives two fixtures: ``portfolio_reader`` holding the known scenario below (in the integration tier
the events of ``tests/integration/known_events.py`` on the BigQuery emulator, whose view figures these are,
worked by hand), and ``unreachable_portfolio_reader``, a warehouse that does not answer.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from mkopo.service import portfolio
from mkopo.service.portfolio import (
    PAR_DAYS,
    Book,
    CashTimes,
    DayCounts,
    Disbursed,
    PortfolioReader,
    WarehouseUnavailable,
)

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)
START = D2 - timedelta(days=portfolio.WINDOW_DAYS - 1)  # the dashboard's 30 days ending on D2
DAYS = [DayCounts(D1, 4, 4, 3), DayCounts(D2, 4, 3, 3)]
PAYOUTS = [Disbursed(D1, "KES", 3, 80_000), Disbursed(D2, "UGX", 2, 100_000)]
CASH = {(START, D2): CashTimes(5, 60.0, 94.0), (D2, D2): CashTimes(2, 70.0, 97.0)}  # 34, 40, 60, 70, 100 s
BOOKS = [
    Book("KES", 3, 1, 80_000, 26_000, 2, 62_000, {1: 23_000, 30: 23_000, 60: 0, 90: 0}),
    Book("UGX", 2, 0, 100_000, 0, 2, 104_000, {1: 44_000, 30: 0, 60: 0, 90: 0}),
]
EXPORTED_AT = datetime(2026, 4, 9, 6, 5, 1, tzinfo=UTC)  # the last duplicate's export, 5 min after the first


def approx(cash: CashTimes) -> CashTimes:
    """The same times, compared to within float rounding (PERCENTILE_CONT over milliseconds)."""
    return CashTimes(cash.loans, pytest.approx(cash.p50_s), pytest.approx(cash.p95_s))  # type: ignore[arg-type]


class PortfolioReaderContract:
    def test_days_are_counted_within_the_period_both_ends_included(
        self, portfolio_reader: PortfolioReader
    ) -> None:
        assert sorted(portfolio_reader.day_counts(START, D2), key=lambda d: d.day) == DAYS
        assert portfolio_reader.day_counts(D2, D2) == [DAYS[1]]
        assert portfolio_reader.day_counts(D1, D1) == [DAYS[0]]
        assert portfolio_reader.day_counts(START, D1 - timedelta(days=1)) == []

    def test_payouts_are_per_day_and_currency_within_the_period(
        self, portfolio_reader: PortfolioReader
    ) -> None:
        assert sorted(portfolio_reader.disbursed(START, D2), key=lambda d: d.day) == PAYOUTS
        assert portfolio_reader.disbursed(D2, D2) == [PAYOUTS[1]]
        assert portfolio_reader.disbursed(D2 + timedelta(days=1), D2 + timedelta(days=30)) == []
        for paid in portfolio_reader.disbursed(START, D2):
            assert isinstance(paid.minor, int) and isinstance(paid.loans, int)  # minor units, never float

    def test_time_to_cash_is_over_the_loans_disbursed_in_the_period(
        self, portfolio_reader: PortfolioReader
    ) -> None:
        for (start, end), expected in CASH.items():
            assert portfolio_reader.time_to_cash(start, end) == approx(expected), (start, end)
        assert portfolio_reader.time_to_cash(date(2026, 1, 1), date(2026, 1, 2)) == CashTimes()
        window = portfolio_reader.time_to_cash(START, D2)
        assert window.loans == sum(p.loans for p in portfolio_reader.disbursed(START, D2))

    def test_the_book_per_currency_with_every_par_bucket(self, portfolio_reader: PortfolioReader) -> None:
        books = sorted(portfolio_reader.books(), key=lambda b: b.currency)
        assert books == BOOKS
        for book in books:
            at_risk = [book.at_risk_minor[d] for d in PAR_DAYS]
            assert set(book.at_risk_minor) == set(PAR_DAYS)
            assert at_risk == sorted(at_risk, reverse=True) and at_risk[0] <= book.outstanding_minor
            assert book.loans_repaid + book.loans_outstanding <= book.loans
            assert all(isinstance(v, int) for v in (book.disbursed_minor, book.outstanding_minor, *at_risk))

    def test_exported_at_is_the_latest_export_of_an_event_since_the_day(
        self, portfolio_reader: PortfolioReader
    ) -> None:
        assert portfolio_reader.exported_at(START) == EXPORTED_AT
        assert portfolio_reader.exported_at(EXPORTED_AT.date() + timedelta(days=1)) is None

    def test_the_dashboard_over_the_reader(self, portfolio_reader: PortfolioReader) -> None:
        board = portfolio.dashboard(portfolio_reader, D2)
        window, today = board["window"], board["today"]
        assert (window["applications"], window["decided"], window["approved"]) == (8, 7, 6)
        assert window["disbursed"] == {"KES": "800.00", "UGX": "100000"} and window["loans_disbursed"] == 5
        assert today["disbursed_minor"] == {"UGX": 100_000}
        assert today["time_to_cash_p50_s"] == pytest.approx(70)
        kes, ugx = board["books"]
        assert kes["par"][30] == pytest.approx(23_000 / 62_000) and kes["collected"] == "260.00"
        assert ugx["par"][1] == pytest.approx(44_000 / 104_000) and ugx["par"][30] == 0
        assert board["as_of"] == EXPORTED_AT.isoformat()

    def test_a_warehouse_that_does_not_answer_is_unavailable_on_every_read_and_soon(
        self, unreachable_portfolio_reader: PortfolioReader
    ) -> None:
        reader = unreachable_portfolio_reader
        reads = (
            lambda: reader.exported_at(START),
            lambda: reader.day_counts(START, D2),
            lambda: reader.disbursed(START, D2),
            lambda: reader.time_to_cash(START, D2),
            reader.books,
        )
        began = time.monotonic()
        for read in reads:
            with pytest.raises(WarehouseUnavailable, match="did not answer"):
                read()
        assert time.monotonic() - began < 20
        with pytest.raises(WarehouseUnavailable):
            portfolio.dashboard(reader, D2)
