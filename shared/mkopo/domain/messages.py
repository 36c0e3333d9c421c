"""What the borrower reads by SMS at each step: plain language, the real cost, no shaming.

Every text is an English template marked for translation (``mkopo.domain.i18n``), rendered in the
borrower's language at send time. SMS texts stay in the GSM-7 alphabet in every language (one character
outside it turns the message into UCS-2 and halves a segment) and fit two segments at the largest amounts.
"""

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
    LoanRestructuring,
    RepaymentDue,
    RepaymentReceived,
    ReviewRequested,
)
from mkopo.domain.i18n import N_, translate
from mkopo.domain.money import Money

REASON_TEXT: dict[str, str] = {
    "SCORE_BELOW_CUTOFF": N_("your mobile-money history does not yet support this loan"),
    "AMOUNT_ABOVE_LIMIT": N_("the amount is above your current limit"),
    "MAX_EXPOSURE_EXCEEDED": N_("the amount is above our maximum loan size"),
    "ACTIVE_LOAN_EXISTS": N_("you already have an active loan"),
    "REVIEW_DECLINED": N_("a credit officer reviewed your application and could not approve it now"),
}
_POLICY_REASONS = frozenset(REASON_TEXT)
REASON_TEXT |= {
    # The scorecard's reason codes (the characteristics that cost the most points), in plain words.
    "LOW_MOBILE_MONEY_INFLOW": N_("the money coming into your mobile-money account is still low"),
    "FEW_TRANSACTIONS": N_("you make few mobile-money payments"),
    "SHORT_ACCOUNT_HISTORY": N_("your mobile-money account is still new"),
    "IRREGULAR_AIRTIME_TOPUPS": N_("your airtime top-ups are irregular"),
    "NO_REPAYMENT_HISTORY": N_("you have few loans repaid so far"),
    "PREVIOUS_DEFAULT": N_("a past loan was not repaid"),
    "LATE_REPAYMENTS": N_("past loans were repaid late"),
}

# One template per SMS, by name (the segment checks fill every one in, in every language).
SMS: dict[str, str] = {
    "submitted": N_(
        "mkopo: we received your application {ref} for {amount} from {lender}. "
        "We will tell you the decision shortly."
    ),
    "review": N_(
        "mkopo: your application {ref} for {amount} is under review by a credit officer. "
        "We will tell you the decision by SMS, usually within one working day."
    ),
    "approved": N_(
        "mkopo: your loan {ref} of {amount} is approved. You will repay {total} (cost {cost}, APR {apr}%) "
        "within {days} days. The money is on its way to your wallet."
    ),
    "rejected": N_("mkopo: sorry, we cannot offer loan {ref} now: {why}. You can apply again later."),
    "disbursed": N_("mkopo: {amount} has been sent to your wallet for loan {ref}. Repay {total} by {due}."),
    "failed": N_(
        "mkopo: we could not send loan {ref} to your wallet. You owe nothing for it. "
        "Check that your mobile-money account is active, then apply again."
    ),
    "received": N_("mkopo: we received {amount} for loan {ref}. Still to pay: {left}.{extra}"),
    "received_extra": N_(" {amount} more than you owed is kept as credit for you."),
    "repaid": N_(
        "mkopo: loan {ref} is fully repaid. Thank you!{limit} You can apply for a new loan any time."
    ),
    "repaid_limit": N_(" Your limit is now {limit}."),
    "due": N_("mkopo: reminder: {amount} for loan {ref} is due on {due}."),
    "overdue": N_(
        "mkopo: {amount} for loan {ref} is {days} days overdue. "
        "Please pay when you can, or reply HELP to agree a plan with us."
    ),
    "overdue_one_day": N_(
        "mkopo: {amount} for loan {ref} is 1 day overdue. "
        "Please pay when you can, or reply HELP to agree a plan with us."
    ),
    "fee_charged": N_(
        "mkopo: as in your loan terms, a late fee of {amount} was added to loan {ref}. "
        "Now due: {left}. Reply HELP to agree a plan."
    ),
    "penalty_charged": N_(
        "mkopo: as in your loan terms, a daily late charge of {amount} now applies to loan {ref}. "
        "Now due: {left}. Reply HELP to agree a plan."
    ),
    # Answers to what a borrower texts to the shortcode (mkopo.service.sms_inbound).
    "help": N_(
        "mkopo: text BAL for what you owe and when, STOP to stop reminders, START to get them again. "
        "Decisions and receipts always come by SMS. Help: support@mkopo.example"
    ),
    "stopped": N_(
        "mkopo: you will get no more reminders. Notices about your loans still come. Text START to undo."
    ),
    "started": N_("mkopo: reminders are on again. Text STOP to stop them."),
    "unknown": N_(
        "mkopo: we have no account for this number. Register in the mkopo app or dial our USSD code."
    ),
    "no_proposal": N_("mkopo: we found no new schedule waiting for you with that code. Text HELP for help."),
    "owe_nothing": N_("mkopo: you owe nothing now. You can apply for a new loan any time."),
    "owe": N_("mkopo: you owe {loans}."),
    "owe_loan": N_("loan {ref}: {amount}"),
    "owe_loan_due": N_("loan {ref}: {amount} by {due}"),
}


