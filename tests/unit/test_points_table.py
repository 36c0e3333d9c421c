"""Points tables as data: loading (table-driven), the setting that picks one, and explainable scores."""

import json
from pathlib import Path

import pytest

from mkopo.adapters.credit_data import POOR, STRONG
from mkopo.adapters.points_table import (
    PointsTableError,
    dump_points_table,
    load_points_table,
    models_dir,
    parse_points_table,
)
from mkopo.bootstrap import Container
from mkopo.config import Settings
from mkopo.domain.scorecard import LAUNCH_VERSION, default_scorecard

LAUNCH = json.loads(dump_points_table(default_scorecard()))


def table(**changes: object) -> str:
    return json.dumps(LAUNCH | changes)


def one_characteristic(**changes: object) -> list[dict[str, object]]:
    return [LAUNCH["characteristics"][0] | changes]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{not json", "malformed"),
        ("[]", "malformed"),
        (table(characteristics="none"), "malformed"),
        (table(characteristics=one_characteristic(feature="shoe_size")), "unknown features: shoe_size"),
        (table(characteristics=one_characteristic(bins=[])), "without bins"),
        (table(characteristics=one_characteristic(bins=[{"min": "low", "points": 1}])), "malformed"),
        (table(pdo="twenty"), "malformed"),
        (table(version="v9"), "expected 'launch-v1'"),
    ],
)
def test_a_bad_points_table_is_refused_with_the_reason(text: str, error: str) -> None:
    with pytest.raises(PointsTableError, match=error):
        parse_points_table(text, expected_version=LAUNCH_VERSION)


@pytest.mark.parametrize(
    ("changes", "features", "score"),
    [
        ({}, STRONG, default_scorecard().score(STRONG).score),
        ({}, POOR, default_scorecard().score(POOR).score),
        ({"base_points": 310}, POOR, default_scorecard().score(POOR).score + 10),
        (
            {"characteristics": one_characteristic(bins=[{"min": 0, "points": 7}])},
            STRONG,
            300 + 7,
        ),
    ],
)
def test_a_loaded_table_scores_like_the_scorecard_it_describes(
    changes: dict[str, object], features: object, score: int
) -> None:
    card = parse_points_table(table(**changes))
    assert card.score(features).score == score  # type: ignore[arg-type]
    assert card.score(features).model_version == LAUNCH_VERSION  # type: ignore[arg-type]


def test_the_committed_launch_table_is_the_launch_scorecard() -> None:
    assert load_points_table(LAUNCH_VERSION) == default_scorecard()
    assert (models_dir() / f"scorecard-{LAUNCH_VERSION}.json").read_text() == dump_points_table(
        default_scorecard()
    )


TABLES = sorted(p for p in models_dir().glob("scorecard-*.json") if not p.name.endswith(".card.json"))


@pytest.mark.parametrize("path", TABLES, ids=lambda p: p.name)
def test_every_committed_points_table_loads_under_its_own_version(path: Path) -> None:
    version = path.name.removeprefix("scorecard-").removesuffix(".json")
    assert load_points_table(version).version == version


@pytest.mark.parametrize("version", ["../etc/passwd", "", "no-such-version"])
def test_an_unknown_or_unsafe_version_is_refused(version: str) -> None:
    with pytest.raises(PointsTableError):
        load_points_table(version)


def test_the_setting_selects_the_model_version(tmp_path: Path) -> None:
    (tmp_path / "scorecard-t1.json").write_text(table(version="t1", base_points=250))
    container = Container(Settings(scorecard_version="t1", models_dir=tmp_path))
    assert container.scorecard.version == "t1"
    assert container.scorecard.score(STRONG).score == default_scorecard().score(STRONG).score - 50
    assert Container(Settings()).scorecard == default_scorecard()


def test_the_challenger_setting_loads_a_second_table(tmp_path: Path) -> None:
    (tmp_path / "scorecard-launch-v1.json").write_text(table())
    (tmp_path / "scorecard-c1.json").write_text(table(version="c1"))
    container = Container(Settings(challenger_version="c1", models_dir=tmp_path))
    assert container.challenger is not None and container.challenger.version == "c1"
    assert Container(Settings()).challenger is None
