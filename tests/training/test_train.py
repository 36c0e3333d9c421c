"""`make train` on a simulated month (no BigQuery): the fitted table must beat a floor the generator
supports on held-out loans, and must not when the labels are shuffled; v2's committed table and card must be
what `make train` writes from `make seed`'s month. Runs in .venv-train (scikit-learn), which `make test`
installs; about 20 s."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from mkopo.adapters.points_table import load_points_table

ROOT = Path(__file__).resolve().parents[2]
TRAIN_PY = ROOT / ".venv-train" / "bin" / "python"
AUC_FLOOR = 0.65  # the simulated truth's own AUC on these loans is about 0.75; launch-v1 scores about 0.72


def run_train(*args: str) -> None:
    if not TRAIN_PY.exists():
        pytest.fail("the training venv is missing: `make .venv-train/.installed` (make test installs it)")
    env = os.environ | {"PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}"}
    subprocess.run([str(TRAIN_PY), "-m", "models.train", *args], cwd=ROOT, env=env, check=True, timeout=120)


def train(out: Path, *extra: str) -> dict[str, object]:
    run_train("--simulate", "4000", "--seed", "3", "--version", "t-test", "--out", str(out), *extra)
    return dict(json.loads((out / "scorecard-t-test.card.json").read_text()))


def test_a_trained_table_separates_held_out_outcomes_and_loads_for_scoring(tmp_path: Path) -> None:
    card = train(tmp_path)
    held_out = card["held_out"]
    assert isinstance(held_out, dict) and held_out["auc"] >= AUC_FLOOR and held_out["ks"] > 0.2
    table = load_points_table("t-test", tmp_path)
    assert (table.pdo, table.target_odds, table.target_score) == (20.0, 50.0, 600)
    assert [c["feature"] for c in card["characteristics"]] == [c.feature for c in table.characteristics]  # type: ignore[attr-defined]
    assert sum(band["count"] for band in card["bands"]) > 400  # type: ignore[attr-defined]
    assert (tmp_path / "scorecard-t-test.card.md").read_text().startswith("# Model card: scorecard t-test")
    data = card["data"]
    assert isinstance(data, dict) and data["applications"] > 2 * data["loans"]  # declined ones included
    assert card["score_distribution"] != card["loans_score_distribution"]


def test_the_committed_v2_table_and_card_are_what_make_train_writes_after_make_seed(tmp_path: Path) -> None:
    """`make seed`'s month is deterministic (seed 7, 3000 applications) and rebuilt here without BigQuery
    (what events_dedup holds): a change to the training code that changes v2's committed files fails here
    until they are regenerated (`make seed && make train`), so a fresh clone's cards stay consistent."""
    seeded = ("--simulate", "3000", "--seed", "7")  # analytics.mk's SEED and APPLICATIONS
    run_train(*seeded, "--version", "v2", "--previous", "launch-v1", "--out", str(tmp_path))
    for suffix in (".json", ".card.json", ".card.md"):
        name = f"scorecard-v2{suffix}"
        assert (tmp_path / name).read_text() == (ROOT / "models" / name).read_text(), name


def test_with_shuffled_labels_the_same_training_falls_below_the_floor(tmp_path: Path) -> None:
    card = train(tmp_path, "--shuffle-labels")
    held_out = card["held_out"]
    assert isinstance(held_out, dict) and held_out["auc"] < AUC_FLOOR - 0.07
