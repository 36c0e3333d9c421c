"""Simulated borrowers: thin-file features drawn from a hidden creditworthiness, and the true chance that
a loan is not repaid on time. Pure: the seed's ground truth, which ``make train`` must learn from events.

No label leaks into a feature: features are drawn once per borrower, before any loan; the outcome of a
loan is a Bernoulli draw from ``bad_probability`` of those features plus a shock nobody observes
(income, health, family), so even a perfect model stays well short of AUC 1.
"""

from __future__ import annotations

import math
import random

from mkopo.domain.scorecard import Features

MEDIAN_INFLOW_MINOR = 3_000_000  # KES 30,000 a month
BAD_INTERCEPT = -0.3  # the base log-odds of missing the due date
SHOCK_SIGMA = 0.5  # the unobserved part of each loan's outcome


def draw_features(rng: random.Random) -> Features:
    """One borrower's history, correlated through a hidden quality ``z`` (credit_limit_minor left 0)."""
    z = rng.gauss(0, 1)
    repaid = max(0, round(rng.gauss(3.0 + 1.3 * z, 1.6)))
    defaulted = 1 if rng.random() < _sigmoid(-2.6 - 0.9 * z) else 0
    defaulted += 1 if defaulted and rng.random() < 0.25 else 0
    late = 0 if rng.random() < _sigmoid(0.6 + 1.2 * z) else round(math.exp(rng.gauss(2.0 - 0.5 * z, 0.9)))
    return Features(
        monthly_inflow_minor=round(MEDIAN_INFLOW_MINOR * math.exp(0.5 * z + 0.7 * rng.gauss(0, 1))),
        monthly_transactions=max(1, round(40 * math.exp(0.3 * z + 0.5 * rng.gauss(0, 1)))),
        account_age_months=min(120, max(1, round(20 * math.exp(0.3 * z + 0.8 * rng.gauss(0, 1))))),
        airtime_topups_monthly=max(0, round(6 + 2 * z + 3 * rng.gauss(0, 1))),
        loans_repaid=repaid,
        loans_defaulted=defaulted,
        days_late_max=min(120, late),
        credit_limit_minor=0,
    )


def bad_probability(f: Features, shock: float) -> float:
    """The chance this loan misses its due date, from the features and an unobserved ``shock`` ~ N(0, 1)."""
    logit = (
        BAD_INTERCEPT
        - 0.9 * (math.log(max(f.monthly_inflow_minor, 1)) - math.log(MEDIAN_INFLOW_MINOR))
        - 0.6 * (math.log(f.monthly_transactions) - math.log(40))
        - 0.45 * (math.log(f.account_age_months) - math.log(20))
        - 0.08 * (f.airtime_topups_monthly - 6)
        - 0.3 * min(f.loans_repaid, 6)
        + 0.8 * min(f.loans_defaulted, 2)
        + 0.03 * min(f.days_late_max, 90)
        + SHOCK_SIGMA * shock
    )
    return _sigmoid(logit)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
