"""HTTPS function `auth`: registration and login."""

from __future__ import annotations

from flask import Request

from mkopo.bootstrap import container, utcnow
from mkopo.http.routing import Reply, Router, json_body
from mkopo.service import accounts

routes = Router()


@routes.route("POST", "/v1/auth/register")
def register(request: Request) -> Reply:
    c = container()
    cmd = json_body(request, accounts.RegisterUser)
    user_id = accounts.register(cmd, store=c.store, hasher=c.hasher, now=utcnow())
    return Reply(201, {"user_id": user_id}, {"Location": "/v1/users/me"})


@routes.route("POST", "/v1/auth/login")
def login(request: Request) -> Reply:
    c = container()
    token = accounts.login(
        json_body(request, accounts.Login), store=c.store, hasher=c.hasher, tokens=c.tokens
    )
    return Reply(200, token.model_dump())