def sms(name: str, language: str | None, **values: object) -> str:
    """The SMS template ``name`` in ``language`` (English for an unknown one), filled in."""
    return translate(SMS[name], language).format(**values)


def reason_text(code: str, language: str | None) -> str:
    """A decline reason in plain words (the code itself, readable, for one without a text)."""
    known = REASON_TEXT.get(code)
    return translate(known, language) if known else code.lower().replace("_", " ")


def is_reminder(event: DomainEvent) -> bool:
    """A reminder the borrower may stop with STOP. Decisions, disbursements, receipts and overdue notices
    (the notice the regulations require before any listing) are not reminders: they always go out."""
    return isinstance(event, RepaymentDue)


def _amount(money: Money) -> str:
    return f"{money.currency} {money}"


def sms_for(event: DomainEvent, app: Application, language: str | None = None) -> str | None:
    """The SMS text for an event in ``language``, or None if the borrower need not be told."""
    offer, lang = app.offer, language
    ref, amount = app.id[:8].upper(), _amount(offer.principal)
    if isinstance(event, CheckoutSubmitted):
        return sms("submitted", lang, ref=ref, amount=amount, lender=offer.provider)
    if isinstance(event, ReviewRequested):
        return sms("review", lang, ref=ref, amount=amount)
    if isinstance(event, LoanApproved):
        total, cost = _amount(offer.total_repayable), _amount(offer.total_cost)
        return sms("approved", lang, ref=ref, amount=amount, total=total, cost=cost, apr=offer.apr,
                   days=offer.term_days)  # fmt: skip
    if isinstance(event, LoanRejected):
        why = "; ".join(reason_text(r, lang) for r in _top_reasons(event.reasons))
        return sms("rejected", lang, ref=ref, why=why)
    if isinstance(event, LoanDisbursed):
        due = offer.due_date(event.occurred_at).date().isoformat()
        return sms("disbursed", lang, ref=ref, amount=amount, total=_amount(offer.total_repayable), due=due)
    if isinstance(event, DisbursementFailed):
        return sms("failed", lang, ref=ref)
    return _money_sms(event, ref, lang) or _restructure_sms(event, ref, lang)


def _top_reasons(reasons: list[str], most: int = 2) -> list[str]:
    """The reasons a decline SMS names: the scorecard's own reasons say why a score fell short, so they
    replace the generic SCORE_BELOW_CUTOFF; other policy reasons (limit, exposure) come first."""
    score_reasons = [r for r in reasons if r not in _POLICY_REASONS]
    policy = [
        r for r in reasons if r in _POLICY_REASONS and not (score_reasons and r == "SCORE_BELOW_CUTOFF")
    ]
    return (policy + score_reasons)[:most]


