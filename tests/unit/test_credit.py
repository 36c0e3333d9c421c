"""The limit ladder and the credit profile: table-driven, pure domain."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from mkopo.domain.credit import CreditProfile, CreditTerms, LimitLadder, LimitReason

AT = datetime(2026, 11, 1, tzinfo=UTC)
LADDER = LimitLadder()
EXTERNAL = 5_000_000  # KES 50,000 from the bureau
TERMS = CreditTerms(max_exposure_minor=10_000_000)


def limit(profile: CreditProfile, external: int = EXTERNAL, terms: CreditTerms = TERMS) -> int:
    return terms.line(profile, currency="KES", external_minor=external, has_active_loan=False).limit_minor


def repaid(profile: CreditProfile, loan_id: str, days_late: int = 0) -> None:
    profile.loan_repaid(loan_id, principal_minor=500_000, days_late=days_late, at=AT)


@pytest.mark.parametrize(
    ("history", "expected_minor", "reason"),
    [
        ([], 1_250_000, LimitReason.FIRST_LOAN),  # a quarter of the bureau's limit
        ([("repaid", 0)], 1_875_000, LimitReason.REPAID_ON_TIME),  # x1.5
        ([("repaid", 0), ("repaid", 0)], 2_812_500, LimitReason.REPAID_ON_TIME),
        ([("repaid", 0), ("repaid", 3)], 1_875_000, LimitReason.REPAID_LATE),  # late: held
        ([("repaid", 0), ("overdue", 31)], 1_250_000, LimitReason.OVER_STEP_DOWN_DAYS_LATE),  # down a step
        ([("overdue", 31)], 1_250_000, LimitReason.OVER_STEP_DOWN_DAYS_LATE),  # never below the first step
        ([("repaid", 0), ("overdue", 90)], 0, LimitReason.OVER_FREEZE_DAYS_LATE),  # frozen
        ([("overdue", 90), ("repaid", 0)], 0, LimitReason.OVER_FREEZE_DAYS_LATE),  # stays frozen
    ],
)
def test_the_ladder(history: list[tuple[str, int]], expected_minor: int, reason: LimitReason) -> None:
    profile = CreditProfile()
    for n, (kind, days) in enumerate(history):
        if kind == "repaid":
            repaid(profile, f"loan-{n}", days)
        else:
            profile.overdue(f"loan-{n}", days_past_due=days, at=AT, ladder=LADDER)
    line = TERMS.line(profile, currency="KES", external_minor=EXTERNAL, has_active_loan=False)
    assert line.limit_minor == expected_minor
    assert line.reasons[0] == reason.value


def test_the_climb_is_capped_by_the_bureau_and_by_the_maximum_exposure() -> None:
    profile = CreditProfile()
    for n in range(6):
        repaid(profile, f"loan-{n}")
    line = TERMS.line(profile, currency="KES", external_minor=EXTERNAL, has_active_loan=False)
    assert line.limit_minor == EXTERNAL and LimitReason.CAPPED_BY_EXTERNAL_LIMIT.value in line.reasons
    low_cap = CreditTerms(max_exposure_minor=2_000_000)
    assert limit(profile, terms=low_cap) == 2_000_000


def test_limits_are_whole_units_of_the_currency() -> None:
    profile = CreditProfile()
    assert limit(profile, external=333_333) == 83_300  # KES 833.33 rounded down to KES 833
    ugx = TERMS.line(profile, currency="UGX", external_minor=1_400_001, has_active_loan=False)
    assert ugx.limit_minor == 350_000


def test_each_fact_counts_once_under_redelivery() -> None:
    profile = CreditProfile()
    for _ in range(3):
        repaid(profile, "loan-1")
        profile.overdue("loan-2", days_past_due=45, at=AT, ladder=LADDER)
        profile.loan_disbursed("loan-3", AT)
    assert (profile.loans_repaid, profile.loans_repaid_on_time, profile.loans_disbursed) == (1, 1, 1)
    assert profile.level == 0 and len(profile.history) == 2  # up once, down once
    assert profile.in_arrears and profile.max_days_late == 45


def test_a_late_step_down_happens_once_per_loan_however_long_it_stays_late() -> None:
    profile = CreditProfile(level=3)
    for days in (31, 45, 60, 89):
        profile.overdue("loan-1", days_past_due=days, at=AT, ladder=LADDER)
    assert profile.level == 2 and not profile.frozen


def test_next_limit_and_available_say_what_repaying_on_time_would_bring() -> None:
    profile = CreditProfile()
    line = TERMS.line(profile, currency="KES", external_minor=EXTERNAL, has_active_loan=True)
    assert (line.limit_minor, line.available_minor, line.next_limit_minor) == (1_250_000, 0, 1_875_000)
    assert "ACTIVE_LOAN" in line.reasons


def test_a_market_can_have_its_own_ladder() -> None:
    terms = CreditTerms(
        max_exposure_minor=10_000_000, by_currency={"UGX": LimitLadder(first_loan_share=Decimal("0.1"))}
    )
    assert terms.line(
        CreditProfile(), currency="UGX", external_minor=1_400_000, has_active_loan=False
    ).limit_minor == (140_000)
    assert limit(CreditProfile(), terms=terms) == 1_250_000


def test_the_bureaus_limit_is_kept_and_a_repeat_of_it_changes_nothing() -> None:
    profile = CreditProfile()
    assert profile.observe_external_limit(EXTERNAL) and profile.external_limit_minor == EXTERNAL
    assert not profile.observe_external_limit(EXTERNAL)  # scoring need not write the borrower again
    assert profile.observe_external_limit(4_000_000) and profile.external_limit_minor == 4_000_000
