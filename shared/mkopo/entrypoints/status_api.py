"""HTTPS function `status`: a borrower polls their applications and reads their notifications."""

from __future__ import annotations

from flask import Request

from mkopo.bootstrap import container
from mkopo.entrypoints.identity import ANYONE, current_user
from mkopo.http import schemas
from mkopo.http.routing import Reply, Router, query_params
from mkopo.service import queries
from mkopo.service.store import User

routes = Router(authenticate=current_user)
TAGS = ("applications",)


@routes.route(
    "GET",
    "/v1/applications/{application_id}",
    summary="One of your applications: status, offer, decision, disbursement, timeline",
    roles=ANYONE,
    responses={200: schemas.ApplicationOut},
    tags=TAGS,
)
def application(request: Request, user: User, application_id: str) -> Reply:
    return Reply(
        200, queries.get_application(container().store, user_id=user.id, application_id=application_id)
    )


@routes.route(
    "GET",
    "/v1/applications",
    summary="Your applications, newest first",
    roles=ANYONE,
    query=schemas.PageQuery,
    responses={200: schemas.ApplicationList},
    tags=TAGS,
)
def applications(request: Request, user: User) -> Reply:
    q = query_params(request, schemas.PageQuery)
    items = queries.list_applications(container().store, user_id=user.id, limit=q.limit)
    return Reply(200, {"applications": items})


@routes.route(
    "GET",
    "/v1/notifications",
    summary="Your SMS notifications, newest first",
    roles=ANYONE,
    query=schemas.PageQuery,
    responses={200: schemas.NotificationList},
    tags=("notifications",),
)
def notifications(request: Request, user: User) -> Reply:
    q = query_params(request, schemas.PageQuery)
    items = queries.list_notifications(container().store, user_id=user.id, limit=q.limit)
    return Reply(200, {"notifications": items})
