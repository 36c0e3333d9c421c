"""Labelled outcomes: each scored application whose loan was paid out and has matured, with the features
it was scored on and what happened (repaid on time, late, defaulted). Pure Python over event rows, so the
same code labels rows read from BigQuery and rows built from a simulation.

A loan matures for labelling once the arrears job has run the day after its due date; until then it is
left out (open). Bad = not repaid on time (late or defaulted), the early bad rate the ladder also uses.
``applicants`` is the through-the-door population instead: every scored application, approved or not,
paid out or not (what the score-stability job sees, since every application is scored).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

TYPES = (
    "checkout_submitted",
    "application_scored",
    "loan_disbursed",
    "loan_repaid",
    "installment_overdue",
)
DEFAULT_DPD = 31  # days past due that count as defaulted rather than late
ARREARS_RUN = time(6, 0)  # the arrears job's daily run (UTC): an unpaid due date shows up by then


def query(project: str, dataset: str) -> str:
    """The BigQuery query the rows come from (de-duplicated events of the types above); the table name is
    our own configuration, the event types a query parameter."""
    table = f"`{project}.{dataset}.events_dedup`"
    columns = "event_type, occurred_at, application_id, attributes"
    return f"SELECT {columns} FROM {table} WHERE event_type IN UNNEST(@types)"  # noqa: S608


@dataclass(frozen=True)
class Sample:
    application_id: str
    scored_at: datetime
    features: dict[str, int]
    score: int
    model_version: str
    outcome: str  # on_time | late | defaulted

    @property
    def bad(self) -> int:
        return int(self.outcome != "on_time")


@dataclass(frozen=True)
class Applicant:
    application_id: str
    scored_at: datetime
    features: dict[str, int]


@dataclass
class _Trail:
    term_days: int | None = None
    scored: Mapping[str, Any] | None = None
    scored_at: datetime | None = None
    disbursed_on: date | None = None
    repaid_on: date | None = None
    max_dpd: int = 0


def _attributes(value: Any) -> dict[str, Any]:
    return dict(json.loads(value)) if isinstance(value, str) else dict(value or {})


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _trails(rows: Iterable[Mapping[str, Any]]) -> tuple[dict[str, _Trail], datetime | None]:
    trails: dict[str, _Trail] = {}
    as_of: datetime | None = None
    for row in rows:
        kind, at, attrs = row["event_type"], _when(row["occurred_at"]), _attributes(row["attributes"])
        as_of = at if as_of is None or at > as_of else as_of
        t = trails.setdefault(row["application_id"], _Trail())
        if kind == "checkout_submitted":
            t.term_days = int(attrs["term_days"])
        elif kind == "application_scored" and attrs.get("features"):
            t.scored, t.scored_at = attrs, at
        elif kind == "loan_disbursed":
            t.disbursed_on = at.date()
        elif kind == "loan_repaid":
            t.repaid_on = at.date()
        elif kind == "installment_overdue":
            t.max_dpd = max(t.max_dpd, int(attrs["days_past_due"]))
    return trails, as_of


def _outcome(t: _Trail, as_of: datetime) -> str | None:
    if t.disbursed_on is None or t.term_days is None:
        return None
    due = t.disbursed_on + timedelta(days=t.term_days)
    if t.repaid_on is not None and t.repaid_on <= due:
        return "on_time"
    if t.max_dpd >= DEFAULT_DPD and t.repaid_on is None:
        return "defaulted"
    if t.repaid_on is not None or t.max_dpd > 0:
        return "late"
    matured = datetime.combine(due + timedelta(days=1), ARREARS_RUN, as_of.tzinfo) < as_of
    return "late" if matured else None  # unpaid past its due date, yet no overdue event: count it late


def label(rows: Iterable[Mapping[str, Any]]) -> list[Sample]:
    """Every scored, paid-out, matured application, oldest first."""
    trails, as_of = _trails(rows)
    samples = []
    for application_id, t in trails.items():
        outcome = _outcome(t, as_of) if as_of is not None else None
        if outcome is None or t.scored is None or t.scored_at is None:
            continue
        samples.append(
            Sample(
                application_id=application_id,
                scored_at=t.scored_at,
                features={k: int(v) for k, v in t.scored["features"].items()},
                score=int(t.scored["score"]),
                model_version=str(t.scored.get("model_version", "")),
                outcome=outcome,
            )
        )
    return sorted(samples, key=lambda s: (s.scored_at, s.application_id))


def applicants(rows: Iterable[Mapping[str, Any]], since: datetime, until: datetime) -> list[Applicant]:
    """Every application scored (with its features) in ``[since, until]``, oldest first."""
    trails, _ = _trails(rows)
    found = [
        Applicant(application_id, t.scored_at, {k: int(v) for k, v in t.scored["features"].items()})
        for application_id, t in trails.items()
        if t.scored is not None and t.scored_at is not None and since <= t.scored_at <= until
    ]
    return sorted(found, key=lambda a: (a.scored_at, a.application_id))
