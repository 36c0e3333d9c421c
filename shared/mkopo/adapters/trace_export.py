"""Where finished spans go: a JSON-lines file locally, Cloud Trace through OpenTelemetry in the cloud.

OpenTelemetry's SDK and its Cloud Trace exporter are imported only when the cloud exporter is built (about
65 ms of imports on top of the Pub/Sub client), and export synchronously (``SimpleSpanProcessor``): a
function's CPU is throttled once it has answered, so a batch processor would lose its spans.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkopo.tracing import Span, SpanExporter

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter as OtelExporter


class FileSpanExporter:
    """Appends each span as one JSON line; many processes share the file (``O_APPEND`` writes)."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._fd: int | None = None
        self._lock = threading.Lock()

    def export(self, span: Span) -> None:
        line = (json.dumps(span.as_record(), separators=(",", ":"), default=str) + "\n").encode()
        with self._lock:
            if self._fd is None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(self._fd, line)


_next_ids: ContextVar[tuple[int, int] | None] = ContextVar("mkopo_otel_ids", default=None)


class OpenTelemetryExporter:
    """Replays each finished span into OpenTelemetry's SDK with our ids and times, exported at once."""

    def __init__(self, exporter: OtelExporter, service: str) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor

        self.provider: TracerProvider = TracerProvider(
            resource=Resource.create({"service.name": service}), id_generator=_preset_ids_class()()
        )
        self.provider.add_span_processor(SimpleSpanProcessor(exporter))
        self._tracer = self.provider.get_tracer("mkopo")

    def export(self, span: Span) -> None:
        from opentelemetry import trace
        from opentelemetry.trace import NonRecordingSpan, SpanContext, Status, StatusCode, TraceFlags

        trace_id, span_id = int(span.context.trace_id, 16), int(span.context.span_id, 16)
        context = None
        if span.parent_span_id:
            parent = SpanContext(trace_id, int(span.parent_span_id, 16), True, TraceFlags(1))
            context = trace.set_span_in_context(NonRecordingSpan(parent))
        with _preset(trace_id, span_id):
            otel = self._tracer.start_span(
                span.name, context=context, attributes=_attributes(span), start_time=span.start_ns
            )
        if span.error:
            otel.set_status(Status(StatusCode.ERROR))
        otel.end(end_time=span.end_ns)
        self.provider.force_flush()


def _attributes(span: Span) -> dict[str, Any]:
    out = {k: v if isinstance(v, str | int | float | bool) else str(v) for k, v in span.attributes.items()}
    return out | {"service": span.service}


@contextmanager
def _preset(trace_id: int, span_id: int) -> Iterator[None]:
    token = _next_ids.set((trace_id, span_id))
    try:
        yield
    finally:
        _next_ids.reset(token)


def _preset_ids_class() -> type:
    from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator

    class PresetIds(IdGenerator):
        """The ids our span already has (its children were told them before it ended)."""

        _random = RandomIdGenerator()

        def generate_span_id(self) -> int:
            ids = _next_ids.get()
            return ids[1] if ids else self._random.generate_span_id()

        def generate_trace_id(self) -> int:
            ids = _next_ids.get()
            return ids[0] if ids else self._random.generate_trace_id()

    return PresetIds


def cloud_trace(project_id: str, service: str) -> OpenTelemetryExporter:
    """Spans to Cloud Trace (the function's service account needs roles/cloudtrace.agent)."""
    from opentelemetry.exporter.cloud_trace import CloudTraceSpanExporter

    return OpenTelemetryExporter(CloudTraceSpanExporter(project_id=project_id), service)


def exporter_for(kind: str, *, project_id: str, service: str, path: str | None) -> SpanExporter | None:
    """The exporter a setting names (``none``, ``file``, ``cloud-trace``); None for none."""
    if kind == "file" and path:
        return FileSpanExporter(path)
    if kind == "cloud-trace":
        return cloud_trace(project_id, service)
    return None
