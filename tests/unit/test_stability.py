"""PSI of live scores against a model card's score distribution (domain, table-driven)."""

from __future__ import annotations

import math

import pytest

from mkopo.domain import stability as st

CARD = {"< 520": 0.2, "520-559": 0.4, "560-599": 0.2, "600-639": 0.1, "640-679": 0.05, ">= 680": 0.05}


def test_bands_come_from_the_card_labels_in_score_order() -> None:
    bands = st.bands_from_card({">= 680": 0.1, "< 520": 0.5, "520-679": 0.4})
    assert [(b.low, b.high) for b in bands] == [(None, 520), (520, 680), (680, None)]
    assert st.band_edges(bands) == [520, 680]


@pytest.mark.parametrize(
    ("score", "label"), [(0, "< 520"), (519, "< 520"), (520, "520-559"), (559, "520-559"), (680, ">= 680")]
)
def test_a_score_falls_in_exactly_one_band(score: int, label: str) -> None:
    bands = st.bands_from_card(CARD)
    assert [b.label for b in bands if b.holds(score)] == [label]


def test_a_label_that_is_no_band_refuses() -> None:
    with pytest.raises(ValueError, match="not a score band"):
        st.bands_from_card({"high": 1.0})


@pytest.mark.parametrize(
    ("expected", "actual", "value"),
    [
        # identical distributions: nothing moved
        ([0.5, 0.5], [0.5, 0.5], 0.0),
        ([0.2, 0.4, 0.4], [0.2, 0.4, 0.4], 0.0),
        # known shift, by hand: (0.7-0.5)ln(0.7/0.5) + (0.3-0.5)ln(0.3/0.5) = 0.0673 + 0.1022
        ([0.5, 0.5], [0.7, 0.3], 0.2 * math.log(1.4) - 0.2 * math.log(0.6)),
        # a large shift: (0.9-0.25)ln(3.6) + 3 x (0.0333-0.25)ln(0.1333)
        (
            [0.25] * 4,
            [0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3],
            0.65 * math.log(3.6) + 3 * (0.1 / 3 - 0.25) * math.log(0.4 / 3),
        ),
        # an empty live band counts as epsilon: (1-0.5)ln(1/0.5) + (0.0001-0.5)ln(0.0001/0.5)
        ([0.5, 0.5], [1.0, 0.0], 0.5 * math.log(2) + (0.0001 - 0.5) * math.log(0.0001 / 0.5)),
    ],
)
def test_psi(expected: list[float], actual: list[float], value: float) -> None:
    assert st.psi(expected, actual) == pytest.approx(value, abs=1e-9)


def test_psi_of_counted_scores_against_the_card() -> None:
    bands = st.bands_from_card(CARD)
    same = [500] * 20 + [540] * 40 + [580] * 20 + [620] * 10 + [660] * 5 + [700] * 5
    shifted = [500] * 80 + [540] * 20
    expected = list(CARD.values())
    assert st.psi(expected, st.shares(st.count_scores(same, bands))) == pytest.approx(0.0, abs=1e-12)
    moved = st.psi(expected, st.shares(st.count_scores(shifted, bands)))
    assert moved > st.ACT and st.verdict(moved) == "act"


@pytest.mark.parametrize(
    ("value", "word"), [(0.0, "stable"), (0.099, "stable"), (0.1, "watch"), (0.25, "watch"), (0.26, "act")]
)
def test_verdict(value: float, word: str) -> None:
    assert st.verdict(value) == word


def test_psi_needs_the_same_bands() -> None:
    with pytest.raises(ValueError):
        st.psi([0.5, 0.5], [1.0])
