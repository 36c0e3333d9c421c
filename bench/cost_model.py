"""What one loan costs: counted operations priced at GCP list prices (bench/prices.json), the floor each
count is measured against, and the monthly bill for a volume of loans with the platform's fixed costs.

Pure arithmetic over what ``bench.cost`` measured, so it is unit-tested without a stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from mkopo import metering, topology

PRICES = Path(__file__).with_name("prices.json")
MONTH_S = 30 * 24 * 3600
RUNS_PER_MONTH = {
    "* * * * *": 30 * 24 * 60,
    "*/5 * * * *": 30 * 24 * 12,
    "0 6 * * *": 30,
    "0 5 * * *": 30,  # score stability, daily
    "30 6 * * *": 30,  # provisioning, daily
    "0 7 1 * *": 1,  # bureau, monthly
}

# The fewest operations one loan's journey needs (checkout → DISBURSED → one repayment → REPAID, five SMS),
# argued from what a correct at-least-once design must do, not from what the code does today.
FLOORS: dict[str, tuple[int, str]] = {
    metering.FS_WRITES: (
        34,
        "application 3 (created, scored, decided), idempotency key 1, outbox 1 per event (6), loan 2 "
        "(opened, repaid), journal 4 (disbursed, payout settled, due, repayment), repayment 2 (asked, "
        "paid), 2 per SMS (sent, delivered: 10), audit record 4 (consent, decision, payout, repayment), "
        "borrower's credit profile 2 (first loan, repaid)",
    ),
    metering.FS_READS: (
        29,
        "each step reads what it changes once: checkout 3 (user, offer, key), scoring 2 (application, "
        "borrower), decision 2 (application, borrower's active loan), payout 1, payout result 2 "
        "(application, borrower's credit profile), repayment 2 (loan, key), collection result 3 (repayment, "
        "loan, borrower), 1 per SMS (5), its delivery report 1 per SMS (5), the audit exporter 1 per audit "
        "record (4); the outbox relay 0 (events are sent at once)",
    ),
    metering.FS_DELETES: (0, "nothing needs deleting on the way (TTL removes idempotency keys later)"),
    metering.PUBLISHED: (
        6,
        "one message per domain event: submitted, scored, approved, disbursed, received, repaid",
    ),
    metering.DELIVERED: (
        14,
        "pushed: scoring, decision, payout 1 each and every event notify subscribes to (5); "
        "pulled: 6 events exported",
    ),
    metering.BQ_ROWS: (10, "one row per domain event (6) and per audit record (4), written once"),
    metering.SMS_SEGMENTS: (5, "received, approved, disbursed, paid, repaid: one GSM-7 segment each"),
    metering.PROVIDER_CALLS: (7, "one payout, one collection request (tokens cached), one send per SMS (5)"),
    metering.INVOCATIONS: (
        17,
        "checkout, scoring, decision, payout, payout result, repayment, collection result 1 each; "
        "notify 1 per event (5); the provider's delivery report 1 per SMS (5)",
    ),
}


@dataclass(frozen=True)
class Prices:
    usd: dict[str, Decimal]
    vcpu: Decimal
    memory_gib: Decimal
    granularity_s: Decimal
    query_minimum_bytes: int
    date: str

    @classmethod
    def load(cls, path: Path = PRICES) -> Prices:
        raw = json.loads(path.read_text())
        usd = {k: Decimal(str(v["usd"])) for k, v in raw["prices"].items()}
        shape, rules = raw["function_shape"], raw["rules"]
        return cls(
            usd=usd,
            vcpu=Decimal(str(shape["vcpu"])),
            memory_gib=Decimal(str(shape["memory_gib"])),
            granularity_s=Decimal(str(rules["billing_granularity_s"])),
            query_minimum_bytes=int(rules["bigquery_query_minimum_bytes"]),
            date=raw["date"],
        )

    def instance_second(self) -> Decimal:
        """One second of one instance of the deployed shape, busy with a request."""
        return self.vcpu * self.usd["cpu_vcpu_second"] + self.memory_gib * self.usd["memory_gib_second"]

    def billed_seconds(self, cpu_s: Decimal, invocations: Decimal) -> Decimal:
        """Billable instance time: the CPU used, stretched by the share of a vCPU the shape has, and never
        less than the 100 ms each (non-overlapping) invocation is rounded up to."""
        return max(cpu_s / self.vcpu, invocations * self.granularity_s)


def usd_of(counts: dict[str, Decimal], cpu_s: Decimal, prices: Prices) -> dict[str, Decimal]:
    """The price of one function's (or one loan's) counted operations, by line."""
    p, n = prices.usd, counts.get
    zero = Decimal(0)
    invocations = n(metering.INVOCATIONS, zero)
    query_bytes = n(metering.BQ_QUERIES, zero) * prices.query_minimum_bytes
    return {
        "compute": prices.billed_seconds(cpu_s, invocations) * prices.instance_second(),
        "requests": invocations * p["request"],
        "firestore": n(metering.FS_READS, zero) * p["firestore_read"]
        + n(metering.FS_WRITES, zero) * p["firestore_write"]
        + n(metering.FS_DELETES, zero) * p["firestore_delete"],
        "pubsub": (n(metering.PUBLISHED_BYTES, zero) + n(metering.DELIVERED_BYTES, zero)) * p["pubsub_byte"],
        "bigquery": n(metering.BQ_BYTES, zero) * p["bigquery_streamed_byte"]
        + query_bytes * p["bigquery_query_byte"],
    }


def fixed_monthly(
    prices: Prices, idle_per_run: dict[str, dict[str, Decimal]], min_instances: int
) -> dict[str, Decimal]:
    """What the platform costs a month with no loans: scheduler jobs and their runs, warm instances for the
    public functions, the load balancer's forwarding rule."""
    p = prices.usd
    scheduled = [fn for fn in topology.FUNCTIONS if fn.trigger == "schedule"]
    runs = Decimal(0)
    for fn in scheduled:
        per_month = Decimal(RUNS_PER_MONTH.get(fn.schedule or "", 30 * 24 * 60))
        one_run = idle_per_run.get(fn.name, {}) | {metering.INVOCATIONS: Decimal(1)}
        runs += per_month * sum(usd_of(one_run, Decimal(0), prices).values())
    http = sum(1 for fn in topology.FUNCTIONS if fn.trigger == "http")
    idle_instance = (
        prices.vcpu * p["idle_min_instance_vcpu_second"]
        + prices.memory_gib * p["idle_min_instance_gib_second"]
    )
    return {
        "scheduler jobs": Decimal(max(0, len(scheduled) - 3)) * p["scheduler_job_month"],
        "scheduled runs": runs,
        "warm instances": Decimal(http * min_instances * MONTH_S) * idle_instance,
        "load balancer": Decimal(30 * 24) * p["load_balancer_rule_hour"],
    }


def per_loan(
    loaded: dict[str, Decimal], idle: dict[str, Decimal], idle_ratio: Decimal, loans: int
) -> dict[str, Decimal]:
    """Counts per loan: what the load added over what the same time idle does, divided by the loans."""
    kinds = set(loaded) | set(idle)
    return {
        k: max(Decimal(0), loaded.get(k, Decimal(0)) - idle.get(k, Decimal(0)) * idle_ratio) / loans
        for k in kinds
    }


def to_json(value: Any) -> Any:
    """Decimals as strings (rounded to nine places) for JSON; everything else as it is."""
    if isinstance(value, Decimal):
        return format(round(value, 9), "f")
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value
