from collections.abc import Callable
from datetime import timedelta

import pytest

from mkopo import topology
from mkopo.domain.applications import Status
from mkopo.domain.events import ApplicationScored, CheckoutSubmitted, LoanApproved, parse_event
from mkopo.service import decisions, disbursements, notifications, scoring
from mkopo.service.ports import PayoutStatus, ProviderUnavailable
from tests.unit.conftest import World


def last_event(world: World, topic: str) -> object:
    payloads = [p for t, p, _ in world.publisher.published if t == topic]
    return parse_event(payloads[-1])


def run_to_end(world: World, phone: str, amount: str = "5000") -> str:
    """Checkout, then feed each published event to its consumer, twice (at-least-once delivery)."""
    user = world.user(phone)
    app_id = world.submit(user, world.offer(amount), key=phone).body["application_id"]
    steps: list[tuple[str, Callable[[object], object]]] = [
        (
            topology.CHECKOUT_SUBMITTED,
            lambda e: scoring.score_application(
                e,
                store=world.store,
                publisher=world.publisher,
                credit_data=world.credit,
                scorecard=world.scorecard,
                credit_terms=world.credit_terms,
                challenger=world.challenger,
                now=world.now,
            ),
        ),
        (
            topology.APPLICATION_SCORED,
            lambda e: decisions.decide(
                e, store=world.store, publisher=world.publisher, policy=world.policy, now=world.now
            ),
        ),
        (
            topology.LOAN_APPROVED,
            lambda e: disbursements.disburse(
                e,
                store=world.store,
                publisher=world.publisher,
                payments=world.payments,
                now=lambda: world.now,
            ),
        ),
    ]
    for topic, step in steps:
        if topic not in world.publisher.topics():
            break
        event = last_event(world, topic)
        step(event)
        step(event)
    return app_id


def test_good_applicant_is_disbursed_once_with_one_event_per_step(world: World) -> None:
    app = world.application(run_to_end(world, "+254700000007"))
    assert app.status == Status.DISBURSED
    assert [t.status for t in app.timeline] == [
        Status.SUBMITTED,
        Status.SCORED,
        Status.APPROVED,
        Status.DISBURSED,
    ]
    assert app.decision.outcome == Status.APPROVED and app.decision.score is not None
    assert app.disbursement.reference == disbursements.payout_reference(app.id)
    assert world.publisher.topics() == [
        topology.CHECKOUT_SUBMITTED,
        topology.APPLICATION_SCORED,
        topology.LOAN_APPROVED,
        topology.LOAN_DISBURSED,
    ]
    assert len(world.provider.payouts) == 1


def test_poor_applicant_is_rejected_with_reasons(world: World) -> None:
    app = world.application(run_to_end(world, "+254711000007"))
    assert app.status == Status.REJECTED
    assert "SCORE_BELOW_CUTOFF" in app.decision.reasons
    assert world.provider.payouts == {}
    assert world.publisher.topics()[-1] == topology.LOAN_REJECTED


def test_amount_above_the_limit_is_rejected(world: World) -> None:
    app = world.application(run_to_end(world, "+254700000008", amount="60000"))
    assert app.status == Status.REJECTED and "AMOUNT_ABOVE_LIMIT" in app.decision.reasons


def test_failed_payout_frees_the_borrower_for_another_loan(world: World) -> None:
    app = world.application(run_to_end(world, "+254722000007"))
    assert app.status == Status.DISBURSEMENT_FAILED
    assert app.disbursement.reason == "PAYEE_NOT_FOUND"
    assert world.store.col("borrowers")[app.borrower_id].active_application_id is None


def test_one_active_loan_per_borrower(world: World) -> None:
    user = world.user("+254700000009")
    first = world.submit(user, world.offer(), key="a").body["application_id"]
    second = world.submit(user, world.offer(), key="b").body["application_id"]
    for app_id in (first, second):
        submitted = CheckoutSubmitted.model_validate(
            next(
                p
                for t, p, _ in world.publisher.published
                if t == topology.CHECKOUT_SUBMITTED and p["application_id"] == app_id
            )
        )
        scoring.score_application(
            submitted,
            store=world.store,
            publisher=world.publisher,
            credit_data=world.credit,
            scorecard=world.scorecard,
            credit_terms=world.credit_terms,
            now=world.now,
        )
    scored = [
        ApplicationScored.model_validate(p)
        for t, p, _ in world.publisher.published
        if t == topology.APPLICATION_SCORED
    ]
    for event in scored:
        decisions.decide(
            event, store=world.store, publisher=world.publisher, policy=world.policy, now=world.now
        )
    statuses = {world.application(a).status for a in (first, second)}
    assert statuses == {Status.APPROVED, Status.REJECTED}
    rejected = next(a for a in (first, second) if world.application(a).status == Status.REJECTED)
    assert "ACTIVE_LOAN_EXISTS" in world.application(rejected).decision.reasons


