"""Credit-bureau reporting rules: which loans a month's submission lists, when, and with what.

Kenya's digital-credit rules, as every market's default here: negative information (a loan overdue or
written off) is listed only 30 days or more after the borrower was sent the notice SMS, never for a debt at
or below the market's threshold (KES 1,000), and a listed debt that is paid shows as repaid in the next
submission. Positive information (loans current or repaid) is always listed.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain.allocation import InstallmentState, LoanStatus
from mkopo.domain.loans import Loan
from mkopo.domain.messages import sms
from mkopo.domain.money import Money


class BureauRules(BaseModel):
    """The notice period before negative information and the listing threshold per currency."""

    model_config = ConfigDict(frozen=True)

    notice_days: int = Field(default=30, ge=0)
    # Debts at or below this (minor units) are never listed negatively; KES 1,000.00 in Kenya.
    threshold_minor: dict[str, int] = Field(default_factory=lambda: {"KES": 100_000})

    def threshold(self, currency: str) -> int:
        return self.threshold_minor.get(currency, 0)


class BureauStatus(StrEnum):
    CURRENT = "current"
    OVERDUE = "overdue"
    REPAID = "repaid"
    WRITTEN_OFF = "written_off"


NEGATIVE = frozenset({BureauStatus.OVERDUE, BureauStatus.WRITTEN_OFF})


class BorrowerIdentity(BaseModel):
    """Who the bureau matches a row to: national id when we have it, else phone and name (+ birth date)."""

    model_config = ConfigDict(frozen=True)

    phone: str
    full_name: str
    national_id: str | None = None
    date_of_birth: date | None = None


def status_of(loan: Loan, on: date) -> BureauStatus:
    if loan.status == LoanStatus.WRITTEN_OFF:
        return BureauStatus.WRITTEN_OFF
    if loan.status == LoanStatus.REPAID:
        return BureauStatus.REPAID
    return BureauStatus.OVERDUE if loan.position.days_past_due(on) > 0 else BureauStatus.CURRENT


def above_threshold(loan: Loan, rules: BureauRules) -> bool:
    return loan.outstanding.minor > rules.threshold(loan.currency)


def needs_notice(loan: Loan, on: date, rules: BureauRules) -> bool:
    """The loan would be listed negatively and its borrower has not been sent the notice yet."""
    negative = status_of(loan, on) in NEGATIVE
    return negative and above_threshold(loan, rules) and loan.bureau_notice_on is None


def may_list(loan: Loan, on: date, rules: BureauRules) -> bool:
    """Positive information always; negative only above the threshold and a full notice period after."""
    if status_of(loan, on) not in NEGATIVE:
        return True
    notice = loan.bureau_notice_on
    return above_threshold(loan, rules) and notice is not None and on >= notice + timedelta(rules.notice_days)


def reported_in(loan: Loan, first: date, last: date) -> bool:
    """The loan was open at some time in the month ``first``..``last`` (repaid in it counts)."""
    repaid = loan.repaid_at.date() if loan.repaid_at else None
    return loan.disbursed_at.date() <= last and (repaid is None or repaid >= first)


FIELDS: tuple[str, ...] = (
    "reporting_month",
    "lender",
    "account_number",
    "national_id",
    "phone",
    "full_name",
    "date_of_birth",
    "currency",
    "disbursed_on",
    "principal",
    "outstanding",
    "arrears_amount",
    "days_past_due",
    "status",
    "repaid_on",
    "repaid_on_time",
    "notice_sent_on",
)


def bureau_row(loan: Loan, who: BorrowerIdentity, *, month: str, on: date) -> dict[str, str]:
    """One loan's row in a month's submission (amounts in major units)."""
    status = status_of(loan, on)
    money = lambda minor: str(Money(minor=minor, currency=loan.currency))  # noqa: E731
    arrears = sum(
        i.outstanding.total for i in loan.position.installments if i.state(on) == InstallmentState.OVERDUE
    )
    arrears = min(arrears, loan.outstanding.minor)  # written off: never more than is still recoverable
    repaid = status == BureauStatus.REPAID
    return {
        "reporting_month": month,
        "lender": loan.lender,
        "account_number": loan.id,
        "national_id": who.national_id or "",
        "phone": who.phone,
        "full_name": who.full_name,
        "date_of_birth": who.date_of_birth.isoformat() if who.date_of_birth else "",
        "currency": loan.currency,
        "disbursed_on": loan.disbursed_at.date().isoformat(),
        "principal": str(loan.schedule.principal),
        "outstanding": money(0 if repaid else loan.outstanding.minor),
        "arrears_amount": money(0 if repaid else arrears),
        "days_past_due": str(loan.position.days_past_due(on) if status in NEGATIVE else 0),
        "status": status.value,
        "repaid_on": loan.repaid_at.date().isoformat() if repaid and loan.repaid_at else "",
        "repaid_on_time": ("yes" if loan.days_late_max <= 0 else "no") if repaid else "",
        "notice_sent_on": loan.bureau_notice_on.isoformat() if loan.bureau_notice_on else "",
    }


def notice_sms(loan: Loan, rules: BureauRules, listing_on: date, language: str | None = None) -> str:
    """The notice the regulations require before a listing, in the borrower's language: plain, what is
    owed, when, how to avoid it."""
    owed, ref = f"{loan.currency} {loan.outstanding}", loan.id[:8].upper()
    return sms("bureau_notice", language, ref=ref, amount=owed, listing=listing_on.isoformat(),
               days=rules.notice_days)  # fmt: skip
