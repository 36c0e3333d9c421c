"""RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from pydantic import ValidationError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://mkopo.dev/problems/"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body |= extra
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON, headers=headers)


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as [{field, message}], without echoing the submitted values."""
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in err["loc"]) or "body"
        message = str(err["msg"]).removeprefix("Value error, ")
        out.append({"field": field, "message": message})
    return out
