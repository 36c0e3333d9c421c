"""Where a paced step's time went, from the trace: per function, how long each application queued for it and
how long it worked, and time to decision and to cash as the spans tell them (``mkopo.trace_view``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bench.stats import summary
from mkopo import trace_view


def spans_of(path: Path) -> list[dict[str, Any]]:
    """The stack's span file, or nothing when the stack wrote none."""
    return trace_view.read_spans(path) if path.exists() else []


def by_application(
    spans: Iterable[dict[str, Any]], application_ids: Sequence[str]
) -> dict[str, list[trace_view.Hop]]:
    """Each application's hops, from every trace that touched it (one pass over the spans)."""
    wanted = set(application_ids)
    traces: dict[str, list[dict[str, Any]]] = defaultdict(list)
    traces_of: dict[str, set[str]] = defaultdict(set)
    for span in spans:
        traces[span["trace_id"]].append(span)
        app = (span.get("attributes") or {}).get("application_id")
        if app in wanted:
            traces_of[app].add(span["trace_id"])
    out = {}
    for app, ids in traces_of.items():
        ordered = sorted((s for t in ids for s in traces[t]), key=lambda s: s["start_ns"])
        out[app] = trace_view.hops(ordered)
    return out


def breakdown(spans: Iterable[dict[str, Any]], application_ids: Sequence[str]) -> dict[str, Any]:
    """p50/p95 over the step's applications of each function's queue wait and work (ms, summed over its
    hops of one application, redeliveries included), and of the milestones; how many had a trace."""
    hops = by_application(spans, application_ids)
    queue: dict[str, list[float]] = defaultdict(list)
    work: dict[str, list[float]] = defaultdict(list)
    milestones: dict[str, list[float]] = defaultdict(list)
    for rows in hops.values():
        for service, totals in trace_view.attribution(rows).items():
            queue[service].append(totals["queue_ms"])
            work[service].append(totals["work_ms"])
        for key, ms in trace_view.milestones(rows).items():
            milestones[key].append(ms)
    per_function = {
        service: {"queue_ms": summary(queue[service], (50, 95)), "work_ms": summary(work[service], (50, 95))}
        for service in sorted(work, key=lambda s: -sum(work[s]))
    }
    return {
        "traced": len(hops),
        "per_function": per_function,
        **{key: summary(values, (50, 95)) for key, values in milestones.items()},
    }


def slowest(trace: dict[str, Any], most: int = 3) -> str:
    """The functions with the longest p50 queue wait plus work, as ``name queue/work`` (ms) for the table."""
    ranked = sorted(
        trace.get("per_function", {}).items(),
        key=lambda kv: -(kv[1]["queue_ms"]["p50"] + kv[1]["work_ms"]["p50"]),
    )
    return ", ".join(
        f"{name} {t['queue_ms']['p50']:.0f}/{t['work_ms']['p50']:.0f}" for name, t in ranked[:most]
    )
