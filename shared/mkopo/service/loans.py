"""What a borrower and an admin may read about loans and the ledger, and the daily arrears run."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from mkopo.domain import ledger
from mkopo.domain.allocation import InstallmentPosition, LoanStatus
from mkopo.domain.charges import ChargeRules
from mkopo.domain.credit import Borrower, CreditTerms, LimitLadder
from mkopo.domain.events import DomainEvent, InstallmentOverdue, RepaymentDue
from mkopo.domain.loans import Loan, Overdue, installment_key
from mkopo.domain.money import Money
from mkopo.service import audit
from mkopo.service.errors import NotFound, Unprocessable
from mkopo.service.late_charges import charge_in, late_work
from mkopo.service.outbox import dispatch
from mkopo.service.ports import EventPublisher
from mkopo.service.repayments import repayment_view
from mkopo.service.restructuring import restructuring_view
from mkopo.service.store import Store, Transaction
from mkopo.service.write_offs import AUTOMATIC_REASON, write_off_in, write_off_view


def loan_view(loan: Loan, store: Store, now: datetime) -> dict[str, Any]:
    """The borrower's view: what was lent, what it costs, what is paid and what is still owed."""
    today = now.date()
    money = lambda minor: str(Money(minor=minor, currency=loan.currency))  # noqa: E731
    outstanding = loan.position.outstanding
    return {
        "id": loan.id,
        "status": loan.status.value,
        "currency": loan.currency,
        "lender": loan.lender,
        "principal": str(loan.schedule.principal),
        "interest": str(loan.schedule.interest),
        "fees": str(loan.schedule.fees),
        "total_repayable": str(loan.schedule.total_repayable),
        "paid": money(loan.paid_minor),
        "outstanding": str(loan.outstanding),  # once written off: what is still recoverable
        "outstanding_by_component": {
            "penalties": money(outstanding.penalties),
            "fees": money(outstanding.fees),
            "interest": money(outstanding.interest),
            "principal": money(outstanding.principal),
        },
        "credit_balance": money(loan.credit_balance_minor),
        "next_due": loan.next_due(today) if loan.written_off is None else None,
        "days_past_due": loan.position.days_past_due(today),
        "arrears_bucket": loan.position.arrears_bucket(today).value,
        "schedule": [
            {
                "number": i.number,
                "due_date": i.due_date.isoformat(),
                "amount": money(i.due.total),
                "paid": money(i.paid.total),
                "state": i.state(today).value,
            }
            for i in loan.position.installments
        ],
        "repayments": [repayment_view(r) for r in store.list_repayments(loan.id, 100)],
        "disbursed_at": loan.disbursed_at.isoformat(),
        "repaid_at": loan.repaid_at.isoformat() if loan.repaid_at else None,
        "late_charges": {
            "late_fee": money(loan.late_terms.late_fee_minor),
            "daily_penalty_rate": str(loan.late_terms.daily_penalty_rate),
            "fees_charged": money(loan.fees_charged_minor),
            "penalties_charged": money(loan.penalties_charged_minor),
            "days_charged": len(loan.charges_made),
        },
        "write_off": write_off_view(loan),
    } | restructuring_view(loan, store, now)


def get_loan(store: Store, *, user_id: str, loan_id: str, now: datetime) -> dict[str, Any]:
    loan = store.get_loan(loan_id)
    if loan is None or loan.borrower_id != user_id:
        raise NotFound(f"loan {loan_id} not found")
    return loan_view(loan, store, now)


