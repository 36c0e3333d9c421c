"""`make train` on a simulated month (no BigQuery): the fitted table must beat a floor the generator
supports on held-out loans, and must not when the labels are shuffled. Runs in .venv-train (scikit-learn),
which `make test` installs; about 10 s."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from mkopo.adapters.points_table import load_points_table

ROOT = Path(__file__).resolve().parents[2]
TRAIN_PY = ROOT / ".venv-train" / "bin" / "python"
AUC_FLOOR = 0.65  # the simulated truth's own AUC on these loans is about 0.75; launch-v1 scores about 0.72


def train(out: Path, *extra: str) -> dict[str, object]:
    if not TRAIN_PY.exists():
        pytest.fail("the training venv is missing: `make .venv-train/.installed` (make test installs it)")
    env = os.environ | {"PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}"}
    args = ["--simulate", "4000", "--seed", "3", "--version", "t-test", "--out", str(out), *extra]
    subprocess.run([str(TRAIN_PY), "-m", "models.train", *args], cwd=ROOT, env=env, check=True, timeout=120)
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


def test_with_shuffled_labels_the_same_training_falls_below_the_floor(tmp_path: Path) -> None:
    card = train(tmp_path, "--shuffle-labels")
    held_out = card["held_out"]
    assert isinstance(held_out, dict) and held_out["auc"] < AUC_FLOOR - 0.07
