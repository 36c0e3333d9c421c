"""HTTPS function `backoffice`: the officers' review queue and decisions, the admins' audit trail, and
the officers' console in a browser (``/console/``, mkopo.entrypoints.console)."""

from __future__ import annotations

from flask import Request

from mkopo.entrypoints.app import Api
from mkopo.entrypoints.container import AppContainer
from mkopo.entrypoints.identity import ADMIN, STAFF, current_user
from mkopo.http import schemas
from mkopo.http.routing import Reply, Router, json_body, query_params
from mkopo.service import audit, reviews
from mkopo.service.store import User

api = Api(authenticate=current_user)


def create_app(container: AppContainer) -> Router:
    from mkopo.entrypoints import console

    return console.install(api.bind(container), container)


@api.route(
    "GET",
    "/v1/reviews",
    summary="Applications waiting for a credit officer, oldest first (officers, admins)",
    roles=STAFF,
    query=schemas.ReviewQuery,
    responses={200: schemas.ReviewQueue},
    tags=("reviews",),
)
def review_queue(c: AppContainer, request: Request, user: User) -> Reply:
    q = query_params(request, schemas.ReviewQuery)
    return Reply(200, {"reviews": reviews.queue(c.store, limit=q.limit)})


@api.route(
    "POST",
    "/v1/reviews/{application_id}/decision",
    summary="Approve or reject an application under review, with a comment (officers, admins)",
    roles=STAFF,
    body=reviews.ReviewDecision,
    responses={200: schemas.ReviewItem},
    tags=("reviews",),
)
def decide(c: AppContainer, request: Request, user: User, application_id: str) -> Reply:
    cmd = json_body(request, reviews.ReviewDecision)
    view = reviews.decide(
        application_id, cmd, officer=user, store=c.store, publisher=c.publisher, now=c.now()
    )
    return Reply(200, view)


@api.route(
    "GET",
    "/v1/audit",
    summary="The audit trail of one application or user, oldest first (admins)",
    roles=ADMIN,
    query=schemas.AuditQuery,
    responses={200: schemas.AuditList},
    tags=("audit",),
)
def audit_trail(c: AppContainer, request: Request, user: User) -> Reply:
    q = query_params(request, schemas.AuditQuery)
    return Reply(200, {"records": audit.trail(c.store, q.entity_id, q.limit)})
