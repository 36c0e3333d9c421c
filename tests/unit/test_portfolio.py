"""The portfolio dashboard from the analytics views (a fake ``PortfolioReader``): days summed into today and
the window, PAR ratios per currency, "as of" the latest export, and a warehouse that does not answer."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mkopo.entrypoints import backoffice_api
from mkopo.service import portfolio
from mkopo.service.portfolio import Book, CashTimes, DayCounts, Disbursed
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, http_client
from tests.unit.fakes_portfolio import FakePortfolioReader
from tests.unit.test_console import signed_in, staff


def loaded(reader: FakePortfolioReader, now: datetime) -> FakePortfolioReader:
    """Three days of figures (one of them before the window) and two currencies' books."""
    today, start = now.date(), now.date() - timedelta(days=29)
    reader.counts = [
        DayCounts(today, applications=4, decided=4, approved=3),
        DayCounts(today - timedelta(days=3), applications=2, decided=1, approved=1),
        DayCounts(today - timedelta(days=40), applications=9, decided=9, approved=9),
    ]
    reader.payouts = [
        Disbursed(today, "KES", loans=3, minor=1_500_000),
        Disbursed(today - timedelta(days=3), "UGX", loans=1, minor=200_000),
    ]
    reader.cash = {(start, today): CashTimes(4, 120.0, 552.0), (today, today): CashTimes(3, 60.0, 600.0)}
    reader.book = [
        Book("UGX", 1, 0, 200_000, 0, 1, 230_000, {1: 0, 30: 0, 60: 0, 90: 0}),
        Book("KES", 5, 2, 2_500_000, 1_200_000, 3, 1_600_000, {1: 800_000, 30: 400_000, 60: 0, 90: 0}),
    ]
    reader.exported = now - timedelta(seconds=50)
    return reader


def test_the_dashboard_sums_the_views_days_into_today_and_the_window(world: World) -> None:
    reader = loaded(FakePortfolioReader(), world.now)
    board = portfolio.dashboard(reader, world.now.date())
    window, today = board["window"], board["today"]
    assert (window["applications"], window["decided"], window["approved"]) == (6, 5, 4)
    assert window["approval_rate"] == 0.8 and window["disbursed"] == {"KES": "15000.00", "UGX": "200000"}
    assert window["loans_disbursed"] == 4 and window["time_to_cash_p95_s"] == 552
    assert (today["applications"], today["approval_rate"], today["time_to_cash_p50_s"]) == (4, 0.75, 60)
    assert today["disbursed_minor"] == {"KES": 1_500_000}
    assert len(board["daily"]) == 30 and board["daily"][-1]["day"] == world.now.date().isoformat()
    assert sum(d["applications"] for d in board["daily"]) == 6
    kes, ugx = board["books"]
    assert kes["currency"] == "KES" and kes["par"] == {1: 0.5, 30: 0.25, 60: 0, 90: 0}
    assert kes["outstanding"] == "16000.00" and kes["collected"] == "12000.00" and ugx["par"][30] == 0
    assert board["as_of"] == (world.now - timedelta(seconds=50)).isoformat()


def test_nothing_outstanding_has_no_par_and_no_export_no_as_of(world: World) -> None:
    reader = FakePortfolioReader(book=[Book("KES", 1, 1, 500_000, 550_000, 0, 0, {})])
    board = portfolio.dashboard(reader, world.now.date())
    assert board["books"][0]["par"][30] is None and board["as_of"] is None
    assert board["window"]["approval_rate"] is None and board["window"]["time_to_cash_p50_s"] is None


def test_the_dashboard_page_shows_the_figures_as_of_the_export(world: World) -> None:
    container = FakeContainer(world)
    loaded(container.portfolio_reader, world.now)
    client = signed_in(container, staff(world, "+254700000093"))
    response = client.get("/console/portfolio")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "75.0%" in body and "3 of 4 decided" in body
    assert "KES 15000.00" in body and "UGX 200000" in body
    assert "2.0 min" in body and "9.2 min" in body  # window p50 120 s, p95 552 s
    exported = (world.now - timedelta(seconds=50)).strftime("%Y-%m-%d %H:%M")
    assert f"As of the latest export, {exported} UTC" in body
    assert "<strong>25.0%</strong>" in body and '<th scope="row">KES</th>' in body
    assert body.count('<svg class="chart"') == 4 and body.count('<rect class="bar"') >= 3
    assert 'role="img"' in body and "<script" not in body.split("</head>")[1]


def test_a_warehouse_that_does_not_answer_is_a_message_not_an_error(world: World) -> None:
    container = FakeContainer(world)
    container.portfolio_reader.down = True
    client = signed_in(container, staff(world, "+254700000094"))
    response = client.get("/console/portfolio")
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and "The warehouse cannot be read now" in body
    assert 'role="alert"' in body and "ConnectionError" in body and "<svg" not in body
    assert container.portfolio_reader.reads == 1


def test_a_refused_request_never_reaches_the_warehouse(world: World) -> None:
    container = FakeContainer(world)
    officer = staff(world, "+254700000095")
    client = signed_in(container, officer)
    anonymous = http_client(backoffice_api.create_app(container))
    assert anonymous.get("/console/portfolio").status_code == 303
    world.store.col("users")[officer.id] = officer.model_copy(update={"role": "applicant"})
    assert client.get("/console/portfolio").status_code == 403
    assert container.portfolio_reader.reads == 0
    world.store.col("users")[officer.id] = officer
    assert client.get("/console/portfolio").status_code == 200 and container.portfolio_reader.reads > 0


@pytest.mark.parametrize(
    ("seconds", "shown"), [(None, "n/a"), (42, "42 s"), (90, "1.5 min"), (5400, "1.5 h")]
)
def test_durations_are_shown_in_their_unit(seconds: float | None, shown: str) -> None:
    from mkopo.entrypoints.console.dashboard import duration

    assert duration(seconds) == shown
