"""``make bench``: every figure against a floor measured in the same run → bench/results.json and a table.

Run: ``python -m bench.run [--offset 20000] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emulators.stack import HOST, Ports, Stack

from bench import coldstart, driver, pipeline, procs, profiling, report, trace_hops, ussd
from bench.population import approvable_phones, poor_phones, seed_applicants

RESULTS = Path(__file__).with_name("results.json")
PROFILES = Path(__file__).with_name("profiles")
HOP_FUNCTION = {"SUBMITTED->SCORED": "scoring", "SCORED->APPROVED": "confirm-payment"}
HOP_FUNCTION |= {"APPROVED->DISBURSED": "disbursement", "SCORED->REJECTED": "confirm-payment"}
HANDLER = {"scoring": "score_application", "confirm-payment": "decide", "disbursement": "disburse"}
HANDLER |= {"checkout": "submit"}


class Bench:
    def __init__(self, stack: Stack, quick: bool) -> None:
        from google.cloud import firestore

        self.stack, self.quick = stack, quick
        self.db = firestore.Client(project=stack.project)
        self.gateway = driver.http_client(stack.gateway_url)
        self.checkout_fn = driver.http_client(stack.function_url("checkout"))
        self.results: dict[str, Any] = {}
        self.extra: list[procs.FunctionProcess] = []

    def settle(self, timeout_s: float = 90) -> None:
        """Let the previous phase's applications finish and their events export, so its leftover work does
        not land in the next phase's figures."""
        from google.cloud.firestore import FieldFilter

        in_flight = ["SUBMITTED", "SCORED", "APPROVED"]
        query = self.db.collection("applications").where(filter=FieldFilter("status", "in", in_flight))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and query.count().get()[0][0].value:
            time.sleep(1)
        self.drain(max(1.0, deadline - time.monotonic()))

    def fresh(self, phones: list[str]) -> tuple[list[Any], str]:
        """Finish what is in flight, empty Firestore and the sandbox; seed these borrowers, fetch an offer."""
        self.settle()
        self.stack.reset_firestore()
        for sandbox in (self.stack.momo_url, f"http://{HOST}:{self.stack.ports.mpesa_sandbox}"):
            self.gateway.post(sandbox + "/sandbox/reset")
        return seed_applicants(self.db, phones), driver.fetch_offer_id(self.gateway)

    def latency(self) -> None:
        base = self.stack.ports.offset + coldstart.COLD_PORT_BASE - 10
        pipeline.ensure_topic(self.stack, "bench_floor")
        floor = procs.launch(self.stack, "floor", "floor", base, source=procs.FLOOR_SOURCE)
        self.extra.append(floor)
        procs.wait_good(floor, lambda: driver.httpx.post(floor.url, trust_env=False).status_code == 202)
        floor_client = driver.http_client(floor.url)
        who, offer = self.fresh(poor_phones(50))
        out: dict[str, Any] = {}
        for name, call in (
            ("floor", pipeline.floor_call(floor_client)),
            ("checkout", pipeline.checkout_call(self.checkout_fn, who, offer)),
        ):
            pipeline.latency_run(call, 4, 20)  # warm up connections and lazy clients
            out[name] = {}
        for concurrency in (1, 10, 50):
            count = max(30 if self.quick else 80, concurrency * (3 if self.quick else 6))
            for name, call in (
                ("floor", pipeline.floor_call(floor_client)),
                ("checkout", pipeline.checkout_call(self.checkout_fn, who[:concurrency], offer)),
            ):
                out[name][str(concurrency)] = pipeline.latency_run(call, concurrency, count)
                time.sleep(1)
        self.results["checkout_latency_ms"] = out

    def ussd(self) -> None:
        """Whole USSD sessions through the gateway: per-request p50/p95/max against the 500 ms target."""
        self.fresh([])
        numbers = approvable_phones(1 + 2 * (5 if self.quick else 12), start=600_000)  # >= 5 per level
        self.results["ussd_latency_ms"] = ussd.ussd_latency(self.gateway, numbers, (1, 5))

    def push_floor(self) -> None:
        base = self.stack.ports.offset + coldstart.COLD_PORT_BASE - 9
        noop = procs.launch(self.stack, "noop", "noop", base, source=procs.FLOOR_SOURCE)
        self.extra.append(noop)
        procs.wait_good(noop, lambda: driver.httpx.get(noop.url, trust_env=False).status_code == 200)
        self.results["push_floor"] = pipeline.push_floor(self.stack, noop.url, 500 if self.quick else 1500)

    def paced(self) -> None:
        counts = {5: 40} if self.quick else {5: 100}
        ladder = [10, 25, 50] if self.quick else [10, 20, 35, 50]
        per_step_s = 5 if self.quick else 10
        need = sum(counts.values()) + sum(r * per_step_s for r in ladder)
        applicants, offer = self.fresh(approvable_phones(need))
        steps: list[dict[str, Any]] = []
        used = 0
        for rate in [5, *ladder]:
            n = counts.get(rate, rate * per_step_s)
            cpu_before, began = self.cpu(), time.monotonic()
            step = pipeline.paced_step(self.db, self.gateway, applicants[used : used + n], offer, rate, 120)
            cpu_during, wall_s = self.cpu(), time.monotonic() - began
            self.drain()  # the exporters' work belongs to the applications too
            step["cpu"] = pipeline.cpu_use(cpu_before, cpu_during, self.cpu(), wall_s, step["accepted"])
            used += n
            step["sustainable"] = pipeline.sustainable(step)
            steps.append(step)
            if rate != 5 and not step["sustainable"]:
                break
        spans = trace_hops.spans_of(self.stack.trace_file)  # read once, after every step's spans are out
        for step in steps:
            step["trace"] = trace_hops.breakdown(spans, step["application_ids"])
        self.results["paced"] = [{k: v for k, v in s.items() if k != "application_ids"} for s in steps]
        self.sample_app = steps[0]["application_ids"][0]

    def cpu(self) -> dict[str, float]:
        return procs.cpu_by_group({name: rec.pgid for name, rec in self.stack._records.items()})

    def drain(self, timeout_s: float = 60) -> None:
        """Wait until the exporter and notifier have caught up with the outbox (or the time is up)."""
        from google.cloud import bigquery

        deadline = time.monotonic() + timeout_s
        ids = [ref.id for ref in self.db.collection("outbox").list_documents()]  # outbox ids are event ids
        query = f"SELECT COUNT(*) AS n FROM `{self.stack.events_table_id}` WHERE event_id IN UNNEST(@ids)"  # noqa: S608
        ids_param = bigquery.ArrayQueryParameter("ids", "STRING", ids)
        config = bigquery.QueryJobConfig(query_parameters=[ids_param])
        with self.stack.bigquery_client() as client:
            while ids and time.monotonic() < deadline:
                if next(iter(client.query(query, job_config=config).result()))["n"] >= len(ids):
                    return
                time.sleep(1)

    def profile(self) -> None:
        """Sample checkout and the slowest hop's function during a paced run at 10/s."""
        hops = self.results["paced"][0]["hops_ms"]
        slowest = max((h for h in hops if h in HOP_FUNCTION), key=lambda h: hops[h]["p50"])
        targets = {"checkout", HOP_FUNCTION[slowest]}
        duration = 12 if self.quick else 20
        applicants, offer = self.fresh(approvable_phones(duration * 10, start=200_000))
        spies = {}
        for name in targets:
            pgid = self.stack._records[f"fn-{name}"].pgid
            out = PROFILES / f"{name}.raw"
            spies[name] = (profiling.start(procs.worker_pid(pgid), out, duration), out)
        pipeline.paced_step(self.db, self.gateway, applicants, offer, 10, 60)
        found: dict[str, Any] = {"slowest_hop": slowest}
        for name, (spy, out) in spies.items():
            spy.wait(timeout=duration + 30)
            found[name] = profiling.breakdown(out, HANDLER[name]) if out.exists() else {"error": "no samples"}
        self.results["profile"] = found
        self.drain()

    def memory_after_load(self) -> None:
        self.results["rss_after_load_mb"] = {
            name.removeprefix("fn-"): procs.group_rss(rec.pgid)
            for name, rec in self.stack._records.items()
            if name.startswith("fn-")
        }

    def cold(self) -> None:
        who, offer = self.fresh(approvable_phones(1, start=400_000))
        phone, password = "+254700000042", "bench-pass-1"
        self.gateway.post(
            "/v1/auth/register", json={"phone": phone, "password": password, "full_name": "B B"}
        )
        key = "cold-start-replay"
        first = driver.checkout(self.gateway, who[0], offer, key)
        driver.wait_terminal(self.db, [first.application_id or ""], 30)
        events = {}
        for snap in self.db.collection("outbox").stream():
            doc = snap.to_dict() or {}
            events[doc["topic"]] = doc | {"id": snap.id}
        fx = coldstart.Fixtures(phone, password, who[0], offer, key, events)
        self.results["cold_start"] = coldstart.cold_starts(self.stack, fx, reps=2 if self.quick else 3)

    def stop(self) -> None:
        for fp in self.extra:
            fp.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offset", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="smaller counts (a smoke run)")
    parser.add_argument("--skip", default="", help="comma-separated phases to skip")
    args = parser.parse_args(argv)
    stack = Stack(Ports(args.offset))  # functions/main.py defines every function in mkopo.topology
    began = time.monotonic()
    try:
        stack.start()
    except BaseException:
        stack.stop()
        raise
    os.environ.update(stack.emulator_env())
    bench = Bench(stack, args.quick)
    skip = set(args.skip.split(","))
    try:
        phases = ("latency", "ussd", "push_floor", "paced", "memory_after_load", "profile", "cold")
        for phase in phases:
            if phase in skip:
                continue
            t = time.monotonic()
            getattr(bench, phase)()
            print(f"bench: {phase} done in {time.monotonic() - t:.0f} s", flush=True)
    finally:
        bench.stop()
        stack.stop()
    bench.results["meta"] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "quick": args.quick,
        "seconds": round(time.monotonic() - began),
        "command": "make bench",
    }
    RESULTS.write_text(json.dumps(bench.results, indent=2, default=str))
    print(report.table(bench.results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
