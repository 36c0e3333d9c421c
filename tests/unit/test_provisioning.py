from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from mkopo.domain import ledger
from mkopo.domain.allocation import ArrearsBucket
from mkopo.domain.money import Money
from mkopo.domain.provisioning import (
    ProvisionRates,
    allowance_account,
    allowance_by_bucket,
    post_provision_adjustment,
    target_by_currency,
)
from mkopo.service.provisioning import held_by_currency, provisions_view, run_provisioning
from tests.unit.conftest import World
from tests.unit.loan_books import START, book_loan, noon

RATES = ProvisionRates()
DUE = START + timedelta(days=30)


def _by_bucket(rows: list, currency: str = "KES") -> dict[ArrearsBucket, tuple[int, int]]:
    return {r.bucket: (r.gross_minor, r.allowance_minor) for r in rows if r.currency == currency}


def test_allowance_is_gross_receivables_times_the_bucket_rate() -> None:
    loans = [book_loan(500_000), book_loan(300_000, start=START - timedelta(days=45)), book_loan(12_345)]
    on = DUE + timedelta(days=10)  # the first two are overdue: 10 and 55 days
    current = book_loan(200_000, start=on - timedelta(days=1))
    rows = _by_bucket(allowance_by_bucket([*loans, current], on, RATES))
    # 550,000 + 13,579 (10 days) at 5%; 330,000 (55 days) at 25%; 220,000 current at 1%
    assert rows[ArrearsBucket.DAYS_1_30] == (563_579, 28_179)  # 28,178.95 rounds half up
    assert rows[ArrearsBucket.DAYS_31_60] == (330_000, 82_500)
    assert rows[ArrearsBucket.CURRENT] == (220_000, 2_200)
    assert rows[ArrearsBucket.DAYS_90_PLUS] == (0, 0)
    assert target_by_currency(allowance_by_bucket([*loans, current], on, RATES)) == {"KES": 112_879}


def test_each_bucket_has_its_own_rate_and_90_plus_is_fully_provided() -> None:
    rates = ProvisionRates(days_61_90=Decimal("0.4"), days_90_plus=Decimal("1"))
    old = book_loan(100_000)
    rows = _by_bucket(allowance_by_bucket([old], DUE + timedelta(days=75), rates))
    assert rows[ArrearsBucket.DAYS_61_90] == (110_000, 44_000)
    rows = _by_bucket(allowance_by_bucket([old], DUE + timedelta(days=91), rates))
    assert rows[ArrearsBucket.DAYS_90_PLUS] == (110_000, 110_000)
    with pytest.raises(ValidationError):
        ProvisionRates(current=Decimal("1.5"))


def test_repaid_loans_are_not_in_the_base() -> None:
    repaid, open_ = book_loan(100_000), book_loan(100_000, currency="UGX")
    repaid.apply_payment(Money(minor=110_000, currency="KES"), noon(DUE))
    rows = allowance_by_bucket([repaid, open_], DUE + timedelta(days=40), RATES)
    assert {r.currency for r in rows} == {"UGX"}
    assert _by_bucket(rows, "UGX")[ArrearsBucket.DAYS_31_60] == (110_000, 27_500)


def test_an_increase_debits_expense_and_a_release_debits_the_allowance() -> None:
    up = post_provision_adjustment(currency="KES", as_of=DUE, target_minor=900, held_minor=200, at=noon(DUE))
    assert up is not None
    assert ledger.balance([up], ledger.Account.of("provision_expense", "KES")) == 700
    assert ledger.balance([up], allowance_account("KES")) == -700
    down = post_provision_adjustment(
        currency="KES", as_of=DUE, target_minor=100, held_minor=700, at=noon(DUE)
    )
    assert down is not None and ledger.balance([up, down], allowance_account("KES")) == -100
    assert ledger.trial_balance([up, down]) == {"KES": 0}
    same = post_provision_adjustment(
        currency="KES", as_of=DUE, target_minor=100, held_minor=100, at=noon(DUE)
    )
    assert same is None


def _book(world: World, *loans) -> None:
    for loan in loans:
        world.store.transaction(lambda tx, loan=loan: tx.create_loan(loan))


def _allowance_entries(world: World) -> list[ledger.JournalEntry]:
    return [e for e in world.store.journal_entries() if e.kind == ledger.EntryKind.PROVISION_ADJUSTED]


def test_a_rerun_posts_nothing_twice_and_a_later_run_only_the_difference(world: World) -> None:
    late, fresh = book_loan(400_000), book_loan(100_000, start=DUE)
    _book(world, late, fresh)
    day = DUE + timedelta(days=5)
    first = run_provisioning(store=world.store, as_of=day, now=noon(day), rates=RATES)
    kes = first["currencies"]["KES"]
    assert kes == kes | {"target_minor": 22_000 + 1_100, "held_minor": 0, "posted_minor": 23_100}
    again = run_provisioning(store=world.store, as_of=day, now=noon(day), rates=RATES)
    assert again["currencies"]["KES"]["posted_minor"] == 0 and len(_allowance_entries(world)) == 1
    later = DUE + timedelta(days=35)  # late: 35 days past due (25%); fresh: 5 days (5%)
    third = run_provisioning(store=world.store, as_of=later, now=noon(later), rates=RATES)
    assert third["currencies"]["KES"]["posted_minor"] == (110_000 + 5_500) - 23_100
    assert held_by_currency(world.store) == {"KES": 110_000 + 5_500}
    assert ledger.trial_balance(world.store.journal_entries()) == {"KES": 0}


def test_allowance_of_a_loan_that_leaves_the_book_is_released(world: World) -> None:
    loan = book_loan(100_000)
    _book(world, loan)
    day = DUE + timedelta(days=95)
    run_provisioning(store=world.store, as_of=day, now=noon(day), rates=RATES)
    assert held_by_currency(world.store) == {"KES": 110_000}

    def repay(tx) -> None:
        current = tx.get_loan(loan.id)
        current.apply_payment(Money(minor=110_000, currency="KES"), noon(day))
        tx.save_loan(current)

    world.store.transaction(repay)
    nxt = day + timedelta(days=1)
    out = run_provisioning(store=world.store, as_of=nxt, now=noon(nxt), rates=RATES)
    assert out["currencies"]["KES"] == out["currencies"]["KES"] | {
        "target_minor": 0,
        "posted_minor": -110_000,
    }
    assert held_by_currency(world.store) == {"KES": 0}
    view = provisions_view(world.store, now=noon(nxt), rates=RATES)
    assert view["currencies"][0]["allowance_minor"] == 0


def test_each_run_leaves_its_buckets_in_the_audit_trail(world: World) -> None:
    loan = book_loan(100_000)
    _book(world, loan)
    day = DUE + timedelta(days=3)
    run_provisioning(store=world.store, as_of=day, now=noon(day), rates=RATES)
    records = world.store.list_audit("KES:1-30", 10)
    assert [r.after["allowance_minor"] for r in records if r.action == "allowance_recomputed"] == [5_500]
