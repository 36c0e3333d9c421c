"""PNG charts of the report (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from analytics.report_data import FUNNEL_STEPS, ReportData

MIN_DAILY_DECISIONS = 10  # a rate over fewer decisions is noise on the chart (the tables have every day)
COLOURS = ("#1b6ca8", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f")


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _style(ax: Axes, title: str) -> None:
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)


def funnel(data: ReportData, path: Path) -> Path:
    totals = data.funnel_total()
    values = [totals[s] for s in FUNNEL_STEPS]
    fig, ax = plt.subplots(figsize=(8, 4))
    bars = ax.barh(list(FUNNEL_STEPS)[::-1], values[::-1], color=COLOURS[0])
    first = values[0] or 1
    for bar, value in zip(bars, values[::-1], strict=True):
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" {value:,} ({value / first:.0%})",
            va="center",
            fontsize=10,
        )
    ax.set_xlim(0, first * 1.25)
    _style(ax, "Funnel: applications reaching each step")
    ax.grid(axis="y", alpha=0)
    return _save(fig, path)


def approval(data: ReportData, path: Path) -> Path:
    days = [r["day"] for r in data.approval]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(days, [r["decided"] for r in data.approval], color="#d9e6f2", label="decisions")
    ax.set_ylabel("decisions per day")
    rate_ax = ax.twinx()
    nan = float("nan")  # a gap in the line
    rates = [r["approval_rate"] if r["decided"] >= MIN_DAILY_DECISIONS else nan for r in data.approval]
    rate_ax.plot(days, rates, color=COLOURS[1], marker="o", ms=3, label="approval rate")
    rate_ax.set_ylim(0, 1)
    rate_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    rate_ax.spines[["top"]].set_visible(False)
    _style(ax, f"Approval rate by day (UTC; days with {MIN_DAILY_DECISIONS}+ decisions)")
    fig.autofmt_xdate()
    lines = ax.get_legend_handles_labels()[0] + rate_ax.get_legend_handles_labels()[0]
    ax.legend(lines, ["decisions", "approval rate"], loc="lower left", frameon=False)
    return _save(fig, path)


def scores(data: ReportData, path: Path) -> Path:
    bands = [r["band"] for r in data.scores]
    approved = [r["approved"] for r in data.scores]
    rejected = [r["rejected"] for r in data.scores]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(bands, approved, color=COLOURS[2], label="approved")
    ax.bar(bands, rejected, bottom=approved, color=COLOURS[3], label="rejected")
    ax.set_xlabel("credit score band")
    ax.set_ylabel("applications")
    ax.legend(frameon=False)
    _style(ax, "Score distribution and decisions")
    return _save(fig, path)


def times(data: ReportData, path: Path) -> Path:
    labels = {"decision": "time to decision", "payout": "approval to cash", "cash": "time to cash"}
    rows = [r for m in labels if (r := data.time(m))]
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.25
    for i, (key, colour) in enumerate(zip(("p50", "p90", "p95"), COLOURS, strict=False)):
        xs = [j + (i - 1) * width for j in range(len(rows))]
        values = [r[f"{key}_seconds"] / 60 for r in rows]
        bars = ax.bar(xs, values, width, color=colour, label=key)
        ax.bar_label(bars, labels=[_duration(v * 60) for v in values], fontsize=8, padding=2)
    ax.set_xticks(range(len(rows)), [labels[r["metric"]] for r in rows])
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylim(0, max([r["p95_seconds"] / 60 for r in rows], default=1) * 8)
    ax.set_ylabel("minutes (log scale)")
    ax.legend(frameon=False, loc="upper center", ncol=3)
    _style(ax, "How long borrowers wait (all lenders)")
    return _save(fig, path)


def par(data: ReportData, path: Path) -> Path:
    currencies = [r["currency"] for r in data.par]
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.38
    for i, (key, colour) in enumerate((("par1", COLOURS[1]), ("par30", COLOURS[3]))):
        xs = [j + (i - 0.5) * width for j in range(len(currencies))]
        values = [r[key] or 0 for r in data.par]
        bars = ax.bar(xs, values, width, color=colour, label=key.upper())
        ax.bar_label(bars, labels=[f"{v:.1%}" for v in values], fontsize=8, padding=2)
    ax.set_xticks(range(len(currencies)), currencies)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(frameon=False)
    _style(ax, "Portfolio at risk: share of outstanding past due")
    return _save(fig, path)


def cohorts(data: ReportData, path: Path) -> Path:
    labels = [f"{r['cohort_month']:%b %Y}\n{r['currency']}" for r in data.cohorts]
    on_time = [r["on_time_rate"] or 0 for r in data.cohorts]
    late = [(r["repayment_rate"] or 0) - (r["on_time_rate"] or 0) for r in data.cohorts]
    fig, ax = plt.subplots(figsize=(max(8, len(labels) * 0.8), 4))
    ax.bar(labels, on_time, color=COLOURS[2], label="repaid on time")
    bars = ax.bar(labels, late, bottom=on_time, color=COLOURS[1], label="repaid late")
    ax.bar_label(bars, labels=[f"{r['repayment_rate'] or 0:.0%}" for r in data.cohorts], fontsize=8)
    ax.set_ylim(0, 1.2)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(frameon=False, loc="upper left", ncol=2)
    ax.tick_params(axis="x", labelsize=8)
    _style(ax, "Repayment by disbursement month (share of loans)")
    return _save(fig, path)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def render_all(data: ReportData, out_dir: Path) -> dict[str, Path]:
    """Every chart, by name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    makers = {
        "funnel": funnel,
        "approval": approval,
        "scores": scores,
        "times": times,
        "par": par,
        "cohorts": cohorts,
    }
    return {name: make(data, out_dir / f"{name}.png") for name, make in makers.items()}
