"""What a borrower may borrow: their limit on our ladder, what is available now, and what comes next."""

from __future__ import annotations

from typing import Any

from mkopo.domain import phone as phones
from mkopo.domain.credit import Borrower, CreditLine, CreditTerms
from mkopo.domain.money import Money
from mkopo.domain.offers import Offer
from mkopo.service.ports import CreditData
from mkopo.service.store import Store, User


def credit_line(user: User, *, store: Store, credit_data: CreditData, terms: CreditTerms) -> CreditLine:
    """The borrower's line now: one document read, and the bureau only for someone never scored."""
    borrower = store.get_borrower(user.id) or Borrower(id=user.id)
    external = borrower.credit.external_limit_minor
    if external is None:
        external = credit_data.features_for(user.phone).credit_limit_minor
    return terms.line(
        borrower.credit,
        currency=phones.currency_of(user.phone),
        external_minor=external,
        has_active_loan=borrower.active_application_id is not None,
    )


def credit_view(line: CreditLine) -> dict[str, Any]:
    """GET /v1/users/me/credit: amounts as decimal strings, like the rest of the API."""

    def money(minor: int) -> str:
        return str(Money(minor=minor, currency=line.currency))

    return {
        "currency": line.currency,
        "limit": money(line.limit_minor),
        "available": money(line.available_minor),
        "loans_repaid_on_time": line.loans_repaid_on_time,
        "next_limit_if_repaid_on_time": money(line.next_limit_minor),
        "reasons": line.reasons,
    }


def eligibility(offer: Offer, line: CreditLine) -> dict[str, Any]:
    """Whether this borrower may check the offer out now, and if not why (shown beside the offer)."""
    if offer.principal.currency != line.currency:
        return {"eligible": False, "ineligible_reason": "OTHER_MARKET"}
    if offer.principal.minor > line.available_minor:
        reason = "ACTIVE_LOAN" if "ACTIVE_LOAN" in line.reasons else "ABOVE_YOUR_LIMIT"
        return {"eligible": False, "ineligible_reason": reason}
    return {"eligible": True, "ineligible_reason": None}
