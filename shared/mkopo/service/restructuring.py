"""Restructuring a loan in arrears: an officer proposes, another officer or an admin approves (maker-checker),
the borrower accepts (API or SMS reply); only then the schedule and the ledger change, in one transaction."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain import ledger
from mkopo.domain.allocation import LoanStatus
from mkopo.domain.events import DomainEvent, LoanRestructuring
from mkopo.domain.loans import Loan
from mkopo.domain.messages import sms
from mkopo.domain.money import Money
from mkopo.domain.restructuring import (
    OwnApproval,
    ProposalError,
    ProposalStatus,
    RestructureProposal,
    RestructureTerms,
    accept_code,
    new_installments,
    waived_portion,
)
from mkopo.service.audit import record
from mkopo.service.errors import AlreadyExists, Forbidden, NotFound, Unprocessable
from mkopo.service.outbox import dispatch
from mkopo.service.ports import EventPublisher
from mkopo.service.store import Store, Transaction, User

log = logging.getLogger(__name__)

OPEN = (ProposalStatus.PROPOSED, ProposalStatus.APPROVED)


class Outcome(StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ProposalDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    comment: str | None = Field(default=None, max_length=1000, description="Kept in the audit trail")


def propose(
    loan_id: str, terms: RestructureTerms, *, officer: User, store: Store, now: datetime, ttl_days: int
) -> dict[str, Any]:
    """An officer's proposal for a loan in arrears: the new installments and totals, nothing changed yet."""
    if terms.first_due_date <= now.date():
        raise Unprocessable("first_due_date must be after today")

    def run(tx: Transaction) -> RestructureProposal:
        loan = _loan(tx.get_loan(loan_id), loan_id)
        if loan.status != LoanStatus.ACTIVE or not loan.in_arrears(now.date()):
            raise AlreadyExists(f"loan {loan_id} is not in arrears: nothing to restructure")
        if any(p.status in OPEN and not p.expired(now) for p in store.list_proposals(loan_id, 20)):
            raise AlreadyExists("this loan already has an open restructure proposal")
        proposal = _new_proposal(loan, terms, officer, now, timedelta(days=ttl_days))
        tx.create_proposal(proposal)
        tx.add_audit(_audit(proposal, officer, "restructure_proposed", None, now))
        return proposal

    return proposal_view(store.transaction(run), now)


def _new_proposal(
    loan: Loan, terms: RestructureTerms, officer: User, now: datetime, ttl: timedelta
) -> RestructureProposal:
    outstanding = loan.position.outstanding
    kept = sum(1 for i in loan.position.installments if i.paid.total)
    unit = Money(minor=0, currency=loan.currency).payable_unit
    return RestructureProposal(
        id=str(uuid.uuid4()),
        loan_id=loan.id,
        borrower_id=loan.borrower_id,
        currency=loan.currency,
        terms=terms,
        installments=new_installments(outstanding, terms, first_number=kept + 1, unit=unit),
        waived=waived_portion(outstanding, terms.waive),
        basis_outstanding_minor=outstanding.total,
        basis_paid_minor=loan.paid_minor,
        basis_charged=loan.charged,
        code=accept_code(),
        proposed_by=officer.id,
        proposed_at=now,
        expires_at=now + ttl,
    )


def decide(
    loan_id: str,
    proposal_id: str,
    outcome: Outcome,
    cmd: ProposalDecision,
    *,
    officer: User,
    store: Store,
    publisher: EventPublisher,
    now: datetime,
) -> dict[str, Any]:
    """The checker's approval (never the maker's: 403) or rejection; approval tells the borrower by SMS."""

    def run(tx: Transaction) -> tuple[RestructureProposal, list[DomainEvent]]:
        proposal = _proposal(tx.get_proposal(proposal_id), loan_id, proposal_id)
        before = proposal.status.value
        try:
            if outcome == Outcome.APPROVED:
                proposal.approve(officer.id, officer.role, cmd.comment, now)
            else:
                proposal.reject(officer.id, officer.role, cmd.comment, now)
        except OwnApproval as exc:
            raise Forbidden(str(exc)) from exc
        except ProposalError as exc:
            raise AlreadyExists(_decided(proposal, str(exc))) from exc
        tx.save_proposal(proposal)
        tx.add_audit(_audit(proposal, officer, f"restructure_{outcome.value.lower()}", before, now))
        events = [_event(proposal, now)] if outcome == Outcome.APPROVED else []
        for event in events:
            tx.add_event(event)
        return proposal, events

    proposal, events = store.transaction(run)
    dispatch(events, store=store, publisher=publisher)
    return proposal_view(proposal, now)


def _decided(proposal: RestructureProposal, why: str) -> str:
    """A stale decision's 409 says who decided and when."""
    if proposal.decided_by and proposal.decided_at:
        return f"{why} (decided by {proposal.decided_by} at {proposal.decided_at.isoformat()})"
    return why


def accept(
    loan_id: str,
    proposal_id: str,
    *,
    borrower: User,
    via: str,
    store: Store,
    publisher: EventPublisher | None,
    now: datetime,
) -> dict[str, Any]:
    """The borrower's yes: the new schedule and the ledger entry in one transaction; a repeat changes
    nothing and answers the same."""

    def run(tx: Transaction) -> tuple[RestructureProposal, list[DomainEvent]]:
        proposal = _proposal(tx.get_proposal(proposal_id), loan_id, proposal_id)
        loan = _loan(tx.get_loan(loan_id), loan_id)
        if loan.borrower_id != borrower.id:
            raise NotFound(f"loan {loan_id} not found")
        if proposal.status == ProposalStatus.ACCEPTED:
            return proposal, []  # accepted already (a retried request or a second channel)
        return proposal, _take_effect(tx, loan, proposal, borrower, via, now)

    proposal, events = store.transaction(run)
    if publisher is not None:
        dispatch(events, store=store, publisher=publisher)  # else the outbox relay publishes them
    return proposal_view(proposal, now)


