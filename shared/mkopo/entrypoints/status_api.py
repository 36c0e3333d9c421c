"""HTTPS function `status`: a borrower polls their applications and reads their notifications."""

from __future__ import annotations

from flask import Request

from mkopo.entrypoints.app import Api
from mkopo.entrypoints.container import AppContainer
from mkopo.entrypoints.identity import ANYONE, current_user
from mkopo.http import schemas
from mkopo.http.routing import Reply, Router, query_params
from mkopo.service import queries
from mkopo.service.store import User

api = Api(authenticate=current_user)


def create_app(container: AppContainer) -> Router:
    return api.bind(container)


TAGS = ("applications",)


@api.route(
    "GET",
    "/v1/applications/{application_id}",
    summary="One of your applications: status, offer, decision, disbursement, timeline",
    roles=ANYONE,
    responses={200: schemas.ApplicationOut},
    tags=TAGS,
)
def application(c: AppContainer, request: Request, user: User, application_id: str) -> Reply:
    return Reply(200, queries.get_application(c.store, user_id=user.id, application_id=application_id))


@api.route(
    "GET",
    "/v1/applications",
    summary="Your applications, newest first",
    roles=ANYONE,
    query=schemas.PageQuery,
    responses={200: schemas.ApplicationList},
    tags=TAGS,
)
def applications(c: AppContainer, request: Request, user: User) -> Reply:
    q = query_params(request, schemas.PageQuery)
    items = queries.list_applications(c.store, user_id=user.id, limit=q.limit)
    return Reply(200, {"applications": items})


@api.route(
    "GET",
    "/v1/notifications",
    summary="Your SMS notifications, newest first",
    roles=ANYONE,
    query=schemas.PageQuery,
    responses={200: schemas.NotificationList},
    tags=("notifications",),
)
def notifications(c: AppContainer, request: Request, user: User) -> Reply:
    q = query_params(request, schemas.PageQuery)
    items = queries.list_notifications(c.store, user_id=user.id, limit=q.limit)
    return Reply(200, {"notifications": items})
