"""Who is calling: the bearer token verified, and the user it names."""

from __future__ import annotations

from flask import Request

from mkopo.bootstrap import container
from mkopo.http.routing import HttpError, bearer_token
from mkopo.service.store import User


def current_user(request: Request) -> User:
    """The authenticated caller, or 401."""
    from mkopo.adapters.security import InvalidToken

    c = container()
    try:
        claims = c.tokens.verify(bearer_token(request))
    except InvalidToken as exc:
        raise HttpError(
            401,
            "Unauthorized",
            "the access token is invalid or expired",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc
    user = c.store.get_user(claims.subject)
    if user is None:
        raise HttpError(401, "Unauthorized", "the access token is invalid or expired")
    return user
