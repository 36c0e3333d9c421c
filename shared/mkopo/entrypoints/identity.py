"""Who is calling: the bearer token verified, and the (current, active) user it names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Request

from mkopo.entrypoints.container import AppContainer
from mkopo.http.routing import HttpError, bearer_token
from mkopo.service.login_throttle import Limits
from mkopo.service.store import User

if TYPE_CHECKING:
    from mkopo.adapters.security import Claims

STAFF = frozenset({"officer", "admin"})
ADMIN = frozenset({"admin"})
ANYONE = frozenset({"applicant", "officer", "admin"})


def _unauthorized() -> HttpError:
    return HttpError(
        401,
        "Unauthorized",
        "the access token is invalid or expired",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def verified_claims(c: AppContainer, request: Request) -> Claims:
    """The bearer token's claims once verified, or 401; not yet a user: pass the stored one to ``active``."""
    from mkopo.adapters.security import InvalidToken

    try:
        return c.tokens.verify(bearer_token(request))
    except InvalidToken as exc:
        raise _unauthorized() from exc


def _account(user: User | None) -> User:
    """The stored user if the account exists and is active, else 401."""
    if user is None or user.status != "active":
        raise _unauthorized()
    return user


def active(user: User | None, roles: frozenset[str] = ANYONE) -> User:
    """The stored user if the account is active (else 401) and its role is one of ``roles`` (else 403)."""
    user = _account(user)
    if user.role not in roles:
        raise HttpError(403, "Forbidden", "your role does not allow this operation")
    return user


def current_user(c: AppContainer, request: Request) -> User:
    """The authenticated caller, or 401. The role comes from the stored user, not the token, so a role
    change or a disabled account takes effect at once."""
    return _account(c.store.get_user(verified_claims(c, request).subject))


def login_limits(c: AppContainer) -> Limits:
    """The login throttle's limits and the refresh-token lifetime, from settings (API and console alike)."""
    s = c.settings
    return Limits(
        max_failures=s.login_max_failures,
        lockout_s=s.login_lockout_s,
        phone_max_failures=s.login_phone_max_failures,
        phone_window_s=s.login_phone_window_s,
        ip_max_failures=s.login_ip_max_failures,
        ip_window_s=s.login_ip_window_s,
        refresh_ttl_s=s.refresh_token_ttl_s,
    )


def client_ip(request: Request) -> str:
    """The client's address as our proxy saw it. The Google load balancer appends ``<client>, <lb>`` to
    any X-Forwarded-For the client sent (so the second-to-last hop is the real one); the local gateway
    replaces the header with the client address."""
    hops = [h.strip() for h in (request.headers.get("X-Forwarded-For") or "").split(",") if h.strip()]
    if len(hops) >= 2:
        return hops[-2]
    return hops[0] if hops else (request.remote_addr or "unknown")
