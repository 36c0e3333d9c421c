"""The double-entry ledger: balanced immutable entries, reversals, posting helpers that never lose money."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mkopo.domain.allocation import LoanPosition, allocate
from mkopo.domain.ledger import (
    Account,
    AccountKind,
    EntryKind,
    JournalEntry,
    LedgerError,
    Line,
    account_balances,
    balance,
    credit,
    debit,
    loan_receivable_balance,
    post_installment_due,
    post_loan_disbursed,
    post_payout_settled,
    post_repayment_received,
    post_unidentified_collection,
    reverse,
    trial_balance,
)
from mkopo.domain.money import CURRENCIES, Money
from mkopo.domain.schedule import InterestMethod, RepaymentSchedule, build_schedule

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
CASH = Account.of(AccountKind.CASH_AT_PROVIDER, "mpesa", "KES")
CLEARING = Account.of(AccountKind.DISBURSEMENT_CLEARING, "mpesa", "KES")


def kes(minor: int) -> Money:
    return Money(minor=minor, currency="KES")


def schedule(installments: int = 1) -> RepaymentSchedule:
    """5000.00 principal, 325.00 interest, 133.33 fees over 30 days."""
    return build_schedule(
        principal=kes(500_000),
        interest=kes(32_500),
        fees=kes(13_333),
        term_days=30,
        start=AT.date(),
        installments=installments,
    )


def entry(*lines: Line, currency: str = "KES") -> JournalEntry:
    return JournalEntry(
        id="e-1",
        occurred_at=AT,
        currency=currency,  # type: ignore[arg-type]
        description="test",
        kind=EntryKind.REPAYMENT_RECEIVED,
        reference="r-1",
        lines=lines,
    )


def test_account_names_round_trip_and_are_validated() -> None:
    account = Account.parse("cash_at_provider:mpesa:KES")
    assert account == CASH and str(account) == "cash_at_provider:mpesa:KES"
    assert account.currency == "KES"
    assert str(Account.of("loans_receivable", "loan-1")) == "loans_receivable:loan-1"
    for bad in (
        "loans_receivable",
        "cash_at_provider:mpesa:USD",
        "nope:x",
        "loans_receivable:a b",
        "suspense:KES:x",
    ):
        with pytest.raises(LedgerError):
            Account.parse(bad)


def test_balanced_entry_is_accepted_and_immutable() -> None:
    made = entry(debit(CASH, 100), credit(CLEARING, 60), credit(Account.of("suspense", "KES"), 40))
    assert (made.debits, made.credits) == (100, 100)
    with pytest.raises(ValidationError):
        made.description = "changed"


@pytest.mark.parametrize(
    "lines",
    [
        (debit(CASH, 100),),
        (debit(CASH, 100), credit(CLEARING, 99)),
        (debit(Account.of("cash_at_provider", "momo", "UGX"), 100), credit(CLEARING, 100)),
    ],
)
def test_unbalanced_single_line_or_mixed_currency_entries_are_refused(lines: tuple[Line, ...]) -> None:
    with pytest.raises(ValidationError):
        entry(*lines)


def test_zero_lines_are_refused() -> None:
    with pytest.raises(ValidationError):
        Line(account=CASH, amount=0)
    with pytest.raises(LedgerError):
        debit(CASH, 0)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValidationError):
        JournalEntry(
            id="x",
            occurred_at=datetime(2026, 1, 1),
            currency="KES",
            description="",
            kind=EntryKind.REVERSAL,
            reference="r",
            lines=(debit(CASH, 1), credit(CLEARING, 1)),
        )


def test_disbursement_recognises_principal_interest_and_fees_against_clearing_and_deferred_income() -> None:
    made = post_loan_disbursed(loan_id="L1", schedule=schedule(), provider="mpesa", reference="p-1", at=AT)
    balances = {str(a): b for a, b in account_balances([made]).items()}
    assert balances == {
        "loans_receivable:L1": 500_000,
        "disbursement_clearing:mpesa:KES": -500_000,
        "interest_receivable:L1": 32_500,
        "deferred_interest:L1": -32_500,
        "fees_receivable:L1": 13_333,
        "deferred_fees:L1": -13_333,
    }
    assert loan_receivable_balance([made], "L1") == schedule().total_repayable.minor


def test_posting_the_same_event_twice_gives_the_same_entry_id() -> None:
    first = post_loan_disbursed(loan_id="L1", schedule=schedule(), provider="mpesa", reference="p-1", at=AT)
    again = post_loan_disbursed(loan_id="L1", schedule=schedule(), provider="mpesa", reference="p-1", at=AT)
    assert first.id == again.id


def test_settlement_moves_the_money_out_of_cash_and_clears_the_clearing_account() -> None:
    disbursed = post_loan_disbursed(
        loan_id="L1", schedule=schedule(), provider="mpesa", reference="p-1", at=AT
    )
    settled = post_payout_settled(provider="mpesa", amount=kes(500_000), reference="p-1", at=AT)
    assert balance([disbursed, settled], CLEARING) == 0
    assert balance([disbursed, settled], CASH) == -500_000


def test_a_reversed_disbursement_leaves_nothing() -> None:
    disbursed = post_loan_disbursed(
        loan_id="L1", schedule=schedule(), provider="mpesa", reference="p-1", at=AT
    )
    failed = reverse(disbursed, "2040 recipient not registered", AT + timedelta(minutes=1))
    assert failed.reverses == disbursed.id and failed.kind is EntryKind.REVERSAL
    assert account_balances([disbursed, failed]) == {}


def test_reversing_settlement_and_loan_leaves_nothing() -> None:
    disbursed = post_loan_disbursed(
        loan_id="L1", schedule=schedule(), provider="mpesa", reference="p-1", at=AT
    )
    settled = post_payout_settled(provider="mpesa", amount=kes(500_000), reference="p-1", at=AT)
    later = AT + timedelta(days=1)
    undo = [reverse(settled, "returned", later), reverse(disbursed, "returned", later)]
    assert account_balances([disbursed, settled, *undo]) == {}


def test_reverse_negates_every_line() -> None:
    original = entry(debit(CASH, 100), credit(CLEARING, 100))
    undone = reverse(original, "typo", AT)
    assert [line.amount for line in undone.lines] == [-100, 100]
    assert trial_balance([original, undone]) == {"KES": 0}


def test_income_is_earned_on_the_due_date() -> None:
    plan = schedule(installments=2)
    disbursed = post_loan_disbursed(loan_id="L1", schedule=plan, provider="mpesa", reference="p-1", at=AT)
    due = post_installment_due(loan_id="L1", installment=plan.installments[0], currency="KES", at=AT)
    assert due is not None
    entries = [disbursed, due]
    assert balance(entries, Account.of("interest_income", "KES")) == -plan.installments[0].interest
    assert balance(entries, Account.of("fee_income", "KES")) == -plan.installments[0].fees
    assert balance(entries, Account.of("deferred_interest", "L1")) == -plan.installments[1].interest
    assert loan_receivable_balance(entries, "L1") == plan.total_repayable.minor


def test_repayment_credits_receivables_as_allocated_and_overpayment_to_the_borrower() -> None:
    plan = schedule()
    disbursed = post_loan_disbursed(loan_id="L1", schedule=plan, provider="mpesa", reference="p-1", at=AT)
    loan = LoanPosition.from_schedule(plan)
    allocation = allocate(loan, kes(plan.total_repayable.minor + 700))
    repaid = post_repayment_received(
        loan_id="L1", borrower_id="B1", allocation=allocation, provider="mpesa", reference="c-1", at=AT
    )
    entries = [disbursed, repaid]
    assert loan_receivable_balance(entries, "L1") == 0
    assert balance(entries, Account.of("borrower_credit", "B1")) == -700
    assert balance(entries, CASH) == plan.total_repayable.minor + 700
    assert trial_balance(entries) == {"KES": 0}


def test_balance_at_a_point_in_time() -> None:
    early = post_unidentified_collection(provider="mpesa", amount=kes(100), reference="u-1", at=AT)
    late = post_unidentified_collection(
        provider="mpesa", amount=kes(50), reference="u-2", at=AT + timedelta(days=1)
    )
    assert balance([early, late], CASH, at=AT) == 100
    assert balance([early, late], CASH) == 150
    assert balance([early, late], Account.of("suspense", "KES")) == -150


History = tuple[str, list[JournalEntry], LoanPosition | None]


@st.composite
def loan_histories(draw: st.DrawFn) -> History:
    """A random loan: disbursed then reversed, or settled then due dates and repayments."""
    currency = draw(st.sampled_from(CURRENCIES))
    n = draw(st.integers(min_value=1, max_value=4))

    def money(minor: int) -> Money:
        return Money(minor=minor, currency=currency)  # type: ignore[arg-type]

    plan = build_schedule(
        principal=money(draw(st.integers(min_value=1, max_value=10**8))),
        interest=money(draw(st.integers(min_value=0, max_value=10**7))),
        fees=money(draw(st.integers(min_value=0, max_value=10**6))),
        term_days=draw(st.integers(min_value=n, max_value=120)),
        start=date(2026, 12, 1),
        installments=n,
        method=draw(st.sampled_from(InterestMethod)),
    )
    loan_id = draw(st.sampled_from(["L1", "L2", "L3"]))
    provider = draw(st.sampled_from(["mpesa", "mtn-momo"]))
    reference = f"p-{loan_id}"
    disbursed = post_loan_disbursed(
        loan_id=loan_id, schedule=plan, provider=provider, reference=reference, at=AT
    )
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        return loan_id, [disbursed, reverse(disbursed, "failed", AT)], None
    settled = post_payout_settled(provider=provider, amount=plan.principal, reference=reference, at=AT)
    entries, loan = [disbursed, settled], LoanPosition.from_schedule(plan)
    recognised: set[int] = set()
    for step in range(draw(st.integers(min_value=0, max_value=6))):
        at = AT + timedelta(days=step)
        action = draw(st.sampled_from(["pay", "pay", "due"]))
        if action == "pay":
            allocation = allocate(loan, money(draw(st.integers(min_value=1, max_value=10**8))))
            entries.append(
                post_repayment_received(
                    loan_id=loan_id,
                    borrower_id=f"B-{loan_id}",
                    allocation=allocation,
                    provider=provider,
                    reference=f"c-{loan_id}-{step}",
                    at=at,
                )
            )
            loan = allocation.position
        elif action == "due" and len(recognised) < n:
            installment = plan.installments[len(recognised)]
            recognised.add(installment.number)
            due = post_installment_due(loan_id=loan_id, installment=installment, currency=currency, at=at)
            entries.extend([due] if due else [])
    return loan_id, entries, loan


@settings(max_examples=200, deadline=None)
@given(histories=st.lists(loan_histories(), min_size=1, max_size=4, unique_by=lambda h: h[0]))
def test_every_entry_balances_and_receivables_match_the_schedule(histories: list[History]) -> None:
    everything = [entry for _, entries, _ in histories for entry in entries]
    assert all(entry.debits == entry.credits > 0 for entry in everything)
    assert set(trial_balance(everything).values()) == {0}
    for loan_id, entries, loan in histories:
        expected = loan.outstanding.total if loan is not None else 0
        assert loan_receivable_balance(everything, loan_id) == expected
        assert loan_receivable_balance(entries, loan_id) == expected
        if loan is None:
            assert account_balances(entries) == {}
    clearing = [
        b for a, b in account_balances(everything).items() if a.kind is AccountKind.DISBURSEMENT_CLEARING
    ]
    assert clearing == []  # every settled payout cleared, every failed one reversed


def test_an_account_cannot_mix_currencies() -> None:
    kes_in = post_unidentified_collection(provider="mpesa", amount=kes(100), reference="u-1", at=AT)
    borrower = Account.of("borrower_credit", "B1")
    odd = JournalEntry(
        id="odd",
        occurred_at=AT,
        currency="UGX",
        description="",
        kind=EntryKind.REVERSAL,
        reference="r",
        lines=(debit(Account.of("suspense", "UGX"), 5), credit(borrower, 5)),
    )
    other = JournalEntry(
        id="odd2",
        occurred_at=AT,
        currency="KES",
        description="",
        kind=EntryKind.REVERSAL,
        reference="r",
        lines=(debit(Account.of("suspense", "KES"), 5), credit(borrower, 5)),
    )
    with pytest.raises(LedgerError):
        account_balances([kes_in, odd, other])
