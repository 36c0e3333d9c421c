from datetime import UTC, datetime

import pytest

from mkopo.adapters.credit_data import POOR, STRONG, SandboxCreditData
from mkopo.domain import phone
from mkopo.domain.applications import TERMINAL, TRANSITIONS, IllegalTransition, Status
from mkopo.domain.policy import DecisionPolicy
from mkopo.domain.scorecard import default_scorecard
from tests.unit.conftest import World

AT = datetime(2026, 11, 29, tzinfo=UTC)


def test_state_machine_refuses_every_illegal_move(world: World) -> None:
    user = world.user()
    app_id = world.submit(user, world.offer()).body["application_id"]
    for target in Status:
        app = world.application(app_id)
        if target in TRANSITIONS[Status.SUBMITTED]:
            app.move_to(target, AT)
            assert app.status == target and app.timeline[-1].status == target
        else:
            with pytest.raises(IllegalTransition):
                app.move_to(target, AT)


def test_terminal_states_are_rejected_disbursed_and_failed() -> None:
    assert {Status.REJECTED, Status.DISBURSED, Status.DISBURSEMENT_FAILED} == TERMINAL


def test_scorecard_separates_the_sandbox_profiles() -> None:
    card = default_scorecard()
    strong, poor = card.score(STRONG), card.score(POOR)
    assert strong.score >= 600 > poor.score
    assert strong.probability_of_default < 0.02 < poor.probability_of_default
    assert strong.reasons == []
    assert "PREVIOUS_DEFAULT" in poor.reasons and len(poor.reasons) <= 3


def test_scorecard_calibration_matches_pdo_convention() -> None:
    card = default_scorecard()
    # 600 points at 50:1 odds of good; 20 more points double the odds.
    assert card.probability_of_default(600) == pytest.approx(1 / 51)
    assert card.probability_of_default(620) == pytest.approx(1 / 101)


def test_sandbox_numbers_are_documented_profiles_and_others_are_deterministic() -> None:
    data = SandboxCreditData()
    assert data.features_for("+254700000042") == STRONG
    assert data.features_for("+254722000042") == STRONG
    assert data.features_for("+254711000042") == POOR
    other = data.features_for("+256772123456")
    assert other == data.features_for("+256772123456")
    assert other != data.features_for("+256772123457")


@pytest.mark.parametrize(
    ("kwargs", "outcome", "reasons"),
    [
        (
            {"score": 700, "amount_minor": 100, "credit_limit_minor": 100, "active_application_id": None},
            Status.APPROVED,
            [],
        ),
        (
            {"score": 599, "amount_minor": 100, "credit_limit_minor": 100, "active_application_id": None},
            Status.REJECTED,
            ["SCORE_BELOW_CUTOFF"],
        ),
        (
            {"score": 700, "amount_minor": 101, "credit_limit_minor": 100, "active_application_id": None},
            Status.REJECTED,
            ["AMOUNT_ABOVE_LIMIT"],
        ),
        (
            {"score": 700, "amount_minor": 100, "credit_limit_minor": 100, "active_application_id": "other"},
            Status.REJECTED,
            ["ACTIVE_LOAN_EXISTS"],
        ),
        (
            {"score": 700, "amount_minor": 100, "credit_limit_minor": 100, "active_application_id": "me"},
            Status.APPROVED,
            [],
        ),
    ],
)
def test_policy(kwargs: dict, outcome: Status, reasons: list[str]) -> None:
    policy = DecisionPolicy(approve_min_score=600, max_exposure_minor=10_000_000)
    assert policy.decide(application_id="me", **kwargs) == (outcome, reasons)


@pytest.mark.parametrize(
    ("raw", "e164", "currency"),
    [
        ("+254 712 345 678", "+254712345678", "KES"),
        ("256772123456", "+256772123456", "UGX"),
        ("+255712345678", "+255712345678", "TZS"),
        ("+250788123456", "+250788123456", "RWF"),
        ("+2348031234567", "+2348031234567", "NGN"),
        ("+233241234567", "+233241234567", "GHS"),
    ],
)
def test_phones_normalise_to_e164_with_their_market_currency(raw: str, e164: str, currency: str) -> None:
    assert phone.normalise(raw) == e164
    assert phone.currency_of(e164) == currency


def test_each_market_calling_code_belongs_to_that_market_alone() -> None:
    import phonenumbers

    for prefix, market in phone.CALLING_CODES.items():
        assert phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(prefix[1:])] == (market,)
    assert set(phone.CALLING_CODES.values()) == set(phone.MARKETS)
    assert phone.market_of("+14155552671") == "US"  # outside our markets: phonenumbers answers


@pytest.mark.parametrize("raw", ["", "12", "+14155552671", "+254201234567", "0712345678", "not a phone"])
def test_unsupported_or_invalid_phones_are_refused(raw: str) -> None:
    with pytest.raises(phone.InvalidPhone):
        phone.normalise(raw)


def test_masked_phone_hides_the_middle() -> None:
    assert phone.masked("+254712345678") == "+2547******78"
