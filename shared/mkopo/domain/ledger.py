"""Double-entry ledger: immutable, balanced journal entries in integer minor units; money is never lost.

Sign convention: a ``Line`` amount is positive for a debit and negative for a credit, so every entry sums
to zero and ``balance`` is debits minus credits (positive for assets such as receivables and cash,
negative for income and for what we owe, such as a borrower's credit balance).

Accounting approach (kept simple and auditable for short microloans):

* Disbursement has two steps. When the provider accepts the payout (``post_loan_disbursed``) the loan
  comes into existence: Dr ``loans_receivable`` principal / Cr ``disbursement_clearing`` (money in flight),
  and the contractual interest and fees of the schedule are recognised as receivable against *deferred*
  (unearned) income: Dr ``interest_receivable`` / Cr ``deferred_interest``, Dr ``fees_receivable`` /
  Cr ``deferred_fees``. So a loan's receivables always equal what the borrower owes under the schedule.
  When the provider confirms the payout (``post_payout_settled``): Dr ``disbursement_clearing`` /
  Cr ``cash_at_provider``. A clearing balance that stays non-zero is money whose fate is unknown: reconcile.
* A payout that fails is booked nowhere: the loan and its entries exist only once the provider paid. Entries
  are never edited or deleted; a mistake is undone by its ``reverse``.
* Income is earned on due dates (``post_installment_due``): Dr ``deferred_*`` / Cr ``interest_income`` and
  ``fee_income``.
* A repayment (``post_repayment_received``): Dr ``cash_at_provider`` / Cr the receivables as allocated
  (penalties, fees, interest, principal), Cr ``borrower_credit`` for any overpayment. Money that cannot be
  matched to a loan goes to ``suspense`` (``post_unidentified_collection``), never dropped.

Every account holds one currency: provider-level accounts name it (``disbursement_clearing:mpesa:KES``);
loan and borrower accounts inherit the loan's currency (a borrower borrows in their market's currency).

Entry ids derive from the entry kind and the business reference (uuid5), so posting the same event twice
yields the same id and a store can refuse the duplicate.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mkopo.domain.allocation import Allocation, Component, Portion
from mkopo.domain.chart_of_accounts import (
    LOAN_RECEIVABLES,
    RECEIVABLE_OF,
    Account,
    AccountKind,
    LedgerError,
)
from mkopo.domain.money import Currency, Money
from mkopo.domain.schedule import Installment, RepaymentSchedule

__all__ = [
    "Account",
    "AccountKind",
    "EntryKind",
    "JournalEntry",
    "LedgerError",
    "Line",
    "account_balances",
    "balance",
    "credit",
    "debit",
    "entry_id",
    "loan_receivable_balance",
    "post_installment_due",
    "post_loan_disbursed",
    "post_loan_restructured",
    "post_payout_settled",
    "post_repayment_received",
    "post_unidentified_collection",
    "reverse",
    "trial_balance",
]

LEDGER_NAMESPACE = uuid.UUID("6f1c8a52-4d0e-5b8e-9a51-3c2f0d7e8b11")


class Line(BaseModel):
    """One posting: a signed amount on an account (positive debit, negative credit), never zero."""

    model_config = ConfigDict(frozen=True)

    account: Account
    amount: int

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, amount: int) -> int:
        if amount == 0:
            raise ValueError("a journal line cannot be zero")
        return amount

    @property
    def debit(self) -> int:
        return max(self.amount, 0)

    @property
    def credit(self) -> int:
        return max(-self.amount, 0)


def debit(account: Account, minor: int) -> Line:
    """A debit line of ``minor`` units (must be positive)."""
    if minor <= 0:
        raise LedgerError("a debit must be positive")
    return Line(account=account, amount=minor)


def credit(account: Account, minor: int) -> Line:
    """A credit line of ``minor`` units (must be positive)."""
    if minor <= 0:
        raise LedgerError("a credit must be positive")
    return Line(account=account, amount=-minor)


class EntryKind(StrEnum):
    LOAN_DISBURSED = "LOAN_DISBURSED"
    PAYOUT_SETTLED = "PAYOUT_SETTLED"
    INSTALLMENT_DUE = "INSTALLMENT_DUE"
    REPAYMENT_RECEIVED = "REPAYMENT_RECEIVED"
    UNIDENTIFIED_COLLECTION = "UNIDENTIFIED_COLLECTION"
    LOAN_RESTRUCTURED = "LOAN_RESTRUCTURED"
    REVERSAL = "REVERSAL"
    PROVISION_ADJUSTED = "PROVISION_ADJUSTED"
    CHARGES_APPLIED = "CHARGES_APPLIED"
    WRITE_OFF = "WRITE_OFF"
    RECOVERY = "RECOVERY"


class JournalEntry(BaseModel):
    """An immutable, balanced journal entry: two or more non-zero lines in one currency summing to zero."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    occurred_at: datetime
    currency: Currency
    description: str
    kind: EntryKind
    reference: str = Field(min_length=1)
    lines: tuple[Line, ...]
    reverses: str | None = None

    @model_validator(mode="after")
    def _balanced(self) -> JournalEntry:
        """Debits equal credits, at least two lines, one currency, a timezone-aware time."""
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        if len(self.lines) < 2:
            raise ValueError("a journal entry needs at least two lines")
        if sum(line.amount for line in self.lines) != 0:
            raise ValueError(f"debits {self.debits} != credits {self.credits} in entry {self.id}")
        for line in self.lines:
            if line.account.currency not in (None, self.currency):
                raise ValueError(f"{line.account} is not a {self.currency} account")
        return self

    @property
    def debits(self) -> int:
        return sum(line.debit for line in self.lines)

    @property
    def credits(self) -> int:
        return sum(line.credit for line in self.lines)


