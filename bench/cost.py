"""``make cost``: whole loans (checkout → DISBURSED → repaid in full → REPAID) at a gentle pace on the local
stack with metering on; the counted operations per loan and per function, their floors, and their price
→ bench/cost.json and a table. ``--check`` fails when a per-loan count is over bench/cost_budget.json.

Per-loan figures are what the load added over the same length of idle time (the scheduled jobs' empty
runs are fixed costs, priced separately), divided by the loans.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from emulators.stack import HOST, Ports, Stack

from bench import cost_model, cost_report, driver, procs
from bench.population import Applicant, approvable_phones, seed_applicants
from mkopo.domain.loans import Loan
from mkopo.domain.money import EXPONENT

RESULTS = Path(__file__).with_name("cost.json")
BUDGET = Path(__file__).with_name("cost_budget.json")
IDLE_S = 20.0


class CostRun:
    def __init__(self, offset: int) -> None:
        self.meter_dir = Path(".run") / f"meter-{offset}"
        shutil.rmtree(self.meter_dir, ignore_errors=True)
        self.stack = Stack(Ports(offset), extra_env={"MKOPO_METER_DIR": str(self.meter_dir.resolve())})
        self.db: Any = None
        self.saved_env: dict[str, str] = {}

    def start(self) -> None:
        try:
            self.stack.start()
        except BaseException:
            self.stack.stop()
            raise
        self.saved_env = dict(os.environ)
        os.environ.update(self.stack.emulator_env())
        from google.cloud import firestore

        self.db = firestore.Client(project=self.stack.project)
        self.gateway = driver.http_client(self.stack.gateway_url)

    def snapshot(self) -> dict[str, dict[str, Decimal]]:
        """Every function's counts so far (its meter files) plus its CPU milliseconds."""
        groups = {
            n.removeprefix("fn-"): r.pgid for n, r in self.stack._records.items() if n.startswith("fn-")
        }
        cpu = procs.cpu_by_group(groups)
        out: dict[str, dict[str, Decimal]] = {}
        for name, pgid in groups.items():
            counts: dict[str, Decimal] = {"cpu_ms": Decimal(str(cpu[name] * 1000))}
            for pid in procs.group_pids(pgid):
                path = self.meter_dir / f"{pid}.json"
                if path.exists():
                    for kind, n in json.loads(path.read_text()).items():
                        counts[kind] = counts.get(kind, Decimal(0)) + Decimal(n)
            out[name] = counts
        return out

    def loans(self, phones: list[str], rate: float) -> list[str]:
        """Check each borrower out at ``rate``/s, wait for the payouts, repay each loan in full, wait for
        REPAID; the loans' ids."""
        offer = driver.fetch_offer_id(self.gateway)
        who = seed_applicants(self.db, phones)
        outcomes = driver.run_paced(
            [functools.partial(driver.checkout, self.gateway, a, offer) for a in who], rate
        )
        ids = [o.application_id for o in outcomes if o.application_id]
        docs = driver.wait_terminal(self.db, ids, 120)
        by_user = {a.user_id: a for a in who}
        paid = [i for i, d in docs.items() if d.get("status") == "DISBURSED"]
        driver.run_paced(
            [functools.partial(self.repay, i, by_user[docs[i]["borrower_id"]]) for i in paid], rate
        )
        self.wait_repaid(paid, 120)
        return paid

    def repay(self, loan_id: str, who: Applicant) -> None:
        loan = Loan.model_validate(self.db.collection("loans").document(loan_id).get().to_dict())
        owed = loan.outstanding
        reply = self.gateway.post(
            f"/v1/loans/{loan_id}/repayments",
            json={"amount": str(Decimal(owed.minor).scaleb(-EXPONENT[owed.currency]))},
            headers=who.headers | {"Idempotency-Key": str(uuid.uuid4())},
        )
        reply.raise_for_status()

    def wait_repaid(self, loan_ids: list[str], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        refs = [self.db.collection("loans").document(i) for i in loan_ids]
        while time.monotonic() < deadline:
            if all((s.to_dict() or {}).get("status") == "REPAID" for s in self.db.get_all(refs)):
                break
            time.sleep(1)
        time.sleep(8)  # the last SMS, its delivery report and the exporters' next batch

    def stop(self) -> None:
        self.stack.stop()
        if self.saved_env:  # a caller in the same process (a test) gets its environment back
            os.environ.clear()
            os.environ.update(self.saved_env)


def measure(offset: int, loans: int, rate: float) -> dict[str, Any]:
    """The whole run: warm up, idle, load; what one loan costs."""
    run = CostRun(offset)
    run.start()
    try:
        run.loans(approvable_phones(2, start=600_000), rate)  # lazy clients, first tokens: not counted
        time.sleep(5)
        first = run.snapshot()
        time.sleep(IDLE_S)
        idle_end, began = run.snapshot(), time.monotonic()
        done = run.loans(approvable_phones(loans, start=610_000), rate)
        load_s, last = time.monotonic() - began, run.snapshot()
    finally:
        run.stop()
    return cost_report.results(first, idle_end, last, Decimal(str(IDLE_S)), Decimal(str(load_s)), len(done))


def check(results: dict[str, Any], budget_path: Path = BUDGET) -> list[str]:
    """The per-loan counts over their budget, as sentences (empty when every count is within it): the
    total, and each function on a loan's path (a write added anywhere shows there)."""
    budget = json.loads(budget_path.read_text())["per_loan_at_most"]
    counted = {"total": results["per_loan"]["total"]}
    counted |= {fn: entry["counts"] for fn, entry in results["per_function"].items()}
    return [
        f"{where} {kind}: {counted[where].get(kind, 0):.2f} per loan, budget {limit}"
        for where, limits in budget.items()
        for kind, limit in limits.items()
        if Decimal(str(counted.get(where, {}).get(kind, 0))) > Decimal(str(limit))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offset", type=int, default=17_000)
    parser.add_argument("--loans", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2.0, help="checkouts (then repayments) per second")
    parser.add_argument("--check", action="store_true", help="fail when a per-loan count is over budget")
    args = parser.parse_args(argv)
    results = measure(args.offset, args.loans, args.rate)
    results["meta"] = {
        "host": HOST,
        "loans": args.loans,
        "rate": args.rate,
        "prices": cost_model.Prices.load().date,
    }
    RESULTS.write_text(json.dumps(cost_model.to_json(results), indent=2))
    print(cost_report.table(results))
    over = check(results) if args.check else []
    for line in over:
        print(f"cost: over budget: {line}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
