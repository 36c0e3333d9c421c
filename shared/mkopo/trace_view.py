"""One application's trace as a waterfall: each hop, when it started, how long it queued, how long it worked.

Reads the JSON-lines span file the local stack writes (``tracing`` / ``adapters/trace_export``). A hop's
queue wait is its start minus the publish time of the message it consumed (backoff and redelivery
included), or for a relayed event the time it waited in the outbox; its work is its duration.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BAR_WIDTH = 40
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(?:Z|\+00:00)")


@dataclass(frozen=True)
class Hop:
    service: str
    name: str
    trace_id: str
    span_id: str
    start_ms: float  # since the trace's first span started
    queue_ms: float | None
    work_ms: float
    attributes: dict[str, Any]


def read_spans(path: Path) -> list[dict[str, Any]]:
    """Every span in the file (a torn last line is skipped)."""
    spans = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                spans.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return spans


def trace_of(spans: Iterable[dict[str, Any]], application_id: str) -> list[dict[str, Any]]:
    """The spans of every trace that touched the application, oldest first."""
    spans = list(spans)
    traces = {
        s["trace_id"] for s in spans if (s.get("attributes") or {}).get("application_id") == application_id
    }
    return sorted((s for s in spans if s["trace_id"] in traces), key=lambda s: s["start_ns"])


def hops(spans: Sequence[dict[str, Any]]) -> list[Hop]:
    if not spans:
        return []
    origin = spans[0]["start_ns"]
    out = []
    for s in spans:
        attributes = s.get("attributes") or {}
        published = _ns(attributes.get("publish_time") or attributes.get("queued_since"))
        out.append(
            Hop(
                service=s.get("service", "?"),
                name=s.get("name", ""),
                trace_id=s["trace_id"],
                span_id=s["span_id"],
                start_ms=(s["start_ns"] - origin) / 1e6,
                queue_ms=None if published is None else max(0.0, (s["start_ns"] - published) / 1e6),
                work_ms=((s.get("end_ns") or s["start_ns"]) - s["start_ns"]) / 1e6,
                attributes=attributes,
            )
        )
    return out


def _ns(value: Any) -> int | None:
    """Nanoseconds since the epoch of an RFC 3339 UTC time (Pub/Sub's publishTime, up to 9 decimals)."""
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if not match:
        return None
    whole = datetime.fromisoformat(match[1]).replace(tzinfo=UTC)
    return (whole - EPOCH) // timedelta(seconds=1) * 10**9 + int((match[2] or "").ljust(9, "0"))


def render(rows: Sequence[Hop]) -> str:
    """A text waterfall: ``.`` queued, ``#`` working, on one time scale."""
    if not rows:
        return "no spans for this application"
    end = max(h.start_ms + h.work_ms for h in rows) or 1.0
    scale = BAR_WIDTH / end
    lines = [f"trace {', '.join(dict.fromkeys(h.trace_id for h in rows))}  total {end:.0f} ms"]
    lines.append(f"{'hop':<34}{'start':>9}{'queue':>9}{'work':>9}  timeline")
    for h in rows:
        queued = h.queue_ms or 0.0
        left = max(0, round((h.start_ms - queued) * scale))
        bar = " " * left + "." * round(queued * scale) + "#" * max(1, round(h.work_ms * scale))
        queue = "" if h.queue_ms is None else f"{h.queue_ms:.0f}"
        label = f"{h.service} {h.name}"[:33]
        lines.append(f"{label:<34}{h.start_ms:>9.0f}{queue:>9}{h.work_ms:>9.1f}  {bar}")
    return "\n".join(lines)


def attribution(rows: Sequence[Hop]) -> dict[str, dict[str, float]]:
    """Per function, the queue wait and work it added (summed over its hops, redeliveries included)."""
    out: dict[str, dict[str, float]] = {}
    for h in rows:
        totals = out.setdefault(h.service, {"hops": 0, "queue_ms": 0.0, "work_ms": 0.0})
        totals["hops"] += 1
        totals["queue_ms"] += h.queue_ms or 0.0
        totals["work_ms"] += h.work_ms
    return out


def milestones(rows: Sequence[Hop]) -> dict[str, float]:
    """Time to decision (confirm-payment done) and to cash (the payout's outcome recorded), from the
    first hop's start; a milestone the trace has not reached is absent."""
    ends = {"decision_ms": ("confirm-payment",), "cash_ms": ("payment-callbacks", "disbursement")}
    out = {}
    for key, services in ends.items():
        done = [
            h.start_ms + h.work_ms for h in rows if h.service in services and not h.name.startswith("GET")
        ]
        if done:
            out[key] = max(done) if key == "cash_ms" else min(done)
    return out


def summary(rows: Sequence[Hop]) -> str:
    """The attribution table and milestones under the waterfall."""
    lines = [f"{'function':<20}{'hops':>5}{'queue ms':>10}{'work ms':>10}"]
    for service, t in sorted(attribution(rows).items(), key=lambda kv: -kv[1]["work_ms"]):
        lines.append(f"{service:<20}{t['hops']:>5.0f}{t['queue_ms']:>10.0f}{t['work_ms']:>10.1f}")
    lines += [
        f"{key.removesuffix('_ms').replace('_', ' ')}: {ms:.0f} ms" for key, ms in milestones(rows).items()
    ]
    return "\n".join(lines)
