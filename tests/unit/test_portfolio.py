"""The portfolio dashboard's figures from the store, with the analytics definitions (analytics/sql):
applications by the day submitted, approval rate by the day decided, principal disbursed, time to cash
percentiles as PERCENTILE_CONT, PAR30 over loans not repaid."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mkopo.domain.applications import Status, TimelineEntry
from mkopo.domain.policy import DecisionPolicy
from mkopo.service import portfolio
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, carry_events
from tests.unit.test_console import signed_in, staff


@pytest.fixture
def container(world: World) -> FakeContainer:
    world.policy = DecisionPolicy(approve_min_score=0, max_exposure_minor=10_000_000, review_min_score=0)
    return FakeContainer(world)


def carried(world: World, container: FakeContainer, phone: str, cash_s: float) -> str:
    """Checked out, approved and disbursed; the payout shown ``cash_s`` seconds after submission."""
    app_id: str = world.submit(world.user(phone), world.offer(), key=phone).body["application_id"]
    carry_events(container)
    app = world.application(app_id)
    assert app.status == Status.DISBURSED
    for entry in app.timeline:
        if entry.status == Status.DISBURSED:
            entry.at = app.created_at + timedelta(seconds=cash_s)
    world.store.col("applications")[app_id] = app
    return app_id


def rejected(world: World, phone: str, days_ago: int = 0) -> str:
    app_id: str = world.submit(world.user(phone), world.offer(), key=phone).body["application_id"]
    app = world.application(app_id)
    at = world.now - timedelta(days=days_ago)
    steps = (Status.SUBMITTED, Status.SCORED, Status.REJECTED)
    app.timeline = [TimelineEntry(status=s, at=at) for s in steps]
    app.status = Status.REJECTED
    world.store.col("applications")[app_id] = app
    return app_id


def test_the_dashboard_counts_as_the_analytics_views_do(world: World, container: FakeContainer) -> None:
    for i, seconds in enumerate((60, 600, 120)):
        carried(world, container, f"+25470000008{i}", seconds)
    rejected(world, "+254700000090")
    rejected(world, "+254700000091", days_ago=40)  # before the window
    board = portfolio.dashboard(world.store, world.now)
    window = board["window"]
    assert (window["applications"], window["decided"], window["approved"]) == (4, 4, 3)
    assert window["approval_rate"] == 0.75 and window["disbursed_minor"] == {"KES": 3 * 500_000}
    assert window["time_to_cash_p50_s"] == 120 and window["time_to_cash_p95_s"] == pytest.approx(552)
    assert board["today"]["applications"] == 4 and len(board["daily"]) == 30
    assert board["daily"][-1]["day"] == world.now.date().isoformat() and board["daily"][-1]["decided"] == 4
    assert sum(d["applications"] for d in board["daily"]) == 4
    [kes] = board["par30"]
    assert kes["currency"] == "KES" and kes["loans_outstanding"] == 3 and kes["par30"] == 0


def test_par30_counts_loans_thirty_days_past_due(world: World, container: FakeContainer) -> None:
    carried(world, container, "+254700000092", 60)
    term_end = world.now.date() + timedelta(days=30)
    assert portfolio.par30(world.store, term_end + timedelta(days=29))[0]["par30"] == 0
    assert portfolio.par30(world.store, term_end + timedelta(days=30))[0]["par30"] == 1


def test_percentiles_interpolate_like_percentile_cont() -> None:
    assert portfolio.percentile_cont([], 0.5) is None
    assert portfolio.percentile_cont([5.0], 0.95) == 5.0
    assert portfolio.percentile_cont([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5


def test_the_dashboard_page_shows_the_figures_and_svg_charts(world: World, container: FakeContainer) -> None:
    for i, seconds in enumerate((60, 600, 120)):
        carried(world, container, f"+25470000008{i}", seconds)
    rejected(world, "+254700000090")
    client = signed_in(container, staff(world, "+254700000093"))
    response = client.get("/console/portfolio")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "75.0%" in body and "3 of 4 decided" in body
    assert "KES 15000.00" in body
    assert "2.0 min" in body and "9.2 min" in body  # p50 120 s, p95 552 s
    assert body.count('<svg class="chart"') == 3 and body.count('<rect class="bar"') >= 3
    assert 'role="img"' in body and "<script" not in body.split("</head>")[1]
