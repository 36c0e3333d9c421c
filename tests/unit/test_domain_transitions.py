"""The aggregates' own state changes: each one legal move or nothing, each bookkeeping step once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mkopo.domain.applications import (
    PAYOUT_FAILED,
    PAYOUT_PENDING,
    PAYOUT_SUCCESSFUL,
    PAYOUT_UNKNOWN,
    Application,
    IllegalTransition,
    Status,
)
from mkopo.domain.loans import Loan
from mkopo.domain.money import Money
from mkopo.domain.policy import has_other_active_loan
from mkopo.domain.schedule import build_schedule
from mkopo.service.ports import PayoutStatus
from tests.unit.conftest import World

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def submitted(world: World) -> Application:
    user = world.user()
    app_id = world.submit(user, world.offer(), key=f"k-{user.id}").body["application_id"]
    return world.application(app_id)


def scored(world: World) -> Application:
    app = submitted(world)
    app.record_score(
        score=610, probability_of_default=0.02, reasons=["THIN_FILE"], credit_limit_minor=9, at=AT
    )
    return app


def test_scoring_records_the_result_and_moves_to_scored(world: World) -> None:
    app = scored(world)
    assert app.status == Status.SCORED and app.timeline[-1].status == Status.SCORED
    assert (app.decision.score, app.decision.reasons, app.decision.credit_limit_minor) == (
        610,
        ["THIN_FILE"],
        9,
    )
    assert app.updated_at == AT


def test_approve_clears_the_reasons_and_sets_the_outcome(world: World) -> None:
    app = scored(world)
    app.approve(AT)
    assert (app.status, app.decision.outcome, app.decision.reasons) == (Status.APPROVED, Status.APPROVED, [])


def test_reject_and_refer_keep_their_reasons(world: World) -> None:
    rejected, referred = scored(world), scored(world)
    rejected.reject(["SCORE_BELOW_CUTOFF"], AT)
    referred.refer(["SCORE_IN_REVIEW_BAND"], AT)
    assert (rejected.status, rejected.decision.outcome) == (Status.REJECTED, Status.REJECTED)
    assert rejected.decision.reasons == ["SCORE_BELOW_CUTOFF"]
    assert (referred.status, referred.decision.outcome) == (Status.MANUAL_REVIEW, None)
    assert referred.decision.reasons == ["SCORE_IN_REVIEW_BAND"]


def test_an_illegal_step_changes_nothing(world: World) -> None:
    app = submitted(world)
    before = app.model_dump()
    for step in (lambda: app.approve(AT), lambda: app.reject(["X"], AT), lambda: app.refer(["X"], AT)):
        with pytest.raises(IllegalTransition):
            step()
    assert app.model_dump() == before


def test_a_review_records_the_officer_and_the_outcome(world: World) -> None:
    app = scored(world)
    app.refer(["SCORE_IN_REVIEW_BAND"], AT)
    app.reject(["REVIEW_DECLINED"], AT)
    app.record_review("officer-1", "income too thin", AT)
    assert app.review is not None
    assert (app.review.officer_id, app.review.outcome, app.review.comment) == (
        "officer-1",
        Status.REJECTED,
        "income too thin",
    )


def approved(world: World) -> Application:
    app = scored(world)
    app.approve(AT)
    return app


def test_a_payout_is_recorded_pending_once(world: World) -> None:
    app = approved(world)
    assert app.record_payout_pending("mpesa", "ref-1", AT)
    assert (app.disbursement.status, app.disbursement.reference, app.disbursement.requested_at) == (
        PAYOUT_PENDING,
        "ref-1",
        AT,
    )
    assert not app.record_payout_pending("mpesa", "ref-2", AT + timedelta(minutes=1))
    assert app.disbursement.reference == "ref-1" and app.payout_pending


def test_only_an_approved_application_records_a_payout(world: World) -> None:
    app = scored(world)
    assert not app.record_payout_pending("mpesa", "ref-1", AT)
    assert app.disbursement.status is None and not app.payout_pending


def test_an_unknown_payout_is_noted_once_and_requested_again_once(world: World) -> None:
    app = approved(world)
    assert not app.note_payout_unknown()  # nothing pending yet
    app.record_payout_pending("mpesa", "ref-1", AT)
    assert app.note_payout_unknown() and app.disbursement.reason == PAYOUT_UNKNOWN
    assert not app.note_payout_unknown()
    later = AT + timedelta(minutes=5)
    assert app.request_payout_again(later)
    assert app.disbursement.reason is None and app.disbursement.requested_at == later
    assert not app.request_payout_again(later)


def test_a_settled_payout_disburses_and_a_failed_one_fails(world: World) -> None:
    paid, failed = approved(world), approved(world)
    paid.record_payout_settled(provider="mpesa", reference="r1", provider_transaction_id="T1", at=AT)
    failed.record_payout_failed(
        provider="mpesa", reference="r2", provider_transaction_id=None, reason="2040", at=AT
    )
    assert (paid.status, paid.disbursement.status, paid.disbursement.provider_transaction_id) == (
        Status.DISBURSED,
        PAYOUT_SUCCESSFUL,
        "T1",
    )
    assert (failed.status, failed.disbursement.status, failed.disbursement.reason) == (
        Status.DISBURSEMENT_FAILED,
        PAYOUT_FAILED,
        "2040",
    )
    with pytest.raises(IllegalTransition):
        paid.record_payout_failed(
            provider="mpesa", reference="r1", provider_transaction_id=None, reason="x", at=AT
        )
    assert paid.status == Status.DISBURSED


def test_payout_states_match_the_payments_port() -> None:
    assert {PAYOUT_PENDING, PAYOUT_SUCCESSFUL, PAYOUT_FAILED} == {s.value for s in PayoutStatus}


def test_one_active_loan_per_borrower() -> None:
    assert not has_other_active_loan(None, "a1")
    assert not has_other_active_loan("a1", "a1")
    assert has_other_active_loan("a0", "a1")


def loan(start: date) -> Loan:
    kes = lambda minor: Money(minor=minor, currency="KES")  # noqa: E731
    plan = build_schedule(
        principal=kes(100_000),
        interest=kes(10_000),
        fees=kes(2_000),
        term_days=60,
        start=start,
        installments=2,
    )
    at = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    return Loan.open(
        loan_id="L1",
        borrower_id="B1",
        phone="+254700000001",
        lender="l",
        payout_provider="mpesa",
        schedule=plan,
        at=at,
    )


def test_arrears_are_aged_once_per_installment_and_bucket() -> None:
    start = date(2026, 10, 1)
    aged = loan(start)
    first_due = aged.position.installments[0].due_date
    soon = aged.age_arrears(first_due - timedelta(days=2), 3, AT)
    assert [i.number for i in soon.reminders] == [1] and not soon.income_due and not soon.overdue
    assert not aged.arrears_due(first_due - timedelta(days=2), 3)  # done already
    late_day = first_due + timedelta(days=5)
    late = aged.age_arrears(late_day, 3, AT)
    assert late.income_due == [1]
    assert [(o.installment.number, o.days_past_due, o.bucket) for o in late.overdue] == [(1, 5, "1-30")]
    assert aged.income_recognised == [1] and aged.overdue_flags == ["1:1-30"] and aged.reminders_sent == ["1"]
    assert not aged.age_arrears(late_day, 3, AT)
    next_bucket = aged.age_arrears(first_due + timedelta(days=31), 3, AT)
    keys = [o.key for o in next_bucket.overdue]
    assert "1:31-60" in keys and "1:1-30" not in keys