def approved(world: World) -> LoanApproved:
    run_to_end(world, "+254700000010")
    event = last_event(world, topology.LOAN_APPROVED)
    assert isinstance(event, LoanApproved)
    return event


def test_pending_payout_is_reconciled_and_never_paid_twice(world: World) -> None:
    world.provider.outcome = PayoutStatus.PENDING
    user = world.user("+254700000011")
    app_id = world.submit(user, world.offer(), key="p").body["application_id"]
    app = world.application(app_id)
    app.move_to(Status.SCORED, world.now)
    app.move_to(Status.APPROVED, world.now)
    world.store.col("applications")[app_id] = app
    event = LoanApproved.new(
        application_id=app_id,
        occurred_at=world.now,
        borrower_id=user.id,
        lender="x",
        amount_minor=1,
        currency="KES",
        score=700,
    )
    assert isinstance(event, LoanApproved)
    for _ in range(2):  # redelivered: the same payout is asked about, not paid again
        assert not disbursements.disburse(
            event,
            store=world.store,
            publisher=world.publisher,
            payments=world.payments,
            now=lambda: world.now,
        )
    pending = world.application(app_id)
    assert pending.status == Status.APPROVED and pending.disbursement.status == "PENDING"
    reconcile = {
        "store": world.store,
        "publisher": world.publisher,
        "payments": world.payments,
        "older_than": timedelta(seconds=5),
    }
    assert disbursements.reconcile_payouts(**reconcile, now=world.now)["checked"] == 0  # too recent
    later = world.now + timedelta(seconds=6)
    assert disbursements.reconcile_payouts(**reconcile, now=later)["settled"] == 0  # still pending
    world.provider.outcome = None
    assert disbursements.reconcile_payouts(**reconcile, now=later)["settled"] == 1
    assert len(world.provider.payouts) == 1
    assert world.application(app_id).status == Status.DISBURSED
    loan = world.store.get_loan(app_id)
    assert loan is not None and loan.outstanding == app.offer.total_repayable


def test_provider_outage_propagates_for_a_retry(world: World) -> None:
    world.provider.unavailable = True
    with pytest.raises(ProviderUnavailable):
        approved(world)


def test_notifications_once_per_event_with_the_real_cost(world: World) -> None:
    app_id = run_to_end(world, "+254700000012")
    reads_before = world.store.joint_reads
    for _topic, payload, _ in world.publisher.published:
        event = parse_event(payload)
        for _ in range(2):
            notifications.notify_borrower(event, store=world.store, channel=world.sms, now=world.now)
    assert world.store.joint_reads - reads_before == 2 * len(world.publisher.published)  # one read each
    app = world.application(app_id)
    texts = list(world.sms.sent.values())
    assert world.sms.sends == len(texts) == 3  # submitted, approved, disbursed; nothing for scored
    approved_text = next(t for t in texts if "approved" in t)
    assert str(app.offer.total_repayable) in approved_text and f"APR {app.offer.apr}%" in approved_text
    notes = world.store.list_notifications(app.borrower_id, 10)
    assert len(notes) == 3 and all(n.status == "sent" for n in notes)


def approved_but_not_paid(world: World, phone: str) -> str:
    """An application approved in the store whose loan_approved never reached disbursement."""
    app_id = world.submit(world.user(phone), world.offer(), key=phone).body["application_id"]
    app = world.application(app_id)
    app.move_to(Status.SCORED, world.now)
    app.move_to(Status.APPROVED, world.now)
    world.store.col("applications")[app_id] = app
    return app_id


def test_an_approval_whose_event_was_lost_is_paid_by_reconciliation(world: World) -> None:
    app_id = approved_but_not_paid(world, "+254700000031")
    args = {"store": world.store, "publisher": world.publisher, "payments": world.payments}
    soon = disbursements.reconcile_payouts(
        **args, now=world.now + timedelta(seconds=30), older_than=timedelta(0)
    )
    assert soon["requested"] == 0  # probably still queued in Pub/Sub
    later = disbursements.reconcile_payouts(
        **args, now=world.now + timedelta(minutes=3), older_than=timedelta(0)
    )
    assert later["requested"] == 1 and world.application(app_id).status == Status.DISBURSED


