"""A tiny router for one HTTPS function: method + path pattern → handler, every error as problem+json."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Request, Response
from pydantic import BaseModel, ValidationError

from mkopo.http.problems import field_errors, problem
from mkopo.service.errors import ServiceError

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 16 * 1024

Handler = Callable[..., "Reply"]


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] | None = None


class HttpError(Exception):
    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers = status, title, detail, headers


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Register a handler; ``{name}`` in the pattern is one path segment passed as a keyword."""
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "/?$")

        def register(fn: Handler) -> Handler:
            self._routes.append((method, regex, fn))
            return fn

        return register

    def __call__(self, request: Request) -> Response:
        request_id = request.headers.get("X-Request-Id") or str(uuid.uuid4())
        response = self._dispatch(request)
        response.headers["X-Request-Id"] = request_id[:64]
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def _dispatch(self, request: Request) -> Response:
        allowed = []
        for method, regex, fn in self._routes:
            match = regex.match(request.path)
            if not match:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            try:
                reply = fn(request, **match.groupdict())
            except HttpError as exc:
                return problem(exc.status, exc.title, exc.detail, headers=exc.headers)
            except ServiceError as exc:
                return problem(exc.status, exc.title, exc.detail, errors=exc.errors)
            except ValidationError as exc:
                return problem(422, "Validation failed", "the request is not valid", errors=field_errors(exc))
            except Exception:
                log.exception("unhandled error on %s %s", request.method, request.path)
                return problem(500, "Internal error", "something went wrong on our side; try again")
            return Response(
                json.dumps(reply.body),
                status=reply.status,
                mimetype="application/json",
                headers=reply.headers,
            )
        if allowed:
            return problem(
                405, "Method not allowed", f"use {', '.join(allowed)}", headers={"Allow": ", ".join(allowed)}
            )
        return problem(404, "Not found", f"no resource at {request.path}")


def json_body(request: Request, model: type[M]) -> M:
    """Parse and validate a JSON body (unknown fields rejected by the model)."""
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise HttpError(413, "Payload too large", f"bodies are limited to {MAX_BODY_BYTES} bytes")
    if request.mimetype != "application/json":
        raise HttpError(415, "Unsupported media type", "send the body as application/json")
    raw = request.get_data(cache=False)[: MAX_BODY_BYTES + 1]
    if len(raw) > MAX_BODY_BYTES:
        raise HttpError(413, "Payload too large", f"bodies are limited to {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(raw or b"null")
    except ValueError as exc:
        raise HttpError(400, "Malformed JSON", "the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise HttpError(400, "Malformed JSON", "the body must be a JSON object")
    return model.model_validate(data)


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HttpError(
            401,
            "Unauthorized",
            "a Bearer access token is required",
            headers={"WWW-Authenticate": 'Bearer realm="mkopo"'},
        )
    return token.strip()
