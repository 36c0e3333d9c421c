from datetime import timedelta

import pytest

from mkopo import topology
from mkopo.domain import ledger
from mkopo.domain.allocation import LoanStatus
from mkopo.domain.loans import Loan
from mkopo.domain.money import Money
from mkopo.domain.repayments import NO_ANSWER, RepaymentStatus
from mkopo.service import loans, repayments
from mkopo.service.errors import NotFound, Unprocessable
from mkopo.service.ports import CollectionResult, CollectionStatus, ProviderAnswerLost, ProviderUnavailable
from mkopo.service.store import User
from tests.unit.conftest import World
from tests.unit.test_pipeline import run_to_end


def disbursed(world: World, phone: str = "+254700000021") -> tuple[User, Loan]:
    app_id = run_to_end(world, phone)
    loan = world.store.get_loan(app_id)
    assert loan is not None
    user = world.store.get_user(loan.borrower_id)
    assert user is not None
    return user, loan


def repay(world: World, user: User, loan: Loan, amount: str, key: str) -> dict:
    return repayments.request_repayment(
        repayments.RequestRepayment(amount=amount),
        user=user,
        loan_id=loan.id,
        key=key,
        store=world.store,
        payments=world.payments,
        publisher=world.publisher,
        credit_terms=world.credit_terms,
        now=world.now,
    ).body


def journal(world: World) -> list[ledger.JournalEntry]:
    return world.store.journal_entries()


def test_disbursement_opens_the_loan_and_books_it(world: World) -> None:
    _, loan = disbursed(world)
    app = world.application(loan.id)
    assert loan.outstanding == app.offer.total_repayable and loan.status == LoanStatus.ACTIVE
    entries = journal(world)
    assert {e.kind for e in entries} == {ledger.EntryKind.LOAN_DISBURSED, ledger.EntryKind.PAYOUT_SETTLED}
    assert ledger.trial_balance(entries) == {"KES": 0}
    assert ledger.loan_receivable_balance(entries, loan.id) == app.offer.total_repayable.minor


def test_two_part_repayment_ends_repaid_with_zero_balance(world: World) -> None:
    user, loan = disbursed(world)
    total = loan.outstanding.minor
    first = repay(world, user, loan, "2000", "r1")
    assert first["status"] == "PENDING"
    mid = world.store.get_loan(loan.id)
    assert mid is not None and mid.outstanding.minor == total - 200_000
    rest = str(Money(minor=total - 200_000, currency="KES"))
    repay(world, user, loan, rest, "r2")
    done = world.store.get_loan(loan.id)
    assert done is not None and done.status == LoanStatus.REPAID and done.outstanding.minor == 0
    entries = journal(world)
    assert ledger.trial_balance(entries) == {"KES": 0}
    assert ledger.loan_receivable_balance(entries, loan.id) == 0
    topics = world.publisher.topics()
    assert topics.count(topology.REPAYMENT_RECEIVED) == 2 and topics.count(topology.LOAN_REPAID) == 1
    assert world.store.col("borrowers")[user.id].active_application_id is None
    with pytest.raises(Unprocessable, match="repaid"):
        repay(world, user, loan, "100", "r3")


def test_same_key_replays_and_never_collects_twice(world: World) -> None:
    user, loan = disbursed(world)
    a = repay(world, user, loan, "1000", "same")
    b = repay(world, user, loan, "1000", "same")
    assert a == b and len(world.collections.requests) == 1
    with pytest.raises(Unprocessable):
        repay(world, user, loan, "1500", "same")


def test_a_repayment_above_what_is_owed_is_refused_with_the_most_that_may_be_paid(world: World) -> None:
    user, loan = disbursed(world)
    owed = loan.outstanding
    over = str(Money(minor=owed.minor + 50_000, currency="KES"))
    with pytest.raises(Unprocessable, match=f"at most {owed} KES may be paid") as refused:
        repay(world, user, loan, over, "big")
    assert refused.value.errors and refused.value.errors[0]["field"] == "amount"
    assert not world.collections.requests
    assert world.store.get_loan(loan.id) == loan


