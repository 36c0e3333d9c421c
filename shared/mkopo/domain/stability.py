"""Score stability: the population stability index (PSI) of live scores against a model card's bands.

PSI = sum over bands of (live - expected) * ln(live / expected), shares of each population per band; an
empty band counts as ``EPSILON`` so the logarithm stays finite. < 0.1 stable, 0.1-0.25 watch, > 0.25 act.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

EPSILON = 0.0001  # the share an empty band counts as
WATCH, ACT = 0.1, 0.25

_BELOW = re.compile(r"^<\s*(\d+)$")
_RANGE = re.compile(r"^(\d+)-(\d+)$")
_ABOVE = re.compile(r"^>=\s*(\d+)$")


@dataclass(frozen=True)
class Band:
    """Scores in ``[low, high)``; None is open-ended."""

    label: str
    low: int | None
    high: int | None

    def holds(self, score: int) -> bool:
        return (self.low is None or score >= self.low) and (self.high is None or score < self.high)


def bands_from_card(distribution: Mapping[str, float]) -> list[Band]:
    """The bands of a card's ``score_distribution`` labels ("< 520", "520-559", ">= 680"), in order."""
    bands = [_band(label) for label in distribution]
    bands.sort(key=lambda b: -math.inf if b.low is None else b.low)
    return bands


def _band(label: str) -> Band:
    if m := _BELOW.match(label.strip()):
        return Band(label, None, int(m[1]))
    if m := _RANGE.match(label.strip()):
        return Band(label, int(m[1]), int(m[2]) + 1)
    if m := _ABOVE.match(label.strip()):
        return Band(label, int(m[1]), None)
    raise ValueError(f"not a score band: {label!r}")


def band_edges(bands: Sequence[Band]) -> list[int]:
    """The lower edges of every band but the first (what a query buckets scores by)."""
    return [b.low for b in bands if b.low is not None]


def count_scores(scores: Sequence[int], bands: Sequence[Band]) -> list[int]:
    """How many scores fall in each band."""
    return [sum(1 for s in scores if b.holds(s)) for b in bands]


def shares(counts: Sequence[int]) -> list[float]:
    total = sum(counts)
    return [c / total if total else 0.0 for c in counts]


def psi(expected: Sequence[float], actual: Sequence[float], epsilon: float = EPSILON) -> float:
    """PSI of two share distributions over the same bands (empty bands count as ``epsilon``)."""
    if len(expected) != len(actual):
        raise ValueError("both distributions need the same bands")
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, epsilon), max(a, epsilon)
        total += (a - e) * math.log(a / e)
    return total


def verdict(value: float) -> str:
    """stable (< 0.1), watch (0.1-0.25) or act (> 0.25)."""
    return "act" if value > ACT else "watch" if value >= WATCH else "stable"


# What a week of scores is judged as when no PSI can be trusted: none at all, too few to mean anything, or a
# model version without a card to compare with.
NO_SCORES, FEW_SCORES, NO_CARD = "no scores", "few scores", "no card"


@dataclass(frozen=True)
class BandShare:
    label: str
    expected: float
    actual: float
    count: int


@dataclass(frozen=True)
class Assessment:
    """A population of live scores against a card: the PSI (None when there is nothing to compare)."""

    scores: int
    psi: float | None
    verdict: str
    bands: tuple[BandShare, ...]

    @property
    def alertable(self) -> bool:
        """Whether the PSI is worth a metric point (enough scores against a card)."""
        return self.psi is not None and self.verdict not in (NO_SCORES, FEW_SCORES, NO_CARD)


def assess(
    expected: Mapping[str, float] | None, score_counts: Mapping[int, int], *, min_scores: int = 1
) -> Assessment:
    """PSI of the scores (``score -> how many``) against a card's band shares; fewer than ``min_scores``
    scores get a PSI but the verdict "few scores" (a handful of applications moves any band)."""
    total = sum(score_counts.values())
    if expected is None:
        return Assessment(total, None, NO_CARD, ())
    bands = bands_from_card(expected)
    counts = [sum(n for s, n in score_counts.items() if b.holds(s)) for b in bands]
    actual = shares(counts)
    rows = tuple(
        BandShare(b.label, expected[b.label], round(a, 4), n)
        for b, a, n in zip(bands, actual, counts, strict=True)
    )
    if total == 0:
        return Assessment(0, None, NO_SCORES, rows)
    value = round(psi([expected[b.label] for b in bands], actual), 4)
    return Assessment(total, value, verdict(value) if total >= min_scores else FEW_SCORES, rows)
