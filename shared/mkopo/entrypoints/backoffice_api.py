"""HTTPS function `backoffice`: the officers' review queue and decisions, the admins' audit trail."""

from __future__ import annotations

from flask import Request

from mkopo.bootstrap import container, utcnow
from mkopo.entrypoints.identity import ADMIN, STAFF, current_user
from mkopo.http import schemas
from mkopo.http.routing import Reply, Router, json_body, query_params
from mkopo.service import audit, reviews
from mkopo.service.store import User

routes = Router(authenticate=current_user)


@routes.route(
    "GET",
    "/v1/reviews",
    summary="Applications waiting for a credit officer, oldest first (officers, admins)",
    roles=STAFF,
    query=schemas.ReviewQuery,
    responses={200: schemas.ReviewQueue},
    tags=("reviews",),
)
def review_queue(request: Request, user: User) -> Reply:
    q = query_params(request, schemas.ReviewQuery)
    return Reply(200, {"reviews": reviews.queue(container().store, limit=q.limit)})


@routes.route(
    "POST",
    "/v1/reviews/{application_id}/decision",
    summary="Approve or reject an application under review, with a comment (officers, admins)",
    roles=STAFF,
    body=reviews.ReviewDecision,
    responses={200: schemas.ReviewItem},
    tags=("reviews",),
)
def decide(request: Request, user: User, application_id: str) -> Reply:
    c = container()
    cmd = json_body(request, reviews.ReviewDecision)
    view = reviews.decide(
        application_id, cmd, officer=user, store=c.store, publisher=c.publisher, now=utcnow()
    )
    return Reply(200, view)


@routes.route(
    "GET",
    "/v1/audit",
    summary="The audit trail of one application or user, oldest first (admins)",
    roles=ADMIN,
    query=schemas.AuditQuery,
    responses={200: schemas.AuditList},
    tags=("audit",),
)
def audit_trail(request: Request, user: User) -> Reply:
    q = query_params(request, schemas.AuditQuery)
    return Reply(200, {"records": audit.trail(container().store, q.entity_id, q.limit)})