def list_loans(store: Store, *, user_id: str, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
    return [loan_view(loan, store, now) for loan in store.list_loans(user_id, limit)]


def _account(name: str) -> ledger.Account:
    try:
        return ledger.Account.parse(name)
    except (ValueError, ledger.LedgerError) as exc:
        raise Unprocessable(f"{name!r} is not a ledger account: {exc}") from exc


def account_balance(store: Store, *, account: str, at: datetime | None) -> dict[str, Any]:
    """Balance (debits minus credits, minor units) of one account at a moment (default: now)."""
    acc = _account(account)
    entries = store.journal_entries(account=str(acc), until=at, limit=10_000)
    return {
        "account": str(acc),
        "currency": acc.currency or (entries[0].currency if entries else None),
        "balance_minor": ledger.balance(entries, acc, at),
        "at": at.isoformat() if at else None,
        "entries": len(entries),
    }


def account_entries(store: Store, *, account: str, limit: int) -> list[dict[str, Any]]:
    acc = _account(account)
    return [entry_view(e) for e in store.journal_entries(account=str(acc), limit=limit)]


def entry_view(entry: ledger.JournalEntry) -> dict[str, Any]:
    """A journal entry with account names as strings (``loans_receivable:<loan id>``)."""
    doc = entry.model_dump(mode="json")
    doc["lines"] = [{"account": str(line.account), "amount": line.amount} for line in entry.lines]
    return doc


def trial_balance(store: Store) -> dict[str, Any]:
    """Every entry balances, so the whole journal sums to zero per currency."""
    entries = store.journal_entries(limit=100_000)
    return {"entries": len(entries), "totals_minor": ledger.trial_balance(entries)}


def run_arrears(
    *,
    store: Store,
    publisher: EventPublisher,
    now: datetime,
    reminder_days: int,
    credit_terms: CreditTerms,
    charge_rules: ChargeRules | None = None,
    limit: int = 1000,
) -> dict[str, int]:
    """Daily: earn income, warn before due dates, flag overdue installments by bucket, charge late fees and
    penalties within the cap, and write off loans past the threshold."""
    rules = charge_rules or ChargeRules()
    counts = {"loans": 0, "income_entries": 0, "reminders": 0, "overdue": 0, "charges": 0, "written_off": 0}
    for loan in store.list_loans_by_status(LoanStatus.ACTIVE.value, limit):
        counts["loans"] += 1
        if not loan.arrears_due(now.date(), reminder_days) and not late_work(loan, now, rules):
            continue  # most loans on most days: no transaction at all
        run = partial(
            _arrears_for,
            loan_id=loan.id,
            now=now,
            reminder_days=reminder_days,
            ladder=credit_terms.ladder(loan.currency),
            rules=rules,
            counts=counts,
        )
        events = store.transaction(run)
        dispatch(events, store=store, publisher=publisher)
    return counts


def _arrears_for(
    tx: Transaction,
    loan_id: str,
    now: datetime,
    reminder_days: int,
    ladder: LimitLadder,
    rules: ChargeRules,
    counts: dict[str, int],
) -> list[DomainEvent]:
    """Age one loan in its transaction: income entries, reminder and overdue events, the limit ladder,
    late charges, and the write-off once past the threshold."""
    loan = tx.get_loan(loan_id)
    if loan is None or loan.status != LoanStatus.ACTIVE:
        return []
    if loan.position.days_past_due(now.date()) >= rules.write_off_after_days:
        write_off_in(
            tx, loan, reason=AUTOMATIC_REASON, actor_id=audit.SYSTEM, actor_role=audit.SYSTEM, at=now
        )
        counts["written_off"] += 1
        return []
    work = loan.age_arrears(now.date(), reminder_days, now)
    if work.overdue:
        _count_on_ladder(tx, loan, work.overdue, ladder, now)
    scheduled = {i.number: i for i in loan.schedule.installments}
    for number in work.income_due:
        entry = ledger.post_installment_due(
            loan_id=loan.id,
            installment=scheduled[number],
            currency=loan.currency,
            at=now,
            key=installment_key(number, loan.schedule_version),
        )
        if entry is not None:
            tx.add_journal_entry(entry)
            counts["income_entries"] += 1
    events = [_reminder(loan, inst, now) for inst in work.reminders]
    events += [_overdue(loan, overdue, now) for overdue in work.overdue]
    events += charge_in(tx, loan, rules, now, counts)
    counts["reminders"] += len(work.reminders)
    counts["overdue"] += len(work.overdue)
    tx.save_loan(loan)
    for event in events:
        tx.add_event(event)
    return events


def _count_on_ladder(
    tx: Transaction, loan: Loan, overdue: list[Overdue], ladder: LimitLadder, now: datetime
) -> None:
    """Arrears move the borrower's limit: down a step past 30 days, to zero at 90 (once per loan each)."""
    borrower = tx.get_borrower(loan.borrower_id) or Borrower(id=loan.borrower_id)
    days = max(o.days_past_due for o in overdue)
    borrower.credit.overdue(loan.id, days_past_due=days, at=now, ladder=ladder)
    tx.save_borrower(borrower)


def _reminder(loan: Loan, inst: InstallmentPosition, now: datetime) -> DomainEvent:
    return RepaymentDue.new(
        application_id=loan.id,
        occurred_at=now,
        occurrence=installment_key(inst.number, loan.schedule_version),
        borrower_id=loan.borrower_id,
        installment=inst.number,
        due_date=inst.due_date.isoformat(),
        outstanding_minor=inst.outstanding.total,
        currency=loan.currency,
    )


def _overdue(loan: Loan, overdue: Overdue, now: datetime) -> DomainEvent:
    return InstallmentOverdue.new(
        application_id=loan.id,
        occurred_at=now,
        occurrence=overdue.key,
        borrower_id=loan.borrower_id,
        installment=overdue.installment.number,
        days_past_due=overdue.days_past_due,
        bucket=overdue.bucket,
        outstanding_minor=overdue.installment.outstanding.total,
        currency=loan.currency,
    )