def _money_sms(event: DomainEvent, ref: str, lang: str | None) -> str | None:
    """Repayment-side messages: receipts, reminders and overdue notices (firm, never shaming)."""

    def money(minor: int) -> str:
        return _amount(Money(minor=minor, currency=event.currency))  # type: ignore[attr-defined]

    if isinstance(event, RepaymentReceived):
        over = event.overpayment_minor
        extra = sms("received_extra", lang, amount=money(over)) if over else ""
        return sms("received", lang, ref=ref, amount=money(event.amount_minor),
                   left=money(event.outstanding_minor), extra=extra)  # fmt: skip
    if isinstance(event, LoanRepaid):
        new = event.credit_limit_minor
        limit = sms("repaid_limit", lang, limit=money(new)) if new is not None else ""
        return sms("repaid", lang, ref=ref, limit=limit)
    if isinstance(event, RepaymentDue):
        return sms("due", lang, ref=ref, amount=money(event.outstanding_minor), due=event.due_date)
    if isinstance(event, InstallmentOverdue):
        days = event.days_past_due
        name = "overdue_one_day" if days == 1 else "overdue"
        return sms(name, lang, ref=ref, amount=money(event.outstanding_minor), days=days)
    if isinstance(event, ChargeApplied):
        # A late fee, or the first day's penalty, under the terms the borrower accepted (no shaming).
        due = money(event.outstanding_minor)
        if event.fee_minor:
            return sms("fee_charged", lang, ref=ref, amount=money(event.fee_minor), left=due)
        return sms("penalty_charged", lang, ref=ref, amount=money(event.penalty_minor), left=due)
    return None


# Restructuring (offered, in force, the answers to YES <code>) and the bureau's 30-day notice
# (mkopo.domain.bureau.notice_sms): in SMS like the others, so the segment checks cover them. "YES" stays
# English in every language: it is the keyword mkopo.service.sms_inbound reads.
SMS |= {
    "restructure_offered": N_(
        "mkopo: we offer a new schedule for loan {ref}: {installments} payments from {first_due}, "
        "{total} in all.{waived} To accept, reply YES {code} by {expires}, or accept in the app."
    ),
    "restructure_waived": N_(" {amount} of fees is forgiven."),
    "restructure_accepted": N_(
        "mkopo: loan {ref} has a new schedule: {installments} payments from {first_due}, {total} in all. "
        "Thank you."
    ),
    "restructure_thanks": N_("mkopo: thank you. Loan {ref} has its new schedule; we will confirm by SMS."),
    "restructure_closed": N_(
        "mkopo: the new schedule for loan {ref} can no longer be accepted. Text HELP for help."
    ),
    "bureau_notice": N_(
        "mkopo: your loan {ref} is overdue, {amount} owed. If it is not paid, we will report it to the "
        "credit bureaus on or after {listing} ({days} days' notice). Pay or text HELP."
    ),
}


def _restructure_sms(event: DomainEvent, ref: str, lang: str | None) -> str | None:
    """A new schedule offered (how to accept it), then in force."""
    if not isinstance(event, LoanRestructuring):
        return None

    def money(minor: int) -> str:
        return _amount(Money(minor=minor, currency=event.currency))  # type: ignore[arg-type]

    plan = {"installments": event.installments, "first_due": event.first_due_date,
            "total": money(event.new_total_minor)}  # fmt: skip
    if event.stage == "ACCEPTED":
        return sms("restructure_accepted", lang, ref=ref, **plan)
    waived = sms("restructure_waived", lang, amount=money(event.waived_minor)) if event.waived_minor else ""
    return sms("restructure_offered", lang, ref=ref, waived=waived, code=event.code,
               expires=event.expires_at[:10], **plan)  # fmt: skip
