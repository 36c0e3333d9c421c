"""What was seeded, counted from the simulation itself (not from rows): what the report must show."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from analytics.simulate import Application, Loan


@dataclass
class Truth:
    """Totals over the whole seeded period; keys are lenders, currencies or (cohort month, currency)."""

    funnel: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    outstanding_minor: Counter[str] = field(default_factory=Counter)
    at_risk_30_minor: Counter[str] = field(default_factory=Counter)
    cohorts: dict[tuple[date, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    cash_seconds: list[float] = field(default_factory=list)

    def totals(self) -> Counter[str]:
        """The funnel summed over lenders."""
        total: Counter[str] = Counter()
        for counts in self.funnel.values():
            total.update(counts)
        return total

    def par30(self, currency: str) -> float:
        return self.at_risk_30_minor[currency] / self.outstanding_minor[currency]

    def cash_percentile(self, q: float) -> float:
        """PERCENTILE_CONT: linear interpolation between the closest ranks."""
        values = sorted(self.cash_seconds)
        rank = q * (len(values) - 1)
        low = int(rank)
        high = min(low + 1, len(values) - 1)
        return values[low] + (values[high] - values[low]) * (rank - low)

    def cash_median(self) -> float:
        return statistics.median(self.cash_seconds)


def reported_outstanding(app: Application, loan: Loan) -> int:
    """What the events say is owed: the latest balance event, else the principal (see loans.sql)."""
    if loan.repaid_at is not None:
        return 0
    return loan.outstanding_minor if loan.payments or loan.overdue else app.amount_minor


def summarise(apps: list[Application]) -> Truth:
    truth = Truth()
    for app in apps:
        steps = truth.funnel[app.lender]
        steps["submitted"] += 1
        steps["scored"] += app.scored_at is not None
        steps["approved"] += app.approved is True
        steps["rejected"] += app.approved is False
        steps["disbursement_failed"] += app.failed_at is not None
        loan = app.loan
        if loan is None:
            continue
        steps["disbursed"] += 1
        steps["repaid"] += loan.repaid_at is not None
        truth.cash_seconds.append((loan.disbursed_at - app.submitted_at).total_seconds())
        cohort = truth.cohorts[(loan.disbursed_at.date().replace(day=1), app.currency)]
        cohort["loans_disbursed"] += 1
        cohort["loans_repaid"] += loan.repaid_at is not None
        cohort["loans_repaid_on_time"] += (
            loan.repaid_at is not None and loan.repaid_at.date() <= loan.due_date
        )
        cohort["collected_minor"] += loan.collected_minor
        if loan.repaid_at is None:
            owed = reported_outstanding(app, loan)
            truth.outstanding_minor[app.currency] += owed
            if any(o.days_past_due >= 30 for o in loan.overdue):
                truth.at_risk_30_minor[app.currency] += owed
    return truth