def _take_effect(
    tx: Transaction, loan: Loan, proposal: RestructureProposal, who: User, via: str, now: datetime
) -> list[DomainEvent]:
    try:
        proposal.accept(via, now)
        changed = loan.restructure(proposal, now)
    except ProposalError as exc:
        raise AlreadyExists(str(exc)) from exc
    entry = ledger.post_loan_restructured(
        loan_id=loan.id,
        currency=loan.currency,
        waived=changed.waived,
        earned_unpaid=changed.earned_unpaid,
        reference=proposal.id,
        at=now,
    )
    if entry is not None:
        tx.add_journal_entry(entry)
    tx.save_loan(loan)
    tx.save_proposal(proposal)
    tx.add_audit(_audit(proposal, who, "restructure_accepted", ProposalStatus.APPROVED.value, now))
    event = _event(proposal, now)
    tx.add_event(event)
    return [event]


def accept_by_code(store: Store, *, phone: str, code: str, now: datetime) -> str | None:
    """A borrower's ``YES <code>`` by SMS: the loan's approved proposal with that code, accepted; the
    answer to text back (None when no open proposal of theirs has that code)."""
    user = store.get_user_by_phone(phone)
    if user is None:
        return None
    for loan in store.list_loans(user.id, 20):
        for p in store.list_proposals(loan.id, 20):
            if p.code == code and p.status in (ProposalStatus.APPROVED, ProposalStatus.ACCEPTED):
                try:
                    accept(loan.id, p.id, borrower=user, via="sms", store=store, publisher=None, now=now)
                except AlreadyExists as exc:
                    log.info("YES %s for loan %s refused: %s", p.id, loan.id, exc)
                    return sms("restructure_closed", user.language, ref=loan.id[:8].upper())
                return sms("restructure_thanks", user.language, ref=loan.id[:8].upper())
    return None


def pending(store: Store, loan_id: str, now: datetime) -> RestructureProposal | None:
    """The loan's open proposal (proposed or approved, not expired), if any."""
    return next(
        (p for p in store.list_proposals(loan_id, 20) if p.status in OPEN and not p.expired(now)), None
    )


def restructuring_view(loan: Loan, store: Store, now: datetime) -> dict[str, Any]:
    """What a loan's view adds: the flag, the schedules it has had, and a proposal awaiting a step."""
    open_proposal = pending(store, loan.id, now)
    return {
        "restructured": loan.restructured,
        "schedule_version": loan.schedule_version,
        "schedule_history": [
            {
                "version": v.version,
                "at": v.at.isoformat(),
                "proposal_id": v.proposal_id,
                "proposed_by": v.proposed_by,
                "approved_by": v.approved_by,
                "reason": v.reason,
                "installments": len(v.schedule.installments),
                "total_repayable": str(v.schedule.total_repayable),
            }
            for v in loan.schedule_history
        ],
        "pending_proposal": proposal_view(open_proposal, now, with_code=False) if open_proposal else None,
    }


def proposal_view(p: RestructureProposal, now: datetime, *, with_code: bool = False) -> dict[str, Any]:
    money = lambda minor: str(Money(minor=minor, currency=p.currency))  # noqa: E731
    view = {
        "id": p.id,
        "loan_id": p.loan_id,
        "status": p.effective_status(now),
        "terms": p.terms.model_dump(mode="json"),
        "installments": [
            {"number": i.number, "due_date": i.due_date.isoformat(), "amount": money(i.total)}
            for i in p.installments
        ],
        "outstanding_before": money(p.basis_outstanding_minor),
        "waived": money(p.waived.total),
        "new_total": money(p.new_total_minor),
        "currency": p.currency,
        "proposed_by": p.proposed_by,
        "proposed_at": p.proposed_at.isoformat(),
        "expires_at": p.expires_at.isoformat(),
        "decided_by": p.decided_by,
        "decided_at": p.decided_at.isoformat() if p.decided_at else None,
        "accepted_at": p.accepted_at.isoformat() if p.accepted_at else None,
        "accepted_via": p.accepted_via,
    }
    return view | ({"code": p.code} if with_code else {})


def _event(p: RestructureProposal, now: datetime) -> DomainEvent:
    stage = p.status.value  # APPROVED: the borrower may accept; ACCEPTED: it took effect
    return LoanRestructuring.new(
        application_id=p.loan_id,
        occurred_at=now,
        occurrence=f"{p.id}:{stage}",
        borrower_id=p.borrower_id,
        stage=stage,
        proposal_id=p.id,
        code=p.code,
        installments=len(p.installments),
        first_due_date=p.terms.first_due_date.isoformat(),
        new_total_minor=p.new_total_minor,
        waived_minor=p.waived.total,
        currency=p.currency,
        expires_at=p.expires_at.isoformat(),
    )


def _audit(p: RestructureProposal, actor: User, action: str, before: str | None, now: datetime) -> Any:
    return record(
        actor_id=actor.id,
        actor_role=actor.role,
        action=action,
        entity_type="loan",
        entity_id=p.loan_id,
        at=now,
        before={"proposal_status": before} if before else None,
        after={"proposal_id": p.id, "proposal_status": p.status.value, "reason": p.terms.reason},
    )


def _loan(loan: Loan | None, loan_id: str) -> Loan:
    if loan is None:
        raise NotFound(f"loan {loan_id} not found")
    return loan


def _proposal(p: RestructureProposal | None, loan_id: str, proposal_id: str) -> RestructureProposal:
    if p is None or p.loan_id != loan_id:
        raise NotFound(f"proposal {proposal_id} not found")
    return p