def entry_id(kind: EntryKind, reference: str) -> str:
    """The deterministic id of the entry of ``kind`` for a business reference."""
    return str(uuid.uuid5(LEDGER_NAMESPACE, f"{kind.value}:{reference}"))


def _entry(
    kind: EntryKind, reference: str, at: datetime, currency: str, description: str, lines: Iterable[Line]
) -> JournalEntry:
    """A journal entry with a deterministic id; raises ``LedgerError`` if it does not balance."""
    try:
        return JournalEntry(
            id=entry_id(kind, reference),
            occurred_at=at,
            currency=currency,  # type: ignore[arg-type]
            description=description,
            kind=kind,
            reference=reference,
            lines=tuple(lines),
        )
    except ValueError as exc:
        raise LedgerError(str(exc)) from exc


def reverse(entry: JournalEntry, reason: str, at: datetime) -> JournalEntry:
    """The entry that undoes ``entry``: same accounts, opposite signs, linked by ``reverses``."""
    lines = tuple(Line(account=line.account, amount=-line.amount) for line in entry.lines)
    return JournalEntry(
        id=entry_id(EntryKind.REVERSAL, entry.id),
        occurred_at=at,
        currency=entry.currency,
        description=f"Reversal of {entry.kind.value} {entry.reference}: {reason}",
        kind=EntryKind.REVERSAL,
        reference=entry.reference,
        lines=lines,
        reverses=entry.id,
    )


def _loan(kind: AccountKind, loan_id: str) -> Account:
    return Account.of(kind, loan_id)


def _lines(*pairs: tuple[Account, int]) -> list[Line]:
    """Lines from (account, signed amount) pairs, skipping zero amounts."""
    return [Line(account=account, amount=amount) for account, amount in pairs if amount]


def post_loan_disbursed(
    *, loan_id: str, schedule: RepaymentSchedule, provider: str, reference: str, at: datetime
) -> JournalEntry:
    """The loan exists: principal in flight to the borrower, contractual interest and fees receivable."""
    principal, interest, fees = schedule.principal.minor, schedule.interest.minor, schedule.fees.minor
    lines = _lines(
        (_loan(AccountKind.LOANS_RECEIVABLE, loan_id), principal),
        (Account.of(AccountKind.DISBURSEMENT_CLEARING, provider, schedule.currency), -principal),
        (_loan(AccountKind.INTEREST_RECEIVABLE, loan_id), interest),
        (_loan(AccountKind.DEFERRED_INTEREST, loan_id), -interest),
        (_loan(AccountKind.FEES_RECEIVABLE, loan_id), fees),
        (_loan(AccountKind.DEFERRED_FEES, loan_id), -fees),
    )
    description = f"Loan {loan_id} disbursed via {provider}"
    return _entry(EntryKind.LOAN_DISBURSED, reference, at, schedule.currency, description, lines)


def post_payout_settled(*, provider: str, amount: Money, reference: str, at: datetime) -> JournalEntry:
    """The provider confirmed the payout: the money left our float at the provider."""
    lines = (
        debit(Account.of(AccountKind.DISBURSEMENT_CLEARING, provider, amount.currency), amount.minor),
        credit(Account.of(AccountKind.CASH_AT_PROVIDER, provider, amount.currency), amount.minor),
    )
    description = f"Payout {reference} settled by {provider}"
    return _entry(EntryKind.PAYOUT_SETTLED, reference, at, amount.currency, description, lines)


def post_installment_due(
    *, loan_id: str, installment: Installment, currency: str, at: datetime, key: str | None = None
) -> JournalEntry | None:
    """Interest and fees of an installment are earned on its due date; None if it carries neither."""
    interest, fees = installment.interest, installment.fees
    lines = _lines(
        (_loan(AccountKind.DEFERRED_INTEREST, loan_id), interest),
        (Account.of(AccountKind.INTEREST_INCOME, currency), -interest),
        (_loan(AccountKind.DEFERRED_FEES, loan_id), fees),
        (Account.of(AccountKind.FEE_INCOME, currency), -fees),
    )
    if not lines:
        return None
    reference = f"{loan_id}:installment:{key or installment.number}"
    description = f"Income earned on loan {loan_id} installment {installment.number}"
    return _entry(EntryKind.INSTALLMENT_DUE, reference, at, currency, description, lines)


