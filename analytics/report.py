"""`make report`: run the views on the local stack, print the numbers, write analytics/out/report.html + PNGs.

python -m analytics.report [--offset 0] [--out analytics/out]
"""

from __future__ import annotations

import argparse
import html
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analytics import views
from analytics.local import connect
from analytics.report_data import FUNNEL_STEPS, ReportData, collect

OUT_DIR = Path(__file__).resolve().parent / "out"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _secs(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f} s" if value < 120 else f"{value / 60:,.1f} min"


def sections(data: ReportData) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of each table, as text: printed and put in the HTML."""
    totals = data.funnel_total()
    first = totals["submitted"] or 1
    funnel = [[s, f"{totals[s]:,}", _pct(totals[s] / first)] for s in FUNNEL_STEPS]
    lenders = [
        [r["lender"] or "-", *(f"{r[s]:,}" for s in FUNNEL_STEPS), _pct(r["approved"] / (r["scored"] or 1))]
        for r in data.funnel
    ]
    times = [
        [
            r["metric"],
            r["lender"],
            f"{r['n']:,}",
            _secs(r["p50_seconds"]),
            _secs(r["p90_seconds"]),
            _secs(r["p95_seconds"]),
        ]
        for r in data.times
    ]
    par = [
        [
            r["currency"],
            f"{r['loans_outstanding']:,}",
            f"{r['outstanding_minor']:,}",
            f"{r['at_risk_30_minor']:,}",
            _pct(r["par1"]),
            _pct(r["par30"]),
            _pct(r["par90"]),
        ]
        for r in data.par
    ]
    cohorts = [
        [
            f"{r['cohort_month']:%Y-%m}",
            r["currency"],
            f"{r['loans_disbursed']:,}",
            f"{r['loans_repaid']:,}",
            _pct(r["repayment_rate"]),
            _pct(r["on_time_rate"]),
            f"{r['loans_ever_30_dpd']:,}",
            f"{r['collected_per_disbursed'] or 0:.2f}",
        ]
        for r in data.cohorts
    ]
    allowance = [
        [
            r["currency"],
            r["bucket"],
            f"{r['loans']:,}",
            f"{r['gross_minor']:,}",
            _pct(float(r["rate"])),
            f"{r['allowance_minor']:,}",
            _pct(float(r["coverage"]) if r["coverage"] is not None else None),
        ]
        for r in data.allowance
    ]
    return [
        *_tables(funnel, lenders, times, par, cohorts, allowance),
        _stability(data),
    ]


def _stability(data: ReportData) -> tuple[str, list[str], list[list[str]]]:
    """Score PSI per model version over the data's last 7 days, with each band's card and live shares."""
    labels = list(next((r["bands"] for r in data.stability if r["bands"]), {}))
    rows = [
        [
            r["model_version"],
            r["role"],
            f"{r['until']:%Y-%m-%d}",
            f"{r['scores']:,}",
            "-" if r["psi"] is None else f"{r['psi']:.4f}",
            r["verdict"],
            *(f"{r['bands'][b][1]:.0%} / {r['bands'][b][0]:.0%}" if b in r["bands"] else "-" for b in labels),
        ]
        for r in data.stability
    ]
    header = [
        "model version",
        "role",
        "week to",
        "scores",
        "PSI",
        "verdict",
        *(f"{b} live/card" for b in labels),
    ]
    return ("Score stability: PSI of the last 7 days against the model card (> 0.25: act)", header, rows)


def _tables(*tables: list[list[str]]) -> list[tuple[str, list[str], list[list[str]]]]:
    funnel, lenders, times, par, cohorts, allowance = tables
    return [
        ("Funnel (all lenders)", ["step", "applications", "of submitted"], funnel),
        ("Funnel by lender", ["lender", *FUNNEL_STEPS, "approved / scored"], lenders),
        ("Waiting times", ["metric", "lender", "n", "p50", "p90", "p95"], times),
        (
            "Portfolio at risk (amounts in minor units)",
            ["currency", "loans", "outstanding", ">=30 dpd", "PAR1", "PAR30", "PAR90"],
            par,
        ),
        (
            "Repayment by disbursement cohort",
            [
                "month",
                "currency",
                "loans",
                "repaid",
                "repaid %",
                "on time %",
                "ever 30+ dpd",
                "collected / lent",
            ],
            cohorts,
        ),
        (
            "Loan-loss allowance, latest run (amounts in minor units)",
            ["currency", "bucket", "loans", "gross receivables", "rate", "allowance", "coverage"],
            allowance,
        ),
    ]


def print_tables(data: ReportData) -> None:
    print(f"approval rate (all decisions): {_pct(data.approval_rate())}")
    for title, header, rows in sections(data):
        widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
        print(f"\n== {title}")
        for line in (header, *rows):
            print("  ".join(str(c).rjust(w) for c, w in zip(line, widths, strict=True)))


def compare_with_seed(data: ReportData, seeded: dict[str, Any]) -> list[str]:
    """Differences between the report and the last `make seed` on this offset (empty: they match)."""
    diffs = [
        f"funnel {k}: report {v}, seeded {seeded['funnel'].get(k)}"
        for k, v in data.funnel_total().items()
        if v != seeded["funnel"].get(k, 0)
    ]
    for currency, expected in seeded["par30"].items():
        got = data.par30().get(currency)
        if got is None or abs(got - expected) > 1e-6:
            diffs.append(f"PAR30 {currency}: report {got}, seeded {expected}")
    cash = data.time("cash")
    if cash is None or abs(cash["p50_seconds"] - seeded["time_to_cash_p50_seconds"]) > 1e-3:
        diffs.append(
            f"time to cash p50: report {cash and cash['p50_seconds']}, seeded "
            f"{seeded['time_to_cash_p50_seconds']}"
        )
    return diffs


def write_html(data: ReportData, charts: dict[str, Path], out: Path, *, source: str, note: str) -> Path:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>mkopo lender report</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
        "td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}"
        "th{background:#f3f6f9}td:first-child,th:first-child{text-align:left}"
        "img{max-width:100%;margin:0.5em 0}.note{color:#555;font-size:0.9em}</style></head><body>",
        "<h1>mkopo lender report</h1>",
        f"<p class='note'>Source: {html.escape(source)}. Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        f"{html.escape(note)}</p>",
        f"<p><b>Approval rate:</b> {_pct(data.approval_rate())} of all decisions.</p>",
    ]
    for name in ("funnel", "approval", "scores", "times", "par", "cohorts"):
        if name in charts:
            parts.append(f"<img src='{charts[name].name}' alt='{name} chart'>")
    for title, header, rows in sections(data):
        parts.append(f"<h2>{html.escape(title)}</h2><table><tr>")
        parts.append("".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
        parts.append("</table>")
    parts.append(
        "<p class='note'>Days and months are UTC. Events are de-duplicated on event_id. "
        "Days past due come from the arrears job's installment_overdue events "
        "(one per bucket entered: 1, 31, 61, 91 days), so PAR30 "
        "counts loans more than 30 days late. Outstanding is the balance on a loan's latest repayment or "
        "arrears event, or its principal if it has none yet.</p></body></html>"
    )
    out.write_text("\n".join(parts))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--offset", type=int, default=0, help="port offset of the stack (0 = make dev)")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    target = connect(args.offset, start=False)
    client = target.client()
    try:
        views.create_views(client, project=target.project, dataset=target.dataset)
        data = collect(client, project=target.project, dataset=target.dataset)
    finally:
        client.close()
    if not data.funnel:
        raise SystemExit(f"{target.events_table} has no events: run `make seed` first.")
    print_tables(data)
    note = ""
    seeded_file = OUT_DIR / f"seeded-{args.offset}.json"
    if seeded_file.exists():
        diffs = compare_with_seed(data, json.loads(seeded_file.read_text()))
        note = (
            "The numbers match the last `make seed` on this stack."
            if not diffs
            else "Differs from the last `make seed` (the table holds other events too?): " + "; ".join(diffs)
        )
        print(f"\n{note}")
    from analytics import charts  # matplotlib only when drawing

    pngs = charts.render_all(data, args.out)
    report = write_html(data, pngs, args.out / "report.html", source=target.events_table, note=note)
    print(f"\nwrote {report} and {len(pngs)} charts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
