"""A tiny router for one HTTPS function: method + path pattern → handler, every error as problem+json.

Around every request it adds: a request id (accepted from ``X-Request-Id`` when well-formed, else new) on
the response and every log line, the trace for Cloud Logging, security headers, CORS for allow-listed
origins (preflight included), size limits, one structured access-log line, and role checks declared on
the route (``roles=``), so the OpenAPI document and the enforcement come from the same declaration.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Request, Response
from pydantic import BaseModel, ValidationError

from mkopo import request_context, tracing
from mkopo.http import inputs
from mkopo.http.problems import field_errors, problem
from mkopo.service.errors import ServiceError, TooManyRequests

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 16 * 1024
MAX_URL_BYTES = 2048
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
ANY_ROLE: frozenset[str] = frozenset({"applicant", "officer", "admin"})

Handler = Callable[..., Any]


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
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
CORS_ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-Id"
CORS_EXPOSE_HEADERS = "X-Request-Id, Retry-After, Location, Idempotent-Replayed"


@dataclass
class Route:
    """One operation: what serves it and what the OpenAPI document says about it."""

    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler
    summary: str = ""
    roles: frozenset[str] | None = None  # None: public
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    responses: Mapping[int, type[BaseModel] | None] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # request header name → description
    tags: tuple[str, ...] = ()
    documented: bool = True
    raw: bool = False  # the handler returns a flask Response itself (docs pages)


@dataclass(frozen=True)
class HttpSettings:
    allowed_origins: frozenset[str] = frozenset()
    max_body_bytes: int = MAX_BODY_BYTES


def _settings() -> HttpSettings:
    try:
        from mkopo.config import get_settings

        s = get_settings()
        return HttpSettings(s.allowed_origins(), s.max_body_bytes)
    except Exception:  # pragma: no cover - settings errors surface elsewhere
        return HttpSettings()


class Router:
    def __init__(
        self,
        authenticate: Callable[[Request], Any] | None = None,
        settings: Callable[[], HttpSettings] = _settings,
    ) -> None:
        self.routes: list[Route] = []
        self._authenticate = authenticate
        self._settings = settings

    def route(
        self,
        method: str,
        pattern: str,
        *,
        summary: str = "",
        roles: Collection[str] | None = None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        responses: Mapping[int, type[BaseModel] | None] | None = None,
        headers: Mapping[str, str] | None = None,
        tags: tuple[str, ...] = (),
        raw: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register a handler; ``{name}`` in the pattern is one path segment passed as a keyword.

        With ``roles`` the caller must hold one of them (401 without a valid token, 403 with another role)
        and the handler receives ``user=``. Without metadata a route is served but documented generically.
        """
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "/?$")

        def register(fn: Handler) -> Handler:
            self.routes.append(
                Route(
                    method=method,
                    pattern=pattern,
                    regex=regex,
                    handler=fn,
                    summary=summary or (fn.__doc__ or fn.__name__).strip().splitlines()[0],
                    roles=frozenset(roles) if roles is not None else None,
                    body=body,
                    query=query,
                    responses=dict(responses or {}),
                    headers=dict(headers or {}),
                    tags=tags,
                    documented=bool(responses),
                    raw=raw,
                )
            )
            return fn

        return register

    # ------------------------------------------------------------------------------------ serve
    def __call__(self, request: Request) -> Response:
        started = time.monotonic()
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if REQUEST_ID.fullmatch(incoming) else str(uuid.uuid4())
        rid_token = request_context.request_id.set(request_id)
        hop = tracing.start(self._span_name(request), tracing.from_headers(request.headers))
        try:
            with tracing.activate(hop):
                return self._serve(request, request_id, started)
        finally:
            request_context.request_id.reset(rid_token)
            tracing.finish(hop)

    def _serve(self, request: Request, request_id: str, started: float) -> Response:
        """Answer one request (inside its span) and log it as Cloud Logging's httpRequest."""
        settings = self._settings()
        origin = (request.headers.get("Origin") or "").rstrip("/")
        cors_ok = bool(origin) and origin in settings.allowed_origins
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            response = self._preflight(request, cors_ok)
        else:
            response = self._dispatch(request, settings)
        response.headers["X-Request-Id"] = request_id
        response.headers["traceparent"] = tracing.current_traceparent() or ""
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if cors_ok:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
        response.headers.add("Vary", "Origin")
        latency = time.monotonic() - started
        log.info(
            "%s %s %s %.0fms",
            request.method,
            request.path,
            response.status_code,
            latency * 1000,
            extra={
                "http": {
                    "requestMethod": request.method,
                    "requestUrl": request.path,
                    "status": response.status_code,
                    "latency": f"{latency:.3f}s",
                    "userAgent": (request.headers.get("User-Agent") or "")[:200],
                }
            },
        )
        return response

    def _span_name(self, request: Request) -> str:
        """``METHOD /route/{pattern}``: never the path itself (ids, signed tokens)."""
        for route in self.routes:
            if route.method == request.method and route.regex.fullmatch(request.path):
                return f"{request.method} {route.pattern}"
        return request.method

    def _preflight(self, request: Request, cors_ok: bool) -> Response:
        methods = sorted({r.method for r in self.routes if r.regex.match(request.path)})
        if not cors_ok or not methods:
            return problem(403, "Forbidden", "cross-origin requests from this origin are not allowed")
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
        response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
        return response

    def _dispatch(self, request: Request, settings: HttpSettings) -> Response:
        if len(request.full_path.encode()) > MAX_URL_BYTES:
            return problem(414, "URI too long", f"URLs are limited to {MAX_URL_BYTES} bytes")
        if request.content_length and request.content_length > settings.max_body_bytes:
            return problem(413, "Payload too large", f"bodies are limited to {settings.max_body_bytes} bytes")
        allowed = []
        for route in self.routes:
            match = route.regex.match(request.path)
            if not match:
                continue
            if route.method != request.method:
                allowed.append(route.method)
                continue
            refused = _refused_input(request, route, match.groupdict())
            if refused is not None:
                return refused
            try:
                kwargs: dict[str, Any] = dict(match.groupdict())
                if route.roles is not None:
                    kwargs["user"] = self._authorise(request, route.roles)
                if route.raw:
                    raw_response: Response = route.handler(request, **kwargs)
                    return raw_response
                reply: Reply = route.handler(request, **kwargs)
            except HttpError as exc:
                return problem(exc.status, exc.title, exc.detail, headers=exc.headers)
            except TooManyRequests as exc:
                extra = {"locked_until": exc.locked_until} if exc.locked_until else None
                return problem(
                    exc.status,
                    exc.title,
                    exc.detail,
                    headers={"Retry-After": str(exc.retry_after_s)},
                    extra=extra,
                )
            except ServiceError as exc:
                return problem(exc.status, exc.title, exc.detail, errors=exc.errors)
            except ValidationError as exc:
                return problem(422, "Validation failed", "the request is not valid", errors=field_errors(exc))
            except Exception:
                log.exception("unhandled error on %s %s", request.method, request.path)
                return problem(500, "Internal error", "something went wrong on our side; try again")
            if reply.status == 204:
                return Response(status=204, headers=reply.headers)
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
        return problem(404, "Not found", "no resource at this path")

    def _authorise(self, request: Request, roles: frozenset[str]) -> Any:
        if self._authenticate is None:
            raise RuntimeError("this router has role-checked routes but no authenticate function")
        user = self._authenticate(request)
        if getattr(user, "role", None) not in roles:
            raise HttpError(403, "Forbidden", "your role does not allow this operation")
        return user


