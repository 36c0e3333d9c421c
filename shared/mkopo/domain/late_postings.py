"""Journal entries of a loan's late life: charges made, the write-off, recoveries after it.

* Charges (``post_charges_applied``): a late fee is Dr ``fees_receivable`` / Cr ``fee_income``, a penalty
  Dr ``penalties_receivable`` / Cr ``penalty_income``; earned when charged (no deferral). One entry per loan,
  installment and day (the reference), so a re-run or a redelivery posts nothing twice.
* Write-off (``post_write_off``): what is owed, per component, leaves the receivables into the
  ``loan_losses`` expense of the currency. We chose the loss account over the allowance: the allowance
  (loss provisioning) is computed over loans not written off, so a written-off loan's allowance is released
  by the provisioning's next run. Contractual income not yet earned is recognised first (the service posts
  the remaining ``INSTALLMENT_DUE`` entries), so no ``deferred_*`` balance is left behind; its net effect
  with the loss is nil.
* Recovery (``post_recovery``): Dr ``cash_at_provider`` / Cr ``recoveries`` income, never the written-off
  receivables; anything beyond what was written off less recovered is the borrower's credit.
"""

from __future__ import annotations

from datetime import datetime

from mkopo.domain.allocation import Component, Portion
from mkopo.domain.chart_of_accounts import RECEIVABLE_OF, Account, AccountKind
from mkopo.domain.ledger import EntryKind, JournalEntry, _entry, _lines
from mkopo.domain.money import Money


def charges_reference(loan_id: str, installment: str, on: str) -> str:
    """The business reference of one installment's charges on one day (ISO date); ``installment`` is its
    key (``3``, or ``v2:3`` on a restructured schedule)."""
    return f"{loan_id}:charges:{installment}:{on}"


def post_charges_applied(
    *, loan_id: str, currency: str, installment: str, on: str, fee: int, penalty: int, at: datetime
) -> JournalEntry:
    """A late fee and/or a day's penalty charged to an installment: receivable and earned."""
    lines = _lines(
        (Account.of(AccountKind.FEES_RECEIVABLE, loan_id), fee),
        (Account.of(AccountKind.FEE_INCOME, currency), -fee),
        (Account.of(AccountKind.PENALTIES_RECEIVABLE, loan_id), penalty),
        (Account.of(AccountKind.PENALTY_INCOME, currency), -penalty),
    )
    description = f"Late charges on loan {loan_id} installment {installment} for {on}"
    reference = charges_reference(loan_id, installment, on)
    return _entry(EntryKind.CHARGES_APPLIED, reference, at, currency, description, lines)


def post_write_off(*, loan_id: str, currency: str, owed: Portion, at: datetime) -> JournalEntry:
    """Every receivable of the loan, as owed at the write-off, into the currency's loan losses."""
    lines = _lines(
        (Account.of(AccountKind.LOAN_LOSSES, currency), owed.total),
        *((Account.of(RECEIVABLE_OF[c], loan_id), -owed.of(c)) for c in Component),
    )
    description = f"Loan {loan_id} written off"
    return _entry(EntryKind.WRITE_OFF, f"{loan_id}:write-off", at, currency, description, lines)


def post_recovery(
    *,
    loan_id: str,
    borrower_id: str,
    payment: Money,
    recovered: int,
    provider: str,
    reference: str,
    at: datetime,
) -> JournalEntry:
    """Money in on a written-off loan: recoveries income, any excess held as the borrower's credit."""
    lines = _lines(
        (Account.of(AccountKind.CASH_AT_PROVIDER, provider, payment.currency), payment.minor),
        (Account.of(AccountKind.RECOVERIES, payment.currency), -recovered),
        (Account.of(AccountKind.BORROWER_CREDIT, borrower_id), recovered - payment.minor),
    )
    description = f"Recovery {reference} on written-off loan {loan_id} via {provider}"
    return _entry(EntryKind.RECOVERY, reference, at, payment.currency, description, lines)
