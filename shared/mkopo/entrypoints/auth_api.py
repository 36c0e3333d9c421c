"""HTTPS function `auth`: registration, login, token refresh and logout; users (self-service and admin)."""

from __future__ import annotations

from flask import Request

from mkopo.entrypoints.app import Api
from mkopo.entrypoints.container import AppContainer
from mkopo.entrypoints.identity import ADMIN, ANYONE, client_ip, current_user, login_limits
from mkopo.http import schemas
from mkopo.http.routing import Reply, Router, json_body, query_params
from mkopo.service import accounts, credit, sessions
from mkopo.service.store import User

api = Api(authenticate=current_user)
TAGS = ("auth",)


def create_app(container: AppContainer) -> Router:
    return api.bind(container)


@api.route(
    "POST",
    "/v1/auth/register",
    summary="Create a borrower account",
    body=accounts.RegisterUser,
    responses={201: schemas.UserCreated},
    tags=TAGS,
)
def register(c: AppContainer, request: Request) -> Reply:
    cmd = json_body(request, accounts.RegisterUser)
    user_id = accounts.register(
        cmd,
        store=c.store,
        hasher=c.hasher,
        now=c.now(),
        default_language=c.settings.default_language(cmd.phone),
    )
    return Reply(201, {"user_id": user_id}, {"Location": "/v1/users/me"})


@api.route(
    "POST",
    "/v1/auth/login",
    summary="Exchange phone and password for an access token and a refresh token",
    body=sessions.Login,
    responses={200: schemas.TokenPair},
    tags=TAGS,
)
def login(c: AppContainer, request: Request) -> Reply:
    token = sessions.login(
        json_body(request, sessions.Login),
        store=c.store,
        hasher=c.hasher,
        tokens=c.tokens,
        identity=c.identity,
        now=c.now(),
        client_ip=client_ip(request),
        limits=login_limits(c),
    )
    return Reply(200, token.model_dump())


@api.route(
    "POST",
    "/v1/auth/refresh",
    summary="Rotate a refresh token: a new access token and a new refresh token (each works once)",
    body=sessions.RefreshRequest,
    responses={200: schemas.TokenPair},
    tags=TAGS,
)
def refresh(c: AppContainer, request: Request) -> Reply:
    cmd = json_body(request, sessions.RefreshRequest)
    pair = sessions.refresh(cmd, identity=c.identity, tokens=c.tokens, now=c.now(), limits=login_limits(c))
    return Reply(200, pair.model_dump())


@api.route(
    "POST",
    "/v1/auth/logout",
    summary="Revoke a refresh token and every token rotated from the same login",
    body=sessions.RefreshRequest,
    responses={204: None},
    tags=TAGS,
)
def logout(c: AppContainer, request: Request) -> Reply:
    cmd = json_body(request, sessions.RefreshRequest)
    sessions.logout(cmd, identity=c.identity, now=c.now())
    return Reply(204, None)


@api.route(
    "GET",
    "/v1/users/me",
    summary="Your account",
    roles=ANYONE,
    responses={200: schemas.UserOut},
    tags=("users",),
)
def me(c: AppContainer, request: Request, user: User) -> Reply:
    return Reply(200, accounts.user_view(user))


@api.route(
    "GET",
    "/v1/users/me/credit",
    summary="Your credit limit, what is available now, and what repaying on time would bring",
    roles=ANYONE,
    responses={200: schemas.CreditOut},
    tags=("users",),
)
def my_credit(c: AppContainer, request: Request, user: User) -> Reply:
    line = credit.credit_line(user, store=c.store, credit_data=c.credit_data, terms=c.settings.credit_terms())
    return Reply(200, credit.credit_view(line))


@api.route(
    "PATCH",
    "/v1/users/me",
    summary="Change your name, password or language (en, sw, fr: the language of your SMS)",
    roles=ANYONE,
    body=accounts.UpdateMe,
    responses={200: schemas.UserOut},
    tags=("users",),
)
def update_me(c: AppContainer, request: Request, user: User) -> Reply:
    cmd = json_body(request, accounts.UpdateMe)
    view = accounts.update_me(user, cmd, identity=c.identity, hasher=c.hasher, now=c.now())
    if cmd.language is not None:
        accounts.follow_language(c.store, user.id, cmd.language)
    return Reply(200, view)


@api.route(
    "GET",
    "/v1/users",
    summary="List users (admins), paginated by cursor",
    roles=ADMIN,
    query=schemas.UserListQuery,
    responses={200: schemas.UserPage},
    tags=("users",),
)
def list_users(c: AppContainer, request: Request, user: User) -> Reply:
    q = query_params(request, schemas.UserListQuery)
    role = accounts.Role(q.role) if q.role else None
    return Reply(200, accounts.list_users(c.identity, limit=q.limit, cursor=q.cursor, role=role))


@api.route(
    "POST",
    "/v1/users",
    summary="Create an account with a role, e.g. a credit officer (admins)",
    roles=ADMIN,
    body=accounts.CreateUser,
    responses={201: schemas.UserCreated},
    tags=("users",),
)
def create_user(c: AppContainer, request: Request, user: User) -> Reply:
    cmd = json_body(request, accounts.CreateUser)
    plain = accounts.RegisterUser(phone=cmd.phone, password=cmd.password, full_name=cmd.full_name)
    user_id = accounts.register(plain, store=c.store, hasher=c.hasher, now=c.now(), role=cmd.role, actor=user)
    return Reply(201, {"user_id": user_id}, {"Location": f"/v1/users/{user_id}"})


@api.route(
    "GET",
    "/v1/users/{user_id}",
    summary="One user (admins)",
    roles=ADMIN,
    responses={200: schemas.UserOut},
    tags=("users",),
)
def get_user(c: AppContainer, request: Request, user: User, user_id: str) -> Reply:
    return Reply(200, accounts.get_user(c.store, user_id))


@api.route(
    "PATCH",
    "/v1/users/{user_id}",
    summary="Change a user's role or status (admins)",
    roles=ADMIN,
    body=accounts.AdminUpdate,
    responses={200: schemas.UserOut},
    tags=("users",),
)
def update_user(c: AppContainer, request: Request, user: User, user_id: str) -> Reply:
    cmd = json_body(request, accounts.AdminUpdate)
    return Reply(200, accounts.admin_update(user, user_id, cmd, identity=c.identity, now=c.now()))


@api.route(
    "DELETE",
    "/v1/users/{user_id}",
    summary="Delete a user: personal data anonymised, loans and ledger kept (admins)",
    roles=ADMIN,
    responses={204: None},
    tags=("users",),
)
def delete_user(c: AppContainer, request: Request, user: User, user_id: str) -> Reply:
    accounts.delete_user(user, user_id, identity=c.identity, now=c.now())
    return Reply(204, None)
