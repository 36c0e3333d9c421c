"""The OpenAPI 3.1 document of the public API, generated from the routers and their pydantic models,
and a self-contained HTML rendering of it for ``/docs`` (no scripts, no CDN)."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from functools import lru_cache
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from mkopo.domain import ids
from mkopo.http import inputs, schemas
from mkopo.http.routing import Route, Router

# HTTP functions whose routers make up the public API (topology function name → entrypoint module).
# payment-callbacks and ussd are left out on purpose: providers call them (per-request tokens, a secret
# path), clients never do.
PUBLIC_FUNCTIONS: dict[str, str] = {
    "auth": "mkopo.entrypoints.auth_api",
    "offers": "mkopo.entrypoints.offers_api",
    "checkout": "mkopo.entrypoints.checkout_api",
    "status": "mkopo.entrypoints.status_api",
    "backoffice": "mkopo.entrypoints.backoffice_api",
    "loans": "mkopo.entrypoints.loans_api",
}
INTERNAL_FUNCTIONS = frozenset({"payment-callbacks", "ussd"})
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# Every id in a path has our one id shape; other path parameters (ledger accounts) are URL-safe names.
ID_SCHEMA = {"type": "string", "format": "uuid", "pattern": ids.ID_PATTERN}
NAME_SCHEMA = {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"}


def _module(name: str) -> ModuleType:
    import importlib

    return importlib.import_module(name)


def routers() -> dict[str, Router]:
    """Every public function's router, by function name (modules that do not exist yet are skipped)."""
    out = {}
    for fn, module in PUBLIC_FUNCTIONS.items():
        try:
            out[fn] = _module(module).api.documented()
        except ModuleNotFoundError:
            continue
    return out


class _Components:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def ref(self, model: type[BaseModel], mode: str = "serialization") -> dict[str, Any]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)  # type: ignore[arg-type]
        for name, definition in schema.pop("$defs", {}).items():
            self.schemas.setdefault(name, definition)
        self.schemas.setdefault(model.__name__, schema)
        return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(route: Route, comps: _Components) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{route.handler.__module__.rsplit('.', 1)[-1]}.{route.handler.__name__}",
        "summary": route.summary,
        "tags": list(route.tags) or ["other"],
    }
    params: list[dict[str, Any]] = []
    for name in re.findall(r"\{(\w+)\}", route.pattern):
        schema = ID_SCHEMA if inputs.is_id_parameter(name) else NAME_SCHEMA
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if route.query is not None:
        qschema = route.query.model_json_schema(mode="validation")
        required = set(qschema.get("required", []))
        for name, prop in qschema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    for name, description in route.headers.items():
        params.append(
            {
                "name": name,
                "in": "header",
                "required": True,
                "description": description,
                "schema": {"type": "string", "minLength": 1, "maxLength": 128},
            }
        )
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": comps.ref(route.body, "validation")}},
        }
    responses: dict[str, Any] = {}
    for status, model in route.responses.items():
        if model is None:
            responses[str(status)] = {"description": "No content"}
        else:
            responses[str(status)] = {
                "description": "OK",
                "content": {"application/json": {"schema": comps.ref(model)}},
            }
    if not route.documented:
        responses["200"] = {"description": "OK (not described in detail yet)"}
    responses["4XX"] = {
        "description": "A problem (RFC 9457): invalid request, not authenticated, forbidden, not found, "
        "conflict, too many requests",
        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
    }
    op["responses"] = responses
    if route.roles is not None:
        op["security"] = [{"bearer": []}]
        op["x-roles"] = sorted(route.roles)
        op["description"] = f"Roles: {', '.join(sorted(route.roles))}."
    return op


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    comps = _Components()
    comps.ref(schemas.Problem)
    paths: dict[str, Any] = {}
    for router in routers().values():
        for route in router.routes:
            if route.raw:
                continue
            paths.setdefault(route.pattern, {})[route.method.lower()] = _operation(route, comps)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mkopo API",
            "version": "1.0.0",
            "description": "Microloans for mobile-money markets. Money is a decimal string in major units "
            "with its currency (a JSON number is accepted too). Errors are application/problem+json. Ids are "
            "lowercase UUIDs; any other id is a 404. A query parameter an operation does not list is a 422.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(comps.schemas.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "h2{border-bottom:1px solid #ddd;margin-top:2rem}.op{border:1px solid #ddd;border-radius:6px;"
    "padding:.5rem 1rem;margin:1rem 0}.m{font-weight:700;text-transform:uppercase;display:inline-block;"
    "width:4.5rem}.get{color:#1565c0}.post{color:#2e7d32}.patch{color:#ef6c00}.delete{color:#c62828}"
    "code,pre{background:#f5f5f5;padding:.1rem .3rem;border-radius:3px}pre{padding:.5rem;overflow:auto}"
    "small{color:#666}"
)


def style_hash() -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()


def _schema_text(schema: dict[str, Any], comps: dict[str, Any], depth: int = 0) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{html.escape(name)}">{html.escape(name)}</a>'
    return f"<code>{html.escape(str(schema.get('type', 'object')))}</code>"


@lru_cache(maxsize=1)
def docs_html() -> str:
    doc = document()
    comps = doc["components"]["schemas"]
    esc = html.escape
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>mkopo API</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{esc(doc['info']['title'])} <small>{esc(doc['info']['version'])}</small></h1>",
        f"<p>{esc(doc['info']['description'])} Machine-readable: "
        "<a href=/openapi.json>/openapi.json</a>.</p>",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            by_tag.setdefault(op["tags"][0], []).append((path, method, op))
    for tag, ops in by_tag.items():
        parts.append(f"<h2>{esc(tag)}</h2>")
        for path, method, op in ops:
            parts.append(f"<div class=op><span class='m {method}'>{method}</span> <code>{esc(path)}</code>")
            parts.append(f"<p>{esc(op['summary'])}</p>")
            if "x-roles" in op:
                parts.append(f"<p><small>Bearer token; roles: {esc(', '.join(op['x-roles']))}</small></p>")
            for p in op.get("parameters", []):
                req = " (required)" if p.get("required") else ""
                parts.append(f"<div><small>{esc(p['in'])}</small> <code>{esc(p['name'])}</code>{req}</div>")
            if "requestBody" in op:
                body = op["requestBody"]["content"]["application/json"]["schema"]
                parts.append(f"<div>Body: {_schema_text(body, comps)}</div>")
            for status, resp in op["responses"].items():
                content = resp.get("content", {})
                schema = next(iter(content.values()))["schema"] if content else None
                shown = _schema_text(schema, comps) if schema else esc(resp["description"])
                parts.append(f"<div><code>{esc(status)}</code> {shown}</div>")
            parts.append("</div>")
    parts.append("<h2>Schemas</h2>")
    for name, schema in comps.items():
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        parts.append(f"<div class=op id='schema-{esc(name)}'><b>{esc(name)}</b><ul>")
        for prop, definition in props.items():
            mark = " (required)" if prop in required else ""
            kind = (
                definition.get("type")
                or " | ".join(
                    str(d.get("type") or d.get("$ref", "").rsplit("/", 1)[-1])
                    for d in definition.get("anyOf", [])
                )
                or definition.get("$ref", "").rsplit("/", 1)[-1]
            )
            parts.append(f"<li><code>{esc(prop)}</code> <small>{esc(str(kind))}{mark}</small></li>")
        parts.append("</ul></div>")
    parts.append("</body></html>")
    return "".join(parts)
