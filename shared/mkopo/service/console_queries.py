"""What the officers' console reads: the review queue, borrowers, loans and audit trails, as plain dicts.

Read models only, through the store ports; every write the console makes goes through the same service
functions the JSON API calls (``reviews.decide``, ``sessions.login``). Phones are shown masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mkopo.domain import phone as phones
from mkopo.domain.allocation import ALLOCATION_ORDER, AllocationLine, Component
from mkopo.domain.chart_of_accounts import LOAN_RECEIVABLES, RECEIVABLE_OF, Account, AccountKind
from mkopo.domain.credit import Borrower, CreditTerms
from mkopo.domain.ledger import EntryKind, JournalEntry, entry_id
from mkopo.domain.loans import Loan
from mkopo.domain.money import Currency, Money
from mkopo.domain.repayments import Repayment, RepaymentStatus
from mkopo.service import audit, loans, queries, reviews
from mkopo.service.errors import NotFound, Unprocessable
from mkopo.service.store import Store, User

QUEUE_LIMIT = 100
HISTORY_LIMIT = 50


def review_queue(store: Store) -> list[dict[str, Any]]:
    """Applications waiting for an officer, oldest first, with the borrower's history summary."""
    items = reviews.queue(store, limit=QUEUE_LIMIT)
    for item in items:
        item["probability_of_default"] = _pd(store, item["id"])
        item["history"] = history_summary(store, item["borrower_id"])
    return items


def _pd(store: Store, application_id: str) -> float | None:
    app = store.get_application(application_id)
    return app.decision.probability_of_default if app else None


def history_summary(store: Store, borrower_id: str) -> dict[str, int]:
    """How many applications and loans the borrower has had, and how many loans are repaid."""
    apps = store.list_applications(borrower_id, HISTORY_LIMIT)
    owned = store.list_loans(borrower_id, HISTORY_LIMIT)
    repaid = sum(1 for loan in owned if loan.repaid_at is not None)
    return {"applications": len(apps), "loans": len(owned), "repaid": repaid}


def application_page(store: Store, application_id: str) -> dict[str, Any]:
    app = store.get_application(application_id)
    if app is None:
        raise NotFound(f"application {application_id} not found")
    view = reviews.review_item(app)
    view["probability_of_default"] = app.decision.probability_of_default
    view["history"] = history_summary(store, app.borrower_id)
    if app.review is not None:
        officer = store.get_user(app.review.officer_id)
        view["review"]["officer_name"] = officer.full_name if officer else app.review.officer_id
    return view


def find_borrower(store: Store, phone: str) -> User | None:
    """The account with this phone number, or None; a malformed number is a 422 on the form."""
    try:
        normalised = phones.normalise(phone)
    except phones.InvalidPhone as exc:
        raise Unprocessable("enter a phone number in international form, e.g. +254700000001") from exc
    return store.get_user_by_phone(normalised)


def credit_summary(store: Store, user: User, terms: CreditTerms) -> dict[str, Any]:
    """The borrower's limit on the ladder (known once they were scored) and the history behind it."""
    borrower = store.get_borrower(user.id) or Borrower(id=user.id)
    profile, currency = borrower.credit, phones.currency_of(user.phone)
    summary: dict[str, Any] = {
        "currency": currency,
        "limit": None,
        "reasons": [],
        "loans_repaid": profile.loans_repaid,
        "loans_repaid_on_time": profile.loans_repaid_on_time,
        "max_days_late": profile.max_days_late,
    }
    if profile.external_limit_minor is not None:
        line = terms.line(
            profile,
            currency=currency,
            external_minor=profile.external_limit_minor,
            has_active_loan=borrower.active_application_id is not None,
        )
        summary |= {"limit": str(Money(minor=line.limit_minor, currency=currency)), "reasons": line.reasons}
    return summary


def borrower_page(store: Store, borrower_id: str, now: datetime, terms: CreditTerms) -> dict[str, Any]:
    user = store.get_user(borrower_id)
    if user is None:
        raise NotFound(f"borrower {borrower_id} not found")
    return {
        "credit": credit_summary(store, user, terms),
        "id": user.id,
        "full_name": user.full_name,
        "phone": phones.masked(user.phone),
        "role": user.role,
        "status": user.status,
        "applications": queries.list_applications(store, user_id=user.id, limit=HISTORY_LIMIT),
        "loans": [loans.loan_view(loan, store, now) for loan in store.list_loans(user.id, HISTORY_LIMIT)],
        "notifications": queries.list_notifications(store, user_id=user.id, limit=20),
    }


