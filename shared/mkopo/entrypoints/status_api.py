"""HTTPS function `status`: a borrower polls their applications and reads their notifications."""

from __future__ import annotations

from flask import Request

from mkopo.bootstrap import container
from mkopo.entrypoints.identity import current_user
from mkopo.http.routing import HttpError, Reply, Router
from mkopo.service import queries

routes = Router()


def page_limit(request: Request) -> int:
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise HttpError(422, "Validation failed", "limit must be a whole number from 1 to 100")
    return int(raw)


@routes.route("GET", "/v1/applications/{application_id}")
def application(request: Request, application_id: str) -> Reply:
    user = current_user(request)
    return Reply(
        200, queries.get_application(container().store, user_id=user.id, application_id=application_id)
    )


@routes.route("GET", "/v1/applications")
def applications(request: Request) -> Reply:
    user = current_user(request)
    items = queries.list_applications(container().store, user_id=user.id, limit=page_limit(request))
    return Reply(200, {"applications": items})


@routes.route("GET", "/v1/notifications")
def notifications(request: Request) -> Reply:
    user = current_user(request)
    items = queries.list_notifications(container().store, user_id=user.id, limit=page_limit(request))
    return Reply(200, {"notifications": items})
