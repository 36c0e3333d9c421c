"""Fit a points scorecard: supervised bins per characteristic (scikit-learn decision trees), weight of
evidence, a logistic regression on the WoE values, then points scaled to the champion's PDO and target
odds. Training only (``.venv-train``): scoring reads the resulting JSON, never this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from mkopo.domain.scorecard import Bin, Characteristic, Scorecard

MAX_BINS = 5
MIN_BIN_SHARE = 0.05  # every bin holds at least 5 % of the training sample


@dataclass(frozen=True)
class Binned:
    feature: str
    edges: list[float]  # lower bounds of bins 2..n (bin 1 starts at 0)
    woe: list[float]  # ln(share of goods / share of bads), per bin
    iv: float

    def index(self, values: np.ndarray) -> np.ndarray:
        return np.searchsorted(np.asarray(self.edges), values, side="right")


def bin_feature(feature: str, x: np.ndarray, bad: np.ndarray, seed: int) -> Binned:
    """Split points from a shallow tree (the classic supervised, optimal-binning stand-in)."""
    trend = np.corrcoef(x, bad)[0, 1] if x.std() > 0 else 0.0
    tree = DecisionTreeClassifier(
        max_leaf_nodes=MAX_BINS,
        min_samples_leaf=max(1, int(MIN_BIN_SHARE * len(x))),
        monotonic_cst=[1 if trend > 0 else -1],  # bad rate monotonic in the value: readable, less noisy
        random_state=seed,
    )
    tree.fit(x.reshape(-1, 1), bad)
    internal = tree.tree_.feature >= 0
    edges = sorted({float(math.ceil(t)) for t in tree.tree_.threshold[internal]})  # integer values: x > t
    binned = Binned(feature, edges, [], 0.0)
    idx = binned.index(x)
    goods, bads = max(1, int((bad == 0).sum())), max(1, int(bad.sum()))
    woe, iv = [], 0.0
    for i in range(len(edges) + 1):
        g = ((idx == i) & (bad == 0)).sum() + 0.5
        b = ((idx == i) & (bad == 1)).sum() + 0.5
        share_g, share_b = g / (goods + 0.5), b / (bads + 0.5)
        w = math.log(share_g / share_b)
        woe.append(w)
        iv += (share_g - share_b) * w
    return Binned(feature, edges, woe, iv)


def woe_matrix(binned: list[Binned], x: np.ndarray) -> np.ndarray:
    cols = [np.asarray(b.woe)[b.index(x[:, j])] for j, b in enumerate(binned)]
    return np.column_stack(cols)


def kept_from(previous: Characteristic, typical: float) -> Characteristic:
    """A characteristic the sample cannot inform keeps the previous version's bins, shifted so that the
    sample's typical value scores 0 (its share is in the intercept): a default still costs points."""
    shift = previous.points(typical)
    bins = [Bin(min=b.min, points=b.points - shift) for b in previous.bins]
    return Characteristic(feature=previous.feature, reason=previous.reason, bins=bins)


def fit_scorecard(
    x: np.ndarray, bad: np.ndarray, *, champion: Scorecard, version: str, seed: int
) -> tuple[Scorecard, list[Binned]]:
    """A new points table for the champion's characteristics, on the champion's scale and reasons."""
    features = [c.feature for c in champion.characteristics]
    binned = [bin_feature(f, x[:, j], bad, seed) for j, f in enumerate(features)]
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(woe_matrix(binned, x), bad)
    factor = champion.pdo / math.log(2)
    offset = champion.target_score - factor * math.log(champion.target_odds)
    characteristics = []
    for j, (c, b, coef) in enumerate(zip(champion.characteristics, binned, model.coef_[0], strict=True)):
        if not b.edges:  # no variation in the sample (e.g. defaults, which the champion declined)
            characteristics.append(kept_from(c, float(np.median(x[:, j]))))
            continue
        points = [round(-factor * float(coef) * w) for w in b.woe]
        bins = [Bin(min=m, points=p) for m, p in zip([0.0, *b.edges], points, strict=True)]
        characteristics.append(Characteristic(feature=c.feature, reason=c.reason, bins=bins))
    card = Scorecard(
        version=version,
        base_points=round(offset - factor * float(model.intercept_[0])),
        target_score=champion.target_score,
        target_odds=champion.target_odds,
        pdo=champion.pdo,
        max_reasons=champion.max_reasons,
        characteristics=characteristics,
    )
    return card, binned
