"""Checking out an offer: the application and its first event are written together, exactly once."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain import phone as phones
from mkopo.domain.applications import Application, Status, TimelineEntry
from mkopo.domain.events import CheckoutSubmitted, DomainEvent
from mkopo.domain.offers import Offer
from mkopo.service import audit
from mkopo.service.errors import NotFound, Unprocessable
from mkopo.service.outbox import dispatch
from mkopo.service.ports import EventPublisher
from mkopo.service.store import Conflict, IdempotencyRecord, Store, Transaction, User


class Checkout(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    offer_id: str = Field(min_length=1, max_length=64)


class CheckoutResult(BaseModel):
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def idempotency_key(user_id: str, key: str) -> str:
    """Keys are per user: one borrower's key never collides with another's."""
    return hashlib.sha256(f"checkout:{user_id}:{key}".encode()).hexdigest()


def request_hash(cmd: Checkout) -> str:
    return hashlib.sha256(json.dumps(cmd.model_dump(), sort_keys=True).encode()).hexdigest()


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
) -> CheckoutResult:
    """Create the application and publish checkout_submitted; a repeated key replays the first answer.

    ``offer`` is what the store holds under ``cmd.offer_id`` (None: no such offer), read with the user.
    """
    record_key = idempotency_key(user.id, key)
    fingerprint = request_hash(cmd)
    application_id = str(uuid.uuid4())

    def replay_or(error: Exception) -> CheckoutResult:
        previous = store.get_idempotency(record_key)
        if previous is None:
            raise error
        return replay(previous, fingerprint)

    if offer is None:
        return replay_or(NotFound(f"offer {cmd.offer_id} does not exist"))
    if offer.is_expired(now):
        return replay_or(Unprocessable("this offer has expired; ask for new offers"))
    if offer.principal.currency != phones.currency_of(user.phone):
        return replay_or(
            Unprocessable(
                f"loans to {phones.market_of(user.phone)} numbers are paid in "
                f"{phones.currency_of(user.phone)}, not {offer.principal.currency}"
            )
        )

    def create(tx: Transaction) -> tuple[CheckoutResult, list[DomainEvent]]:
        """Write-only, so it commits as one batch: the idempotency record's create guards it."""
        assert offer is not None
        app = Application(
            id=application_id,
            borrower_id=user.id,
            phone=user.phone,
            offer=offer,
            status=Status.SUBMITTED,
            timeline=[TimelineEntry(status=Status.SUBMITTED, at=now)],
            created_at=now,
            updated_at=now,
        )
        event = CheckoutSubmitted.new(
            application_id=app.id,
            occurred_at=now,
            borrower_id=user.id,
            lender=offer.provider,
            product=offer.product,
            amount_minor=offer.principal.minor,
            currency=offer.principal.currency,
            term_days=offer.term_days,
        )
        body = {
            "application_id": app.id,
            "status": app.status.value,
            "status_url": status_url.format(id=app.id),
        }
        tx.create_application(app)
        tx.add_event(event)
        tx.add_audit(
            audit.record(
                actor_id=user.id,
                actor_role=user.role,
                action="checkout_submitted",
                entity_type="application",
                entity_id=app.id,
                at=now,
                after={
                    "status": app.status.value,
                    "offer_id": offer.id,
                    "amount_minor": offer.principal.minor,
                },
            )
        )
        tx.create_idempotency(
            IdempotencyRecord(
                key=record_key, request_hash=fingerprint, status_code=202, body=body, created_at=now
            )
        )
        return CheckoutResult(status_code=202, body=body), [event]

    try:
        result, events = store.write(create)
    except Conflict:
        # This key was used before (or a concurrent request with it just won): replay its answer.
        return replay_or(Unprocessable("this Idempotency-Key is being used by a request still running"))
    dispatch(events, store=store, publisher=publisher)
    return result


def replay(previous: IdempotencyRecord, fingerprint: str) -> CheckoutResult:
    """The stored answer to a repeated Idempotency-Key, or 422 if the request body differs."""
    if previous.request_hash != fingerprint:
        raise Unprocessable("this Idempotency-Key was already used with a different request body")
    return CheckoutResult(status_code=previous.status_code, body=previous.body, replayed=True)
