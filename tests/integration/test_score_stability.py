"""The score-stability job on the emulators: its BigQuery query counts a week's scores per model version
(de-duplicated, champion and shadow challenger), and a run's figures are readable with `mkopo.ops psi`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from emulators.stack import Stack, events_table
from google.cloud import firestore

from mkopo.adapters.bigquery_scores import BigQueryScoreWarehouse
from mkopo.adapters.firestore.stability import FirestoreStabilityReports

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)


def scored(n: int, score: int, when: datetime, version: str = "launch-v1", **shadow: Any) -> dict[str, Any]:
    attributes = {"model_version": version, "score": score} | shadow
    return {
        "event_id": f"app-{n}/application_scored",
        "event_type": "application_scored",
        "occurred_at": when.isoformat(),
        "application_id": f"app-{n}",
        "score": score,
        "attributes": json.dumps(attributes),
        "exported_at": (when + timedelta(seconds=1)).isoformat(),
    }


def week() -> list[dict[str, Any]]:
    hour = NOW - timedelta(hours=1)
    rows = [scored(i, 500, hour, challenger_version="v2", challenger_score=610) for i in range(3)]
    rows += [scored(3, 700, hour), scored(3, 700, hour)]  # one event exported twice
    rows += [scored(4, 640, NOW - timedelta(days=8))]  # last week's
    rows += [scored(5, 560, hour, version="v2")]  # v2 as champion (after a promotion)
    other = scored(6, 999, hour) | {"event_type": "loan_approved", "event_id": "app-6/loan_approved"}
    return [*rows, other]


@pytest.fixture
def dataset(emulators: dict[str, str], local_stack: Stack) -> Iterator[str]:
    client = local_stack.bigquery_client()
    name = f"psi_{uuid.uuid4().hex[:10]}"
    client.create_dataset(f"{local_stack.project}.{name}")
    table = f"{local_stack.project}.{name}.events"
    client.create_table(events_table(table))
    assert client.insert_rows_json(table, week()) == []
    yield name
    client.delete_dataset(f"{local_stack.project}.{name}", delete_contents=True, not_found_ok=True)


def test_the_query_counts_each_versions_scores_of_the_week(local_stack: Stack, dataset: str) -> None:
    table = f"{local_stack.project}.{dataset}.events"
    warehouse = BigQueryScoreWarehouse(local_stack.bigquery_client(), table, timeout_s=30)
    since = NOW - timedelta(days=7)
    assert warehouse.score_counts("launch-v1", since, NOW) == {500: 3, 700: 1}
    assert warehouse.score_counts("v2", since, NOW) == {610: 3, 560: 1}  # shadow and champion scores
    assert warehouse.score_counts("v9", since, NOW) == {}


def test_the_job_runs_and_ops_psi_prints_its_figures(
    emulators: dict[str, str], local_stack: Stack, dataset: str
) -> None:
    env = os.environ | {
        "MKOPO_BIGQUERY_DATASET": dataset,
        "MKOPO_CHALLENGER_VERSION": "v2",
        "MKOPO_SCORE_STABILITY_MIN_SCORES": "1",
    }
    command = [sys.executable, "-m", "mkopo.ops", "psi", "--run"]
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr  # 4 scores this far from the launch month's distribution: act
    assert "launch-v1 (champion)  PSI " in out.stdout and "v2 (challenger)  PSI " in out.stdout
    reports = {r.model_version: r for r in FirestoreStabilityReports(firestore.Client()).list_stability()}
    champion, challenger = reports["launch-v1"], reports["v2"]
    assert (champion.scores, challenger.scores) == (4, 4)
    assert champion.verdict == "act" and champion.psi is not None and champion.psi > 0.25
    assert [b.count for b in champion.bands] == [3, 0, 0, 0, 0, 1]
    assert champion.until - champion.since == timedelta(days=7)
    again = subprocess.run(command[:-1], env=env, capture_output=True, text=True, timeout=60)
    assert again.stdout == out.stdout  # reading changes nothing
