"""Loan positions with penalties: allocation settles them first, though nothing charges any yet."""

from __future__ import annotations

from mkopo.domain.allocation import LoanPosition, Portion


def with_penalty(loan: LoanPosition, number: int, minor: int) -> LoanPosition:
    """``loan`` with a penalty of ``minor`` units due on installment ``number``."""
    assert minor > 0 and any(i.number == number for i in loan.installments)
    penalty = Portion(penalties=minor)
    installments = tuple(
        i.model_copy(update={"due": i.due.plus(penalty)}) if i.number == number else i
        for i in loan.installments
    )
    return LoanPosition(currency=loan.currency, installments=installments)
