"""``make chaos`` / ``make chaos-short`` (part of ``make test``): every scenario, then the invariants, then a
summary table and a last line ``N passed, M failed`` (scenarios).

Run: ``python -m chaos.run [--long] [--offset 15000] [--only load,crashes]``; exit 1 if an invariant fails
or a scenario breaks, 2 if the stack does not start, else 0.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chaos import invariants, money, scenarios
from chaos.harness import ChaosStack

RESULTS = Path(__file__).with_name("results.json")
SCENARIOS: dict[str, Callable[[ChaosStack, scenarios.Size], scenarios.Run]] = {
    "load": scenarios.load,
    "at-least-once": scenarios.at_least_once,
    "crashes": scenarios.crashes,
    "provider-faults": money.provider_faults,
    "repayments": money.repayments,
    "poison": scenarios.poison,
}
# (header, the row's keys summed): every column but apps, loans, repaid, reps, dl, dl_earlier and secs
# must be 0.
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("apps", ("applications",)),
    ("lost", ("lost",)),
    ("dbl_paid", ("double_paid",)),
    ("pay_unrec", ("paid_not_recorded", "recorded_not_paid", "wrong_amount")),
    ("unbal", ("unbalanced",)),
    ("tb_off", ("trial_balance_off",)),
    ("loans", ("loans",)),
    ("ldg_diff", ("ledger_disagrees",)),
    ("repaid", ("repaid_loans",)),
    ("rcv_left", ("receivable_left",)),
    ("not_repaid", ("not_repaid",)),
    ("reps", ("repayments",)),
    ("reps_lost", ("repayments_lost",)),
    ("dbl_coll", ("double_collected",)),
    ("coll_unrec", ("collected_not_recorded", "recorded_not_collected")),
    ("bq_dup", ("bq_duplicates",)),
    ("bq_miss", ("bq_missing",)),
    ("dl", ("dead_letters",)),
    ("dl_unexp", ("unexpected_dead_letters",)),
    ("dl_earlier", ("earlier_scenario_dead_letters",)),
    ("secs", ("seconds",)),
)


def table(rows: dict[str, dict[str, Any]]) -> str:
    head = ["scenario", *(h for h, _ in COLUMNS), "ok"]
    body = []
    for name, r in rows.items():
        cells = [name] + [
            "-" if "error" in r else str(round(sum(r.get(k, 0) for k in keys), 1)) for _, keys in COLUMNS
        ]
        body.append([*cells, "ok" if r.get("ok") else "FAIL"])
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body, strict=True)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in [head, *body]]
    errors = [f"{name}: {r['error']}" for name, r in rows.items() if "error" in r]
    return "\n".join(lines + errors)


def summary(rows: dict[str, dict[str, Any]]) -> str:
    passed = sum(1 for r in rows.values() if r.get("ok"))
    return f"{passed} passed, {len(rows) - passed} failed"


def run_one(cs: ChaosStack, name: str, size: scenarios.Size, earlier: set[str]) -> dict[str, Any]:
    """Drive one scenario and check the invariants; ``earlier``: applications of the scenarios before it
    (their late redeliveries may dead-letter after the reset), grown by this one's."""
    began = time.monotonic()
    run = SCENARIOS[name](cs, size)
    driven = time.monotonic()
    try:
        verdict, _ = invariants.check(
            cs.stack,
            cs.db,
            run.accepted,
            expected_dead_letters=run.expected_dead_letters,
            repaid=run.repaid,
            earlier=earlier,
        )
        earlier.update(run.accepted)
    finally:
        if run.cleanup is not None:
            run.cleanup()
    verdict.seconds = round(time.monotonic() - began, 1)
    row = verdict.as_dict() | {"notes": run.notes, "check_s": round(time.monotonic() - driven, 1)}
    if name == "load":
        wins = scenarios.approved_per_borrower(cs.db, run.accepted)
        row["borrowers_not_exactly_one_approved"] = sum(1 for n in wins.values() if n != 1)
        row["ok"] = row["ok"] and row["borrowers_not_exactly_one_approved"] == 0
        row["ok"] = row["ok"] and run.notes["duplicate_keys_with_two_applications"] == 0
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--long", action="store_true", help="1,000 applications from 100 borrowers, ...")
    parser.add_argument("--offset", type=int, default=15_000)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    args = parser.parse_args(argv)
    size = scenarios.LONG if args.long else scenarios.SHORT
    wanted = set(filter(None, args.only.split(",")))
    if wanted - set(SCENARIOS):
        parser.error(f"unknown scenarios: {sorted(wanted - set(SCENARIOS))}; known: {sorted(SCENARIOS)}")
    chosen = [s for s in SCENARIOS if not wanted or s in wanted]
    began = time.monotonic()
    cs = ChaosStack(args.offset)
    rows: dict[str, dict[str, Any]] = {}
    earlier: set[str] = set()
    try:
        cs.start()
    except Exception as exc:
        print(f"chaos: the stack did not start: {exc}", flush=True)
        print(f"0 passed, {len(chosen)} failed")
        return 2
    try:
        for name in chosen:
            try:
                rows[name] = run_one(cs, name, size, earlier)
            except Exception as exc:
                rows[name] = {"ok": False, "error": repr(exc)[:300]}
            shown = {k: v for k, v in rows[name].items() if k != "notes"}
            print(f"chaos: {name}: {json.dumps(shown, default=str)}", flush=True)
    finally:
        cs.stop()
    meta = {"long": args.long, "seconds": round(time.monotonic() - began, 1)}
    RESULTS.write_text(json.dumps(meta | {"scenarios": rows}, indent=2, default=str))
    print(table(rows))
    print(f"chaos: {meta['seconds']} s in all; details in {RESULTS}")
    print(summary(rows))
    return 0 if all(r.get("ok") for r in rows.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
