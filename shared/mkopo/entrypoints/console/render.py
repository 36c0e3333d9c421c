"""HTML for the console: Jinja2 templates next to this module, a strict CSP, the vendored static files.

Nothing is fetched from another origin and no script runs inline: htmx is served from ``static/``
(htmx 2.0.11 from the npm registry's ``htmx.org`` package, 0BSD licence) and configured by a meta tag.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from flask import Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from mkopo.domain import phone as phones

HERE = Path(__file__).parent
STATIC = HERE / "static"
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda iso: (iso or "")[:16].replace("T", " ")
    env.filters["mask"] = lambda e164: phones.masked(e164) if e164.startswith("+") else e164
    return env


def html(template: str, status: int = 200, **context: Any) -> Response:
    """A page (or an htmx fragment) rendered from ``templates/<template>``."""
    body = environment().get_template(template).render(**context)
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    return response


def redirect(location: str, *, htmx: bool = False) -> Response:
    """A 303 to ``location``; for htmx requests an ``HX-Redirect`` the library follows itself."""
    if htmx:
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    response = Response(status=303)
    response.headers["Location"] = location
    return response


def static_file(name: str) -> Response | None:
    """A file from ``static/`` (no directories, known types only), or None."""
    path = STATIC / name
    if "/" in name or path.suffix not in CONTENT_TYPES or not path.is_file():
        return None
    response = Response(path.read_bytes(), mimetype=CONTENT_TYPES[path.suffix])
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
