"""The cost model's arithmetic: billed instance time, prices per line, idle subtraction, fixed costs."""

from __future__ import annotations

from decimal import Decimal

from bench import cost_model

from mkopo import metering, topology

PRICES = cost_model.Prices.load()


def test_billed_time_is_cpu_stretched_by_the_vcpu_share_but_at_least_100_ms_a_call() -> None:
    assert PRICES.billed_seconds(Decimal("0.010"), Decimal(1)) == Decimal("0.1")
    stretched = PRICES.billed_seconds(Decimal("1"), Decimal(1))
    assert stretched == Decimal(1) / PRICES.vcpu


def test_firestore_line_prices_each_operation() -> None:
    counts = {metering.FS_READS: Decimal(100_000), metering.FS_WRITES: Decimal(100_000)}
    usd = cost_model.usd_of(counts, Decimal(0), PRICES)
    assert usd["firestore"] == 100_000 * (PRICES.usd["firestore_read"] + PRICES.usd["firestore_write"])


def test_one_more_write_per_loan_costs_one_write() -> None:
    base = {metering.FS_WRITES: Decimal(30), metering.INVOCATIONS: Decimal(10)}
    more = base | {metering.FS_WRITES: Decimal(31)}
    difference = sum(cost_model.usd_of(more, Decimal(0), PRICES).values()) - sum(
        cost_model.usd_of(base, Decimal(0), PRICES).values()
    )
    assert difference == PRICES.usd["firestore_write"]


def test_a_bigquery_query_bills_at_least_ten_megabytes() -> None:
    usd = cost_model.usd_of({metering.BQ_QUERIES: Decimal(1)}, Decimal(0), PRICES)
    assert usd["bigquery"] == PRICES.query_minimum_bytes * PRICES.usd["bigquery_query_byte"]


def test_per_loan_subtracts_what_the_same_time_idle_does() -> None:
    loaded = {metering.FS_READS: Decimal(130), metering.FS_WRITES: Decimal(60)}
    idle = {metering.FS_READS: Decimal(10)}
    got = cost_model.per_loan(loaded, idle, Decimal(3), 10)
    assert got == {metering.FS_READS: Decimal(10), metering.FS_WRITES: Decimal(6)}


def test_fixed_costs_name_every_scheduled_job_and_warm_public_function() -> None:
    fixed = cost_model.fixed_monthly(PRICES, {}, min_instances=1)
    scheduled = sum(1 for fn in topology.FUNCTIONS if fn.trigger == "schedule")
    assert fixed["scheduler jobs"] == (scheduled - 3) * PRICES.usd["scheduler_job_month"]
    assert fixed["load balancer"] == 720 * PRICES.usd["load_balancer_rule_hour"]
    assert fixed["warm instances"] > 0
    assert cost_model.fixed_monthly(PRICES, {}, min_instances=0)["warm instances"] == 0


def test_every_floor_is_argued() -> None:
    for kind, (floor, why) in cost_model.FLOORS.items():
        assert floor >= 0 and len(why) > 20, kind
