"""Repayments: collecting from the borrower's wallet, and posting what arrives to the loan and ledger."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain import ledger
from mkopo.domain.allocation import LoanStatus
from mkopo.domain.credit import Borrower, CreditTerms
from mkopo.domain.events import DomainEvent, LoanRepaid
from mkopo.domain.loans import CollectionAboveOwed, Loan
from mkopo.domain.money import AmountInput, Money, MoneyError
from mkopo.domain.repayments import Repayment, RepaymentStatus
from mkopo.service import idempotency
from mkopo.service.errors import NotFound, Unprocessable
from mkopo.service.hot_documents import one_loan_writer
from mkopo.service.idempotency import Accepted
from mkopo.service.outbox import dispatch
from mkopo.service.ports import (
    CollectionNotFound,
    CollectionResult,
    CollectionStatus,
    EventPublisher,
    Payments,
    ProviderAnswerLost,
    ProviderUnavailable,
)
from mkopo.service.store import Conflict, IdempotencyRecord, Store, Transaction, User
from mkopo.service.write_offs import recover_in

log = logging.getLogger(__name__)


class RequestRepayment(BaseModel):
    """Repay a loan: an amount in major units, at most the currency's decimals."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: AmountInput = Field(description="Amount in major units, e.g. 2000")


def repayment_view(rep: Repayment) -> dict[str, Any]:
    return {
        "id": rep.id,
        "loan_id": rep.loan_id,
        "amount": str(rep.amount),
        "currency": rep.amount.currency,
        "provider": rep.provider,
        "status": rep.status.value,
        "reason": rep.reason,
        "requested_at": rep.requested_at.isoformat(),
        "settled_at": rep.settled_at.isoformat() if rep.settled_at else None,
    }


def request_repayment(
    cmd: RequestRepayment,
    *,
    user: User,
    loan_id: str,
    key: str,
    store: Store,
    payments: Payments,
    publisher: EventPublisher,
    credit_terms: CreditTerms,
    now: datetime,
) -> Accepted:
    """Start a collection from the borrower's wallet; a repeated Idempotency-Key replays the first answer.

    The loan is read once, in the transaction that reserves the amount on it (its phone is what the
    provider is asked to prompt)."""
    key_hash = idempotency.record_key(f"repayment/{loan_id}", user.id, key)
    repayment_id, reference = str(uuid.uuid4()), str(uuid.uuid4())  # the same in every attempt
    asked: list[tuple[Repayment, str]] = []  # what this attempt created, and the phone to prompt

    def create(tx: Transaction) -> Accepted:
        asked.clear()
        previous, current = tx.get_idempotency(key_hash), tx.get_loan(loan_id)
        if current is None or current.borrower_id != user.id:
            raise NotFound(f"loan {loan_id} not found")
        amount = _payable_amount(cmd.amount, current.currency)
        if previous is not None:
            return idempotency.replay(previous, _fingerprint(loan_id, amount))
        if current.status == LoanStatus.REPAID or not current.outstanding.minor:
            raise Unprocessable("this loan is repaid; nothing is outstanding")
        try:
            current.reserve_collection(amount)
        except CollectionAboveOwed as exc:
            raise Unprocessable(str(exc), errors=[{"field": "amount", "message": str(exc)}]) from exc
        provider = payments.collection_provider(amount.currency, repayment_id).name
        repayment = Repayment(
            id=repayment_id,
            loan_id=loan_id,
            borrower_id=user.id,
            amount=amount,
            provider=provider,
            reference=reference,
            requested_at=now,
        )
        body = repayment_view(repayment) | {"status_url": f"/v1/loans/{loan_id}"}
        tx.save_loan(current)
        tx.create_repayment(repayment)
        tx.create_idempotency(
            IdempotencyRecord(
                key=key_hash,
                request_hash=_fingerprint(loan_id, amount),
                status_code=202,
                body=body,
                created_at=now,
            )
        )
        asked.append((repayment, current.phone))
        return Accepted(status_code=202, body=body)

    with one_loan_writer(loan_id):
        try:
            result = store.transaction(create)
        except Conflict:
            result = store.transaction(create)
    if not result.replayed:
        [(repayment, phone)] = asked
        _ask_provider(store, publisher, payments, repayment, phone, now, credit_terms)
    return result


def _fingerprint(loan_id: str, amount: Money) -> str:
    return idempotency.fingerprint(
        {"loan_id": loan_id, "amount_minor": amount.minor, "currency": amount.currency}
    )


def _payable_amount(text: str, currency: str) -> Money:
    try:
        amount = Money.parse(text, currency)
    except MoneyError as exc:
        raise Unprocessable(str(exc), errors=[{"field": "amount", "message": str(exc)}]) from exc
    if amount.minor <= 0 or not amount.is_payable():
        message = "amount must be positive, in whole units the provider can collect"
        raise Unprocessable(message, errors=[{"field": "amount", "message": message}])
    return amount


