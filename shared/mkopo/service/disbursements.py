"""Paying the loan out to the borrower's wallet, exactly once, and booking it when it settles."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from mkopo.domain import ledger
from mkopo.domain.applications import PAYOUT_UNKNOWN, Application, Status
from mkopo.domain.charges import LateTerms
from mkopo.domain.events import DisbursementFailed, DomainEvent, LoanApproved, LoanDisbursed
from mkopo.domain.loans import Loan
from mkopo.domain.money import Money
from mkopo.domain.schedule import schedule_for_offer
from mkopo.faults import checkpoint
from mkopo.service.ports import EventPublisher, Payments, PayoutNotFound, PayoutResult, PayoutStatus
from mkopo.service.store import Borrower, Store, Transaction
from mkopo.service.transitions import advance, load, update

log = logging.getLogger(__name__)
PAYOUT_NAMESPACE = uuid.UUID("9d3c1a52-3f7e-4c61-8f0b-2b1c6d6f6b70")
NEVER_REQUESTED_AFTER = timedelta(minutes=2)
# A provider that answers "no such payout" (asynchronously, like M-Pesa's status query) this long after the
# request never got it: reconciliation requests it again under the same reference (PAYOUT_UNKNOWN).
UNKNOWN_AFTER = timedelta(seconds=30)


def payout_reference(application_id: str) -> str:
    """One reference per application, so a repeated attempt can never pay twice.

    Derived by name (uuid5) but stamped as version 4, the form MTN MoMo asks for in X-Reference-Id.
    """
    return str(uuid.UUID(bytes=uuid.uuid5(PAYOUT_NAMESPACE, application_id).bytes, version=4))


def disburse(
    event: LoanApproved,
    *,
    store: Store,
    publisher: EventPublisher,
    payments: Payments,
    now: Callable[[], datetime],
) -> bool:
    """Ask the provider to pay; settle now if it answers at once, else record the payout as pending.

    A pending payout is finished by the provider's callback or by reconciliation, never by paying again:
    the reference is derived from the application, so a repeated request is the same payout.
    """
    app = load(store, event.application_id)
    if app.status != Status.APPROVED:
        return False
    return _request(store, publisher, payments, app, now)


def _request(
    store: Store, publisher: EventPublisher, payments: Payments, app: Application, now: Callable[[], datetime]
) -> bool:
    reference = payout_reference(app.id)
    provider = payments.payout_provider(app.offer.principal.currency, app.id)
    if app.disbursement.status != PayoutStatus.PENDING.value:
        # Intent first: the payout is on record before the provider hears of it, so a crash after the
        # request leaves something for reconciliation to ask about, and a fast callback never races it.
        mark_pending(store, app.id, provider.name, reference, now())
    result = provider.request_payout(
        reference=reference,
        amount=app.offer.principal,
        msisdn=app.phone,
        note=f"mkopo loan {app.id[:8].upper()}",
    )
    checkpoint("disbursement.after_provider")
    if result.status == PayoutStatus.PENDING:
        return False
    return settle_payout(store, publisher, app.id, result, now())


def mark_pending(store: Store, application_id: str, provider: str, reference: str, at: datetime) -> None:
    """Record that a payout is being requested, so reconciliation can ask about it later."""
    update(store, application_id, lambda app: app.record_payout_pending(provider, reference, at))


def note_payout_unknown(store: Store, application_id: str) -> bool:
    """The provider says it has no record of this pending payout; the next reconciliation pass past
    ``UNKNOWN_AFTER`` requests it again (the same reference: a provider that did get it pays once)."""
    return update(store, application_id, lambda app: app.note_payout_unknown())


def _claim_request_again(store: Store, application_id: str, at: datetime) -> bool:
    """Clear the unknown mark and restart the payout's clock, from one reconciliation pass only."""
    return update(store, application_id, lambda app: app.request_payout_again(at))


