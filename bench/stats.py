"""Percentiles and ratios for the benchmark tables."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float], points: Sequence[int] = (50, 95, 99)) -> dict[str, float]:
    """``{"n": .., "p50": .., ...}`` in the unit of ``values`` (rounded to 0.1)."""
    out: dict[str, float] = {"n": len(values)}
    for p in points:
        out[f"p{p}"] = round(percentile(values, p), 1)
    return out


def ratio(value: float, floor: float) -> float:
    """``value / floor`` rounded to 2 places (NaN when the floor is not positive)."""
    return round(value / floor, 2) if floor > 0 else math.nan