def test_a_payout_the_provider_never_got_is_requested_again_by_reconciliation(world: World) -> None:
    app_id = approved_but_not_paid(world, "+254700000033")
    disbursements.mark_pending(
        world.store, app_id, "fake-momo", disbursements.payout_reference(app_id), world.now
    )
    # The request itself was lost; the provider's asynchronous status answer says it has no such payout.
    world.provider.answers_later = True
    assert disbursements.note_payout_unknown(world.store, app_id)
    assert not disbursements.note_payout_unknown(world.store, app_id)  # noted once
    args = {"store": world.store, "publisher": world.publisher, "payments": world.payments}
    early = disbursements.reconcile_payouts(
        **args, now=world.now + timedelta(seconds=10), older_than=timedelta(0)
    )
    assert early["requested"] == 0 and world.provider.calls == 0  # not yet: it may still be on its way
    late = world.now + disbursements.UNKNOWN_AFTER + timedelta(seconds=1)
    counts = disbursements.reconcile_payouts(**args, now=late, older_than=timedelta(0))
    assert counts["requested"] == 1 and world.provider.calls == 1 and len(world.provider.payouts) == 1
    assert world.application(app_id).disbursement.reason is None  # a fresh "no record" is needed again
    again = disbursements.reconcile_payouts(**args, now=late, older_than=timedelta(0))
    assert again["requested"] == 0 and world.provider.calls == 1  # one pass requests it, not every pass
    world.provider.answers_later = False  # its result arrives (here: the next status query answers)
    disbursements.reconcile_payouts(**args, now=late + timedelta(seconds=5), older_than=timedelta(0))
    assert world.application(app_id).status == Status.DISBURSED and world.provider.calls == 1


def test_every_score_is_explained_on_the_application_the_event_and_the_audit_record(world: World) -> None:
    app_id = run_to_end(world, "+254711000007")
    app = world.application(app_id)
    expected = world.scorecard.score(world.credit.features_for("+254711000007"))
    assert app.decision.model_version == world.scorecard.version == "launch-v1"
    assert app.decision.points == expected.points and set(expected.points) == {
        c.feature for c in world.scorecard.characteristics
    }
    assert app.decision.score_reasons == expected.reasons != []
    scored = last_event(world, topology.APPLICATION_SCORED)
    assert isinstance(scored, ApplicationScored)
    assert (scored.model_version, scored.points, scored.score) == (
        "launch-v1",
        expected.points,
        expected.score,
    )
    assert scored.features == world.credit.features_for("+254711000007").model_dump()
    audit = [r for r in world.store.list_audit(app_id, 50) if r.action == topology.APPLICATION_SCORED]
    assert len(audit) == 1 and audit[0].after is not None
    assert audit[0].after["model_version"] == "launch-v1"
    assert audit[0].after["points"] == expected.points and audit[0].after["reasons"] == expected.reasons


def test_the_decline_sms_gives_the_top_score_reason_in_plain_words(world: World) -> None:
    from mkopo.domain.messages import REASON_TEXT, sms_for

    app_id = run_to_end(world, "+254711000007")
    rejected = last_event(world, topology.LOAN_REJECTED)
    text = sms_for(rejected, world.application(app_id))  # type: ignore[arg-type]
    top = world.application(app_id).decision.score_reasons[0]
    assert text is not None and REASON_TEXT[top] in text
    assert top not in text and top.lower().replace("_", " ") not in text
    for card_reason in {c.reason for c in world.scorecard.characteristics}:
        assert card_reason in REASON_TEXT, card_reason


def test_a_challenger_scores_in_shadow_and_never_decides(world: World) -> None:
    world.challenger = world.scorecard.model_copy(update={"version": "c1", "base_points": 100})
    app = world.application(run_to_end(world, "+254700000007"))
    assert (
        app.status == Status.DISBURSED and app.decision.model_version == "launch-v1"
    )  # the champion decided
    scored = last_event(world, topology.APPLICATION_SCORED)
    assert isinstance(scored, ApplicationScored)
    assert scored.challenger_version == "c1" and scored.challenger_score == scored.score - 200
    assert scored.challenger_probability_of_default is not None
    assert scored.challenger_probability_of_default > scored.probability_of_default


def test_without_a_challenger_the_event_says_so(world: World) -> None:
    run_to_end(world, "+254700000007")
    scored = last_event(world, topology.APPLICATION_SCORED)
    assert isinstance(scored, ApplicationScored)
    assert (scored.challenger_version, scored.challenger_score) == (None, None)