def settle_payout(
    store: Store,
    publisher: EventPublisher,
    application_id: str,
    result: PayoutResult,
    at: datetime,
    *,
    reported_amount: Money | None = None,
) -> bool:
    """A final payout outcome: DISBURSED with the loan and its journal entries, or DISBURSEMENT_FAILED.

    ``reported_amount`` is what a callback says was paid; it must equal the principal we asked for.
    """
    if result.status == PayoutStatus.PENDING:
        return False
    if result.reference != payout_reference(application_id):
        log.error("payout result %s does not belong to application %s", result.reference, application_id)
        return False

    def change(tx: Transaction, app: Application) -> DomainEvent:
        principal = app.offer.principal
        borrower = tx.get_borrower(app.borrower_id) or Borrower(id=app.borrower_id)
        if result.status == PayoutStatus.SUCCESSFUL and reported_amount not in (None, principal):
            raise PayoutAmountMismatch(
                f"{result.provider} reports {reported_amount} paid, we asked {principal}"
            )
        common: dict[str, Any] = {
            "application_id": app.id,
            "occurred_at": at,
            "borrower_id": app.borrower_id,
            "amount_minor": principal.minor,
            "currency": principal.currency,
            "payout_provider": result.provider,
            "reference": result.reference,
        }
        outcome = {"provider": result.provider, "reference": result.reference}
        txid = result.provider_transaction_id
        if result.status == PayoutStatus.SUCCESSFUL:
            app.record_payout_settled(**outcome, provider_transaction_id=txid, at=at)
            if borrower.credit.loan_disbursed(app.id, at):
                tx.save_borrower(borrower)
            _open_loan(tx, app, result, at)
            return LoanDisbursed.new(
                **common,
                provider_transaction_id=result.provider_transaction_id,
                total_repayable_minor=app.offer.total_repayable.minor,
            )
        app.record_payout_failed(**outcome, provider_transaction_id=txid, reason=result.reason, at=at)
        if borrower.free_slot(app.id):
            tx.save_borrower(borrower)
        return DisbursementFailed.new(**common, reason=result.reason or "UNKNOWN")

    return advance(store, publisher, application_id, Status.APPROVED, change) is not None


class PayoutAmountMismatch(Exception):
    """A provider reports a payout of another amount than we asked: left pending for an operator."""


def _open_loan(tx: Transaction, app: Application, result: PayoutResult, at: datetime) -> None:
    """The loan, its repayment schedule and its two journal entries, in the DISBURSED transaction."""
    principal = app.offer.principal
    schedule = schedule_for_offer(app.offer, at, unit=principal.payable_unit)
    loan = Loan.open(
        loan_id=app.id,
        borrower_id=app.borrower_id,
        phone=app.phone,
        lender=app.offer.provider,
        payout_provider=result.provider,
        schedule=schedule,
        at=at,
        late_terms=LateTerms(
            late_fee_minor=app.offer.late_fee.minor if app.offer.late_fee else 0,
            daily_penalty_rate=app.offer.daily_penalty_rate,
        ),
    )
    tx.create_loan(loan)
    tx.add_journal_entry(
        ledger.post_loan_disbursed(
            loan_id=loan.id, schedule=schedule, provider=result.provider, reference=result.reference, at=at
        )
    )
    tx.add_journal_entry(
        ledger.post_payout_settled(
            provider=result.provider, amount=principal, reference=result.reference, at=at
        )
    )


def reconcile_payouts(
    *,
    store: Store,
    publisher: EventPublisher,
    payments: Payments,
    now: datetime,
    older_than: timedelta,
    limit: int = 200,
) -> dict[str, int]:
    """Ask the provider about every payout still pending after ``older_than``; retry lost requests."""
    counts = {"checked": 0, "settled": 0, "requested": 0, "unavailable": 0}
    for app in store.list_applications_by_status(Status.APPROVED.value, limit):
        pending = app.disbursement.status == PayoutStatus.PENDING.value
        waiting_since = app.disbursement.requested_at or app.updated_at
        # An approval whose payout was never requested is normally just queued: give Pub/Sub time first.
        if waiting_since > now - (older_than if pending else max(older_than, NEVER_REQUESTED_AFTER)):
            continue
        counts["checked"] += 1
        try:
            if not pending:
                # Approved but never requested (its event was lost or kept failing): request it now.
                counts["requested"] += 1
                _request(store, publisher, payments, app, lambda: now)
                continue
            unknown_long = waiting_since <= now - max(older_than, UNKNOWN_AFTER)
            if app.disbursement.reason == PAYOUT_UNKNOWN and unknown_long:
                if _claim_request_again(store, app.id, now):
                    counts["requested"] += 1
                    _request(store, publisher, payments, app, lambda: now)
                continue
            provider = payments.payout_provider(app.offer.principal.currency, app.id)
            try:
                result = provider.payout_status(payout_reference(app.id))
            except PayoutNotFound:
                counts["requested"] += 1
                _request(store, publisher, payments, app, lambda: now)
                continue
            counts["settled"] += settle_payout(store, publisher, app.id, result, now)
        except Exception:
            counts["unavailable"] += 1
            log.warning("payout of %s could not be reconciled now", app.id, exc_info=True)
    return counts