def _ask_provider(
    store: Store,
    publisher: EventPublisher,
    payments: Payments,
    repayment: Repayment,
    phone: str,
    now: datetime,
    credit_terms: CreditTerms,
) -> None:
    """Send the collection request to ``phone``; its outcome comes by callback or is found by reconciliation.

    A provider that cannot take the request now leaves it pending for reconciliation to send again;
    one that took it but never answered is remembered, so that a non-idempotent prompt is not repeated.
    """
    provider = payments.collection_provider(repayment.amount.currency, repayment.id)
    try:
        result = provider.request_collection(
            reference=repayment.reference,
            amount=repayment.amount,
            msisdn=phone,
            description=f"mkopo {repayment.loan_id[:8].upper()}",
            callback_url=payments.collection_callback_url(repayment.amount.currency, repayment.id),
        )
    except ProviderUnavailable as exc:
        log.warning("repayment %s: collection request not confirmed: %s", repayment.id, exc)
        if isinstance(exc, ProviderAnswerLost):
            _claim(store, repayment.id, Repayment.lose_answer)
        return
    request_id = result.provider_request_id
    if request_id and result.status == CollectionStatus.PENDING:
        _claim(store, repayment.id, lambda rep: rep.remember_request(request_id))
    settle_repayment(store, publisher, repayment, result, now, authenticated=True, credit_terms=credit_terms)


def settle_repayment(
    store: Store,
    publisher: EventPublisher,
    asked: Repayment,
    result: CollectionResult,
    at: datetime,
    *,
    authenticated: bool,
    credit_terms: CreditTerms,
) -> RepaymentStatus | None:
    """Post a final collection result once: to the loan and ledger if the amount is the one we asked.

    ``authenticated`` says the result comes from our own query to the provider (which may omit the amount);
    a callback must report the amount, and an amount other than the one asked goes to suspense.
    ``asked`` is the repayment as last read (its id and loan); the transaction reads it again.
    """
    if result.status == CollectionStatus.PENDING:
        return None

    def run(tx: Transaction) -> tuple[RepaymentStatus | None, list[DomainEvent]]:
        rep = tx.get_repayment(asked.id)
        paid = result.status == CollectionStatus.SUCCESSFUL
        if rep is None or not rep.awaits(paid=paid):
            return None, []
        loan = tx.get_loan(rep.loan_id)
        if loan is None:
            raise NotFound(f"loan {rep.loan_id} not found")
        borrower = tx.get_borrower(loan.borrower_id) if paid else None
        if rep.is_pending:
            loan.release_collection(rep.amount)
        if result.status == CollectionStatus.FAILED:
            rep.fail(result.reason, at, result.provider_transaction_id)
            tx.save_repayment(rep)
            tx.save_loan(loan)
            return rep.status, []
        received = result.amount if result.amount is not None else (rep.amount if authenticated else None)
        if not rep.receive(received, at, result.provider_transaction_id):
            tx.save_loan(loan)
            _hold_in_suspense(tx, rep, received, at)
            return rep.status, []
        events = _post_to_loan(tx, rep, loan, borrower, credit_terms, at)
        for event in events:
            tx.add_event(event)
        return rep.status, events

    # Results for one loan (several collections answered at once) queue here, not in Firestore's retries.
    with one_loan_writer(asked.loan_id):
        status, events = store.transaction(run)
    dispatch(events, store=store, publisher=publisher)
    return status


def _hold_in_suspense(tx: Transaction, rep: Repayment, received: Money | None, at: datetime) -> None:
    """An amount other than the one asked: kept, unallocated, until an operator matches it."""
    tx.save_repayment(rep)
    if received is not None and received.minor > 0 and received.currency == rep.amount.currency:
        tx.add_journal_entry(
            ledger.post_unidentified_collection(
                provider=rep.provider, amount=received, reference=rep.reference, at=at
            )
        )
    log.error("repayment %s amount mismatch: %s", rep.id, rep.reason)


def _post_to_loan(
    tx: Transaction, rep: Repayment, loan: Loan, borrower: Borrower | None, terms: CreditTerms, at: datetime
) -> list[DomainEvent]:
    """Allocate the payment to the loan, journal it, and say what happened (repaid in full, perhaps)."""
    if loan.status == LoanStatus.WRITTEN_OFF:
        return recover_in(tx, rep, loan, at)
    allocation = loan.apply_payment(rep.amount, at)
    rep.record_allocation(allocation)
    tx.save_repayment(rep)
    tx.save_loan(loan)
    tx.add_journal_entry(
        ledger.post_repayment_received(
            loan_id=loan.id,
            borrower_id=loan.borrower_id,
            allocation=allocation,
            provider=rep.provider,
            reference=rep.reference,
            at=at,
        )
    )
    events: list[DomainEvent] = [
        rep.received_event(
            allocated_minor=allocation.allocated,
            overpayment_minor=allocation.overpayment,
            outstanding_minor=loan.outstanding.minor,
            at=at,
        )
    ]
    if loan.status == LoanStatus.REPAID and loan.repaid_at == at:
        events.append(_repaid(tx, loan, borrower or Borrower(id=loan.borrower_id), terms, at))
    return events


