"""Ambient request context (request id, trace) for log lines and audit records."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("mkopo_request_id", default=None)
trace: ContextVar[str | None] = ContextVar("mkopo_trace", default=None)
