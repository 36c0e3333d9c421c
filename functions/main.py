"""Every mkopo Cloud Function entry point: decode → one handler → respond. No business logic here."""

from __future__ import annotations

import logging
from typing import Any

import functions_framework
from cloudevents.http import CloudEvent
from flask import Request, Response

from mkopo.bootstrap import container, utcnow
from mkopo.domain import events as ev
from mkopo.entrypoints import pubsub
from mkopo.http.routing import HttpError, Reply, Router, bearer_token, json_body
from mkopo.service import accounts, analytics, notifications, outbox, pipeline, queries
from mkopo.service import checkout as checkout_service
from mkopo.service import offers as offers_service
from mkopo.service.store import User

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")


def _current_user(request: Request) -> User:
    from mkopo.adapters.security import InvalidToken

    c = container()
    try:
        claims = c.tokens.verify(bearer_token(request))
    except InvalidToken as exc:
        raise HttpError(
            401,
            "Unauthorized",
            "the access token is invalid or expired",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc
    user = c.store.get_user(claims.subject)
    if user is None:
        raise HttpError(401, "Unauthorized", "the access token is invalid or expired")
    return user


# --- auth ---------------------------------------------------------------------------------------
auth_routes = Router()


@auth_routes.route("POST", "/v1/auth/register")
def _register(request: Request) -> Reply:
    c = container()
    cmd = json_body(request, accounts.RegisterUser)
    user_id = accounts.register(cmd, store=c.store, hasher=c.hasher, now=utcnow())
    return Reply(201, {"user_id": user_id}, {"Location": "/v1/users/me"})


@auth_routes.route("POST", "/v1/auth/login")
def _login(request: Request) -> Reply:
    c = container()
    token = accounts.login(
        json_body(request, accounts.Login), store=c.store, hasher=c.hasher, tokens=c.tokens
    )
    return Reply(200, token.model_dump())


@functions_framework.http
def auth(request: Request) -> Response:
    return auth_routes(request)


# --- offers -------------------------------------------------------------------------------------
offer_routes = Router()


@offer_routes.route("GET", "/v1/offers")
def _offers(request: Request) -> Reply:
    c = container()
    query = offers_service.OfferQuery.model_validate(request.args.to_dict())
    found = offers_service.compare_offers(
        query, lenders=c.lenders, store=c.store, now=utcnow(), ttl=c.offer_ttl
    )
    return Reply(200, {"offers": [queries.offer_view(o) for o in found]})


@functions_framework.http
def offers(request: Request) -> Response:
    return offer_routes(request)


# --- checkout -----------------------------------------------------------------------------------
checkout_routes = Router()


@checkout_routes.route("POST", "/v1/checkout")
def _checkout(request: Request) -> Reply:
    c = container()
    user = _current_user(request)
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 128:
        raise HttpError(400, "Idempotency-Key required", "send a unique Idempotency-Key header (1-128 chars)")
    cmd = json_body(request, checkout_service.Checkout)
    result = checkout_service.submit(
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


@functions_framework.http
def checkout(request: Request) -> Response:
    return checkout_routes(request)


# --- status polling -----------------------------------------------------------------------------
status_routes = Router()


def _limit(request: Request) -> int:
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise HttpError(422, "Validation failed", "limit must be a whole number from 1 to 100")
    return int(raw)


@status_routes.route("GET", "/v1/applications/{application_id}")
def _application(request: Request, application_id: str) -> Reply:
    user = _current_user(request)
    return Reply(
        200, queries.get_application(container().store, user_id=user.id, application_id=application_id)
    )


@status_routes.route("GET", "/v1/applications")
def _applications(request: Request) -> Reply:
    user = _current_user(request)
    items = queries.list_applications(container().store, user_id=user.id, limit=_limit(request))
    return Reply(200, {"applications": items})


@status_routes.route("GET", "/v1/notifications")
def _notifications(request: Request) -> Reply:
    user = _current_user(request)
    items = queries.list_notifications(container().store, user_id=user.id, limit=_limit(request))
    return Reply(200, {"notifications": items})


@functions_framework.http
def status(request: Request) -> Response:
    return status_routes(request)


# --- outbox relay (Cloud Scheduler in the cloud, a timer locally) ------------------------------
@functions_framework.http
def outbox_relay(request: Request) -> Response:
    from datetime import timedelta

    c = container()
    count = outbox.relay(
        store=c.store,
        publisher=c.publisher,
        now=utcnow(),
        older_than=timedelta(seconds=c.settings.outbox_relay_after_s),
    )
    return Response(f'{{"relayed": {count}}}', status=200, mimetype="application/json")


# --- the Pub/Sub pipeline -----------------------------------------------------------------------
def _publisher() -> Any:
    return container().publisher


@functions_framework.cloud_event
def scoring(event: CloudEvent) -> None:
    c = container()
    pubsub.handle(
        "scoring",
        event.data,
        lambda e: pipeline.score_application(
            e,
            store=c.store,
            publisher=c.publisher,
            credit_data=c.credit_data,
            scorecard=c.scorecard,
            now=utcnow(),
        ),
        _publisher,
        ev.CheckoutSubmitted,
    )


@functions_framework.cloud_event
def confirm_payment(event: CloudEvent) -> None:
    c = container()
    pubsub.handle(
        "confirm-payment",
        event.data,
        lambda e: pipeline.decide(e, store=c.store, publisher=c.publisher, policy=c.policy, now=utcnow()),
        _publisher,
        ev.ApplicationScored,
    )


@functions_framework.cloud_event
def disbursement(event: CloudEvent) -> None:
    c = container()
    pubsub.handle(
        "disbursement",
        event.data,
        lambda e: pipeline.disburse(
            e, store=c.store, publisher=c.publisher, provider=c.payout_provider, now=utcnow
        ),
        _publisher,
        ev.LoanApproved,
    )


@functions_framework.cloud_event
def notify(event: CloudEvent) -> None:
    c = container()
    pubsub.handle(
        "notify",
        event.data,
        lambda e: notifications.notify_borrower(e, store=c.store, channel=c.sms_channel, now=utcnow()),
        _publisher,
        ev.DomainEvent,
    )


@functions_framework.cloud_event
def exporter(event: CloudEvent) -> None:
    c = container()
    pubsub.handle(
        "exporter",
        event.data,
        lambda e: analytics.export_event(e, store=c.store, sink=c.event_sink, now=utcnow()),
        _publisher,
        ev.DomainEvent,
    )
