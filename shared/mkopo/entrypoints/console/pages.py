"""The console's pages: each reads through ``console_queries`` or writes through the API's own services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Request, Response
from pydantic import ValidationError

from mkopo.domain.restructuring import RestructureTerms
from mkopo.entrypoints.console import render
from mkopo.entrypoints.console.session import Session
from mkopo.entrypoints.container import AppContainer
from mkopo.entrypoints.identity import STAFF, client_ip, login_limits
from mkopo.service import console_queries, restructuring, reviews, sessions
from mkopo.service.errors import (
    AlreadyExists,
    Forbidden,
    NotFound,
    ServiceError,
    Unauthorized,
    Unprocessable,
)
from mkopo.service.store import User

HOME = "/console/queue"


@dataclass
class Ctx:
    """One request as a page sees it: the container, the session and who is signed in."""

    c: AppContainer
    request: Request
    session: Session
    user: User | None
    next_session: Session | None = None  # set by sign-in: the response carries it
    signed_out: bool = False

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"

    @property
    def csrf(self) -> str:
        return (self.next_session or self.session).csrf

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.role == "admin"


def page(ctx: Ctx, template: str, status: int = 200, **context: Any) -> Response:
    return render.html(template, status, ctx=ctx, **context)


# ----------------------------------------------------------------------------------- sign-in
def home(ctx: Ctx) -> Response:
    return render.redirect(HOME)


def login_form(ctx: Ctx) -> Response:
    if ctx.user is not None and ctx.user.role in STAFF:
        return render.redirect(HOME)
    return page(ctx, "login.html", next=_next(ctx.request))


def _next(request: Request) -> str:
    target = request.values.get("next", "")
    return target if target.startswith("/console/") and "//" not in target else HOME


def login(ctx: Ctx) -> Response:
    """Sign in through the accounts service (same lockout as the API); applicants are refused."""
    form = ctx.request.form
    phone = form.get("phone", "")
    c, now = ctx.c, ctx.c.now()
    try:
        cmd = sessions.Login(phone=phone, password=form.get("password", ""))
        pair = sessions.login(
            cmd,
            store=c.store,
            hasher=c.hasher,
            tokens=c.tokens,
            identity=c.identity,
            now=now,
            client_ip=client_ip(ctx.request),
            limits=login_limits(c),
        )
    except (ValidationError, Unauthorized):
        return page(
            ctx, "login.html", 401, phone=phone, next=_next(ctx.request), error=sessions.INVALID_LOGIN
        )
    refresh = getattr(pair, "refresh_token", None)
    user = c.store.get_user(c.tokens.verify(pair.access_token).subject)
    if user is None or user.role not in STAFF:
        if refresh:
            sessions.logout(sessions.RefreshRequest(refresh_token=refresh), identity=c.identity, now=now)
        error = "this console is for credit officers and admins; applicants use the mkopo app"
        return page(ctx, "login.html", 403, phone=phone, next=_next(ctx.request), error=error)
    ctx.next_session = Session.signed_in(user.id, refresh)
    return render.redirect(_next(ctx.request))


def logout(ctx: Ctx) -> Response:
    if ctx.session.refresh_token:
        cmd = sessions.RefreshRequest(refresh_token=ctx.session.refresh_token)
        sessions.logout(cmd, identity=ctx.c.identity, now=ctx.c.now())
    ctx.signed_out = True
    return render.redirect("/console/login", htmx=ctx.htmx)


# ------------------------------------------------------------------------------------ reviews
def queue(ctx: Ctx) -> Response:
    return page(ctx, "queue.html", items=console_queries.review_queue(ctx.c.store))


def application(ctx: Ctx, application_id: str) -> Response:
    return page(ctx, "application.html", app=console_queries.application_page(ctx.c.store, application_id))


def decide(ctx: Ctx, application_id: str) -> Response:
    """Approve or reject through ``reviews.decide``: a form error is 422, a decision already taken 409."""
    form, c = ctx.request.form, ctx.c
    status, error, errors = 200, None, {}
    try:
        fields = {"outcome": form.get("outcome", ""), "comment": form.get("comment", "")}
        cmd = reviews.ReviewDecision.model_validate(fields)
        assert ctx.user is not None  # the guard let only a signed-in officer or admin in
        reviews.decide(
            application_id, cmd, officer=ctx.user, store=c.store, publisher=c.publisher, now=c.now()
        )
    except ValidationError as exc:
        status, errors = 422, {str(e["loc"][0]): e["msg"] for e in exc.errors()}
    except (AlreadyExists, Forbidden) as exc:
        status, error = exc.status, exc.detail
    except NotFound:
        raise
    except ServiceError as exc:
        status, error = exc.status, exc.detail
    app = console_queries.application_page(c.store, application_id)
    context = {"app": app, "error": error, "errors": errors, "comment": form.get("comment", "")}
    if ctx.htmx:  # on the application page the status line is refreshed too (out of band)
        oob = "/console/applications/" in ctx.request.headers.get("HX-Current-URL", "")
        return page(ctx, "_decision.html", status, oob_status=oob, **context)
    if status == 200:
        return render.redirect(f"/console/applications/{application_id}")
    return page(ctx, "application.html", status, **context)


# --------------------------------------------------------------------------- borrowers, loans
def borrower_search(ctx: Ctx) -> Response:
    phone = ctx.request.args.get("phone", "").strip()
    if not phone:
        return page(ctx, "borrowers.html", phone="")
    try:
        found = console_queries.find_borrower(ctx.c.store, phone)
    except ServiceError as exc:
        return page(ctx, "borrowers.html", exc.status, phone=phone, error=exc.detail)
    if found is None:
        return page(ctx, "borrowers.html", 404, phone=phone, error="no borrower has this phone number")
    return render.redirect(f"/console/borrowers/{found.id}")


def borrower(ctx: Ctx, borrower_id: str) -> Response:
    view = console_queries.borrower_page(ctx.c.store, borrower_id, ctx.c.now(), ctx.c.settings.credit_terms())
    return page(ctx, "borrower.html", borrower=view)


def loan(ctx: Ctx, loan_id: str) -> Response:
    return page(ctx, "loan.html", loan=console_queries.loan_page(ctx.c.store, loan_id, ctx.c.now()))


def propose_restructure(ctx: Ctx, loan_id: str) -> Response:
    """An officer's restructure proposal through ``restructuring.propose``: 422 on the form, 409 if the
    loan is not in arrears or has an open proposal."""
    form, c = ctx.request.form, ctx.c
    fields = {k: form.get(k, "") for k in ("installments", "period_days", "first_due_date", "reason")}
    try:
        terms = RestructureTerms.model_validate(fields | {"waive": form.get("waive") == "on"})
        assert ctx.user is not None  # the guard let only a signed-in officer or admin in
        ttl = c.settings.restructure_proposal_ttl_days
        restructuring.propose(loan_id, terms, officer=ctx.user, store=c.store, now=c.now(), ttl_days=ttl)
    except ValidationError as exc:
        errors = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        return _loan_page(ctx, loan_id, 422, errors, fields)
    except (AlreadyExists, Forbidden, Unprocessable) as exc:
        return _loan_page(ctx, loan_id, exc.status, exc.detail, fields)
    return render.redirect(f"/console/loans/{loan_id}")


def decide_restructure(ctx: Ctx, loan_id: str, proposal_id: str) -> Response:
    """Approve or reject through ``restructuring.decide``: your own proposal 403, decided already 409."""
    c, outcome = ctx.c, ctx.request.form.get("outcome", "")
    try:
        cmd = restructuring.ProposalDecision(comment=ctx.request.form.get("comment") or None)
        assert ctx.user is not None
        restructuring.decide(
            loan_id,
            proposal_id,
            restructuring.Outcome(outcome),
            cmd,
            officer=ctx.user,
            store=c.store,
            publisher=c.publisher,
            now=c.now(),
        )
    except (ValueError, ValidationError):
        return _loan_page(ctx, loan_id, 422, "choose approve or reject", {})
    except (AlreadyExists, Forbidden) as exc:
        return _loan_page(ctx, loan_id, exc.status, exc.detail, {})
    return render.redirect(f"/console/loans/{loan_id}")


def _loan_page(ctx: Ctx, loan_id: str, status: int, error: str, form: dict[str, Any]) -> Response:
    view = console_queries.loan_page(ctx.c.store, loan_id, ctx.c.now())
    return page(ctx, "loan.html", status, loan=view, restructure_error=error, form=form)


def audit_trail(ctx: Ctx) -> Response:
    entity_id = ctx.request.args.get("entity_id", "").strip()
    records = console_queries.audit_page(ctx.c.store, entity_id) if entity_id else []
    return page(ctx, "audit.html", entity_id=entity_id, records=records)


def static(ctx: Ctx, name: str) -> Response:
    found = render.static_file(name)
    if found is None:
        raise NotFound(f"no file {name}")
    return found
