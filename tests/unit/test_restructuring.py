"""Restructuring: the new installments' arithmetic, maker-checker, the borrower's acceptance, the ledger."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from mkopo import topology
from mkopo.domain import ledger
from mkopo.domain.allocation import Portion
from mkopo.domain.chart_of_accounts import Account, AccountKind
from mkopo.domain.events import DomainEvent, LoanRestructuring, parse_event
from mkopo.domain.loans import Loan
from mkopo.domain.messages import sms, sms_for
from mkopo.domain.money import Money
from mkopo.domain.restructuring import (
    OwnApproval,
    ProposalError,
    ProposalStatus,
    RestructureProposal,
    RestructureTerms,
    new_installments,
    waived_portion,
)
from mkopo.domain.schedule import Installment, RepaymentSchedule, build_schedule
from mkopo.service import loans, restructuring, sms_inbound
from mkopo.service.errors import AlreadyExists, Forbidden, NotFound
from mkopo.service.store import User
from tests.unit.conftest import NOW, World
from tests.unit.test_loans import disbursed, repay

TODAY = NOW.date()


def kes(shillings: int) -> Money:
    return Money(minor=shillings * 100, currency="KES")


def published(world: World) -> list[DomainEvent]:
    return [parse_event(payload) for _, payload, _ in world.publisher.published]


def terms(n: int = 3, first: date | None = None, waive: bool = False, period: int = 30) -> RestructureTerms:
    first = first or TODAY + timedelta(days=7)
    return RestructureTerms(
        installments=n, period_days=period, first_due_date=first, waive=waive, reason="lost income"
    )


# --- the arithmetic -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 7, 12])
@pytest.mark.parametrize("waive", [False, True])
def test_new_installments_total_what_is_outstanding_less_what_is_waived(n: int, waive: bool) -> None:
    owed = Portion(penalties=12_300, fees=45_100, interest=77_700, principal=500_000)
    rows = new_installments(owed, terms(n, waive=waive), first_number=2, unit=100)
    total = sum(r.total for r in rows)
    assert total == owed.total - waived_portion(owed, waive).total
    assert total == owed.total - (owed.penalties + owed.fees if waive else 0)
    assert [r.number for r in rows] == list(range(2, 2 + n))
    assert [r.due_date for r in rows] == [TODAY + timedelta(days=7 + 30 * k) for k in range(n)]
    assert sum(r.principal for r in rows) == owed.principal and sum(r.interest for r in rows) == owed.interest
    assert all(r.principal % 100 == 0 and r.interest % 100 == 0 for r in rows[:-1])  # whole shillings
    assert sum(r.penalties for r in rows) == (0 if waive else owed.penalties) == rows[0].penalties


def _loan(installments: int = 3, start: date = date(2026, 9, 1)) -> Loan:
    schedule = build_schedule(
        principal=kes(6000),
        interest=kes(900),
        fees=kes(300),
        term_days=90,
        start=start,
        installments=installments,
        unit=100,
    )
    return Loan.open(
        loan_id=str(uuid.uuid4()),
        borrower_id="b1",
        phone="+254700000001",
        lender="jamii",
        payout_provider="mpesa",
        schedule=schedule,
        at=NOW - timedelta(days=89),
    )


def _approved(loan: Loan, t: RestructureTerms) -> RestructureProposal:
    owed = loan.position.outstanding
    kept = sum(1 for i in loan.position.installments if i.paid.total)
    proposal = RestructureProposal(
        id=str(uuid.uuid4()),
        loan_id=loan.id,
        borrower_id=loan.borrower_id,
        currency=loan.currency,
        terms=t,
        installments=new_installments(owed, t, first_number=kept + 1, unit=100),
        waived=waived_portion(owed, t.waive),
        basis_outstanding_minor=owed.total,
        basis_paid_minor=loan.paid_minor,
        basis_charged=loan.charged,
        code="123456",
        proposed_by="officer-a",
        proposed_at=NOW,
        expires_at=NOW + timedelta(days=7),
    )
    proposal.approve("officer-b", "officer", "ok", NOW)
    return proposal


def test_restructure_keeps_what_was_paid_and_replaces_the_rest() -> None:
    loan = _loan()
    loan.apply_payment(kes(3000), NOW - timedelta(days=40))  # #1 paid, #2 partly
    owed_before, paid_before = loan.outstanding.minor, loan.paid_minor
    loan.income_recognised = [1, 2, 3]
    proposal = _approved(loan, terms(4))
    proposal.accept("api", NOW)
    changed = loan.restructure(proposal, NOW)
    numbers = [i.number for i in loan.position.installments]
    assert numbers == [1, 2, 3, 4, 5, 6] and loan.schedule_version == 2 and loan.restructured
    assert [i.state(TODAY).value for i in loan.position.installments[:2]] == ["PAID", "PAID"]
    assert loan.outstanding.minor == owed_before == proposal.new_total_minor
    assert loan.schedule.total_repayable.minor == paid_before + proposal.new_total_minor
    assert loan.schedule.principal == kes(6000)  # principal never changes
    assert loan.income_recognised == [1, 2] and loan.position.days_past_due(TODAY) == 0
    assert changed.earned_unpaid.interest + changed.earned_unpaid.fees == owed_before - (
        loan.position.outstanding.principal
    )
    assert [v.version for v in loan.schedule_history] == [1, 2]
    assert loan.schedule_history[1].approved_by == "officer-b"
    allocation = loan.apply_payment(kes(1000), NOW)  # goes to the first new installment
    assert {line.installment for line in allocation.lines} == {3}


def test_a_payment_since_the_proposal_makes_it_stale() -> None:
    loan = _loan()
    proposal = _approved(loan, terms(2))
    loan.apply_payment(kes(100), NOW)
    proposal.accept("api", NOW)
    with pytest.raises(ProposalError, match="changed since"):
        loan.restructure(proposal, NOW)


def test_maker_checker_and_expiry_rules() -> None:
    loan = _loan()
    proposal = _approved(loan, terms(2))
    with pytest.raises(ProposalError, match="APPROVED, not PROPOSED"):
        proposal.approve("officer-c", "admin", None, NOW)  # decided already
    fresh = proposal.model_copy(update={"status": ProposalStatus.PROPOSED, "decided_by": None})
    with pytest.raises(OwnApproval):
        fresh.approve("officer-a", "officer", None, NOW)
    with pytest.raises(ProposalError, match="not APPROVED"):
        fresh.accept("api", NOW)  # nobody approved it yet
    with pytest.raises(ProposalError, match="expired"):
        proposal.accept("api", NOW + timedelta(days=7))
    assert proposal.effective_status(NOW + timedelta(days=8)) == "EXPIRED"


def test_the_restructure_entry_balances_and_reverses_what_is_waived() -> None:
    entry = ledger.post_loan_restructured(
        loan_id="L1",
        currency="KES",
        waived=Portion(penalties=500, fees=300),
        earned_unpaid=Portion(interest=200, fees=100),
        reference="p1",
        at=NOW,
    )
    assert entry is not None and sum(line.amount for line in entry.lines) == 0
    bal = {str(line.account): line.amount for line in entry.lines}
    assert bal["fees_receivable:L1"] == -300 and bal["penalties_receivable:L1"] == -500
    assert bal["penalty_income:KES"] == 500 and bal["deferred_fees:L1"] == 200
    assert (
        ledger.post_loan_restructured(
            loan_id="L1", currency="KES", waived=Portion(), earned_unpaid=Portion(), reference="p2", at=NOW
        )
        is None
    )


# --- the service: propose, approve, accept -----------------------------------------------------------


def staff(world: World, role: str) -> User:
    user = world.user(f"+2547680000{uuid.uuid4().int % 90 + 10}")
    user = user.model_copy(update={"role": role})
    world.store.col("users")[user.id] = user
    return user


def overdue_loan(world: World, days: int = 40) -> tuple[User, Loan]:
    user, loan = disbursed(world, f"+2547000000{uuid.uuid4().int % 90 + 10}")
    world.now = NOW + timedelta(days=30 + days)
    loans.run_arrears(
        store=world.store,
        publisher=world.publisher,
        now=world.now,
        reminder_days=3,
        credit_terms=world.credit_terms,
    )
    return user, loan


def propose(world: World, loan: Loan, officer: User, **kw: object) -> dict:
    t = terms(first=world.now.date() + timedelta(days=10), **kw)  # type: ignore[arg-type]
    return restructuring.propose(loan.id, t, officer=officer, store=world.store, now=world.now, ttl_days=7)


def decide(world: World, loan: Loan, pid: str, officer: User, outcome: str = "APPROVED") -> dict:
    return restructuring.decide(
        loan.id,
        pid,
        restructuring.Outcome(outcome),
        restructuring.ProposalDecision(comment="fine"),
        officer=officer,
        store=world.store,
        publisher=world.publisher,
        now=world.now,
    )


def accept(world: World, loan: Loan, pid: str, user: User) -> dict:
    return restructuring.accept(
        loan.id, pid, borrower=user, via="api", store=world.store, publisher=world.publisher, now=world.now
    )


def test_proposed_approved_by_another_accepted_by_the_borrower(world: World) -> None:
    user, loan = overdue_loan(world)
    a, b = staff(world, "officer"), staff(world, "officer")
    owed = world.store.get_loan(loan.id).outstanding.minor  # type: ignore[union-attr]
    proposal = propose(world, loan, a)
    assert proposal["status"] == "PROPOSED" and proposal["new_total"] == str(
        Money(minor=owed, currency="KES")
    )
    assert "code" not in proposal
    with pytest.raises(Forbidden):
        decide(world, loan, proposal["id"], a)
    with pytest.raises(AlreadyExists, match="not APPROVED"):
        accept(world, loan, proposal["id"], user)  # not approved yet: nothing changes
    assert world.store.get_loan(loan.id).schedule_version == 1  # type: ignore[union-attr]
    assert decide(world, loan, proposal["id"], b)["status"] == "APPROVED"
    with pytest.raises(AlreadyExists, match="decided by"):
        decide(world, loan, proposal["id"], staff(world, "admin"))
    stranger = world.user("+254700000077")
    with pytest.raises(NotFound):
        accept(world, loan, proposal["id"], stranger)
    done = accept(world, loan, proposal["id"], user)
    assert done["status"] == "ACCEPTED" and accept(world, loan, proposal["id"], user) == done  # idempotent
    after = world.store.get_loan(loan.id)
    assert after is not None and after.restructured and after.outstanding.minor == owed
    entries = world.store.journal_entries()
    assert ledger.trial_balance(entries) == {"KES": 0}
    assert ledger.loan_receivable_balance(entries, loan.id) == owed
    assert [e for e in entries if e.kind == ledger.EntryKind.LOAN_RESTRUCTURED]
    events = [e for e in published(world) if isinstance(e, LoanRestructuring)]
    assert [e.stage for e in events] == ["APPROVED", "ACCEPTED"]
    actions = [r.action for r in world.store.list_audit(loan.id, 50) if r.entity_type == "loan"]
    assert actions == ["restructure_proposed", "restructure_approved", "restructure_accepted"]
    view = loans.get_loan(world.store, user_id=user.id, loan_id=loan.id, now=world.now)
    assert view["restructured"] and [v["version"] for v in view["schedule_history"]] == [1, 2]
    assert view["days_past_due"] == 0 and len(view["schedule"]) == 3 and view["pending_proposal"] is None


def test_falling_behind_again_on_the_new_schedule(world: World) -> None:
    user, loan = overdue_loan(world)
    a, b = staff(world, "officer"), staff(world, "admin")
    pid = propose(world, loan, a)["id"]
    decide(world, loan, pid, b)
    accept(world, loan, pid, user)
    before = len(world.publisher.published)
    world.now += timedelta(days=15)  # the first new installment is 5 days late
    counts = loans.run_arrears(
        store=world.store,
        publisher=world.publisher,
        now=world.now,
        reminder_days=3,
        credit_terms=world.credit_terms,
    )
    assert counts["overdue"] == 1 and counts["income_entries"] == 1
    assert topology.INSTALLMENT_OVERDUE in world.publisher.topics()[before:]
    later = world.store.get_loan(loan.id)
    assert later is not None and later.position.days_past_due(world.now.date()) == 5
    world.now += timedelta(days=100)
    loans.run_arrears(
        store=world.store,
        publisher=world.publisher,
        now=world.now,
        reminder_days=3,
        credit_terms=world.credit_terms,
    )
    entries = world.store.journal_entries()
    assert ledger.trial_balance(entries) == {"KES": 0}
    for kind in (AccountKind.DEFERRED_INTEREST, AccountKind.DEFERRED_FEES):  # all income earned, once
        assert ledger.balance(entries, Account.of(kind, loan.id)) == 0


def test_waived_fees_leave_the_receivables(world: World) -> None:
    user, loan = overdue_loan(world)
    owed = world.store.get_loan(loan.id).position.outstanding  # type: ignore[union-attr]
    pid = propose(world, loan, staff(world, "officer"), waive=True)["id"]
    decide(world, loan, pid, staff(world, "officer"))
    accept(world, loan, pid, user)
    entries = world.store.journal_entries()
    assert ledger.trial_balance(entries) == {"KES": 0}
    assert ledger.loan_receivable_balance(entries, loan.id) == owed.total - owed.fees - owed.penalties
    assert ledger.balance(entries, Account.of(AccountKind.FEES_RECEIVABLE, loan.id)) == 0
    repay(world, user, loan, str(Money(minor=owed.total - owed.fees, currency="KES")), "all")
    assert world.store.get_loan(loan.id).status.value == "REPAID"  # type: ignore[union-attr]


def test_not_in_arrears_is_409_and_one_open_proposal_at_a_time(world: World) -> None:
    _, loan = disbursed(world, "+254700000031")
    officer = staff(world, "officer")
    with pytest.raises(AlreadyExists, match="not in arrears"):
        propose(world, loan, officer)
    world.now = NOW + timedelta(days=35)
    propose(world, loan, officer)
    with pytest.raises(AlreadyExists, match="open restructure proposal"):
        propose(world, loan, officer)
    world.now += timedelta(days=8)  # the first one expired
    assert propose(world, loan, officer)["status"] == "PROPOSED"


def test_an_expired_proposal_cannot_be_accepted(world: World) -> None:
    user, loan = overdue_loan(world)
    pid = propose(world, loan, staff(world, "officer"))["id"]
    decide(world, loan, pid, staff(world, "officer"))
    world.now += timedelta(days=7)
    with pytest.raises(AlreadyExists, match="expired"):
        accept(world, loan, pid, user)


def test_the_borrower_accepts_by_sms_with_the_code(world: World) -> None:
    user, loan = overdue_loan(world)
    pid = propose(world, loan, staff(world, "officer"))["id"]
    decide(world, loan, pid, staff(world, "officer"))
    code = world.store.get_proposal(pid).code  # type: ignore[union-attr]
    event = next(e for e in published(world) if isinstance(e, LoanRestructuring))
    text = sms_for(event, world.application(loan.id))
    assert text is not None and f"YES {code}" in text and "3 payments" in text
    wrong = "000000" if code != "000000" else "111111"
    reply = sms_inbound.reply_to(
        world.store, sender=user.phone, text=f"yes {wrong}", now=world.now, user=user
    )
    assert reply == sms("no_proposal", user.language)
    reply = sms_inbound.reply_to(world.store, sender=user.phone, text=f"YES {code}", now=world.now, user=user)
    assert "new schedule" in reply
    assert world.store.get_proposal(pid).accepted_via == "sms"  # type: ignore[union-attr]
    accepted = [o for o in world.store.col("outbox").values() if o.topic == topology.LOAN_RESTRUCTURING]
    assert len(accepted) == 2  # approved, then accepted: the relay publishes the second


def test_schedule_history_of_a_loan_never_restructured_is_empty(world: World) -> None:
    user, loan = disbursed(world, "+254700000033")
    view = loans.get_loan(world.store, user_id=user.id, loan_id=loan.id, now=world.now)
    assert view["restructured"] is False and view["schedule_history"] == []
    assert view["schedule_version"] == 1


def test_installment_schedule_validation_holds_after_restructure() -> None:
    loan = _loan(installments=1)
    proposal = _approved(loan, terms(2))
    proposal.accept("api", NOW)
    loan.restructure(proposal, NOW)
    assert isinstance(loan.schedule, RepaymentSchedule)
    assert all(isinstance(i, Installment) for i in loan.schedule.installments)
    assert [i.number for i in loan.schedule.installments] == [1, 2]


def test_the_borrower_accepts_from_my_loan_on_ussd(world: World) -> None:
    from tests.unit.fake_container import FakeContainer, carry_events
    from tests.unit.test_ussd_api import PHONE, Phone, register

    container = FakeContainer(world)
    phone = register(container)
    phone.send("1")
    phone.send("5000")
    phone.send("1")
    assert phone.send("1234").startswith("END ")
    carry_events(container)
    user = world.store.get_user_by_phone(PHONE)
    assert user is not None
    [loan] = world.store.list_loans(user.id, 5)
    world.now = NOW + timedelta(days=45)
    pid = propose(world, loan, staff(world, "officer"))["id"]
    later = Phone(container, "ATUid_2")
    later.dial()
    later.send("1234")
    assert "New plan" not in later.send("2")  # proposed, not approved yet: nothing to accept
    decide(world, loan, pid, staff(world, "officer"))
    again = Phone(container, "ATUid_3")
    again.dial()
    again.send("1234")
    screen = again.send("2")
    assert "New plan offered: 3 payments" in screen and "1. Accept" in screen
    assert again.send("1") == "END Your new plan is in force. We will send you an SMS."
    done = world.store.get_proposal(pid)
    assert done is not None and done.accepted_via == "ussd"
    assert world.store.get_loan(loan.id).restructured  # type: ignore[union-attr]


def test_the_console_proposes_and_a_second_officer_approves(world: World) -> None:
    from tests.unit.fake_container import FakeContainer
    from tests.unit.test_console import csrf_of, signed_in, text
    from tests.unit.test_console import staff as console_staff

    container = FakeContainer(world)
    _, loan = overdue_loan(world)
    maker = signed_in(container, console_staff(world, "+254700000081"))
    checker = signed_in(container, console_staff(world, "+254700000082", role="admin"))
    page = f"/console/loans/{loan.id}"
    assert "Propose a new schedule" in text(maker.get(page)) and "never restructured" in text(maker.get(page))
    form = {
        "installments": "3",
        "period_days": "30",
        "first_due_date": (world.now.date() + timedelta(days=10)).isoformat(),
        "reason": "seasonal income",
        "csrf_token": csrf_of(maker, page),
    }
    assert maker.post(f"{page}/restructure", data=form | {"csrf_token": "forged"}).status_code == 403
    bad = maker.post(f"{page}/restructure", data=form | {"installments": "0"})
    assert bad.status_code == 422 and "installments" in text(bad)
    assert maker.post(f"{page}/restructure", data=form).status_code == 303
    shown = text(maker.get(page))
    assert "PROPOSED" in shown and "seasonal income" in shown
    [proposal] = world.store.list_proposals(loan.id, 5)
    decide_path = f"{page}/restructure/{proposal.id}"
    own = maker.post(decide_path, data={"outcome": "APPROVED", "csrf_token": csrf_of(maker, page)})
    assert own.status_code == 403 and "your own proposal" in text(own)
    ok = checker.post(decide_path, data={"outcome": "APPROVED", "csrf_token": csrf_of(checker, page)})
    assert ok.status_code == 303
    assert "waiting for the borrower" in text(checker.get(page))
    again = checker.post(decide_path, data={"outcome": "REJECTED", "csrf_token": csrf_of(checker, page)})
    assert again.status_code == 409


def test_the_accepted_restructure_is_a_warehouse_row_with_its_stage(world: World) -> None:
    from mkopo.service.warehouse_rows import event_row

    user, loan = overdue_loan(world)
    pid = propose(world, loan, staff(world, "officer"))["id"]
    decide(world, loan, pid, staff(world, "officer"))
    accept(world, loan, pid, user)
    rows = [event_row(e, world.now) for e in published(world) if isinstance(e, LoanRestructuring)]
    assert [(r["event_type"], r["outcome"]) for r in rows] == [
        ("loan_restructuring", "APPROVED"),
        ("loan_restructuring", "ACCEPTED"),
    ]
    assert '"proposal_id": "' + pid + '"' in rows[1]["attributes"] and rows[1]["currency"] == "KES"
