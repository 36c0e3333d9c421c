"""The bench's reading of the trace: each function's queue wait and work per application, and time to
decision and to cash, from the spans the stack writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bench import report, trace_hops

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
MS = 1_000_000  # nanoseconds


def at(ms: float) -> int:
    return int((T0 - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1)) * 1000 + int(ms * MS)


def span(
    trace: str, service: str, start: float, work: float, app: str, published: float | None = None
) -> dict[str, Any]:
    attributes: dict[str, Any] = {"application_id": app}
    if published is not None:
        stamp = T0 + timedelta(milliseconds=published)
        attributes["publish_time"] = stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "trace_id": trace,
        "span_id": f"{trace}-{service}-{start}",
        "service": service,
        "name": "POST /" if published is None else "consume",
        "start_ns": at(start),
        "end_ns": at(start + work),
        "attributes": attributes,
    }


def journey(trace: str, app: str, scoring_queue: float) -> list[dict[str, Any]]:
    """checkout 0-20; scoring queued ``scoring_queue`` after the publish at 20; decision; cash."""
    scoring_start = 20 + scoring_queue
    return [
        span(trace, "checkout", 0, 20, app),
        span(trace, "scoring", scoring_start, 10, app, published=20),
        span(trace, "confirm-payment", scoring_start + 15, 5, app, published=scoring_start + 10),
        span(trace, "disbursement", scoring_start + 25, 8, app, published=scoring_start + 20),
        span(trace, "payment-callbacks", scoring_start + 100, 4, app),
    ]


def test_each_function_queue_and_work_and_the_milestones_per_application() -> None:
    spans = journey("t1", "app-1", 5) + journey("t2", "app-2", 25) + journey("t3", "other", 500)
    out = trace_hops.breakdown(spans, ["app-1", "app-2"])
    assert out["traced"] == 2  # the third application is not in this step
    scoring = out["per_function"]["scoring"]
    assert (scoring["queue_ms"]["p50"], scoring["queue_ms"]["p95"]) == (5.0, 25.0)
    assert scoring["work_ms"]["p50"] == 10.0
    assert out["per_function"]["checkout"]["queue_ms"]["p50"] == 0.0  # an HTTPS request does not queue
    # decision: confirm-payment ends at 20 + q + 15 + 5; cash: the payout result ends at 20 + q + 100 + 4
    assert (out["decision_ms"]["p50"], out["decision_ms"]["p95"]) == (45.0, 65.0)
    assert (out["cash_ms"]["p50"], out["cash_ms"]["p95"]) == (129.0, 149.0)


def test_a_later_trace_of_the_same_application_adds_to_its_functions() -> None:
    spans = [*journey("t1", "app-1", 5), span("t9", "scoring", 1000, 30, "app-1", published=990)]
    scoring = trace_hops.breakdown(spans, ["app-1"])["per_function"]["scoring"]
    assert scoring["queue_ms"]["p50"] == 15.0 and scoring["work_ms"]["p50"] == 40.0  # both hops, summed


def test_the_table_names_the_slowest_functions_and_is_silent_without_spans() -> None:
    trace = trace_hops.breakdown(journey("t1", "app-1", 50), ["app-1"])
    cash, slowest = report._trace_rows("@5/s", trace)
    assert "174.0/174.0" in cash  # 20 + 50 queued + 100 + 4
    assert "scoring 50/10, checkout 0/20, disbursement 5/8" in slowest
    assert report._trace_rows("@5/s", trace_hops.breakdown([], ["app-1"])) == []
