"""An HTTPS function's operations, declared once at import and bound to one container by ``create_app``.

Each operation is a plain function taking the container first (``def login(c, request) -> Reply``);
``Api.bind(container)`` returns the function's Router, whose handlers close over that container.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from flask import Request

from mkopo.entrypoints.container import AppContainer
from mkopo.http.routing import Router

Operation = Callable[..., Any]  # (container, request, **path parameters and user) -> Reply | Response
Authenticate = Callable[[AppContainer, Request], Any]


class Api:
    def __init__(self, authenticate: Authenticate | None = None) -> None:
        self._authenticate = authenticate
        self._operations: list[tuple[str, str, dict[str, Any], Operation]] = []

    def route(self, method: str, pattern: str, **meta: Any) -> Callable[[Operation], Operation]:
        """Declare an operation; ``meta`` is what ``Router.route`` takes (summary, roles, body...)."""

        def declare(fn: Operation) -> Operation:
            self._operations.append((method, pattern, meta, fn))
            return fn

        return declare

    def bind(self, container: AppContainer) -> Router:
        """The function's router: every handler, and the authentication, closes over ``container``."""
        auth = self._authenticate
        router = Router(authenticate=None if auth is None else functools.partial(auth, container))
        for method, pattern, meta, fn in self._operations:
            router.route(method, pattern, **meta)(_bound(fn, container))
        return router

    def documented(self) -> Router:
        """The router as the OpenAPI document reads it: every route, bound to no container."""
        return self.bind(cast(AppContainer, _Unbound()))


def _bound(fn: Operation, container: AppContainer) -> Operation:
    @functools.wraps(fn)
    def handler(request: Request, **kwargs: Any) -> Any:
        return fn(container, request, **kwargs)

    return handler


class _Unbound:
    """Stands in for a container where routes are only described, never served."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"this router is for documentation only: no container to read {name!r} from")
