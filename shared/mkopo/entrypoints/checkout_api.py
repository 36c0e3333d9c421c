"""HTTPS function `checkout`: turn an offer into an application, exactly once per Idempotency-Key."""

from __future__ import annotations

from flask import Request

from mkopo.bootstrap import container, utcnow
from mkopo.entrypoints.identity import current_user
from mkopo.http.routing import HttpError, Reply, Router, json_body
from mkopo.service import checkout

routes = Router()


@routes.route("POST", "/v1/checkout")
def submit(request: Request) -> Reply:
    c = container()
    user = current_user(request)
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 128:
        raise HttpError(400, "Idempotency-Key required", "send a unique Idempotency-Key header (1-128 chars)")
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
