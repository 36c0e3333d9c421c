"""In-memory score warehouse and stability reports (copies in and out, like the other fakes)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from mkopo.service.score_stability import StabilityReport


class FakeScoreWarehouse:
    """Scored applications as (model_version, score, when) rows; counted like the BigQuery query."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, datetime]] = []
        self.asked: list[tuple[str, datetime, datetime]] = []

    def add(self, version: str, scores: list[int], at: datetime) -> None:
        self.rows += [(version, s, at) for s in scores]

    def score_counts(self, model_version: str, since: datetime, until: datetime) -> dict[int, int]:
        self.asked.append((model_version, since, until))
        return dict(Counter(s for v, s, at in self.rows if v == model_version and since <= at < until))


class FakeStabilityReports:
    def __init__(self) -> None:
        self.reports: dict[str, StabilityReport] = {}

    def save_stability(self, report: StabilityReport) -> None:
        self.reports[report.model_version] = report.model_copy(deep=True)

    def list_stability(self) -> list[StabilityReport]:
        return [r.model_copy(deep=True) for r in self.reports.values()]
