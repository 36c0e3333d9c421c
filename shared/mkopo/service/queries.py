"""What a borrower may read: their own applications and notifications."""

from __future__ import annotations

from typing import Any

from mkopo.domain.applications import Application
from mkopo.domain.money import Money
from mkopo.service.errors import NotFound
from mkopo.service.store import Notification, Store


def application_view(app: Application) -> dict[str, Any]:
    """The public shape of an application (GET /v1/applications/{id})."""
    offer = app.offer
    return {
        "id": app.id,
        "status": app.status.value,
        "offer": offer_view(offer),
        "amount": str(offer.principal),
        "currency": offer.principal.currency,
        "decision": {
            "outcome": app.decision.outcome.value if app.decision.outcome else None,
            "score": app.decision.score,
            "reasons": app.decision.reasons,
            "model_version": app.decision.model_version,
            "points": app.decision.points,
        },
        "disbursement": {
            "provider": app.disbursement.provider,
            "reference": app.disbursement.reference,
            "status": app.disbursement.status,
        },
        "review": (
            {"outcome": app.review.outcome.value, "decided_at": app.review.decided_at.isoformat()}
            if app.review
            else None
        ),
        "consent": _consent_view(app),
        "timeline": [{"status": t.status.value, "at": t.at.isoformat()} for t in app.timeline],
        "created_at": app.created_at.isoformat(),
        "updated_at": app.updated_at.isoformat(),
    }


def _consent_view(app: Application) -> dict[str, Any] | None:
    consent = app.consent
    if consent is None:
        return None
    money = lambda minor: str(Money(minor=minor, currency=consent.currency))  # noqa: E731
    return {
        "terms_version": consent.terms_version,
        "channel": consent.channel,
        "total_repayable": money(consent.total_repayable_minor),
        "total_cost": money(consent.total_cost_minor),
        "apr": consent.apr,
        "accepted_at": consent.accepted_at.isoformat(),
        "late_fee": money(consent.late_fee_minor),
        "daily_penalty_rate": consent.daily_penalty_rate,
    }


def offer_view(offer: Any) -> dict[str, Any]:
    """The public shape of an offer, with every cost disclosed."""
    cur = offer.principal.currency
    return {
        "id": offer.id,
        "provider": offer.provider,
        "product": offer.product,
        "amount": str(offer.principal),
        "currency": cur,
        "term_days": offer.term_days,
        "interest_rate": f"{offer.interest_rate * 100:.4f}",
        "interest": str(offer.interest),
        "fees": [{"name": f.name, "amount": str(f.amount)} for f in offer.fees],
        "total_fees": str(offer.total_fees),
        "total_cost": str(offer.total_cost),
        "apr": f"{offer.apr:.2f}",
        "total_repayable": str(offer.total_repayable),
        "expires_at": offer.expires_at.isoformat(),
        "late_fee": str(offer.late_fee) if offer.late_fee else None,
        "daily_penalty_rate": str(offer.daily_penalty_rate),
    }


def get_application(store: Store, *, user_id: str, application_id: str) -> dict[str, Any]:
    app = store.get_application(application_id)
    if app is None or app.borrower_id != user_id:
        raise NotFound(f"application {application_id} not found")
    return application_view(app)


def list_applications(store: Store, *, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
    return [application_view(a) for a in store.list_applications(user_id, limit)]


def notification_view(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "channel": n.channel,
        "text": n.text,
        "event_type": n.event_type,
        "status": n.status,
        "created_at": n.created_at.isoformat(),
    }


def list_notifications(store: Store, *, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
    return [notification_view(n) for n in store.list_notifications(user_id, limit)]
