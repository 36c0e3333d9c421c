"""HTTPS function `checkout`: turn an offer into an application, exactly once per Idempotency-Key."""

from __future__ import annotations

from flask import Request

from mkopo.bootstrap import container, utcnow
from mkopo.entrypoints.identity import ANYONE, current_user
from mkopo.http import schemas
from mkopo.http.routing import Reply, Router, idempotency_key, json_body
from mkopo.service import checkout
from mkopo.service.store import User

routes = Router(authenticate=current_user)


@routes.route(
    "POST",
    "/v1/checkout",
    summary="Apply for an offer; the decision follows asynchronously (poll status_url)",
    roles=ANYONE,
    body=checkout.Checkout,
    headers={"Idempotency-Key": "A unique key per checkout (1-128 characters); a repeat replays the answer"},
    responses={202: schemas.CheckoutAccepted},
    tags=("applications",),
)
def submit(request: Request, user: User) -> Reply:
    c = container()
    key = idempotency_key(request)
    cmd = json_body(request, checkout.Checkout)
    result = checkout.submit(
        cmd,
        user=user,
        key=key,
        store=c.store,
        publisher=c.publisher,
        now=utcnow(),
        status_url="/v1/applications/{id}",
    )
    headers = {"Location": result.body["status_url"]}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Reply(result.status_code, result.body, headers)
