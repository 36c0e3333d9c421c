"""The admins' operations pages: users (create, change a role, disable or enable) and the dead-letter inbox.

Every write goes through the service functions the JSON API calls (``accounts.register`` with a role,
``accounts.admin_update``) or the operator command uses (``service.dead_letters``): nothing is reimplemented.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from pydantic import ValidationError

from mkopo import topology
from mkopo.entrypoints.console import render
from mkopo.entrypoints.console.pages import Ctx, page
from mkopo.service import accounts, dead_letters
from mkopo.service.errors import ServiceError

USERS_PAGE = 100
STAFF_ROLES = (accounts.Role.OFFICER.value, accounts.Role.ADMIN.value)


def _users_page(ctx: Ctx, status: int = 200, **context: Any) -> Response:
    role = ctx.request.args.get("role") or None
    chosen = accounts.Role(role) if role in {r.value for r in accounts.Role} else None
    listing = accounts.list_users(
        ctx.c.identity, limit=USERS_PAGE, cursor=ctx.request.args.get("cursor") or None, role=chosen
    )
    return page(
        ctx,
        "users.html",
        status,
        listing=listing,
        role=chosen.value if chosen else "",
        roles=accounts.Role,
        staff_roles=STAFF_ROLES,
        **context,
    )


def users(ctx: Ctx) -> Response:
    return _users_page(ctx, form={}, errors={})


def create_user(ctx: Ctx) -> Response:
    """Create a staff account through ``accounts.register`` (as POST /v1/users does), audited as the admin."""
    form, c = ctx.request.form, ctx.c
    fields = {k: form.get(k, "") for k in ("phone", "full_name", "password", "role")}
    try:
        cmd = accounts.CreateUser.model_validate(fields)
        plain = accounts.RegisterUser(phone=cmd.phone, password=cmd.password, full_name=cmd.full_name)
        accounts.register(plain, store=c.store, hasher=c.hasher, now=c.now(), role=cmd.role, actor=ctx.user)
    except ValidationError as exc:
        errors = {str(e["loc"][0]) if e["loc"] else "form": e["msg"] for e in exc.errors()}
        return _users_page(ctx, 422, form=_safe(fields), errors=errors)
    except ServiceError as exc:
        return _users_page(ctx, exc.status, form=_safe(fields), errors={}, error=exc.detail)
    return render.redirect("/console/users?created=1")


def _safe(fields: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in fields.items() if k != "password"}  # never echo a password back


def update_user(ctx: Ctx, user_id: str) -> Response:
    """Change a role or disable/enable an account through ``accounts.admin_update`` (PATCH /v1/users/{id})."""
    form = ctx.request.form
    fields = {k: form[k] for k in ("role", "status") if form.get(k)}
    assert ctx.user is not None  # the guard let only an admin in
    try:
        cmd = accounts.AdminUpdate.model_validate(fields)
        accounts.admin_update(ctx.user, user_id, cmd, identity=ctx.c.identity, now=ctx.c.now())
    except ValidationError as exc:
        return _users_page(ctx, 422, form={}, errors={}, error="; ".join(e["msg"] for e in exc.errors()))
    except ServiceError as exc:
        if exc.status == 404:
            raise
        return _users_page(ctx, exc.status, form={}, errors={}, error=exc.detail)
    return render.redirect("/console/users?updated=1")


# ------------------------------------------------------------------------------- dead letters
def dead_letter_inbox(ctx: Ctx, status: int = 200, **context: Any) -> Response:
    """The records with one status (OPEN by default), newest first, with their data decoded."""
    shown = ctx.request.args.get("status", dead_letters.OPEN)
    shown = shown if shown in dead_letters.STATUSES else dead_letters.OPEN
    found = [dead_letters.view(r) for r in dead_letters.records(ctx.c.dead_letters, shown)]
    context = {"collected": ctx.request.args.get("collected"), **context}
    return page(
        ctx,
        "dead_letters.html",
        status,
        records=found[::-1],
        shown=shown,
        statuses=dead_letters.STATUSES,
        topics=topology.TOPICS,
        **context,
    )


def collect_dead_letters(ctx: Ctx) -> Response:
    """Drain the ``dead_letter_inbox`` subscription into records (as ``chaos.deadletters list`` does)."""
    found = dead_letters.collect(ctx.c.inbox, ctx.c.dead_letters, ctx.c.now())
    return render.redirect(f"/console/dead-letters?collected={len(found)}")


def replay_dead_letter(ctx: Ctx, letter: str) -> Response:
    """Republish an OPEN record to its topic (or the one chosen), as ``chaos.deadletters replay`` does."""
    message_id = letter
    topic = ctx.request.form.get("topic") or None
    try:
        target = dead_letters.replay_one(ctx.c.dead_letters, ctx.c.publisher, message_id, ctx.c.now(), topic)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        return dead_letter_inbox(ctx, exc.status, error=exc.detail)
    return render.redirect(f"/console/dead-letters?replayed={message_id}&topic={target}")


def discard_dead_letter(ctx: Ctx, letter: str) -> Response:
    message_id = letter
    dead_letters.discard_one(ctx.c.dead_letters, message_id, ctx.c.now())
    return render.redirect(f"/console/dead-letters?discarded={message_id}")
