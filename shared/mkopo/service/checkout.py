"""Checking out an offer: the application and its first event are written together, exactly once."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mkopo import tracing
from mkopo.domain import ids
from mkopo.domain import phone as phones
from mkopo.domain.applications import Application, Consent
from mkopo.domain.events import CheckoutSubmitted, DomainEvent
from mkopo.domain.offers import Offer
from mkopo.service import audit, idempotency
from mkopo.service.errors import NotFound, Unprocessable
from mkopo.service.idempotency import Accepted
from mkopo.service.outbox import dispatch
from mkopo.service.ports import EventPublisher
from mkopo.service.store import AuditRecord, Conflict, IdempotencyRecord, Store, Transaction, User


class Checkout(BaseModel):
    """Apply for an offer (an id from GET /v1/offers)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    offer_id: str = Field(
        min_length=1, max_length=64, json_schema_extra={"format": "uuid", "pattern": ids.ID_PATTERN}
    )

    _offer_id = field_validator("offer_id")(ids.check_id)


def submit(
    cmd: Checkout,
    *,
    user: User,
    offer: Offer | None,
    key: str,
    store: Store,
    publisher: EventPublisher,
    now: datetime,
    status_url: str,
    terms_version: str,
    channel: str = "api",
) -> Accepted:
    """Create the application and publish checkout_submitted; a repeated key replays the first answer.

    ``offer`` is what the store holds under ``cmd.offer_id`` (None: no such offer), read with the user.
    """
    key_hash = idempotency.record_key("checkout", user.id, key)
    request = idempotency.fingerprint(cmd.model_dump())

    def replay_or(error: Exception) -> Accepted:
        previous = store.get_idempotency(key_hash)
        if previous is None:
            raise error
        return idempotency.replay(previous, request)

    refusal = _refusal(cmd, offer, user, now)
    if refusal is not None:
        return replay_or(refusal)
    assert offer is not None
    consent = Consent.to(offer, terms_version=terms_version, channel=channel, at=now)
    app = Application.submit(
        id=str(uuid.uuid4()),
        borrower_id=user.id,
        phone=user.phone,
        offer=offer,
        consent=consent,
        at=now,
        trace=tracing.current_traceparent(),
        language=user.language,
    )
    body = {"application_id": app.id, "status": app.status.value, "status_url": status_url.format(id=app.id)}
    event = _submitted_event(app, now)

    def create(tx: Transaction) -> None:
        """Write-only, so it commits as one batch: the idempotency record's create guards it."""
        tx.create_application(app)
        tx.add_event(event)
        tx.add_audit(_audit_record(app, user, now))
        tx.create_idempotency(
            IdempotencyRecord(key=key_hash, request_hash=request, status_code=202, body=body, created_at=now)
        )

    try:
        store.write(create)
    except Conflict:
        # This key was used before (or a concurrent request with it just won): replay its answer.
        return replay_or(Unprocessable("this Idempotency-Key is being used by a request still running"))
    dispatch([event], store=store, publisher=publisher)
    return Accepted(status_code=202, body=body)


def _refusal(cmd: Checkout, offer: Offer | None, user: User, now: datetime) -> Exception | None:
    """Why this borrower cannot check this offer out now, if they cannot."""
    if offer is None:
        return NotFound(f"offer {cmd.offer_id} does not exist")
    if offer.is_expired(now):
        return Unprocessable("this offer has expired; ask for new offers")
    currency = phones.currency_of(user.phone)
    if offer.principal.currency != currency:
        return Unprocessable(
            f"loans to {phones.market_of(user.phone)} numbers are paid in {currency}, "
            f"not {offer.principal.currency}"
        )
    return None


def _submitted_event(app: Application, now: datetime) -> DomainEvent:
    offer = app.offer
    return CheckoutSubmitted.new(
        application_id=app.id,
        occurred_at=now,
        borrower_id=app.borrower_id,
        lender=offer.provider,
        product=offer.product,
        amount_minor=offer.principal.minor,
        currency=offer.principal.currency,
        term_days=offer.term_days,
    )


def _audit_record(app: Application, user: User, now: datetime) -> AuditRecord:
    return audit.record(
        actor_id=user.id,
        actor_role=user.role,
        action="checkout_submitted",
        entity_type="application",
        entity_id=app.id,
        at=now,
        after={
            "status": app.status.value,
            "offer_id": app.offer.id,
            "amount_minor": app.offer.principal.minor,
            "consent": app.consent.model_dump(mode="json") if app.consent else None,
        },
    )
