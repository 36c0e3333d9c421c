"""Score monitoring in Terraform: the log-based metric reads what the score-stability job logs, the alert
fires above a PSI threshold that is a variable, and the job may read BigQuery and nothing more."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from mkopo import topology
from mkopo.domain import stability
from mkopo.service import score_stability as ss
from tests.infra.test_topology_matches_terraform import block, expr

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
JOB = "score-stability"


def _logged_fields(caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """The jsonPayload fields one run of the job logs for a shifted population (what Cloud Logging sees)."""

    class Warehouse:
        def score_counts(self, model_version: str, since: datetime, until: datetime) -> dict[int, int]:
            return {500: 80, 700: 20}

    class Reports:
        def save_stability(self, report: ss.StabilityReport) -> None: ...
        def list_stability(self) -> list[ss.StabilityReport]:
            return []

    card = {"< 520": 0.2, "520-679": 0.6, ">= 680": 0.2}
    with caplog.at_level(logging.INFO, logger="mkopo.score_stability"):
        ss.run_score_stability(
            warehouse=Warehouse(),
            reports=Reports(),
            cards=lambda version: card,
            models=[("v2", "champion")],
            now=datetime(2026, 12, 3, 5, tzinfo=UTC),
            min_scores=1,
        )
    [record] = caplog.records
    fields: dict[str, Any] = record.json_fields  # type: ignore[attr-defined]
    return fields


def test_the_metric_extracts_the_psi_the_job_logs(
    platform: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    metric = platform["resources"]["google_logging_metric.score_psi"]
    fields = _logged_fields(caplog)
    assert fields["score_psi"] > stability.ACT
    assert f'resource.labels.service_name = "{JOB}"' in metric["filter"]
    assert topology.function(JOB).trigger == "schedule"
    assert f'jsonPayload.event = "{fields["event"]}"' in metric["filter"] and fields["event"] == ss.LOG_EVENT
    assert "jsonPayload.score_psi:*" in metric["filter"]  # lines without a figure make no point
    assert metric["value_extractor"] == "EXTRACT(jsonPayload.score_psi)"
    extracted = {
        k: re.fullmatch(r"EXTRACT\(jsonPayload\.(\w+)\)", v) for k, v in metric["label_extractors"].items()
    }
    assert {k: m.group(1) for k, m in extracted.items() if m} == {
        "model_version": "model_version",
        "role": "role",
    }
    assert {"model_version", "role"} <= set(fields)
    descriptor = block(metric, "metric_descriptor")
    assert (descriptor["metric_kind"], descriptor["value_type"]) == ("DELTA", "DISTRIBUTION")
    assert {label["key"] for label in descriptor["labels"]} == set(metric["label_extractors"])


def test_the_buckets_cover_every_psi_the_threshold_may_be(platform: dict[str, Any]) -> None:
    metric = platform["resources"]["google_logging_metric.score_psi"]
    linear = block(block(metric, "bucket_options"), "linear_buckets")
    assert linear["offset"] == 0 and linear["width"] <= 0.01
    top = linear["offset"] + linear["width"] * linear["num_finite_buckets"]
    variable = platform["variables"]["score_psi_threshold"]
    [validation] = variable["validation"]
    assert f"var.score_psi_threshold < {top:g}" in validation["condition"]


def test_the_alert_fires_above_the_threshold_variable(platform: dict[str, Any]) -> None:
    alert = platform["resources"]["google_monitoring_alert_policy.score_psi"]
    assert alert["notification_channels"] == expr("local.notification_channels")
    condition = block(block(alert, "conditions"), "condition_threshold")
    assert expr("google_logging_metric.score_psi.name") in condition["filter"]
    assert 'metric.type = "logging.googleapis.com/user/' in condition["filter"]
    assert condition["comparison"] == "COMPARISON_GT"
    assert condition["threshold_value"] == expr("var.score_psi_threshold")
    assert platform["variables"]["score_psi_threshold"]["default"] == stability.ACT == 0.25
    aggregation = block(condition, "aggregations")
    assert aggregation["per_series_aligner"] == "ALIGN_MEAN"  # a distribution's exact mean: the PSI itself
    assert "metric.label.model_version" in aggregation["group_by_fields"]  # one incident per version
    assert "mkopo.ops psi" in block(alert, "documentation")["content"]
