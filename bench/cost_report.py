"""The cost run's figures from three snapshots of the meters (start of idle, end of idle, end of load), and
the table ``make cost`` prints."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bench import cost_model
from mkopo import metering

Snapshot = dict[str, dict[str, Decimal]]
LOANS_A_MONTH = 10_000
PROD_MIN_INSTANCES = 1  # infra/terraform/environments/prod: http_min_instances
COLUMNS = (
    (metering.INVOCATIONS, "calls"),
    ("cpu_ms", "CPU ms"),
    (metering.FS_READS, "fs reads"),
    (metering.FS_WRITES, "fs writes"),
    (metering.PUBLISHED, "published"),
    (metering.DELIVERED, "delivered"),
    (metering.BQ_ROWS, "bq rows"),
    (metering.SMS_SEGMENTS, "sms segs"),
    (metering.PROVIDER_CALLS, "provider"),
)


def _delta(later: dict[str, Decimal], earlier: dict[str, Decimal]) -> dict[str, Decimal]:
    return {k: v - earlier.get(k, Decimal(0)) for k, v in later.items()}


def results(
    first: Snapshot, idle_end: Snapshot, last: Snapshot, idle_s: Decimal, load_s: Decimal, loans: int
) -> dict[str, Any]:
    """Per function and in total: counts and price per loan, the floors, and a month of 10,000 loans."""
    prices = cost_model.Prices.load()
    ratio = load_s / idle_s
    per_function: dict[str, Any] = {}
    idle_per_run: dict[str, dict[str, Decimal]] = {}
    total: dict[str, Decimal] = {}
    for fn in last:
        idle = _delta(idle_end.get(fn, {}), first.get(fn, {}))
        counts = cost_model.per_loan(_delta(last[fn], idle_end.get(fn, {})), idle, ratio, max(loans, 1))
        usd = cost_model.usd_of(counts, counts.get("cpu_ms", Decimal(0)) / 1000, prices)
        per_function[fn] = {"counts": counts, "usd": usd}
        for kind, n in counts.items():
            total[kind] = total.get(kind, Decimal(0)) + n
        runs = idle.get(metering.INVOCATIONS, Decimal(0))
        if runs:
            idle_per_run[fn] = {k: v / runs for k, v in idle.items() if k != metering.INVOCATIONS}
    usd_lines: dict[str, Decimal] = {}
    for entry in per_function.values():
        for line, usd in entry["usd"].items():
            usd_lines[line] = usd_lines.get(line, Decimal(0)) + usd
    per_loan_usd = sum(usd_lines.values(), Decimal(0))
    fixed = cost_model.fixed_monthly(prices, idle_per_run, PROD_MIN_INSTANCES)
    return {
        "per_function": per_function,
        "per_loan": {"total": total, "usd": usd_lines, "usd_total": per_loan_usd},
        "floors": _floors(total),
        "monthly": {
            "loans": LOANS_A_MONTH,
            "variable": per_loan_usd * LOANS_A_MONTH,
            "fixed": fixed,
            "total": per_loan_usd * LOANS_A_MONTH + sum(fixed.values(), Decimal(0)),
        },
        "loans": loans,
        "load_s": load_s,
    }


def _floors(total: dict[str, Decimal]) -> dict[str, Any]:
    out = {}
    for kind, (floor, why) in cost_model.FLOORS.items():
        measured = total.get(kind, Decimal(0))
        ratio = measured / floor if floor else None
        out[kind] = {"measured": measured, "floor": floor, "ratio": ratio, "why": why}
    return out


def _cell(value: Decimal | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(r: dict[str, Any]) -> str:
    """Per function, per loan: the counts and their price; the floors; a month of 10,000 loans."""
    head = f"{'function':<18}" + "".join(f"{label:>10}" for _, label in COLUMNS) + f"{'USD/loan':>12}"
    lines = [f"make cost: {r['loans']} loans, per loan (load minus idle)", head, "-" * len(head)]
    rows = sorted(r["per_function"].items(), key=lambda kv: -sum(kv[1]["usd"].values()))
    for fn, entry in rows:
        c = entry["counts"]
        cells = "".join(f"{_cell(c.get(kind, Decimal(0))):>10}" for kind, _ in COLUMNS)
        lines.append(f"{fn:<18}{cells}{sum(entry['usd'].values()):>12.7f}")
    t = r["per_loan"]["total"]
    cells = "".join(f"{_cell(t.get(kind, Decimal(0))):>10}" for kind, _ in COLUMNS)
    lines += ["-" * len(head), f"{'total':<18}{cells}{r['per_loan']['usd_total']:>12.7f}", ""]
    lines.append(f"{'count':<22}{'measured':>10}{'floor':>8}{'ratio':>8}  why the floor")
    for kind, f in r["floors"].items():
        lines.append(
            f"{kind:<22}{_cell(f['measured']):>10}{f['floor']:>8}{_cell(f['ratio'], 2):>8}  {f['why']}"
        )
    m = r["monthly"]
    lines += ["", f"USD a month for {m['loans']:,} loans: variable {m['variable']:.2f}"]
    lines += [f"  fixed {name}: {usd:.2f}" for name, usd in m["fixed"].items()]
    lines.append(f"  total {m['total']:.2f}  (prices of {cost_model.Prices.load().date}: bench/prices.json)")
    return "\n".join(lines)