def post_repayment_received(
    *,
    loan_id: str,
    borrower_id: str,
    allocation: Allocation,
    provider: str,
    reference: str,
    at: datetime,
) -> JournalEntry:
    """Cash in at the provider, credited to receivables as allocated, any overpayment to the borrower."""
    payment = allocation.payment
    applied = allocation.by_component()
    lines = _lines(
        (Account.of(AccountKind.CASH_AT_PROVIDER, provider, payment.currency), payment.minor),
        *((_loan(RECEIVABLE_OF[c], loan_id), -applied.of(c)) for c in Component),
        (Account.of(AccountKind.BORROWER_CREDIT, borrower_id), -allocation.overpayment),
    )
    description = f"Repayment {reference} on loan {loan_id} via {provider}"
    return _entry(EntryKind.REPAYMENT_RECEIVED, reference, at, payment.currency, description, lines)


def post_loan_restructured(
    *, loan_id: str, currency: str, waived: Portion, earned_unpaid: Portion, reference: str, at: datetime
) -> JournalEntry | None:
    """A restructure takes effect: income earned but unpaid is deferred again (earned anew on the new due
    dates), and waived fees and penalties come off the receivables (fees against deferred fees, penalties
    against the penalty income they were charged to). None when it changes no account."""
    lines = _lines(
        (Account.of(AccountKind.INTEREST_INCOME, currency), earned_unpaid.interest),
        (_loan(AccountKind.DEFERRED_INTEREST, loan_id), -earned_unpaid.interest),
        (Account.of(AccountKind.FEE_INCOME, currency), earned_unpaid.fees),
        (_loan(AccountKind.DEFERRED_FEES, loan_id), waived.fees - earned_unpaid.fees),
        (_loan(AccountKind.FEES_RECEIVABLE, loan_id), -waived.fees),
        (Account.of(AccountKind.PENALTY_INCOME, currency), waived.penalties),
        (_loan(AccountKind.PENALTIES_RECEIVABLE, loan_id), -waived.penalties),
    )
    if not lines:
        return None
    description = f"Loan {loan_id} restructured ({reference})"
    return _entry(EntryKind.LOAN_RESTRUCTURED, reference, at, currency, description, lines)


def post_unidentified_collection(
    *, provider: str, amount: Money, reference: str, at: datetime
) -> JournalEntry:
    """Money received that matches no loan: held in suspense until an operator assigns it."""
    lines = (
        debit(Account.of(AccountKind.CASH_AT_PROVIDER, provider, amount.currency), amount.minor),
        credit(Account.of(AccountKind.SUSPENSE, amount.currency), amount.minor),
    )
    description = f"Unidentified collection {reference} via {provider}"
    return _entry(EntryKind.UNIDENTIFIED_COLLECTION, reference, at, amount.currency, description, lines)


def balance(entries: Iterable[JournalEntry], account: Account, at: datetime | None = None) -> int:
    """Debits minus credits on ``account`` over entries that occurred at or before ``at`` (all if None)."""
    selected = (entry for entry in entries if at is None or entry.occurred_at <= at)
    return account_balances(selected, keep_zero=True).get(account, 0)


def account_balances(entries: Iterable[JournalEntry], *, keep_zero: bool = False) -> dict[Account, int]:
    """Every account's balance (debits minus credits); an account used in two currencies is an error."""
    totals: dict[Account, int] = defaultdict(int)
    currencies: dict[Account, str] = {}
    for entry in entries:
        for line in entry.lines:
            if currencies.setdefault(line.account, entry.currency) != entry.currency:
                raise LedgerError(
                    f"{line.account} is used in {currencies[line.account]} and {entry.currency}"
                )
            totals[line.account] += line.amount
    return {account: total for account, total in totals.items() if total or keep_zero}


def trial_balance(entries: Iterable[JournalEntry]) -> dict[str, int]:
    """Debits minus credits per currency over all entries; every value must be zero."""
    totals: dict[str, int] = defaultdict(int)
    for entry in entries:
        totals[entry.currency] += sum(line.amount for line in entry.lines)
    return dict(totals)


def loan_receivable_balance(entries: Iterable[JournalEntry], loan_id: str, at: datetime | None = None) -> int:
    """What the borrower owes on a loan per the ledger: principal, interest, fees and penalties receivable."""
    entries = list(entries)
    return sum(balance(entries, _loan(kind, loan_id), at) for kind in LOAN_RECEIVABLES)
