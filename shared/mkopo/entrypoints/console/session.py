"""The console's session: a signed, short-lived cookie holding the signed-in user and a CSRF token.

The cookie is HttpOnly, SameSite=Strict and (in the cloud) Secure; it is signed with the JWT signing keys
under a salt of its own (so a rotation keeps old sessions valid until they expire), and every POST must
carry the session's CSRF token in its form. An anonymous visitor gets a session with a CSRF token and no
user, so the sign-in form is protected too. The role is read from the stored user on every request.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from flask import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from mkopo.entrypoints.container import AppContainer
from mkopo.service.store import User

COOKIE = "mkopo_console"
SALT = "mkopo-console-session"
PATH = "/console"


@dataclass(frozen=True)
class Session:
    csrf: str
    user_id: str | None = None
    refresh_token: str | None = None
    fresh: bool = False  # not yet in the browser's cookie: send it with the response

    @classmethod
    def anonymous(cls) -> Session:
        return cls(csrf=secrets.token_urlsafe(32), fresh=True)

    @classmethod
    def signed_in(cls, user_id: str, refresh_token: str | None) -> Session:
        return cls(csrf=secrets.token_urlsafe(32), user_id=user_id, refresh_token=refresh_token, fresh=True)


class CsrfError(Exception):
    """A POST without the session's CSRF token."""


def _serializer(c: AppContainer) -> URLSafeTimedSerializer:
    active, keys = c.settings.signing_keys()
    ordered = [v for k, v in keys.items() if k != active] + [keys[active]]  # the last one signs
    return URLSafeTimedSerializer(ordered, salt=SALT)


def load(c: AppContainer, request: Request) -> Session:
    """The request's session if its cookie is genuine and young enough, else a new anonymous one."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return Session.anonymous()
    try:
        data = _serializer(c).loads(raw, max_age=c.settings.console_session_ttl_s)
    except BadSignature:
        return Session.anonymous()
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return Session.anonymous()
    return Session(csrf=data["csrf"], user_id=data.get("uid"), refresh_token=data.get("rt"))


def save(c: AppContainer, response: Response, session: Session) -> Response:
    """Write the session into the response's cookie."""
    value = _serializer(c).dumps({"csrf": session.csrf, "uid": session.user_id, "rt": session.refresh_token})
    response.set_cookie(
        COOKIE,
        value,
        max_age=c.settings.console_session_ttl_s,
        path=PATH,
        httponly=True,
        samesite="Strict",
        secure=c.settings.environment == "cloud",
    )
    return response


def clear(response: Response) -> Response:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="Strict")
    return response


def check_csrf(session: Session, request: Request) -> None:
    """Refuse a POST whose form (or ``X-CSRF-Token`` header) does not carry the session's token."""
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if session.fresh or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise CsrfError("the form has expired or did not come from this console; reload it and try again")


def user_of(c: AppContainer, session: Session) -> User | None:
    """The signed-in user if the account still exists and is active."""
    if session.user_id is None:
        return None
    user = c.store.get_user(session.user_id)
    return user if user is not None and user.status == "active" else None