def test_pending_requests_together_never_ask_more_than_is_owed(world: World) -> None:
    user, loan = disbursed(world)
    world.collections.pending = True
    owed = loan.outstanding.minor
    part = Money(minor=owed // 2 + 100, currency="KES")
    repay(world, user, loan, str(part), "p1")
    rest = Money(minor=owed - part.minor, currency="KES")
    with pytest.raises(Unprocessable, match=f"at most {rest} KES"):
        repay(world, user, loan, str(part), "p2")
    assert len(world.collections.requests) == 1
    repay(world, user, loan, str(rest), "p3")
    held = world.store.get_loan(loan.id)
    assert held is not None and held.collecting_minor == owed and held.payable.minor == 0


def test_a_failed_collection_frees_its_reservation(world: World) -> None:
    user, loan = disbursed(world)
    world.collections.pending = True
    body = repay(world, user, loan, str(loan.outstanding), "all")
    failed = CollectionResult("fake-collect", body["id"], CollectionStatus.FAILED, reason="CANCELLED")
    rep = world.store.get_repayment(body["id"])
    assert rep is not None
    repayments.settle_repayment(
        world.store,
        world.publisher,
        rep,
        failed,
        world.now,
        authenticated=True,
        credit_terms=world.credit_terms,
    )
    after = world.store.get_loan(loan.id)
    assert after is not None and after.collecting_minor == 0 and after.payable == loan.outstanding


def test_a_short_amount_goes_to_suspense_and_leaves_the_loan_alone(world: World) -> None:
    user, loan = disbursed(world)
    world.collections.short_minor = 100
    body = repay(world, user, loan, "1000", "short")
    rep = world.store.get_repayment(body["id"])
    assert rep is not None and rep.status == RepaymentStatus.AMOUNT_MISMATCH
    unchanged = world.store.get_loan(loan.id)
    assert unchanged is not None and unchanged.outstanding == loan.outstanding
    suspense = ledger.Account.of(ledger.AccountKind.SUSPENSE, "KES")
    assert ledger.balance(journal(world), suspense) == -99_900


def test_a_repeated_callback_settles_once(world: World) -> None:
    user, loan = disbursed(world)
    world.collections.pending = True
    body = repay(world, user, loan, "1000", "cb")
    rep = world.store.get_repayment(body["id"])
    assert rep is not None and rep.status == RepaymentStatus.PENDING
    result = CollectionResult("mpesa", rep.reference, CollectionStatus.SUCCESSFUL, "RX1", rep.amount)
    statuses = [
        repayments.settle_repayment(
            world.store,
            world.publisher,
            rep,
            result,
            world.now,
            authenticated=False,
            credit_terms=world.credit_terms,
        )
        for _ in range(3)
    ]
    assert statuses == [RepaymentStatus.SUCCESSFUL, None, None]
    assert world.publisher.topics().count(topology.REPAYMENT_RECEIVED) == 1


def test_a_callback_without_an_amount_is_not_believed(world: World) -> None:
    user, loan = disbursed(world)
    world.collections.pending = True
    rep_id = repay(world, user, loan, "1000", "noamt")["id"]
    rep = world.store.get_repayment(rep_id)
    assert rep is not None
    result = CollectionResult("mpesa", rep.reference, CollectionStatus.SUCCESSFUL, "RX1", None)
    status = repayments.settle_repayment(
        world.store,
        world.publisher,
        rep,
        result,
        world.now,
        authenticated=False,
        credit_terms=world.credit_terms,
    )
    assert status == RepaymentStatus.AMOUNT_MISMATCH


def test_lost_callback_is_found_by_reconciliation(world: World) -> None:
    user, loan = disbursed(world)
    world.collections.pending = True
    rep_id = repay(world, user, loan, "1000", "lost")["id"]
    world.collections.pending = False
    counts = repayments.reconcile_repayments(
        store=world.store,
        publisher=world.publisher,
        payments=world.payments,
        now=world.now + timedelta(minutes=1),
        older_than=timedelta(seconds=30),
        credit_terms=world.credit_terms,
    )
    assert counts["settled"] == 1
    rep = world.store.get_repayment(rep_id)
    assert rep is not None and rep.status == RepaymentStatus.SUCCESSFUL


def test_nobody_else_can_see_or_repay_a_loan(world: World) -> None:
    _, loan = disbursed(world)
    stranger = world.user("+254700000077")
    with pytest.raises(NotFound):
        loans.get_loan(world.store, user_id=stranger.id, loan_id=loan.id, now=world.now)
    with pytest.raises(NotFound):
        repay(world, stranger, loan, "100", "x")


def test_arrears_run_earns_income_reminds_and_flags_overdue_once(world: World) -> None:
    _, loan = disbursed(world)
    due = loan.schedule.installments[0].due_date
    run = {
        "store": world.store,
        "publisher": world.publisher,
        "reminder_days": 3,
        "credit_terms": world.credit_terms,
    }
    before = world.now.replace(year=due.year, month=due.month, day=due.day) - timedelta(days=2)
    assert loans.run_arrears(**run, now=before)["reminders"] == 1
    assert loans.run_arrears(**run, now=before)["reminders"] == 0
    late = before + timedelta(days=40)
    counts = loans.run_arrears(**run, now=late)
    assert counts["income_entries"] == 1 and counts["overdue"] == 1
    assert loans.run_arrears(**run, now=late) == {
        "loans": 1,
        "income_entries": 0,
        "reminders": 0,
        "overdue": 0,
        "charges": 0,
        "written_off": 0,
    }
    view = loans.get_loan(world.store, user_id=loan.borrower_id, loan_id=loan.id, now=late)
    assert view["arrears_bucket"] == "31-60" and view["days_past_due"] == 38
    assert ledger.trial_balance(journal(world)) == {"KES": 0}
    topics = world.publisher.topics()
    assert topics.count(topology.REPAYMENT_DUE) == 1 and topics.count(topology.INSTALLMENT_OVERDUE) == 1


def test_ops_lists_money_in_flight_and_mismatches(world: World) -> None:
    from mkopo.ops import unresolved

    user, loan = disbursed(world)
    assert unresolved(world.store, now=world.now, older_than=timedelta(0)) == []
    world.collections.short_minor = 100
    repay(world, user, loan, "1000", "short")
    world.collections.short_minor, world.collections.pending = 0, True
    repay(world, user, loan, "1000", "slow")
    rows = unresolved(world.store, now=world.now + timedelta(minutes=10), older_than=timedelta(minutes=5))
    assert sorted((r["kind"], r["status"]) for r in rows) == [
        ("repayment", "AMOUNT_MISMATCH"),
        ("repayment", "PENDING"),
        ("suspense", "UNASSIGNED"),
    ]


def test_a_lost_collection_request_is_resent_once_however_many_passes_run(world: World) -> None:
    user, loan = disbursed(world)
    world.collections.pending = True
    rep_id = repay(world, user, loan, "1000", "never-arrived")["id"]
    world.collections.requests.clear()  # the provider never got it
    world.collections.pending = True
    args = {
        "store": world.store,
        "publisher": world.publisher,
        "payments": world.payments,
        "credit_terms": world.credit_terms,
    }
    later = world.now + timedelta(minutes=1)
    first = repayments.reconcile_repayments(**args, now=later, older_than=timedelta(seconds=30))
    world.collections.requests.clear()
    again = repayments.reconcile_repayments(**args, now=later, older_than=timedelta(seconds=30))
    assert first["resent"] == 1 and again["resent"] == 0  # a second pass at the same moment does not resend
    rep = world.store.get_repayment(rep_id)
    assert rep is not None and rep.resent_at == later


def reconcile(world: World, minutes: int = 1) -> dict[str, int]:
    args = {
        "store": world.store,
        "publisher": world.publisher,
        "payments": world.payments,
        "credit_terms": world.credit_terms,
    }
    later = world.now + timedelta(minutes=minutes)
    return repayments.reconcile_repayments(**args, now=later, older_than=timedelta(seconds=30))


def test_a_prompt_whose_answer_was_lost_is_never_sent_again_and_late_money_still_counts(world: World) -> None:
    user, loan = disbursed(world)
    world.collections.fault = ProviderAnswerLost
    body = repay(world, user, loan, "1000", "lost-answer")
    assert body["status"] == "PENDING" and world.collections.prompts == 1
    world.collections.requests.clear()  # no CheckoutRequestID came back: the status query finds nothing
    first, second = reconcile(world, 1), reconcile(world, 2)
    assert (first["given_up"], first["resent"], second["resent"]) == (1, 0, 0)
    assert world.collections.prompts == 1  # one prompt on the borrower's phone, whatever the passes
    rep = world.store.get_repayment(body["id"])
    freed = world.store.get_loan(loan.id)
    assert rep is not None and (rep.status, rep.reason) == (RepaymentStatus.FAILED, NO_ANSWER)
    assert freed is not None and freed.collecting_minor == 0
    paid = CollectionResult(
        "fake-collect", rep.reference, CollectionStatus.SUCCESSFUL, "rx-late", Money.parse("1000", "KES")
    )
    repayments.settle_repayment(
        world.store,
        world.publisher,
        rep,
        paid,
        world.now,
        authenticated=False,
        credit_terms=world.credit_terms,
    )
    after = world.store.get_loan(loan.id)
    assert after is not None and after.outstanding.minor == loan.outstanding.minor - 100_000
    assert world.store.get_repayment(rep.id).status == RepaymentStatus.SUCCESSFUL  # type: ignore[union-attr]


def test_a_provider_that_was_down_is_asked_again_by_reconciliation(world: World) -> None:
    user, loan = disbursed(world)
    world.collections.fault = ProviderUnavailable
    body = repay(world, user, loan, "1000", "down")
    assert body["status"] == "PENDING" and world.collections.prompts == 0
    assert reconcile(world)["resent"] == 1 and world.collections.prompts == 1
    assert world.store.get_repayment(body["id"]).status == RepaymentStatus.SUCCESSFUL  # type: ignore[union-attr]


def test_an_idempotent_provider_is_asked_again_after_a_lost_answer(world: World) -> None:
    user, loan = disbursed(world)
    world.collections.repeats_safely = True
    world.collections.fault = ProviderAnswerLost
    body = repay(world, user, loan, "1000", "momo-lost")
    world.collections.requests.clear()
    assert reconcile(world)["resent"] == 1
    assert world.store.get_repayment(body["id"]).status == RepaymentStatus.SUCCESSFUL  # type: ignore[union-attr]
