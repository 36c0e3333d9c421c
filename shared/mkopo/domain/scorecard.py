"""A transparent points scorecard: features → points → score → probability of default → reasons.

Score = offset + factor·ln(odds of good), with factor = PDO / ln 2; by default 600 points at 50:1
odds and 20 points to double the odds. Each characteristic is binned; the bins' points and the
characteristic's reason code are configuration, so a credit officer can read and tune the model.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

LAUNCH_VERSION = "launch-v1"


class Features(BaseModel):
    """Thin-file features from mobile-money and airtime history (amounts in minor units)."""

    model_config = ConfigDict(frozen=True)

    monthly_inflow_minor: int = Field(ge=0)
    monthly_transactions: int = Field(ge=0)
    account_age_months: int = Field(ge=0)
    airtime_topups_monthly: int = Field(ge=0)
    loans_repaid: int = Field(ge=0)
    loans_defaulted: int = Field(ge=0)
    days_late_max: int = Field(ge=0)
    credit_limit_minor: int = Field(ge=0, description="Largest principal the data supports")


class Bin(BaseModel):
    """Points for values >= ``min`` (bins are checked from the highest ``min`` down)."""

    min: float
    points: int


class Characteristic(BaseModel):
    feature: str
    reason: str = Field(description="Reason code reported when this characteristic costs points")
    bins: list[Bin]

    def points(self, value: float) -> int:
        for b in sorted(self.bins, key=lambda b: b.min, reverse=True):
            if value >= b.min:
                return b.points
        return min(b.points for b in self.bins)

    @property
    def max_points(self) -> int:
        return max(b.points for b in self.bins)


class ScoreResult(BaseModel):
    model_version: str
    score: int
    probability_of_default: float
    reasons: list[str]
    points: dict[str, int]


class Scorecard(BaseModel):
    """A points table: scoring reads it as data (``models/scorecard-<version>.json``), training writes it."""

    version: str = LAUNCH_VERSION
    base_points: int = 300
    target_score: int = 600
    target_odds: float = 50.0
    pdo: float = 20.0
    max_reasons: int = 3
    characteristics: list[Characteristic]

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.target_score - self.factor * math.log(self.target_odds)

    def probability_of_default(self, score: int) -> float:
        odds_good = math.exp((score - self.offset) / self.factor)
        return 1.0 / (1.0 + odds_good)

    def validate_features(self) -> None:
        """Every characteristic names a feature the credit data provides (a bad table fails at load)."""
        unknown = sorted({c.feature for c in self.characteristics} - set(Features.model_fields))
        if unknown:
            raise ValueError(f"points table {self.version!r} names unknown features: {', '.join(unknown)}")
        empty = sorted(c.feature for c in self.characteristics if not c.bins)
        if empty:
            raise ValueError(f"points table {self.version!r} has characteristics without bins: {empty}")

    def score(self, features: Features) -> ScoreResult:
        values = features.model_dump()
        points = {c.feature: c.points(values[c.feature]) for c in self.characteristics}
        total = self.base_points + sum(points.values())
        shortfalls = sorted(
            ((c.max_points - points[c.feature], c.reason) for c in self.characteristics),
            key=lambda t: (-t[0], t[1]),
        )
        reasons = [reason for lost, reason in shortfalls if lost > 0][: self.max_reasons]
        return ScoreResult(
            model_version=self.version,
            score=total,
            probability_of_default=round(self.probability_of_default(total), 6),
            reasons=reasons,
            points=points,
        )


def default_scorecard() -> Scorecard:
    """The launch scorecard (inflow bins in KES-equivalent minor units)."""

    def c(feature: str, reason: str, *bins: tuple[float, int]) -> Characteristic:
        return Characteristic(feature=feature, reason=reason, bins=[Bin(min=m, points=p) for m, p in bins])

    return Scorecard(
        characteristics=[
            c(
                "monthly_inflow_minor",
                "LOW_MOBILE_MONEY_INFLOW",
                (0, 0),
                (500_000, 30),
                (2_000_000, 60),
                (5_000_000, 90),
            ),
            c("monthly_transactions", "FEW_TRANSACTIONS", (0, 0), (10, 20), (30, 40), (60, 55)),
            c("account_age_months", "SHORT_ACCOUNT_HISTORY", (0, 0), (6, 25), (12, 45), (36, 60)),
            c("airtime_topups_monthly", "IRREGULAR_AIRTIME_TOPUPS", (0, 0), (4, 10), (10, 20)),
            c("loans_repaid", "NO_REPAYMENT_HISTORY", (0, 20), (1, 45), (3, 70), (6, 90)),
            c("loans_defaulted", "PREVIOUS_DEFAULT", (0, 60), (1, -40), (2, -120)),
            c("days_late_max", "LATE_REPAYMENTS", (0, 45), (8, 20), (31, -30), (61, -90)),
        ]
    )
