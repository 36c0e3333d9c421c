"""Expected-credit-loss allowance by arrears bucket and the adjusting entry that brings the ledger to it.

The allowance of a bucket is its gross receivables (what ACTIVE loans in it still owe) times the bucket's
rate, rounded half up to a minor unit. Loans repaid or written off are not in the base, so their
allowance is released by the next run. The ledger holds the allowance on ``loan_loss_allowance:<currency>``
(a contra-asset, a credit balance) against ``provision_expense:<currency>``; each run posts only the
difference between the target and what the account already holds, under an id keyed by currency, as-of
date and target, so a re-run with nothing changed posts nothing and a repeat of one run is refused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain.allocation import ArrearsBucket, LoanStatus
from mkopo.domain.ledger import Account, AccountKind, EntryKind, JournalEntry, Line, entry_id
from mkopo.domain.loans import Loan


class ProvisionRates(BaseModel):
    """The share of gross receivables expected to be lost, per arrears bucket."""

    model_config = ConfigDict(frozen=True)

    current: Decimal = Field(default=Decimal("0.01"), ge=0, le=1)
    days_1_30: Decimal = Field(default=Decimal("0.05"), ge=0, le=1)
    days_31_60: Decimal = Field(default=Decimal("0.25"), ge=0, le=1)
    days_61_90: Decimal = Field(default=Decimal("0.50"), ge=0, le=1)
    days_90_plus: Decimal = Field(default=Decimal("1.00"), ge=0, le=1)

    def rate(self, bucket: ArrearsBucket) -> Decimal:
        return {
            ArrearsBucket.CURRENT: self.current,
            ArrearsBucket.DAYS_1_30: self.days_1_30,
            ArrearsBucket.DAYS_31_60: self.days_31_60,
            ArrearsBucket.DAYS_61_90: self.days_61_90,
            ArrearsBucket.DAYS_90_PLUS: self.days_90_plus,
        }[bucket]


class BucketAllowance(BaseModel):
    """One currency's bucket: its loans, gross receivables, rate and allowance (minor units)."""

    model_config = ConfigDict(frozen=True)

    currency: str
    bucket: ArrearsBucket
    loans: int
    gross_minor: int
    rate: Decimal
    allowance_minor: int

    @property
    def coverage(self) -> Decimal | None:
        """Allowance over gross receivables (None for an empty bucket)."""
        return Decimal(self.allowance_minor) / self.gross_minor if self.gross_minor else None


def in_base(loan: Loan) -> bool:
    """Only ACTIVE loans carry an allowance: repaid ones owe nothing, written-off ones left the book."""
    return loan.status == LoanStatus.ACTIVE and loan.position.outstanding.total > 0


def allowance_by_bucket(loans: Iterable[Loan], on: date, rates: ProvisionRates) -> list[BucketAllowance]:
    """The allowance per currency and bucket on ``on``, every bucket of every currency with a loan."""
    gross: dict[tuple[str, ArrearsBucket], list[int]] = defaultdict(list)
    currencies: set[str] = set()
    for loan in loans:
        if in_base(loan):
            currencies.add(loan.currency)
            gross[(loan.currency, loan.position.arrears_bucket(on))].append(loan.position.outstanding.total)
    rows = []
    for currency in sorted(currencies):
        for bucket in ArrearsBucket:
            amounts = gross.get((currency, bucket), [])
            total, rate = sum(amounts), rates.rate(bucket)
            allowance = int((total * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            rows.append(
                BucketAllowance(
                    currency=currency,
                    bucket=bucket,
                    loans=len(amounts),
                    gross_minor=total,
                    rate=rate,
                    allowance_minor=allowance,
                )
            )
    return rows


def target_by_currency(rows: Iterable[BucketAllowance]) -> dict[str, int]:
    """The allowance each currency's ledger should hold."""
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.currency] += row.allowance_minor
    return dict(totals)


def allowance_account(currency: str) -> Account:
    return Account.of(AccountKind.LOAN_LOSS_ALLOWANCE, currency)


def held_allowance(allowance_balance: int) -> int:
    """What the allowance account holds, from its balance (debits minus credits: negative when held)."""
    return -allowance_balance


def post_provision_adjustment(
    *, currency: str, as_of: date, target_minor: int, held_minor: int, at: datetime
) -> JournalEntry | None:
    """Dr expense / Cr allowance for an increase, the reverse for a release; None when nothing changes."""
    delta = target_minor - held_minor
    if delta == 0:
        return None
    expense = Account.of(AccountKind.PROVISION_EXPENSE, currency)
    lines = (Line(account=expense, amount=delta), Line(account=allowance_account(currency), amount=-delta))
    reference = f"provision:{currency}:{as_of.isoformat()}:{target_minor}"
    verb = "increased" if delta > 0 else "released"
    return JournalEntry(
        id=entry_id(EntryKind.PROVISION_ADJUSTED, reference),
        occurred_at=at,
        currency=currency,  # type: ignore[arg-type]
        description=f"Loan-loss allowance {verb} by {abs(delta)} to {target_minor} as of {as_of}",
        kind=EntryKind.PROVISION_ADJUSTED,
        reference=reference,
        lines=lines,
    )
