"""The arrears run's late charges: a loan's late fees and daily penalties for the day, their journal
entries (one per installment, schedule version and day) and the SMS of a fee or of a first charge."""

from __future__ import annotations

from datetime import datetime

from mkopo.domain.charges import ChargeRules
from mkopo.domain.events import ChargeApplied, DomainEvent
from mkopo.domain.late_postings import post_charges_applied
from mkopo.domain.loans import Loan
from mkopo.service.store import Transaction


def late_work(loan: Loan, now: datetime, rules: ChargeRules) -> bool:
    """Late work today without a transaction's read: a write-off due, or charges to make."""
    if loan.position.days_past_due(now.date()) >= rules.write_off_after_days:
        return True
    return bool(loan.model_copy(deep=True).charge_late(now.date(), rules, now))


def charge_in(
    tx: Transaction, loan: Loan, rules: ChargeRules, now: datetime, counts: dict[str, int]
) -> list[DomainEvent]:
    """Today's late fees and penalties: one journal entry per installment and day; an SMS on the first."""
    events: list[DomainEvent] = []
    for charge in loan.charge_late(now.date(), rules, now):
        tx.add_journal_entry(
            post_charges_applied(
                loan_id=loan.id,
                currency=loan.currency,
                installment=charge.label,
                on=charge.on.isoformat(),
                fee=charge.fee,
                penalty=charge.penalty,
                at=now,
            )
        )
        counts["charges"] += 1
        if charge.fee or charge.first:
            events.append(
                ChargeApplied.new(
                    application_id=loan.id,
                    occurred_at=now,
                    occurrence=charge.key,
                    borrower_id=loan.borrower_id,
                    installment=charge.installment,
                    charged_on=charge.on.isoformat(),
                    fee_minor=charge.fee,
                    penalty_minor=charge.penalty,
                    outstanding_minor=loan.outstanding.minor,
                    currency=loan.currency,
                )
            )
    return events
