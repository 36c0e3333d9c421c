"""Scoring: features from the credit-data port through the scorecard, once per application."""

from __future__ import annotations

from datetime import datetime

from mkopo.domain.applications import Application, Status
from mkopo.domain.credit import Borrower, CreditTerms
from mkopo.domain.events import ApplicationScored, CheckoutSubmitted, DomainEvent
from mkopo.domain.scorecard import Features, Scorecard, ScoreResult
from mkopo.faults import checkpoint
from mkopo.service.ports import CreditData, EventPublisher
from mkopo.service.store import Store, Transaction
from mkopo.service.transitions import Change, advance, load


def score_application(
    event: CheckoutSubmitted,
    *,
    store: Store,
    publisher: EventPublisher,
    credit_data: CreditData,
    scorecard: Scorecard,
    credit_terms: CreditTerms,
    now: datetime,
    challenger: Scorecard | None = None,
) -> bool:
    """Score once: the external features through the scorecard, the limit from our own ladder."""
    app = load(store, event.application_id)
    if app.status != Status.SUBMITTED:
        return False
    features = credit_data.features_for(app.phone)
    result = scorecard.score(features)
    shadow = challenger.score(features) if challenger is not None else None

    read_borrower: list[Borrower] = []  # the borrower read with the application, in this attempt

    def read(tx: Transaction) -> Application | None:
        current, borrower = tx.get_application_and_borrower(event.application_id, app.borrower_id)
        read_borrower[:] = [borrower or Borrower(id=app.borrower_id)]
        return current

    def change(tx: Transaction, app: Application) -> Change:
        borrower = read_borrower[0]
        if borrower.credit.observe_external_limit(features.credit_limit_minor):
            tx.save_borrower(borrower)
        line = credit_terms.line(
            borrower.credit,
            currency=app.offer.principal.currency,
            external_minor=features.credit_limit_minor,
            has_active_loan=False,  # the policy's own rule
        )
        app.record_score(
            score=result.score,
            probability_of_default=result.probability_of_default,
            reasons=result.reasons,
            credit_limit_minor=line.limit_minor,
            at=now,
            model_version=result.model_version,
            points=result.points,
        )
        event = _scored_event(app, result, shadow, features, line.limit_minor, borrower.credit.level, now)
        return Change(event=event, extra=_explained(result))

    checkpoint("scoring.before_write")
    return advance(store, publisher, event.application_id, Status.SUBMITTED, change, read=read) is not None


def _explained(result: ScoreResult) -> dict[str, object]:
    """What the audit record keeps of a score: which table, the points and the reasons."""
    return {
        "model_version": result.model_version,
        "score": result.score,
        "points": result.points,
        "reasons": result.reasons,
    }


def _scored_event(
    app: Application,
    result: ScoreResult,
    shadow: ScoreResult | None,
    features: Features,
    limit_minor: int,
    level: int,
    now: datetime,
) -> DomainEvent:
    return ApplicationScored.new(
        application_id=app.id,
        occurred_at=now,
        borrower_id=app.borrower_id,
        score=result.score,
        probability_of_default=result.probability_of_default,
        reasons=result.reasons,
        credit_limit_minor=limit_minor,
        external_limit_minor=features.credit_limit_minor,
        credit_level=level,
        model_version=result.model_version,
        points=result.points,
        features=features.model_dump(),
        challenger_version=shadow.model_version if shadow else None,
        challenger_score=shadow.score if shadow else None,
        challenger_probability_of_default=shadow.probability_of_default if shadow else None,
    )
