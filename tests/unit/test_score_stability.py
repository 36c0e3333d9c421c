"""The daily score-stability job: PSI of a week's scores per model version against its card, with fakes."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from mkopo import topology
from mkopo.adapters.points_table import PointsTableError, load_card_distribution
from mkopo.domain import stability
from mkopo.entrypoints.jobs import create_jobs
from mkopo.http.logs import CloudLoggingFormatter
from mkopo.service import score_stability as ss
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer
from tests.unit.fakes_stability import FakeScoreWarehouse, FakeStabilityReports

NOW = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)
CARD = {"< 520": 0.2, "520-559": 0.4, "560-599": 0.2, "600-639": 0.1, "640-679": 0.05, ">= 680": 0.05}
IN_BAND = {"< 520": 500, "520-559": 540, "560-599": 580, "600-639": 620, "640-679": 660, ">= 680": 700}


def population(shares: dict[str, float], n: int = 1000, shift: int = 0) -> list[int]:
    """``n`` scores spread over the bands in these shares, each moved by ``shift`` points."""
    return [IN_BAND[band] + shift for band, share in shares.items() for _ in range(round(share * n))]


def run(warehouse: FakeScoreWarehouse, reports: FakeStabilityReports, **kw: object) -> dict[str, object]:
    args: dict[str, object] = {
        "warehouse": warehouse,
        "reports": reports,
        "cards": {"v2": CARD, "v3": CARD}.get,
        "models": [("v2", "champion")],
        "now": NOW,
        "min_scores": 50,
    }
    return ss.run_score_stability(**(args | kw))  # type: ignore[arg-type]


@pytest.fixture
def warehouse() -> FakeScoreWarehouse:
    return FakeScoreWarehouse()


@pytest.fixture
def reports() -> FakeStabilityReports:
    return FakeStabilityReports()


def test_a_population_like_the_cards_is_stable(
    warehouse: FakeScoreWarehouse, reports: FakeStabilityReports
) -> None:
    warehouse.add("v2", population(CARD), NOW - timedelta(days=2))
    [row] = run(warehouse, reports)["models"]  # type: ignore[misc]
    assert row["verdict"] == "stable" and row["scores"] == 1000
    assert row["psi"] < 0.1
    saved = reports.reports["v2"]
    assert [b.count for b in saved.bands] == [200, 400, 200, 100, 50, 50]
    assert saved.since == NOW - timedelta(days=7) and saved.until == NOW and saved.as_of == NOW.date()


def test_a_population_shifted_down_crosses_the_alert_threshold(
    warehouse: FakeScoreWarehouse, reports: FakeStabilityReports
) -> None:
    warehouse.add("v2", population(CARD, shift=-40), NOW - timedelta(days=1))  # one band lower each
    [row] = run(warehouse, reports)["models"]  # type: ignore[misc]
    assert row["psi"] > stability.ACT and row["verdict"] == "act"
    expected = stability.psi(list(CARD.values()), [0.6, 0.2, 0.1, 0.05, 0.05, 0.0])
    assert row["psi"] == pytest.approx(expected, abs=1e-4)


def test_an_empty_week_is_no_scores_not_a_crash(
    warehouse: FakeScoreWarehouse, reports: FakeStabilityReports
) -> None:
    warehouse.add("v2", population(CARD), NOW - timedelta(days=8))  # last week's, outside the window
    warehouse.add("v2", [600], NOW)  # the end of the window is open
    [row] = run(warehouse, reports)["models"]  # type: ignore[misc]
    assert row == {
        "model_version": "v2",
        "role": "champion",
        "scores": 0,
        "psi": None,
        "verdict": "no scores",
    }
    assert [b.count for b in reports.reports["v2"].bands] == [0] * 6


def test_too_few_scores_get_a_figure_but_no_verdict_to_act_on(
    warehouse: FakeScoreWarehouse, reports: FakeStabilityReports
) -> None:
    warehouse.add("v2", [500] * 10, NOW - timedelta(hours=1))
    [row] = run(warehouse, reports)["models"]  # type: ignore[misc]
    assert row["verdict"] == stability.FEW_SCORES and row["psi"] is not None and row["psi"] > stability.ACT


def test_champion_and_challenger_each_against_their_own_card(
    warehouse: FakeScoreWarehouse, reports: FakeStabilityReports
) -> None:
    warehouse.add("v2", population(CARD), NOW - timedelta(days=3))
    warehouse.add("v3", population(CARD, shift=-40), NOW - timedelta(days=3))
    warehouse.add("v9", population(CARD), NOW - timedelta(days=3))
    models = [("v2", "champion"), ("v3", "challenger"), ("v9", "challenger")]
    rows = run(warehouse, reports, models=models)["models"]
    assert [(r["model_version"], r["verdict"]) for r in rows] == [  # type: ignore[index]
        ("v2", "stable"),
        ("v3", "act"),
        ("v9", "no card"),
    ]
    assert [asked[0] for asked in warehouse.asked] == ["v2", "v3", "v9"]


def test_the_log_line_carries_score_psi_for_the_metric(
    warehouse: FakeScoreWarehouse, reports: FakeStabilityReports, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse.add("v2", population(CARD, shift=-40), NOW - timedelta(days=1))
    warehouse.add("v3", [], NOW)
    with caplog.at_level(logging.INFO, logger="mkopo.score_stability"):
        run(warehouse, reports, models=[("v2", "champion"), ("v3", "challenger")])
    lines = [json.loads(CloudLoggingFormatter().format(r)) for r in caplog.records]
    act, empty = lines
    assert act["event"] == ss.LOG_EVENT and act["model_version"] == "v2" and act["severity"] == "WARNING"
    assert act["score_psi"] == reports.reports["v2"].psi > 0.25
    assert empty["verdict"] == "no scores" and "score_psi" not in empty  # no metric point to alert on


def test_the_latest_figures_render_newest_first_champion_first(
    warehouse: FakeScoreWarehouse, reports: FakeStabilityReports
) -> None:
    assert ss.render(ss.latest(reports)) == "no score-stability run recorded yet"
    warehouse.add("v2", population(CARD), NOW - timedelta(days=1))
    run(warehouse, reports, models=[("v2", "champion")], now=NOW - timedelta(days=1))
    run(warehouse, reports, models=[("v3", "challenger"), ("v2", "champion")])
    rows = ss.latest(reports)
    assert [(r.model_version, r.role) for r in rows] == [("v2", "champion"), ("v3", "challenger")]
    text = ss.render(rows)
    assert "v2 (champion)  PSI 0.0000  stable  1000 scores" in text
    assert "v3 (challenger)  PSI -  no scores  0 scores" in text
    assert "   520-559  expected 0.4000  actual 0.4000  (400)" in text


def test_the_job_monitors_the_configured_champion_and_challenger(world: World) -> None:
    container = FakeContainer(world, cards={"launch-v1": CARD})
    container.settings = container.settings.model_copy(update={"challenger_version": "v2"})
    container.score_warehouse.add("launch-v1", population(CARD), world.now - timedelta(days=1))
    reply = create_jobs(container).score_stability()
    assert reply.status == 200
    assert [(m["model_version"], m["role"], m["verdict"]) for m in reply.body["models"]] == [
        ("launch-v1", "champion", "stable"),
        ("v2", "challenger", "no card"),
    ]
    assert set(container.stability_reports.reports) == {"launch-v1", "v2"}


def test_score_stability_is_a_daily_scheduled_function() -> None:
    fn = topology.function("score-stability")
    assert (fn.trigger, fn.entry_point, fn.schedule) == ("schedule", "score_stability", "0 5 * * *")


@pytest.mark.parametrize("version", ["launch-v1", "v2"])
def test_every_shipped_version_has_a_card_with_band_shares(version: str) -> None:
    card = load_card_distribution(version)
    assert card is not None and sum(card.values()) == pytest.approx(1.0, abs=0.001)
    assert [b.label for b in stability.bands_from_card(card)] == list(card)


def test_a_version_without_a_card_has_none_and_a_card_without_shares_refuses(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    assert load_card_distribution("t1", folder) is None
    (folder / "scorecard-t1.card.json").write_text('{"version": "t1"}')
    with pytest.raises(PointsTableError, match="no score_distribution"):
        load_card_distribution("t1", folder)
