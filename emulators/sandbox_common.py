"""What the provider sandboxes share: housekeeping routes, serving, and knobs from the environment."""

from __future__ import annotations

import os
from collections.abc import Callable

from flask import Flask, Response, jsonify
from werkzeug.serving import make_server


def env_float(name: str, default: float) -> float:
    """A float from the environment, or the default."""
    raw = os.environ.get(name)
    return float(raw) if raw else default


def add_housekeeping(app: Flask, reset: Callable[[], None]) -> None:
    """``POST /sandbox/reset`` (forget everything) and ``GET /healthz``."""

    @app.post("/sandbox/reset")
    def reset_state() -> Response:
        reset()
        return Response(status=204)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})


def serve_app(app: Flask, host: str, port: int, label: str) -> None:
    """Serve a sandbox app (threaded) until interrupted; prints the URL (port 0 picks a free one)."""
    server = make_server(host, port, app, threaded=True)
    print(f"{label} listening on http://{host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
