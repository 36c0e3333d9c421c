"""Records the contract suites store: small, valid, built the way the service builds them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from mkopo.adapters.lenders import default_lenders
from mkopo.domain import ledger
from mkopo.domain.applications import Application, Status
from mkopo.domain.ledger import JournalEntry
from mkopo.domain.loans import Loan
from mkopo.domain.money import Money
from mkopo.domain.offers import Offer
from mkopo.domain.repayments import Repayment, RepaymentStatus
from mkopo.domain.schedule import schedule_for_offer
from mkopo.service import offers
from mkopo.service.store import AuditRecord, Notification, User

# Whole milliseconds: what every store keeps exactly.
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
LATER = datetime.now(UTC) + timedelta(days=1)  # after any commit a test makes


def at(seconds: float) -> datetime:
    """A time ``seconds`` after NOW (distinct times make orderings testable)."""
    return NOW + timedelta(seconds=seconds)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def phone() -> str:
    return f"+2547{uuid.uuid4().int % 10**8:08d}"


class _Discard:
    def save_offers(self, found: object) -> None:
        pass


def an_offer(amount: str = "5000") -> Offer:
    """The cheapest KES offer for ``amount`` over 30 days, with a fresh id (not stored)."""
    query = offers.OfferQuery(amount=amount, currency="KES", term_days=30)
    found = offers.compare_offers(
        query,
        lenders=default_lenders(),
        store=_Discard(),  # type: ignore[arg-type]
        now=NOW,
        ttl=timedelta(minutes=15),
    )
    return found[0]


def user(user_id: str | None = None, *, role: str = "applicant") -> User:
    return User(
        id=user_id or new_id("user"),
        phone=phone(),
        full_name="Amina W",
        password_hash="x",
        role=role,
        created_at=NOW,
    )


def application(
    *,
    borrower_id: str,
    offer: Offer,
    created: float = 0,
    updated: float | None = None,
    status: Status = Status.SUBMITTED,
) -> Application:
    return Application(
        id=new_id("app"),
        borrower_id=borrower_id,
        phone="+254700000001",
        offer=offer,
        status=status,
        created_at=at(created),
        updated_at=at(created if updated is None else updated),
    )


def loan(*, borrower_id: str, offer: Offer, disbursed: float = 0) -> Loan:
    schedule = schedule_for_offer(offer, at(disbursed))
    return Loan.open(
        loan_id=new_id("loan"),
        borrower_id=borrower_id,
        phone="+254700000001",
        lender=offer.provider,
        payout_provider="mpesa",
        schedule=schedule,
        at=at(disbursed),
    )


def repayment(
    *,
    loan: Loan,
    requested: float = 0,
    status: RepaymentStatus = RepaymentStatus.PENDING,
    minor: int = 10_000,
) -> Repayment:
    rep_id = new_id("rep")
    return Repayment(
        id=rep_id,
        loan_id=loan.id,
        borrower_id=loan.borrower_id,
        amount=Money(minor=minor, currency=loan.currency),
        provider="mpesa",
        reference=rep_id,
        status=status,
        requested_at=at(requested),
    )


def disbursement_entries(loan: Loan, at_s: float = 0) -> tuple[JournalEntry, JournalEntry]:
    """The two entries of a disbursement: the loan booked, then the payout settled."""
    reference = new_id("payout")
    booked = ledger.post_loan_disbursed(
        loan_id=loan.id, schedule=loan.schedule, provider="mpesa", reference=reference, at=at(at_s)
    )
    settled = ledger.post_payout_settled(
        provider="mpesa", amount=loan.schedule.principal, reference=reference, at=at(at_s + 1)
    )
    return booked, settled


def notification(*, user_id: str, created: float = 0, text: str = "Your loan is on its way") -> Notification:
    return Notification(
        id=new_id("note"),
        user_id=user_id,
        to="+254700000001",
        text=text,
        event_type="loan_disbursed",
        created_at=at(created),
    )


def audit(*, entity_id: str, at_s: float = 0, action: str = "application_scored") -> AuditRecord:
    return AuditRecord(
        id=new_id("audit"),
        at=at(at_s),
        actor_id="system",
        actor_role="system",
        action=action,
        entity_type="application",
        entity_id=entity_id,
        after={"status": "SCORED"},
    )
