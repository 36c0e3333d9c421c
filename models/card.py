"""The model card: how well a points table separates and calibrates on a held-out split, and how far
its scores moved from the previous version's (PSI). JSON for machines, Markdown for the credit manager."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

BANDS = (520, 560, 600, 640, 680)  # score band lower edges (the first band is everything below 520)


def band_labels() -> list[str]:
    edges = [None, *BANDS, None]
    return [
        f"< {hi}" if lo is None else f">= {lo}" if hi is None else f"{lo}-{hi - 1}"
        for lo, hi in itertools.pairwise(edges)
    ]


def band_shares(scores: Sequence[int]) -> list[float]:
    idx = np.searchsorted(np.asarray(BANDS), np.asarray(scores), side="right")
    counts = np.bincount(idx, minlength=len(BANDS) + 1)
    return [float(c) / max(1, len(scores)) for c in counts]


def distribution(scores: Sequence[int]) -> dict[str, float]:
    """Band label -> share of the scores, rounded as a card records it."""
    return {band: round(share, 4) for band, share in zip(band_labels(), band_shares(scores), strict=True)}


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index of two band distributions (< 0.1 stable, > 0.25 act)."""
    eps = 1e-4
    return float(
        sum((a - e) * math.log((a + eps) / (e + eps)) for e, a in zip(expected, actual, strict=True))
    )


def discrimination(bad: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    auc = float(roc_auc_score(bad, -scores))  # a higher score means less risk
    fpr, tpr, _ = roc_curve(bad, -scores)
    return {"auc": round(auc, 4), "gini": round(2 * auc - 1, 4), "ks": round(float(np.max(tpr - fpr)), 4)}


def by_band(bad: np.ndarray, scores: np.ndarray, predicted: np.ndarray) -> list[dict[str, Any]]:
    """Calibration and bad rate per score band: observed against the table's own probability of default."""
    idx = np.searchsorted(np.asarray(BANDS), scores, side="right")
    rows = []
    for i, name in enumerate(band_labels()):
        mask = idx == i
        n = int(mask.sum())
        rows.append(
            {
                "band": name,
                "count": n,
                "share": round(n / max(1, len(scores)), 4),
                "bad_rate": round(float(bad[mask].mean()), 4) if n else None,
                "predicted_pd": round(float(predicted[mask].mean()), 4) if n else None,
            }
        )
    return rows


def markdown(card: dict[str, Any]) -> str:
    m, lines = card["held_out"], []
    lines += [f"# Model card: scorecard {card['version']}", "", card["summary"], ""]
    lines += ["## Data", ""] + [f"- {k}: {v}" for k, v in card["data"].items()] + [""]
    lines += ["## Held-out performance", ""]
    lines += [f"- AUC {m['auc']}, Gini {m['gini']}, KS {m['ks']} (previous version {card['previous']}: "]
    lines[-1] += f"AUC {card['previous_held_out']['auc']}, Gini {card['previous_held_out']['gini']})"
    lines += [
        f"- PSI of scores against {card['previous']} on the same applications: {card['psi_vs_previous']}",
        "",
    ]
    lines += ["## Calibration and bad rate by score band (held out)", ""]
    lines += ["| band | applications | share | bad rate | predicted PD |", "|---|---|---|---|---|"]
    for r in card["bands"]:
        lines.append(f"| {r['band']} | {r['count']} | {r['share']} | {r['bad_rate']} | {r['predicted_pd']} |")
    lines += ["", "## Score distribution by band", ""]
    lines += [
        f"Every application scored in the training window ({card['data']['applications']}, approved or not) "
        "is what the daily score-stability job compares the last week's scores with; the paid-out loans "
        "score higher (declined applicants have no outcome).",
        "",
        "| band | applications | paid-out loans |",
        "|---|---|---|",
    ]
    loans = card["loans_score_distribution"]
    lines += [f"| {b} | {share} | {loans[b]} |" for b, share in card["score_distribution"].items()]
    lines += ["", "## Information value per characteristic (training split)", ""]
    lines += ["| characteristic | IV | bins (lower bound: points) |", "|---|---|---|"]
    for c in card["characteristics"]:
        bins = ", ".join(f"{b['min']:,.0f}: {b['points']}" for b in c["bins"])
        lines.append(f"| {c['feature']} | {c['iv']} | {bins} |")
    lines += ["", "## Limits", ""] + [f"- {x}" for x in card["limits"]]
    return "\n".join(lines) + "\n"
