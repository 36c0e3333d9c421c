"""The numbers of the lender report, read from the saved views (no plotting here: tests import this)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.cloud import bigquery

FUNNEL_STEPS = ("submitted", "scored", "approved", "disbursed", "repaid")

QUERIES = {
    "funnel": """
        SELECT lender, SUM(submitted) AS submitted, SUM(scored) AS scored, SUM(approved) AS approved,
               SUM(rejected) AS rejected, SUM(disbursed) AS disbursed,
               SUM(disbursement_failed) AS disbursement_failed, SUM(repaid) AS repaid
        FROM `{ds}.funnel_daily` GROUP BY lender ORDER BY lender""",
    "approval": """
        SELECT day, SUM(decided) AS decided, SUM(approved) AS approved,
               SAFE_DIVIDE(SUM(approved), SUM(decided)) AS approval_rate
        FROM `{ds}.approval_daily` GROUP BY day ORDER BY day""",
    "scores": """
        SELECT band_start, band, SUM(scored) AS scored, SUM(approved) AS approved, SUM(rejected) AS rejected
        FROM `{ds}.score_bands` GROUP BY band_start, band ORDER BY band_start""",
    "times": "SELECT * FROM `{ds}.decision_times` ORDER BY metric, lender",
    "par": "SELECT * FROM `{ds}.portfolio_at_risk` ORDER BY currency",
    "cohorts": "SELECT * FROM `{ds}.cohort_repayment` ORDER BY cohort_month, currency",
    "allowance": """
        SELECT * FROM `{ds}.allowance`
        ORDER BY currency, CASE bucket WHEN 'current' THEN 0 WHEN '1-30' THEN 1 WHEN '31-60' THEN 2
                                       WHEN '61-90' THEN 3 ELSE 4 END""",
}


# Score stability: the scores of the data's last 7 days (ending at its newest score, not today: a seeded
# month is history) of each model version against its model card, as the daily job computes them.
LAST_SCORED = (
    "SELECT MAX(occurred_at) AS until FROM `{ds}.events_dedup` WHERE event_type = 'application_scored'"
)
VERSIONS = "SELECT DISTINCT model_version, role FROM `{ds}.model_versions` ORDER BY role DESC, model_version"


@dataclass
class ReportData:
    """Rows of each report query, as plain dicts."""

    funnel: list[dict[str, Any]] = field(default_factory=list)
    approval: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    times: list[dict[str, Any]] = field(default_factory=list)
    par: list[dict[str, Any]] = field(default_factory=list)
    cohorts: list[dict[str, Any]] = field(default_factory=list)
    allowance: list[dict[str, Any]] = field(default_factory=list)
    stability: list[dict[str, Any]] = field(default_factory=list)

    def funnel_total(self) -> dict[str, int]:
        """Each step summed over lenders."""
        keys = (*FUNNEL_STEPS, "rejected", "disbursement_failed")
        return {k: int(sum(row[k] for row in self.funnel)) for k in keys}

    def approval_rate(self) -> float | None:
        decided = sum(r["decided"] for r in self.approval)
        return sum(r["approved"] for r in self.approval) / decided if decided else None

    def time(self, metric: str, lender: str = "ALL") -> dict[str, Any] | None:
        return next((r for r in self.times if r["metric"] == metric and r["lender"] == lender), None)

    def par30(self) -> dict[str, float | None]:
        return {r["currency"]: r["par30"] for r in self.par}

    def cohort(self, month: date, currency: str) -> dict[str, Any] | None:
        return next(
            (r for r in self.cohorts if r["cohort_month"] == month and r["currency"] == currency), None
        )


def collect(client: bigquery.Client, *, project: str, dataset: str) -> ReportData:
    """Run every report query against the views in ``project.dataset``."""
    data = ReportData()
    for name, sql in QUERIES.items():
        rows = [dict(row) for row in client.query(sql.format(ds=f"{project}.{dataset}")).result()]
        setattr(data, name, rows)
    data.stability = score_stability(client, project=project, dataset=dataset)
    return data


def score_stability(client: bigquery.Client, *, project: str, dataset: str) -> list[dict[str, Any]]:
    """PSI of each model version's last 7 days of scores against its card (mkopo.domain.stability)."""
    from mkopo.adapters.bigquery_scores import BigQueryScoreWarehouse
    from mkopo.adapters.points_table import load_card_distribution
    from mkopo.domain.stability import assess

    ds = f"{project}.{dataset}"
    [last] = list(client.query(LAST_SCORED.format(ds=ds)).result())
    if last["until"] is None:
        return []
    until = last["until"] + timedelta(microseconds=1)  # the newest score is in the window
    since = until - timedelta(days=7)
    warehouse = BigQueryScoreWarehouse(client, f"{ds}.events", timeout_s=120)
    rows = []
    for version in client.query(VERSIONS.format(ds=ds)).result():
        name = version["model_version"]
        result = assess(load_card_distribution(name), warehouse.score_counts(name, since, until))
        rows.append(
            {"model_version": name, "role": version["role"], "since": since, "until": until}
            | {
                "scores": result.scores,
                "psi": result.psi,
                "verdict": result.verdict,
                "bands": {b.label: (b.expected, b.actual) for b in result.bands},
            }
        )
    return rows
