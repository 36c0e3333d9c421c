"""What the borrower reads by SMS at each step: plain language, the real cost, no shaming."""

from __future__ import annotations

from mkopo.domain.applications import Application
from mkopo.domain.events import (
    ChargeApplied,
    CheckoutSubmitted,
    DisbursementFailed,
    DomainEvent,
    InstallmentOverdue,
    LoanApproved,
    LoanDisbursed,
    LoanRejected,
    LoanRepaid,
    RepaymentDue,
    RepaymentReceived,
    ReviewRequested,
)
from mkopo.domain.money import Money

REASON_TEXT: dict[str, str] = {
    "SCORE_BELOW_CUTOFF": "your mobile-money history does not yet support this loan",
    "AMOUNT_ABOVE_LIMIT": "the amount is above your current limit",
    "MAX_EXPOSURE_EXCEEDED": "the amount is above our maximum loan size",
    "ACTIVE_LOAN_EXISTS": "you already have an active loan",
    "REVIEW_DECLINED": "a credit officer reviewed your application and could not approve it now",
}
_POLICY_REASONS = frozenset(REASON_TEXT)
REASON_TEXT |= {
    # The scorecard's reason codes (the characteristics that cost the most points), in plain words.
    "LOW_MOBILE_MONEY_INFLOW": "the money coming into your mobile-money account is still low",
    "FEW_TRANSACTIONS": "you make few mobile-money payments",
    "SHORT_ACCOUNT_HISTORY": "your mobile-money account is still new",
    "IRREGULAR_AIRTIME_TOPUPS": "your airtime top-ups are irregular",
    "NO_REPAYMENT_HISTORY": "you have few loans repaid so far",
    "PREVIOUS_DEFAULT": "a past loan was not repaid",
    "LATE_REPAYMENTS": "past loans were repaid late",
}


def is_reminder(event: DomainEvent) -> bool:
    """A reminder the borrower may stop with STOP. Decisions, disbursements, receipts and overdue notices
    (the notice the regulations require before any listing) are not reminders: they always go out."""
    return isinstance(event, RepaymentDue)


def sms_for(event: DomainEvent, app: Application) -> str | None:
    """The SMS text for an event, or None if the borrower need not be told."""
    offer = app.offer
    cur = offer.principal.currency
    ref = app.id[:8].upper()
    if isinstance(event, CheckoutSubmitted):
        return (
            f"mkopo: we received your application {ref} for {cur} {offer.principal} from {offer.provider}. "
            "We will tell you the decision shortly."
        )
    if isinstance(event, ReviewRequested):
        return (
            f"mkopo: your application {ref} for {cur} {offer.principal} is under review by a credit officer. "
            "We will tell you the decision by SMS, usually within one working day."
        )
    if isinstance(event, LoanApproved):
        return (
            f"mkopo: your loan {ref} of {cur} {offer.principal} is approved. You will repay "
            f"{cur} {offer.total_repayable} (cost {cur} {offer.total_cost}, APR {offer.apr}%) "
            f"within {offer.term_days} days. The money is on its way to your wallet."
        )
    if isinstance(event, LoanRejected):
        why = "; ".join(REASON_TEXT.get(r, r.lower().replace("_", " ")) for r in _top_reasons(event.reasons))
        return f"mkopo: sorry, we cannot offer loan {ref} now: {why}. You can apply again later."
    if isinstance(event, LoanDisbursed):
        due = offer.due_date(event.occurred_at).date().isoformat()
        return (
            f"mkopo: {cur} {offer.principal} has been sent to your wallet for loan {ref}. "
            f"Repay {cur} {offer.total_repayable} by {due}."
        )
    money_text = _money_sms(event, ref)
    if money_text is not None:
        return money_text
    if isinstance(event, DisbursementFailed):
        return (
            f"mkopo: we could not send loan {ref} to your wallet. You owe nothing for it. "
            "Check that your mobile-money account is active, then apply again."
        )
    return None


def _top_reasons(reasons: list[str], most: int = 2) -> list[str]:
    """The reasons a decline SMS names: the scorecard's own reasons say why a score fell short, so they
    replace the generic SCORE_BELOW_CUTOFF; other policy reasons (limit, exposure) come first."""
    score_reasons = [r for r in reasons if r not in _POLICY_REASONS]
    policy = [
        r for r in reasons if r in _POLICY_REASONS and not (score_reasons and r == "SCORE_BELOW_CUTOFF")
    ]
    return (policy + score_reasons)[:most]


def _money_sms(event: DomainEvent, ref: str) -> str | None:
    """Repayment-side messages: receipts, reminders and overdue notices (firm, never shaming)."""
    if isinstance(event, RepaymentReceived):
        paid = Money(minor=event.amount_minor, currency=event.currency)  # type: ignore[arg-type]
        left = Money(minor=event.outstanding_minor, currency=event.currency)  # type: ignore[arg-type]
        extra = ""
        if event.overpayment_minor:
            over = Money(minor=event.overpayment_minor, currency=event.currency)  # type: ignore[arg-type]
            extra = f" {event.currency} {over} more than you owed is kept as credit for you."
        cur = event.currency
        return f"mkopo: we received {cur} {paid} for loan {ref}. Still to pay: {cur} {left}.{extra}"
    if isinstance(event, LoanRepaid):
        limit = ""
        if event.credit_limit_minor is not None:
            new = Money(minor=event.credit_limit_minor, currency=event.currency)  # type: ignore[arg-type]
            limit = f" Your limit is now {event.currency} {new}."
        return f"mkopo: loan {ref} is fully repaid. Thank you!{limit} You can apply for a new loan any time."
    if isinstance(event, RepaymentDue):
        due = Money(minor=event.outstanding_minor, currency=event.currency)  # type: ignore[arg-type]
        return f"mkopo: reminder: {event.currency} {due} for loan {ref} is due on {event.due_date}."
    if isinstance(event, InstallmentOverdue):
        due = Money(minor=event.outstanding_minor, currency=event.currency)  # type: ignore[arg-type]
        return (
            f"mkopo: {event.currency} {due} for loan {ref} is {event.days_past_due} days overdue. "
            "Please pay when you can, or reply HELP to agree a plan with us."
        )
    if isinstance(event, ChargeApplied):
        return _charge_sms(event, ref)
    return None


def _charge_sms(event: ChargeApplied, ref: str) -> str:
    """A late fee or daily charge under the terms the borrower accepted (short, GSM-7, no shaming)."""
    cur = event.currency
    due = Money(minor=event.outstanding_minor, currency=cur)  # type: ignore[arg-type]
    if event.fee_minor:
        fee = Money(minor=event.fee_minor, currency=cur)  # type: ignore[arg-type]
        what = f"a late fee of {cur} {fee} was added to loan {ref}"
    else:
        day = Money(minor=event.penalty_minor, currency=cur)  # type: ignore[arg-type]
        what = f"a daily late charge of {cur} {day} now applies to loan {ref}"
    return f"mkopo: as in your loan terms, {what}. Now due: {cur} {due}. Reply HELP to agree a plan."
