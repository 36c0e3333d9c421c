"""HTTPS function `checkout`: turn an offer into an application, exactly once per Idempotency-Key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Request
from pydantic import ValidationError

from mkopo.entrypoints.app import Api
from mkopo.entrypoints.container import AppContainer
from mkopo.entrypoints.identity import ANYONE, active, verified_claims
from mkopo.http import schemas
from mkopo.http.routing import HttpError, Reply, Router, idempotency_key, json_body
from mkopo.service import checkout

if TYPE_CHECKING:
    from mkopo.adapters.security import Claims

# The token alone passes the router; the handler reads the stored user with the offer (one round trip)
# and checks it there, so a disabled account or a changed role still takes effect at once.
api = Api(authenticate=verified_claims)


def create_app(container: AppContainer) -> Router:
    return api.bind(container)


@api.route(
    "POST",
    "/v1/checkout",
    summary="Apply for an offer; the decision follows asynchronously (poll status_url)",
    roles=ANYONE,
    body=checkout.Checkout,
    headers={"Idempotency-Key": "A unique key per checkout (1-128 characters); a repeat replays the answer"},
    responses={202: schemas.CheckoutAccepted},
    tags=("applications",),
)
def submit(c: AppContainer, request: Request, user: Claims) -> Reply:
    key, cmd = _parse(c, request, user)
    borrower, offer = c.store.get_user_and_offer(user.subject, cmd.offer_id)
    result = checkout.submit(
        cmd,
        user=active(borrower, ANYONE),
        offer=offer,
        key=key,
        store=c.store,
        publisher=c.publisher,
        now=c.now(),
        status_url="/v1/applications/{id}",
        terms_version=c.settings.terms_version,
    )
    headers = {"Location": result.body["status_url"]}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Reply(result.status_code, result.body, headers)


def _parse(c: AppContainer, request: Request, claims: Claims) -> tuple[str, checkout.Checkout]:
    """The Idempotency-Key and the command; a bad request from a disabled account still hears 401 first."""
    try:
        return idempotency_key(request), json_body(request, checkout.Checkout)
    except (HttpError, ValidationError):
        active(c.store.get_user(claims.subject), ANYONE)
        raise
