"""The portfolio dashboard's figures, computed from the operational store with the analytics definitions
(``analytics/sql``), so the console and the warehouse agree:

- applications: submitted that UTC day (the first SUBMITTED step, as ``applications.submitted_at``);
- approval rate: approved / decided, by the day of the first decision (``approval_daily``);
- amount disbursed: the principal of loans disbursed that day, per currency (``disbursed_minor``);
- time to cash: disbursed minus submitted, in seconds, p50 and p95 by linear interpolation
  (``PERCENTILE_CONT`` in ``decision_times``, metric ``cash``), over loans disbursed in the window;
- PAR30: per currency, the outstanding balance of loans not repaid that are 30 or more days past due over
  the outstanding balance of all loans not repaid (``portfolio_at_risk.par30``), as of today.

Read from the store rather than BigQuery so the figures are current to the second and need no warehouse
locally; each status is read up to ``SCAN_LIMIT`` documents (a console figure, not an accounting one).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from mkopo.domain.allocation import LoanStatus
from mkopo.domain.applications import Application, Status
from mkopo.domain.money import Currency, Money
from mkopo.service.store import Store

SCAN_LIMIT = 5000
WINDOW_DAYS = 30
DECIDED = (Status.APPROVED, Status.REJECTED)


@dataclass(frozen=True)
class Steps:
    """When one application reached each step the dashboard counts (None: not reached)."""

    submitted: datetime
    decided: datetime | None
    approved: bool
    disbursed: datetime | None
    principal: Money

    @classmethod
    def of(cls, app: Application) -> Steps:
        first: dict[Status, datetime] = {}
        for entry in app.timeline:
            first.setdefault(entry.status, entry.at)
        decided = [first[s] for s in DECIDED if s in first]
        return cls(
            submitted=first.get(Status.SUBMITTED, app.created_at),
            decided=min(decided) if decided else None,
            approved=Status.APPROVED in first,
            disbursed=first.get(Status.DISBURSED),
            principal=app.offer.principal,
        )


@dataclass
class Tally:
    """The counts of one day or one window."""

    applications: int = 0
    decided: int = 0
    approved: int = 0
    disbursed_minor: Counter[Currency] = field(default_factory=Counter)
    cash_seconds: list[float] = field(default_factory=list)

    def add(self, steps: Steps, first: date, last: date) -> None:
        within = lambda at: at is not None and first <= at.date() <= last  # noqa: E731
        self.applications += within(steps.submitted)
        if within(steps.decided):
            self.decided += 1
            self.approved += steps.approved
        if steps.disbursed is not None and within(steps.disbursed):
            self.disbursed_minor[steps.principal.currency] += steps.principal.minor
            self.cash_seconds.append((steps.disbursed - steps.submitted).total_seconds())

    def view(self) -> dict[str, Any]:
        return {
            "applications": self.applications,
            "decided": self.decided,
            "approved": self.approved,
            "approval_rate": self.approved / self.decided if self.decided else None,
            "disbursed": {
                c: str(Money(minor=m, currency=c)) for c, m in sorted(self.disbursed_minor.items())
            },
            "disbursed_minor": dict(sorted(self.disbursed_minor.items())),
            "loans_disbursed": len(self.cash_seconds),
            "time_to_cash_p50_s": percentile_cont(self.cash_seconds, 0.5),
            "time_to_cash_p95_s": percentile_cont(self.cash_seconds, 0.95),
        }


def percentile_cont(values: list[float], q: float) -> float | None:
    """BigQuery's PERCENTILE_CONT: linear interpolation between the closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def applications(store: Store) -> list[Application]:
    return [app for status in Status for app in store.list_applications_by_status(status.value, SCAN_LIMIT)]


def par30(store: Store, today: date) -> list[dict[str, Any]]:
    """PAR30 per currency over the loans not yet repaid, as of ``today``."""
    outstanding: Counter[Currency] = Counter()
    at_risk: Counter[Currency] = Counter()
    counts: Counter[Currency] = Counter()
    for loan in store.list_loans_by_status(LoanStatus.ACTIVE.value, SCAN_LIMIT):
        owed = max(loan.position.outstanding.total, 0)
        if loan.repaid_at is not None or owed == 0:
            continue
        outstanding[loan.currency] += owed
        counts[loan.currency] += 1
        if loan.position.days_past_due(today) >= 30:
            at_risk[loan.currency] += owed
    return [
        {
            "currency": c,
            "loans_outstanding": counts[c],
            "outstanding": str(Money(minor=outstanding[c], currency=c)),
            "at_risk_30": str(Money(minor=at_risk[c], currency=c)),
            "par30": at_risk[c] / outstanding[c],
        }
        for c in sorted(outstanding)
    ]


def dashboard(store: Store, now: datetime, days: int = WINDOW_DAYS) -> dict[str, Any]:
    """Today, the last ``days`` days (today included), each day of them, and PAR30 now."""
    today = now.date()
    start = today - timedelta(days=days - 1)
    window, this_day = Tally(), Tally()
    daily = {start + timedelta(days=i): Tally() for i in range(days)}
    for app in applications(store):
        steps = Steps.of(app)
        window.add(steps, start, today)
        this_day.add(steps, today, today)
        for day in {at.date() for at in (steps.submitted, steps.decided, steps.disbursed) if at}:
            if day in daily:
                daily[day].add(steps, day, day)
    return {
        "as_of": now.isoformat(),
        "start": start.isoformat(),
        "today": this_day.view(),
        "window": window.view(),
        "daily": [{"day": d.isoformat(), **t.view()} for d, t in daily.items()],
        "par30": par30(store, today),
    }