def _refused_input(request: Request, route: Route, params: dict[str, str]) -> Response | None:
    """404 for a path id of another shape, 422 for an undeclared query parameter: before any handler."""
    if inputs.bad_path_ids(params):
        return problem(404, "Not found", "no resource at this path")
    if route.raw:  # pages (docs, the console) read their own query strings
        return None
    unknown = sorted(set(request.args) - inputs.query_names(route.query))
    if unknown:
        errors = [{"field": name, "message": "unknown query parameter"} for name in unknown]
        return problem(422, "Validation failed", "the request is not valid", errors=errors)
    return None


def json_body(request: Request, model: type[M]) -> M:
    """Parse and validate a JSON body (unknown fields rejected by the model)."""
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise HttpError(413, "Payload too large", f"bodies are limited to {MAX_BODY_BYTES} bytes")
    if request.mimetype != "application/json":
        raise HttpError(415, "Unsupported media type", "send the body as application/json")
    raw = request.get_data(cache=False)[: MAX_BODY_BYTES + 1]
    if len(raw) > MAX_BODY_BYTES:
        raise HttpError(413, "Payload too large", f"bodies are limited to {MAX_BODY_BYTES} bytes")
    data = json_document(raw)
    if not isinstance(data, dict):
        raise HttpError(400, "Malformed JSON", "the body must be a JSON object")
    return model.model_validate(data)


def json_document(raw: bytes) -> Any:
    """A JSON body parsed exactly (Decimal numbers) with bounded nesting; 400 problem otherwise."""
    try:
        return inputs.parse_json(raw)
    except inputs.JsonInputError as exc:
        raise HttpError(400, "Malformed JSON", str(exc)) from exc


def query_params(request: Request, model: type[M]) -> M:
    """Validate the query string against a model (unknown parameters rejected if the model forbids them)."""
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        if len(values) > 1:
            raise HttpError(400, "Bad request", f"query parameter {key} is repeated")
        data[key] = values[0]
    return model.model_validate(data)


def idempotency_key(request: Request) -> str:
    """The required Idempotency-Key header, or 400."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 128:
        raise HttpError(400, "Idempotency-Key required", "send a unique Idempotency-Key header (1-128 chars)")
    return key


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