def _repaid(tx: Transaction, loan: Loan, borrower: Borrower, terms: CreditTerms, at: datetime) -> DomainEvent:
    """Repaid in full: the active-loan slot is free and the repayment counts on the limit ladder."""
    borrower.free_slot(loan.id)
    profile = borrower.credit
    profile.loan_repaid(
        loan.id, principal_minor=loan.schedule.principal.minor, days_late=loan.days_late_max, at=at
    )
    tx.save_borrower(borrower)
    limit = None
    if profile.external_limit_minor is not None:
        line = terms.line(
            profile,
            currency=loan.currency,
            external_minor=profile.external_limit_minor,
            has_active_loan=False,
        )
        limit = line.limit_minor
    return LoanRepaid.new(
        application_id=loan.id,
        occurred_at=at,
        borrower_id=loan.borrower_id,
        amount_minor=loan.paid_minor,
        currency=loan.currency,
        credit_balance_minor=loan.credit_balance_minor,
        days_late=loan.days_late_max,
        credit_level=profile.level,
        credit_limit_minor=limit,
    )


def _claim(store: Store, repayment_id: str, change: Callable[[Repayment], bool]) -> bool:
    """Apply a change to a pending repayment in a transaction; True for the one caller it applied for."""

    def run(tx: Transaction) -> bool:
        rep = tx.get_repayment(repayment_id)
        if rep is None or not rep.is_pending or not change(rep):
            return False
        tx.save_repayment(rep)
        return True

    return store.transaction(run)


def _give_up(store: Store, repayment_id: str, now: datetime) -> bool:
    """Stop waiting for a prompt the provider never acknowledged; its reservation on the loan is freed."""

    def run(tx: Transaction) -> bool:
        rep = tx.get_repayment(repayment_id)
        loan = tx.get_loan(rep.loan_id) if rep is not None else None
        if rep is None or loan is None or not rep.is_pending:
            return False
        rep.give_up(now)
        loan.release_collection(rep.amount)
        tx.save_repayment(rep)
        tx.save_loan(loan)
        return True

    return store.transaction(run)


def reconcile_repayments(
    *,
    store: Store,
    publisher: EventPublisher,
    payments: Payments,
    now: datetime,
    older_than: timedelta,
    credit_terms: CreditTerms,
    limit: int = 200,
) -> dict[str, int]:
    """Ask the provider about every collection still pending after ``older_than`` (lost callbacks)."""
    counts = {"checked": 0, "settled": 0, "resent": 0, "given_up": 0, "unavailable": 0}
    for rep in store.list_repayments_by_status(RepaymentStatus.PENDING.value, limit):
        if rep.requested_at > now - older_than:
            continue
        counts["checked"] += 1
        try:
            outcome = _reconcile_one(store, publisher, payments, rep, now, older_than, credit_terms)
        except Exception:
            outcome = "unavailable"
            log.warning("repayment %s could not be reconciled now", rep.id, exc_info=True)
        if outcome:
            counts[outcome] += 1
    return counts


def _reconcile_one(
    store: Store,
    publisher: EventPublisher,
    payments: Payments,
    rep: Repayment,
    now: datetime,
    older_than: timedelta,
    credit_terms: CreditTerms,
) -> str | None:
    """Settle one pending collection from the provider's answer; the counter it adds to, if any."""
    provider = payments.collection_provider(rep.amount.currency, rep.id)
    try:
        result = provider.collection_status(rep.reference, provider_request_id=rep.provider_request_id)
    except CollectionNotFound:
        if rep.answer_lost and not provider.repeats_safely:
            return "given_up" if _give_up(store, rep.id, now) else None
        # The provider never got the request: resend it, from one reconciliation pass only
        # (a request that is not idempotent, sent by two passes, would prompt twice).
        loan = store.get_loan(rep.loan_id)
        if loan is None or not _claim(store, rep.id, lambda current: current.claim_resend(now, older_than)):
            return None
        _ask_provider(store, publisher, payments, rep, loan.phone, now, credit_terms)
        return "resent"
    settled = settle_repayment(
        store, publisher, rep, result, now, authenticated=True, credit_terms=credit_terms
    )
    return "settled" if settled is not None else None
