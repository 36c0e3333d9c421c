"""The daily score-stability run: PSI of the last week's scores of each model version in use (the champion,
the challenger if any) against the score distribution on its model card.

Each version's result is one log line with ``score_psi`` and ``model_version`` in its JSON payload (what the
log-based metric in Terraform extracts; no ``score_psi`` when there is no trustworthy figure) and one
report per version, replaced by each run, that ``python -m mkopo.ops psi`` prints. Scoring does no extra
work for this: the scores come from the application_scored events already in the warehouse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel

from mkopo.domain import stability

log = logging.getLogger("mkopo.score_stability")

Role = Literal["champion", "challenger"]
WINDOW_DAYS = 7
LOG_EVENT = "score_stability"  # jsonPayload.event of the lines the log-based metric reads


class ScoreWarehouse(Protocol):
    """Where the scores are: how many applications each score was given by one model version."""

    def score_counts(self, model_version: str, since: datetime, until: datetime) -> dict[int, int]: ...


class BandRow(BaseModel):
    band: str
    expected: float
    actual: float
    count: int


class StabilityReport(BaseModel):
    """One model version's latest run: its scores of [since, until) against its card."""

    model_version: str
    role: Role
    as_of: date
    since: datetime
    until: datetime
    scores: int
    psi: float | None
    verdict: str
    bands: list[BandRow]
    computed_at: datetime


class StabilityReports(Protocol):
    """The latest report of each model version (a run replaces the version's previous one)."""

    def save_stability(self, report: StabilityReport) -> None: ...
    def list_stability(self) -> list[StabilityReport]: ...


CardReader = Callable[[str], Mapping[str, float] | None]  # a version's card score_distribution, if any


def run_score_stability(
    *,
    warehouse: ScoreWarehouse,
    reports: StabilityReports,
    cards: CardReader,
    models: Sequence[tuple[str, Role]],
    now: datetime,
    min_scores: int,
    window_days: int = WINDOW_DAYS,
) -> dict[str, list[dict[str, object]]]:
    """Assess, log and record each model version; the figures as the job's reply."""
    since = now - timedelta(days=window_days)
    done = []
    for version, role in models:
        result = stability.assess(
            cards(version), warehouse.score_counts(version, since, now), min_scores=min_scores
        )
        report = StabilityReport(
            model_version=version,
            role=role,
            as_of=now.date(),
            since=since,
            until=now,
            scores=result.scores,
            psi=result.psi,
            verdict=result.verdict,
            bands=[
                BandRow(band=b.label, expected=b.expected, actual=b.actual, count=b.count)
                for b in result.bands
            ],
            computed_at=now,
        )
        _log(report, alertable=result.alertable)
        reports.save_stability(report)
        done.append({k: getattr(report, k) for k in ("model_version", "role", "scores", "psi", "verdict")})
    return {"models": done}


def _log(report: StabilityReport, *, alertable: bool) -> None:
    fields: dict[str, object] = {
        "event": LOG_EVENT,
        "model_version": report.model_version,
        "role": report.role,
        "scores": report.scores,
        "verdict": report.verdict,
        "window_days": (report.until - report.since).days,
    }
    if alertable:
        fields["score_psi"] = report.psi
    severity = logging.WARNING if report.verdict == "act" else logging.INFO
    log.log(
        severity,
        "score stability of %s (%s): PSI %s over %d scores, %s",
        report.model_version,
        report.role,
        report.psi,
        report.scores,
        report.verdict,
        extra={"json_fields": fields},
    )


def latest(reports: StabilityReports) -> list[StabilityReport]:
    """The latest report of every version, the newest run first, the champion before its challenger."""
    rows = reports.list_stability()
    return sorted(rows, key=lambda r: (-r.computed_at.timestamp(), r.role != "champion", r.model_version))


def render(rows: Sequence[StabilityReport]) -> str:
    """What an operator reads: one block per version, its verdict and the bands that moved."""
    if not rows:
        return "no score-stability run recorded yet"
    out = []
    for r in rows:
        figure = "-" if r.psi is None else f"{r.psi:.4f}"
        out.append(
            f"{r.model_version} ({r.role})  PSI {figure}  {r.verdict}  {r.scores} scores  "
            f"{r.since:%Y-%m-%d %H:%M}..{r.until:%Y-%m-%d %H:%M} UTC"
        )
        out += [
            f"    {b.band:>8}  expected {b.expected:.4f}  actual {b.actual:.4f}  ({b.count})" for b in r.bands
        ]
    return "\n".join(out)
