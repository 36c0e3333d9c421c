"""A trained model card's ``score_distribution`` (what the score-stability job compares a week's scores with)
is the table's scores of every applicant of the training window, the population the job sees (every
application is scored), not of the paid-out loans it was fitted on, which score higher.

The seeded month (``make seed``: seed 7, 3000 applications) is rebuilt here in pure Python (the same rows
``make train`` read from BigQuery); v2's card was trained on it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from analytics.rows import RowBuilder
from analytics.simulate import SeedConfig, Simulator
from models.outcomes import applicants, label

from mkopo.adapters.points_table import load_card_distribution, load_points_table
from mkopo.domain.scorecard import Features
from mkopo.domain.stability import ACT, WATCH, assess, bands_from_card, count_scores, shares

VERSION = "v2"
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def seeded_rows() -> list[dict[str, Any]]:
    config = SeedConfig(duplicate_rate=0.0)  # make seed's month, as events_dedup holds it
    return RowBuilder(config).rows(Simulator(config).run())


def v2_scores(features: list[dict[str, int]]) -> Counter[int]:
    table = load_points_table(VERSION)
    return Counter(table.score(Features.model_validate(f)).score for f in features)


def test_v2_scoring_every_seeded_applicant_is_stable_against_its_own_card(
    seeded_rows: list[dict[str, Any]],
) -> None:
    everyone = applicants(seeded_rows, *EVER)
    assert len(everyone) == sum(r["event_type"] == "application_scored" for r in seeded_rows)
    result = assess(load_card_distribution(VERSION), v2_scores([a.features for a in everyone]))
    assert result.psi is not None and result.psi < WATCH and result.verdict == "stable"


def test_so_is_the_seeded_months_last_week_the_jobs_window(seeded_rows: list[dict[str, Any]]) -> None:
    everyone = applicants(seeded_rows, *EVER)
    last = everyone[-1].scored_at
    week = [a.features for a in everyone if a.scored_at > last - timedelta(days=7)]
    result = assess(load_card_distribution(VERSION), v2_scores(week), min_scores=100)
    assert result.scores == len(week) >= 100 and result.verdict == "stable", result


def test_a_card_of_the_paid_out_loans_only_would_read_act_on_the_same_applicants(
    seeded_rows: list[dict[str, Any]],
) -> None:
    """The bug this guards against: the loans' distribution as the card's, no drift at all, PSI > 0.25."""
    card = load_card_distribution(VERSION)
    assert card is not None
    bands = bands_from_card(card)
    loans = v2_scores([s.features for s in label(seeded_rows)])
    loans_card = dict(zip(card, shares(count_scores(list(loans.elements()), bands)), strict=True))
    everyone = v2_scores([a.features for a in applicants(seeded_rows, *EVER)])
    result = assess(loans_card, everyone)
    assert result.psi is not None and result.psi > ACT
    assert card != pytest.approx(loans_card, abs=0.01)
