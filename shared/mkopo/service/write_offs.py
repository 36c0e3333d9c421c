"""Writing a loan off (past the threshold, or an admin with a reason) and the recoveries after it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain import ledger
from mkopo.domain.allocation import installment_key
from mkopo.domain.credit import Borrower
from mkopo.domain.events import DomainEvent
from mkopo.domain.late_postings import post_recovery, post_write_off
from mkopo.domain.loans import Loan, NotActive
from mkopo.domain.money import Money
from mkopo.domain.repayments import Repayment
from mkopo.service import audit
from mkopo.service.errors import AlreadyExists, NotFound
from mkopo.service.store import Store, Transaction, User

AUTOMATIC_REASON = "DAYS_PAST_DUE_THRESHOLD"


class WriteOffRequest(BaseModel):
    """An admin's write-off: the reason is kept in the audit trail and on the loan."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500)


def write_off_view(loan: Loan) -> dict[str, Any] | None:
    """The write-off as the loan's readers see it (None while the loan is not written off)."""
    w = loan.written_off
    if w is None:
        return None
    money = lambda minor: str(Money(minor=minor, currency=loan.currency))  # noqa: E731
    return {
        "at": w.at.isoformat(),
        "reason": w.reason,
        "days_past_due": w.days_past_due,
        "amount": money(w.amount.total),
        "recovered": money(w.recovered_minor),
        "recoverable": money(w.recoverable_minor),
    }


def write_off_in(
    tx: Transaction, loan: Loan, *, reason: str, actor_id: str, actor_role: str, at: datetime
) -> None:
    """In the caller's transaction: WRITTEN_OFF, the loss posting, the limit frozen, the audit record."""
    borrower = tx.get_borrower(loan.borrower_id) or Borrower(id=loan.borrower_id)  # reads before writes
    before = loan.status.value
    scheduled = {i.number: i for i in loan.schedule.installments}
    for number in sorted(set(scheduled) - set(loan.income_recognised)):
        key = installment_key(number, loan.schedule_version)  # a restructure's installments: v2:1
        entry = ledger.post_installment_due(
            loan_id=loan.id, installment=scheduled[number], currency=loan.currency, at=at, key=key
        )
        if entry is not None:
            tx.add_journal_entry(entry)  # contractual income recognised before the loss (net nil)
        loan.income_recognised.append(number)
    written = loan.write_off(reason=reason, actor_id=actor_id, at=at)
    if written.amount.total:
        tx.add_journal_entry(
            post_write_off(loan_id=loan.id, currency=loan.currency, owed=written.amount, at=at)
        )
    if borrower.credit.written_off(loan.id, at):
        tx.save_borrower(borrower)
    tx.save_loan(loan)
    tx.add_audit(
        audit.record(
            actor_id=actor_id,
            actor_role=actor_role,
            action="loan_written_off",
            entity_type="loan",
            entity_id=loan.id,
            at=at,
            before={"status": before},
            after={"status": loan.status.value, "reason": reason, "amount_minor": written.amount.total},
        )
    )


def write_off(store: Store, *, loan_id: str, reason: str, admin: User, now: datetime) -> dict[str, Any]:
    """An admin writes a loan off: 404 if unknown, 409 unless ACTIVE."""

    def run(tx: Transaction) -> dict[str, Any]:
        loan = tx.get_loan(loan_id)
        if loan is None:
            raise NotFound(f"loan {loan_id} not found")
        try:
            write_off_in(tx, loan, reason=reason, actor_id=admin.id, actor_role=admin.role, at=now)
        except NotActive as exc:
            raise AlreadyExists(str(exc)) from exc
        return {"id": loan.id, "status": loan.status.value, "write_off": write_off_view(loan)}

    return store.transaction(run)


def recover_in(tx: Transaction, rep: Repayment, loan: Loan, at: datetime) -> list[DomainEvent]:
    """A payment on a written-off loan: a recovery (income), audited; never the written-off receivables."""
    recovered, excess = loan.recover(rep.amount, at)
    tx.save_repayment(rep)
    tx.save_loan(loan)
    tx.add_journal_entry(
        post_recovery(
            loan_id=loan.id,
            borrower_id=loan.borrower_id,
            payment=rep.amount,
            recovered=recovered,
            provider=rep.provider,
            reference=rep.reference,
            at=at,
        )
    )
    tx.add_audit(
        audit.record(
            actor_id=audit.SYSTEM,
            actor_role=audit.SYSTEM,
            action="loan_recovery_received",
            entity_type="loan",
            entity_id=loan.id,
            at=at,
            after={"repayment_id": rep.id, "recovered_minor": recovered, "credit_minor": excess},
        )
    )
    return [
        rep.received_event(
            allocated_minor=recovered,
            overpayment_minor=excess,
            outstanding_minor=loan.outstanding.minor,
            at=at,
        )
    ]
