"""The officers' console: server-rendered pages under ``/console/``, served by the `backoffice` function.

``install(router, container)`` adds every page to the function's router. Each page declares its roles
here, and the guard enforces them on the server from the stored user (no session: to the sign-in page;
another role: a 403 page), checks the CSRF token of every POST and turns every refusal into an HTML page
with its 4xx status. Pages only read through ``service.console_queries`` and write through the same
service functions as the JSON API.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Request, Response
from pydantic import ValidationError

from mkopo.entrypoints.console import admin_pages, dashboard, pages, render, session
from mkopo.entrypoints.console.pages import Ctx
from mkopo.entrypoints.container import AppContainer
from mkopo.entrypoints.identity import ADMIN, STAFF
from mkopo.http.routing import Router
from mkopo.service.errors import ServiceError, TooManyRequests

PUBLIC: frozenset[str] = frozenset()
Page = Callable[..., Response]

# method, path, roles (PUBLIC: anyone, even without a session), page
PAGES: tuple[tuple[str, str, frozenset[str], Page], ...] = (
    ("GET", "/console", STAFF, pages.home),
    ("GET", "/console/login", PUBLIC, pages.login_form),
    ("POST", "/console/login", PUBLIC, pages.login),
    ("POST", "/console/logout", STAFF, pages.logout),
    ("GET", "/console/queue", STAFF, pages.queue),
    ("GET", "/console/applications/{application_id}", STAFF, pages.application),
    ("POST", "/console/applications/{application_id}/decision", STAFF, pages.decide),
    ("GET", "/console/borrowers", STAFF, pages.borrower_search),
    ("GET", "/console/borrowers/{borrower_id}", STAFF, pages.borrower),
    ("GET", "/console/loans/{loan_id}", STAFF, pages.loan),
    ("POST", "/console/loans/{loan_id}/restructure", STAFF, pages.propose_restructure),
    ("POST", "/console/loans/{loan_id}/restructure/{proposal_id}", STAFF, pages.decide_restructure),
    ("GET", "/console/portfolio", STAFF, dashboard.dashboard),
    ("GET", "/console/audit", ADMIN, pages.audit_trail),
    ("GET", "/console/users", ADMIN, admin_pages.users),
    ("POST", "/console/users", ADMIN, admin_pages.create_user),
    ("POST", "/console/users/{user_id}", ADMIN, admin_pages.update_user),
    ("GET", "/console/dead-letters", ADMIN, admin_pages.dead_letter_inbox),
    ("POST", "/console/dead-letters/collect", ADMIN, admin_pages.collect_dead_letters),
    ("POST", "/console/dead-letters/{letter}/replay", ADMIN, admin_pages.replay_dead_letter),
    ("POST", "/console/dead-letters/{letter}/discard", ADMIN, admin_pages.discard_dead_letter),
    ("GET", "/console/static/{name}", PUBLIC, pages.static),
)


def install(router: Router, container: AppContainer) -> Router:
    """Add every console page to ``router`` (raw HTML routes, left out of the OpenAPI document)."""
    for method, pattern, roles, page in PAGES:
        router.route(method, pattern, raw=True)(_guarded(container, roles, page))
    return router


def _guarded(c: AppContainer, roles: frozenset[str], page: Page) -> Callable[..., Response]:
    @functools.wraps(page)
    def handler(request: Request, **kwargs: Any) -> Response:
        current = session.load(c, request)
        ctx = Ctx(c=c, request=request, session=current, user=session.user_of(c, current))
        response = _serve(ctx, roles, page, kwargs)
        if ctx.next_session is not None:
            session.save(c, response, ctx.next_session)
        elif ctx.signed_out:
            session.clear(response)
        elif current.fresh and page is not pages.static:
            session.save(c, response, current)
        return response

    return handler


def _serve(ctx: Ctx, roles: frozenset[str], page: Page, kwargs: dict[str, Any]) -> Response:
    if roles and ctx.user is None:
        target = "/console/login?next=" + quote(ctx.request.path, safe="/")
        if ctx.htmx:  # htmx follows HX-Redirect with a full page load
            return render.redirect("/console/login", htmx=True)
        if ctx.request.method == "GET":
            return render.redirect(target)
        return render.html("error.html", 401, title="Signed out", detail="sign in again to continue", ctx=ctx)
    if roles and ctx.user is not None and ctx.user.role not in roles:
        return render.html(
            "error.html", 403, title="Forbidden", detail="your role may not open this page", ctx=ctx
        )
    try:
        if ctx.request.method == "POST":
            session.check_csrf(ctx.session, ctx.request)
        return page(ctx, **kwargs)
    except session.CsrfError as exc:
        return render.html("error.html", 403, title="Form refused", detail=str(exc), ctx=ctx)
    except TooManyRequests as exc:
        response = render.html("error.html", exc.status, title=exc.title, detail=exc.detail, ctx=ctx)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    except ServiceError as exc:
        return render.html("error.html", exc.status, title=exc.title, detail=str(exc), ctx=ctx)
    except ValidationError:
        return render.html("error.html", 422, title="Invalid request", detail="check the address", ctx=ctx)