def loan_page(store: Store, loan_id: str, now: datetime) -> dict[str, Any]:
    loan = store.get_loan(loan_id)
    if loan is None:
        raise NotFound(f"loan {loan_id} not found")
    view = loans.loan_view(loan, store, now)
    view["borrower_id"] = loan.borrower_id
    journal = loan_journal(store, loan_id)
    view["entries"] = [_entry(e) for e in journal + _recoveries(store, loan)]
    view["allocations"] = allocations(journal, loan.currency, store.list_repayments(loan_id, 100))
    return view


def _recoveries(store: Store, loan: Loan) -> list[JournalEntry]:
    """A written-off loan's recovery entries (they touch no receivable), matched by repayment reference."""
    if loan.written_off is None:
        return []
    references = {r.reference for r in store.list_repayments(loan.id, 100)}
    account = str(Account.of(AccountKind.RECOVERIES, loan.currency))
    return [e for e in store.journal_entries(account=account, limit=5000) if e.reference in references]


COMPONENT_OF = {kind: component for component, kind in RECEIVABLE_OF.items()}


def allocations(
    journal: list[JournalEntry], currency: Currency, repayments: list[Repayment]
) -> list[dict[str, Any]]:
    """How each posted repayment was applied, per installment and component, oldest first.

    From the allocation kept on the repayment; a repayment posted before it was kept is read from its
    journal entry (per component only: the entry does not say which installment)."""
    money = lambda minor: str(Money(minor=minor, currency=currency))  # noqa: E731
    by_id = {e.id: e for e in journal}
    shown = []
    for rep in repayments:  # oldest request first, as the store lists them
        if rep.status != RepaymentStatus.SUCCESSFUL:
            continue
        per_installment, overpayment = _applied(by_id, rep)
        rows = [
            {"installment": number, **{c.value: money(parts.get(c, 0)) for c in ALLOCATION_ORDER}}
            | {"total": money(sum(parts.values()))}
            for number, parts in per_installment.items()
        ]
        shown.append(
            {
                "id": rep.id,
                "settled_at": rep.settled_at.isoformat() if rep.settled_at else None,
                "amount": str(rep.amount),
                "rows": rows,
                "overpayment": money(overpayment) if overpayment else None,
            }
        )
    return shown


def _applied(journal: dict[str, JournalEntry], rep: Repayment) -> tuple[dict[str, dict[Component, int]], int]:
    """Amounts per installment number (or "all") and component, and the overpayment."""
    lines: list[AllocationLine] = list(rep.allocation)
    if lines:
        grouped: dict[str, dict[Component, int]] = {}
        for line in lines:
            parts = grouped.setdefault(str(line.installment), {})
            parts[line.component] = parts.get(line.component, 0) + line.amount
        return grouped, rep.overpayment_minor
    entry = journal.get(entry_id(EntryKind.REPAYMENT_RECEIVED, rep.reference))
    if entry is None:
        return {}, 0
    parts = {COMPONENT_OF[x.account.kind]: x.credit for x in entry.lines if x.account.kind in COMPONENT_OF}
    credit = sum(x.credit for x in entry.lines if x.account.kind == AccountKind.BORROWER_CREDIT)
    return {"all": parts}, credit


def loan_journal(store: Store, loan_id: str) -> list[JournalEntry]:
    """Every journal entry touching one of the loan's receivable accounts, oldest first, once each."""
    seen: dict[str, Any] = {}
    for kind in LOAN_RECEIVABLES:
        for entry in store.journal_entries(account=str(Account.of(kind, loan_id)), limit=500):
            seen.setdefault(entry.id, entry)
    return sorted(seen.values(), key=lambda e: (e.occurred_at, e.id))


def _entry(entry: JournalEntry) -> dict[str, Any]:
    """An entry with each line's debit or credit shown in major units."""
    view = loans.entry_view(entry)
    for line in view["lines"]:
        shown = str(Money(minor=abs(line["amount"]), currency=entry.currency))
        line["debit"], line["credit"] = (shown, "") if line["amount"] > 0 else ("", shown)
    return view


def audit_page(store: Store, entity_id: str) -> list[dict[str, Any]]:
    return audit.trail(store, entity_id, 200)
