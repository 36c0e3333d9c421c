"""Late fees and penalties: the cap arithmetic (in-duplum), a day's charges, and their journal entries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from mkopo.domain import ledger
from mkopo.domain.allocation import InstallmentPosition, LoanPosition, Portion, allocate
from mkopo.domain.charges import ChargeRules, LateTerms, capped, charge_room, charges_for_day
from mkopo.domain.late_postings import post_charges_applied, post_recovery, post_write_off
from mkopo.domain.money import Money
from tests.unit.test_restructuring import TODAY, _approved, _loan, terms

AT = datetime(2026, 12, 2, 12, tzinfo=UTC)
DUE = date(2026, 11, 1)


@pytest.mark.parametrize(
    ("principal", "interest", "charges", "multiple", "room"),
    [
        (10_000, 1_000, 0, Decimal(1), 9_000),  # far from the cap
        (10_000, 1_000, 8_999, Decimal(1), 1),  # one unit left
        (10_000, 1_000, 9_000, Decimal(1), 0),  # cap reached exactly
        (10_000, 2_000, 9_000, Decimal(1), 0),  # already exceeded (interest alone is never cut): nothing
        (10_000, 1_000, 0, Decimal("0.5"), 4_000),  # a tighter market
        (0, 0, 0, Decimal(1), 0),  # nothing principal left: nothing may be charged
        (10_000, 50_000, 50_000, None, None),  # no cap in this market
    ],
)
def test_charge_room_under_the_cap(
    principal: int, interest: int, charges: int, multiple: Decimal | None, room: int | None
) -> None:
    got = charge_room(
        principal_outstanding=principal,
        interest_outstanding=interest,
        charges_outstanding=charges,
        multiple=multiple,
    )
    assert got == room


@pytest.mark.parametrize(
    ("requested", "room", "unit", "charged"),
    [
        (500, None, 1, 500),
        (500, 1_000, 1, 500),
        (500, 500, 1, 500),  # fits exactly
        (500, 499, 1, 499),  # cut to the cap
        (500, 0, 1, 0),  # cap reached
        (550, None, 100, 500),  # whole shillings: rounded down to what M-Pesa can collect
        (500, 450, 100, 400),
    ],
)
def test_capped(requested: int, room: int | None, unit: int, charged: int) -> None:
    assert capped(requested, room, unit) == charged


def position(principal: int = 10_000, interest: int = 1_000, fees: int = 0) -> LoanPosition:
    inst = InstallmentPosition(
        number=1, due_date=DUE, due=Portion(principal=principal, interest=interest, fees=fees)
    )
    return LoanPosition(currency="KES", installments=(inst,))


TERMS = LateTerms(late_fee_minor=500, daily_penalty_rate=Decimal("0.01"))


def test_first_overdue_day_charges_the_fee_and_a_penalty_once() -> None:
    on = date(2026, 11, 2)
    [charge] = charges_for_day(position(), TERMS, on, fee_charged=set(), already=set(), multiple=None)
    assert (charge.fee, charge.penalty, charge.first) == (500, 110, True)  # 1% of 11,000
    again = charges_for_day(position(), TERMS, on, fee_charged={"1"}, already={charge.key}, multiple=None)
    assert again == []
    [next_day] = charges_for_day(
        position(), TERMS, date(2026, 11, 3), fee_charged={"1"}, already={charge.key}, multiple=None
    )
    assert (next_day.fee, next_day.penalty, next_day.first) == (0, 110, False)


def test_nothing_is_charged_before_the_due_date_passes() -> None:
    assert charges_for_day(position(), TERMS, DUE, fee_charged=set(), already=set(), multiple=None) == []


def test_penalties_stop_at_the_cap_and_the_fee_is_cut_to_it() -> None:
    pos = position(principal=1_000, interest=400)  # in-duplum room: 1,000 - 400 = 600
    [charge] = charges_for_day(
        pos, TERMS, date(2026, 11, 2), fee_charged=set(), already=set(), multiple=Decimal(1)
    )
    assert (charge.fee, charge.penalty) == (500, 14)
    pos = pos.charged(1, charge.portion)
    days = [date(2026, 11, d) for d in range(3, 30)]
    charged = charge.total
    keys = {charge.key}
    for on in days:
        for c in charges_for_day(pos, TERMS, on, fee_charged={"1"}, already=keys, multiple=Decimal(1)):
            pos, charged = pos.charged(1, c.portion), charged + c.total
            keys.add(c.key)
    out = pos.outstanding
    assert charged == 600 and out.interest + out.fees + out.penalties == out.principal  # reached, not passed


def test_a_charged_position_is_paid_penalties_then_fees_first() -> None:
    pos = position().charged(1, Portion(fees=500, penalties=110))
    allocation = allocate(pos, Money(minor=600, currency="KES"))
    assert allocation.by_component() == Portion(penalties=110, fees=490)


def test_charge_rules_name_a_cap_per_market() -> None:
    rules = ChargeRules()
    assert rules.cap_multiple("KES") == Decimal(1) and rules.cap_multiple("NGN") is None
    assert rules.write_off_after_days == 180


LOAN = "7a0c3b0e-1c8e-4c1e-9d7e-0f8e3d2c1b0a"


def test_charges_write_off_and_recovery_postings_balance() -> None:
    charges = post_charges_applied(
        loan_id=LOAN, currency="KES", installment="1", on="2026-11-02", fee=500, penalty=110, at=AT
    )
    again = post_charges_applied(
        loan_id=LOAN, currency="KES", installment="1", on="2026-11-02", fee=500, penalty=110, at=AT
    )
    assert charges.id == again.id  # one entry per loan, installment and day: a re-run is refused
    owed = Portion(principal=10_000, interest=1_000, fees=500, penalties=110)
    write_off = post_write_off(loan_id=LOAN, currency="KES", owed=owed, at=AT)
    recovery = post_recovery(
        loan_id=LOAN,
        borrower_id="b1",
        payment=Money(minor=12_000, currency="KES"),
        recovered=11_610,
        provider="mpesa",
        reference="r1",
        at=AT,
    )
    entries = [charges, write_off, recovery]
    assert ledger.trial_balance(entries) == {"KES": 0}
    balances = {str(a): b for a, b in ledger.account_balances(entries).items()}
    assert balances["loan_losses:KES"] == 11_610
    assert balances["recoveries:KES"] == -11_610
    assert balances["borrower_credit:b1"] == -390
    assert balances["penalty_income:KES"] == -110 and balances["fee_income:KES"] == -500
    assert "penalties_receivable:" + LOAN not in balances  # charged, then written off: zero


def test_a_restructured_schedule_is_charged_afresh_and_a_waiver_forgives_the_fee() -> None:
    loan = _loan().model_copy(update={"late_terms": LateTerms(late_fee_minor=20_000)})
    late = loan.position.installments[0].due_date + timedelta(days=1)
    [old] = loan.charge_late(late, ChargeRules(), AT)
    assert (old.label, old.fee) == ("1", 20_000)
    owed = loan.position.outstanding  # the scheduled fees and the late fee
    proposal = _approved(loan, terms(3, first=TODAY + timedelta(days=7), waive=True))
    proposal.accept("api", AT)
    changed = loan.restructure(proposal, AT)
    assert changed.waived.fees == owed.fees >= 20_000 and changed.waived.penalties == owed.penalties
    assert loan.position.outstanding.fees == 0 and loan.position.outstanding.penalties == 0

    behind = TODAY + timedelta(days=8)  # the new schedule's installment 1 (same number, another one)
    [new] = loan.charge_late(behind, ChargeRules(), AT)
    assert (new.installment, new.label, new.fee) == (1, "v2:1", 20_000)
    assert new.key == f"v2:1:{behind.isoformat()}" != old.key
    assert loan.charge_late(behind, ChargeRules(), AT) == []  # once a day
    assert loan.charge_late(behind + timedelta(days=1), ChargeRules(), AT) == []  # the fee once
    assert loan.late_fees_charged == ["1", "v2:1"] and loan.fees_charged_minor == 40_000
    entry = post_charges_applied(
        loan_id=loan.id, currency="KES", installment=new.label, on=behind.isoformat(), fee=new.fee,
        penalty=0, at=AT,
    )  # fmt: skip
    assert entry.reference == f"{loan.id}:charges:v2:1:{behind.isoformat()}"


@pytest.mark.parametrize("waive", [False, True])
def test_a_daily_penalty_charged_after_the_proposal_is_forgiven_not_stale(waive: bool) -> None:
    loan = _loan().model_copy(update={"late_terms": LateTerms(daily_penalty_rate=Decimal("0.001"))})
    day = loan.position.installments[0].due_date + timedelta(days=1)
    assert loan.charge_late(day, ChargeRules(), AT)  # a day's penalty before the proposal
    before = loan.position.outstanding
    proposal = _approved(loan, terms(3, first=TODAY + timedelta(days=7), waive=waive))
    [since] = loan.charge_late(day + timedelta(days=1), ChargeRules(), AT)  # the arrears run, next day
    assert since.penalty > 0 and since.fee == 0
    proposal.accept("api", AT)
    changed = loan.restructure(proposal, AT)  # not stale: only the run's own charge changed the loan
    forgiven = Portion(fees=before.fees, penalties=before.penalties) if waive else Portion()
    assert changed.waived == forgiven.plus(Portion(penalties=since.penalty))
    assert loan.position.outstanding.total == proposal.new_total_minor == before.total - forgiven.total
    entry = ledger.post_loan_restructured(
        loan_id=loan.id, currency="KES", waived=changed.waived, earned_unpaid=changed.earned_unpaid,
        reference=proposal.id, at=AT,
    )  # fmt: skip
    assert entry is not None and entry.debits == entry.credits
    penalties = ledger.Account.of(ledger.AccountKind.PENALTIES_RECEIVABLE, loan.id)
    assert ledger.balance([entry], penalties) == -changed.waived.penalties
