"""`make train`: fit a new points table on labelled outcomes and write it with its model card.

    python -m models.train [--offset 0] [--version v2] [--previous launch-v1] [--out models]
    python -m models.train --simulate 4000 --seed 3 ...   # no BigQuery: a simulated month (tests)

Reads the outcomes from BigQuery (the `make seed` month locally: events_dedup), labels them
(models/outcomes.py), splits 70/30 stratified, fits (models/fit.py), scores the held-out 30 % with the
new table exactly as scoring will, scores every application of the training window with it too (the
through-the-door population the score-stability job compares with), and writes
models/scorecard-<version>.json (the points table), scorecard-<version>.card.json and .card.md.
Run in .venv-train (scikit-learn).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from mkopo.adapters.points_table import dump_points_table, load_points_table
from mkopo.domain.scorecard import Features, Scorecard
from models import card as cards
from models.fit import fit_scorecard
from models.outcomes import TYPES, Applicant, Sample, applicants, label, query

MODELS = Path(__file__).resolve().parent


def rows_from_bigquery(offset: int) -> list[dict[str, Any]]:
    from analytics.local import connect
    from google.cloud import bigquery

    target = connect(offset, start=False)
    client = target.client()
    try:
        params = [bigquery.ArrayQueryParameter("types", "STRING", list(TYPES))]
        job = client.query(
            query(target.project, target.dataset), job_config=bigquery.QueryJobConfig(query_parameters=params)
        )
        return [dict(r.items()) for r in job.result()]
    finally:
        client.close()


def rows_from_simulation(applications: int, seed: int) -> list[dict[str, Any]]:
    from analytics.rows import RowBuilder
    from analytics.simulate import SeedConfig, Simulator

    config = SeedConfig(seed=seed, applications=applications, duplicate_rate=0.0)
    return RowBuilder(config).rows(Simulator(config).run())


def scores(table: Scorecard, population: Sequence[Sample] | Sequence[Applicant]) -> np.ndarray:
    return np.asarray([table.score(Features.model_validate(s.features)).score for s in population])


def train(
    samples: list[Sample],
    window: list[Applicant],
    *,
    champion: Scorecard,
    version: str,
    seed: int,
    shuffle: bool,
) -> tuple[Scorecard, dict[str, Any]]:
    """Fit on 70 % of the labelled loans; the card's figures from the other 30 % and, for score monitoring,
    the new table's scores of every applicant in the training window (``window``)."""
    features = [c.feature for c in champion.characteristics]
    x = np.asarray([[s.features[f] for f in features] for s in samples], dtype=float)
    bad = np.asarray([s.bad for s in samples])
    if shuffle:  # the control: with labels shuffled nothing can be learned
        bad = np.random.default_rng(seed).permutation(bad)
    idx_train, idx_test = train_test_split(
        np.arange(len(samples)), test_size=0.3, stratify=bad, random_state=seed
    )
    table, binned = fit_scorecard(x[idx_train], bad[idx_train], champion=champion, version=version, seed=seed)
    held_out = [samples[i] for i in idx_test]
    new, old = scores(table, held_out), scores(champion, held_out)
    predicted = np.asarray([table.probability_of_default(int(s)) for s in new])
    card = {
        "version": version,
        "previous": champion.version,
        "summary": f"Points table {version}, fitted on {len(idx_train)} matured loans and checked on "
        f"{len(idx_test)} held out; bad = not repaid on time (late or defaulted).",
        "data": _data(samples, window, bad, shuffle),
        "held_out": cards.discrimination(bad[idx_test], new),
        "previous_held_out": cards.discrimination(bad[idx_test], old),
        "psi_vs_previous": round(
            cards.psi(cards.band_shares(old.tolist()), cards.band_shares(new.tolist())), 4
        ),
        "bands": cards.by_band(bad[idx_test], new, predicted),
        # what the score-stability job compares live scores with: every applicant, as every one is scored
        "score_distribution": cards.distribution(scores(table, window).tolist()),
        "loans_score_distribution": cards.distribution(scores(table, samples).tolist()),
        "characteristics": [
            {"feature": b.feature, "iv": round(b.iv, 4), "bins": c.model_dump()["bins"]}
            for b, c in zip(binned, table.characteristics, strict=True)
        ],
        "limits": _limits([b.feature for b in binned if not b.edges]),
    }
    return table, card


def _data(samples: list[Sample], window: list[Applicant], bad: np.ndarray, shuffle: bool) -> dict[str, Any]:
    return {
        "loans": len(samples),
        "outcomes": dict(Counter(s.outcome for s in samples)),
        "bad_rate": round(float(bad.mean()), 4),
        "scored_from": min(s.scored_at for s in samples).isoformat(),
        "scored_until": max(s.scored_at for s in samples).isoformat(),
        "applications": len(window),
        "labels_shuffled": shuffle,
    }


def _limits(kept: list[str]) -> list[str]:
    return [
        "Only approved, paid-out loans have outcomes: declined applicants are not in the sample "
        "(no reject inference), so bands below the champion's cut-off are thin.",
        "A loan counts once it has matured (the arrears run the day after its due date).",
        "Characteristics with IV 0 and one fitted bin had no variation in the sample and keep the "
        f"previous version's bins, shifted: {', '.join(kept) or 'none'}.",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--offset", type=int, default=0, help="port offset of the local stack (0 = make dev)")
    p.add_argument("--simulate", type=int, default=0, help="train on N simulated applications instead")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--version", default="v2")
    p.add_argument("--previous", default="launch-v1", help="the version the new one is compared with")
    p.add_argument("--out", type=Path, default=MODELS)
    p.add_argument("--shuffle-labels", action="store_true", help="a control run: nothing to learn")
    args = p.parse_args(argv)
    rows = (
        rows_from_simulation(args.simulate, args.seed) if args.simulate else rows_from_bigquery(args.offset)
    )
    samples = label(rows)
    if len(samples) < 200 or len({s.bad for s in samples}) < 2:
        raise SystemExit(f"only {len(samples)} labelled loans: run `make seed` first (or seed more)")
    window = applicants(rows, samples[0].scored_at, samples[-1].scored_at)
    champion = load_points_table(args.previous)
    table, card = train(
        samples, window, champion=champion, version=args.version, seed=args.seed, shuffle=args.shuffle_labels
    )
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"scorecard-{args.version}"
    Path(f"{stem}.json").write_text(dump_points_table(table))
    Path(f"{stem}.card.json").write_text(json.dumps(card, indent=2) + "\n")
    Path(f"{stem}.card.md").write_text(cards.markdown(card))
    h = card["held_out"]
    print(
        f"{len(samples)} labelled loans -> {stem}.json: held-out AUC {h['auc']} Gini {h['gini']} KS {h['ks']}"
    )
    print(
        f"previous {champion.version}: AUC {card['previous_held_out']['auc']}; PSI {card['psi_vs_previous']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
