"""Ambient request context (request id, the current trace span) for log lines and audit records."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mkopo.tracing import Span

request_id: ContextVar[str | None] = ContextVar("mkopo_request_id", default=None)
span: ContextVar[Span | None] = ContextVar("mkopo_span", default=None)
