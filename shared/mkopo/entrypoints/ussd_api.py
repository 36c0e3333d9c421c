"""HTTPS function `ussd`: Africa's Talking posts each step of a USSD session; we answer CON or END.

The provider signs nothing: a request is believed only from an allowed network and, in the cloud, at
the secret path ``/v1/ussd/{token}`` (locally ``/v1/ussd`` is enough). Whatever arrives, the reply is
``text/plain`` and a screen, never a 4xx/5xx (the provider would show the caller a network error).
The end-of-session notification (status, duration, error) is recorded. Inputs are never logged: they
hold PINs.
"""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import logging
from datetime import timedelta

from flask import Request, Response

from mkopo.domain import phone as phones
from mkopo.domain import ussd_texts
from mkopo.entrypoints.app import Api
from mkopo.entrypoints.container import AppContainer
from mkopo.entrypoints.identity import client_ip, login_limits
from mkopo.http.routing import Router
from mkopo.service.ussd import machine
from mkopo.service.ussd.sessions import UssdSessionEnd

log = logging.getLogger(__name__)
api = Api()

MAX_FIELD = {"sessionId": 128, "serviceCode": 32, "phoneNumber": 32, "networkCode": 16, "text": 400}


def create_app(container: AppContainer) -> Router:
    return api.bind(container)


def _text(body: str) -> Response:
    return Response(body, status=200, mimetype="text/plain")


def _end(key: str) -> Response:
    return _text(machine.Screen(ussd_texts.text(key), end=True).render())


def _allowed(c: AppContainer, request: Request, token: str | None) -> bool:
    settings = c.settings
    try:
        ip = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    if not any(ip in ipaddress.ip_network(n) for n in settings.ussd_allowed_networks):
        return False
    if token is None:
        return settings.environment != "cloud"
    return hmac.compare_digest(token.encode(), settings.ussd_path_token.get_secret_value().encode())


def _form(request: Request) -> dict[str, str] | None:
    """The provider's fields, or None for a body that is not the form it sends."""
    if request.mimetype != "application/x-www-form-urlencoded":
        return None
    form = request.form
    fields = {name: form.get(name, "") for name in MAX_FIELD}
    if any(len(fields[name]) > limit for name, limit in MAX_FIELD.items()):
        return None
    if not fields["sessionId"] or not fields["phoneNumber"]:
        return None
    if any(not ch.isprintable() for value in fields.values() for ch in value):
        return None
    return fields


def _deps(c: AppContainer) -> machine.UssdDeps:
    s = c.settings
    limits = dataclasses.replace(login_limits(c), max_failures=s.ussd_pin_max_failures)
    return machine.UssdDeps(
        store=c.store,
        identity=c.identity,
        sessions=c.ussd_sessions,
        hasher=c.hasher,
        payments=c.payments,
        publisher=c.publisher,
        lenders=c.lenders,
        credit_data=c.credit_data,
        credit_terms=s.credit_terms(),
        pin_limits=limits,
        terms_version=s.terms_version,
        offer_ttl=c.offer_ttl,
        session_ttl=timedelta(seconds=s.ussd_session_ttl_s),
        term_days=s.ussd_term_days,
        now=c.now(),
        default_languages=s.default_languages,
    )


def _session(c: AppContainer, request: Request, token: str | None) -> Response:
    if not _allowed(c, request, token):
        log.warning("refused a USSD request from %s", client_ip(request))
        return Response("Not found", status=404, mimetype="text/plain")
    fields = _form(request)
    if fields is None:
        return _end("bad_request")
    try:
        phone = phones.normalise(fields["phoneNumber"])
    except phones.InvalidPhone:
        return _end("bad_request")
    try:
        reply = machine.respond(_deps(c), session_id=fields["sessionId"], phone=phone, text=fields["text"])
    except Exception:
        log.exception("USSD session %s failed", fields["sessionId"])
        return _end("try_later")
    return _text(reply)


def _ended(c: AppContainer, request: Request, token: str | None) -> Response:
    if not _allowed(c, request, token):
        return Response("Not found", status=404, mimetype="text/plain")
    form = request.form
    session_id = form.get("sessionId", "")[:128]
    if session_id:
        duration = form.get("durationInMillis", "")
        c.ussd_sessions.record_ussd_end(
            UssdSessionEnd(
                session_id=session_id,
                phone=form.get("phoneNumber", "")[:32],
                status=form.get("status", "")[:32],
                duration_ms=int(duration) if duration.isdigit() and len(duration) < 10 else None,
                error=form.get("errorMessage", "")[:200] or None,
                received_at=c.now(),
            )
        )
    return _text("OK")


@api.route("POST", "/v1/ussd", summary="A USSD step (local; the cloud uses the secret path)", raw=True)
def session(c: AppContainer, request: Request) -> Response:
    return _session(c, request, None)


@api.route("POST", "/v1/ussd/events", summary="The end-of-session notification (local)", raw=True)
def events(c: AppContainer, request: Request) -> Response:
    return _ended(c, request, None)


@api.route("POST", "/v1/ussd/{token}", summary="A USSD step, at the secret path", raw=True)
def session_at(c: AppContainer, request: Request, token: str) -> Response:
    return _session(c, request, token)


@api.route("POST", "/v1/ussd/{token}/events", summary="The end-of-session notification", raw=True)
def events_at(c: AppContainer, request: Request, token: str) -> Response:
    return _ended(c, request, token)
