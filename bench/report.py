"""The printed benchmark table: every figure with its floor, ratio and target."""

from __future__ import annotations

from typing import Any

from bench.stats import ratio
from bench.trace_hops import slowest


def _row(cells: list[object]) -> str:
    widths = (34, 14, 14, 9, 18)
    return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=False))


def table(r: dict[str, Any]) -> str:
    lines = [_row(["figure", "mkopo", "floor", "ratio", "target"]), "-" * 95]
    lat = r.get("checkout_latency_ms", {})
    for conc, ck in lat.get("checkout", {}).items():
        fl = lat["floor"][conc]
        for p in ("p50", "p95", "p99"):
            target = "<= 1.3x" if p == "p50" else ""
            lines.append(
                _row([f"checkout {p} @{conc} clients (ms)", ck[p], fl[p], ratio(ck[p], fl[p]), target])
            )
    lines += _ussd_rows(r.get("ussd_latency_ms", {}))
    floor_push = r.get("push_floor", {}).get("per_s", 0.0)
    for step in r.get("paced", []):
        tag = f"@{step['rate']}/s"
        lines.append(
            _row(
                [
                    f"decision p50/p95 {tag} (ms)",
                    f"{step['decision_ms']['p50']}/{step['decision_ms']['p95']}",
                    "",
                    "",
                    "p95 < 1000",
                ]
            )
        )
        lines.append(
            _row(
                [
                    f"cash p50/p95 {tag} (ms)",
                    f"{step['cash_ms']['p50']}/{step['cash_ms']['p95']}",
                    "",
                    "",
                    "p95 < 2000",
                ]
            )
        )
        ok = "yes" if step.get("sustainable") else "no"
        lines.append(
            _row(
                [
                    f"throughput {tag} (apps/s, sust. {ok})",
                    step["throughput"],
                    floor_push,
                    ratio(step["throughput"] or 0, floor_push),
                    ">= 50/s",
                ]
            )
        )
        cpu = step.get("cpu")
        if cpu:
            lines.append(
                _row(
                    [
                        f"CPU per app {tag} (ms; cores busy)",
                        cpu["total_ms_per_application"],
                        "",
                        cpu["busy_share_of_cores"],
                        f"ceiling {cpu['cpu_ceiling_per_s']}/s",
                    ]
                )
            )
        lines += _trace_rows(tag, step.get("trace") or {})
    cold = r.get("cold_start", {})
    hello = cold.get("hello", {}).get("ms", 0)
    after = r.get("rss_after_load_mb", {})
    for name, c in cold.items():
        if name == "hello" or "ms" not in c:
            continue
        lines.append(_row([f"cold start {name} (ms)", c["ms"], hello, c["ratio"], "<= 1.5x"]))
        rss = after.get(name, {}).get("worker_mb", c["rss"]["worker_mb"])
        lines.append(
            _row([f"RSS {name} (MB, after load)", rss, cold["hello"]["rss"]["worker_mb"], "", "< 120"])
        )
    return "\n".join(lines)


def _ussd_rows(u: dict[str, Any]) -> list[str]:
    """One row per concurrency level: per-request p50/p95/max of whole USSD sessions."""
    rows = []
    for level, m in u.items():
        if not isinstance(m, dict):
            continue
        verdict = "ok" if m.get("meets_target") else "missed"
        if m.get("error_count"):
            verdict += f", {m['error_count']} errors"
        cells = [f"ussd p50/p95/max @{level} phones (ms)", f"{m['p50']}/{m['p95']}/{m['max']}", "", ""]
        rows.append(_row([*cells, f"p95 < {u['target_p95_ms']}: {verdict}"]))
        split = f"{m.get('p95_pin_screens')}/{m.get('p95_other_screens')}"
        rows.append(
            _row([f"  p95 PIN/other screens @{level} (ms)", split, "", "", f"load {m.get('load_avg_1min')}"])
        )
    return rows


def _trace_rows(tag: str, trace: dict[str, Any]) -> list[str]:
    """What the spans say of the step: time to cash, and the functions that queued and worked longest."""
    if not trace.get("traced"):
        return []
    cash = trace.get("cash_ms") or {"p50": "-", "p95": "-"}
    return [
        _row([f"cash p50/p95 {tag}, from the trace", f"{cash['p50']}/{cash['p95']}", "", "", ""]),
        _row([f"queue/work p50 {tag} (ms)", slowest(trace), "", "", ""]),
    ]
