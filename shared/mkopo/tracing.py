"""One trace per loan: W3C ``traceparent`` in and out, one span per hop, the trace on every log line.

A hop (an HTTPS request, a Pub/Sub delivery, a relayed outbox item) opens a span whose parent is what the
request or the message carried; without one it starts a trace. The current span is ambient
(``request_context.span``): the log formatter stamps it on each line and publishing copies it into the
message attributes and the outbox. Finished spans go to one exporter (``configure``): none by default, a
JSON-lines file locally, OpenTelemetry's Cloud Trace exporter in the cloud (``adapters/trace_export``).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from mkopo import request_context

_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_CLOUD_TRACE = re.compile(r"([0-9a-fA-F]{32})(?:/(\d{1,20}))?(?:;o=([01]))?")
log = logging.getLogger(__name__)
ATTRIBUTE = "traceparent"  # the Pub/Sub message attribute (and outbox field) carrying the trace


@dataclass(frozen=True)
class TraceContext:
    """A span's place in a trace, as W3C trace-context carries it."""

    trace_id: str  # 32 lowercase hex
    span_id: str  # 16 lowercase hex
    sampled: bool = True

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"


def parse_traceparent(value: str | None) -> TraceContext | None:
    """A W3C ``traceparent`` (version 00); None if absent or malformed (all-zero ids are invalid)."""
    match = _TRACEPARENT.fullmatch((value or "").strip())
    if not match or set(match[1]) == {"0"} or set(match[2]) == {"0"}:
        return None
    return TraceContext(match[1], match[2], sampled=bool(int(match[3], 16) & 1))


def parse_cloud_trace(value: str | None) -> TraceContext | None:
    """Google's ``X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`` (the span id in decimal)."""
    match = _CLOUD_TRACE.fullmatch((value or "").strip())
    if not match or set(match[1]) == {"0"}:
        return None
    span = int(match[2] or 0) % 2**64
    return TraceContext(match[1].lower(), f"{span:016x}" if span else new_span_id(), match[3] != "0")


def from_headers(headers: Any) -> TraceContext | None:
    """The caller's trace: ``traceparent`` first, else ``X-Cloud-Trace-Context``."""
    return parse_traceparent(headers.get("traceparent")) or parse_cloud_trace(
        headers.get("X-Cloud-Trace-Context")
    )


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


@dataclass
class Span:
    """One hop's work: recorded here, handed to the exporter when it ends."""

    name: str
    service: str
    context: TraceContext
    parent_span_id: str | None
    start_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)
    end_ns: int | None = None
    error: bool = False
    adoptable: bool = False  # a root this process started: may join an application's trace later

    def set(self, **attributes: Any) -> None:
        self.attributes.update({k: v for k, v in attributes.items() if v is not None})

    def adopt(self, parent: TraceContext | None) -> None:
        """Move a trace this hop started into ``parent``'s trace (a provider's callback finds its loan)."""
        if parent is None or not self.adoptable or parent.trace_id == self.context.trace_id:
            return
        self.context = TraceContext(parent.trace_id, self.context.span_id, parent.sampled)
        self.parent_span_id, self.adoptable = parent.span_id, False

    def as_record(self) -> dict[str, Any]:
        """The JSON shape of a finished span (the local file's lines, the waterfall's input)."""
        return {
            "trace_id": self.context.trace_id,
            "span_id": self.context.span_id,
            "parent_span_id": self.parent_span_id,
            "name": self.name,
            "service": self.service,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "status": "ERROR" if self.error else "OK",
            "attributes": self.attributes,
        }


class SpanExporter(Protocol):
    def export(self, span: Span) -> None:
        """Send one finished span (synchronously: the CPU is throttled once a function has answered)."""
        ...


class _Discard:
    def export(self, span: Span) -> None:
        return None


_exporter: SpanExporter = _Discard()


def configure(exporter: SpanExporter) -> None:
    """Where this process's finished spans go."""
    global _exporter
    _exporter = exporter


def current() -> Span | None:
    return request_context.span.get()


@functools.cache
def service_name() -> str:
    """This function's name: Cloud Run's K_SERVICE, else the functions-framework target (``a_b``: a-b)."""
    from mkopo.faults import current_target

    return os.environ.get("K_SERVICE") or (current_target() or "mkopo").replace("_", "-")


def start(name: str, parent: TraceContext | None, **attributes: Any) -> Span:
    """A span under ``parent`` (a new trace without one); not current until ``activate``."""
    sampled = parent.sampled if parent else True
    context = TraceContext(parent.trace_id if parent else new_trace_id(), new_span_id(), sampled)
    span = Span(
        name,
        service_name(),
        context,
        parent.span_id if parent else None,
        time.time_ns(),
        adoptable=not parent,
    )
    span.set(**attributes)
    return span


def finish(span: Span) -> None:
    """End a span and export it (an exporter's failure never fails the hop)."""
    span.end_ns = span.end_ns or time.time_ns()
    if not span.context.sampled:
        return
    try:
        _exporter.export(span)
    except Exception:  # tracing must never fail a payment
        log.warning("span export failed", exc_info=True)


@contextmanager
def activate(span: Span) -> Iterator[Span]:
    """Make ``span`` current (log lines and published messages carry it) without ending it."""
    token = request_context.span.set(span)
    try:
        yield span
    finally:
        request_context.span.reset(token)


@contextmanager
def span(name: str, parent: TraceContext | None = None, **attributes: Any) -> Iterator[Span]:
    """A hop: a child of ``parent`` (or of the current span, or a new trace), current while it runs."""
    current_span = current()
    started = start(name, parent or (current_span.context if current_span else None), **attributes)
    try:
        with activate(started):
            yield started
    except BaseException:
        started.error = True
        raise
    finally:
        finish(started)


def annotate(**attributes: Any) -> None:
    """Add attributes (``application_id``...) to the current span, if any."""
    current_span = current()
    if current_span is not None:
        current_span.set(**attributes)


def adopt(traceparent: str | None) -> None:
    """The current hop, if it started its own trace, continues this one (a USSD session's next screen)."""
    current_span = current()
    if current_span is not None:
        current_span.adopt(parse_traceparent(traceparent))


@contextmanager
def joined(traceparent: str | None, name: str) -> Iterator[None]:
    """Continue an application's stored trace for what runs inside: a hop that started its own trace (a
    provider's callback) moves into it; a hop in another trace, or none (a job touching many loans),
    runs it in a child span of the application's trace."""
    parent = parse_traceparent(traceparent)
    current_span = current()
    if parent is None or (current_span is not None and current_span.context.trace_id == parent.trace_id):
        yield
    elif current_span is not None and current_span.adoptable:
        adopt(traceparent)
        yield
    else:
        with span(name, parent):
            yield


def current_traceparent() -> str | None:
    current_span = current()
    return current_span.context.traceparent if current_span else None


def message_attributes() -> dict[str, str]:
    """What a published message carries so that its consumer continues this trace."""
    value = current_traceparent()
    return {ATTRIBUTE: value} if value else {}
