"""What the borrower reads by SMS at each step: plain language, the real cost, no shaming."""

from __future__ import annotations

from mkopo.domain.applications import Application
from mkopo.domain.events import (
    CheckoutSubmitted,
    DisbursementFailed,
    DomainEvent,
    LoanApproved,
    LoanDisbursed,
    LoanRejected,
)

REASON_TEXT: dict[str, str] = {
    "SCORE_BELOW_CUTOFF": "your mobile-money history does not yet support this loan",
    "AMOUNT_ABOVE_LIMIT": "the amount is above your current limit",
    "MAX_EXPOSURE_EXCEEDED": "the amount is above our maximum loan size",
    "ACTIVE_LOAN_EXISTS": "you already have an active loan",
}


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
    if isinstance(event, LoanApproved):
        return (
            f"mkopo: your loan {ref} of {cur} {offer.principal} is approved. You will repay "
            f"{cur} {offer.total_repayable} (cost {cur} {offer.total_cost}, APR {offer.apr}%) "
            f"within {offer.term_days} days. The money is on its way to your wallet."
        )
    if isinstance(event, LoanRejected):
        why = "; ".join(REASON_TEXT.get(r, r.lower().replace("_", " ")) for r in event.reasons[:2])
        return f"mkopo: sorry, we cannot offer loan {ref} now: {why}. You can apply again later."
    if isinstance(event, LoanDisbursed):
        due = offer.due_date(event.occurred_at).date().isoformat()
        return (
            f"mkopo: {cur} {offer.principal} has been sent to your wallet for loan {ref}. "
            f"Repay {cur} {offer.total_repayable} by {due}."
        )
    if isinstance(event, DisbursementFailed):
        return (
            f"mkopo: we could not send loan {ref} to your wallet. You owe nothing for it. "
            "Check that your mobile-money account is active, then apply again."
        )
    return None
