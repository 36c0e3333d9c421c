"""The local stand-in for Cloud Scheduler: minute-level jobs every tick, daily ones seldom."""

from emulators.scheduler import DAILY_SLOWDOWN, local_interval

from mkopo import topology


def test_minute_jobs_tick_every_interval_and_daily_jobs_seldom() -> None:
    intervals = {fn.name: local_interval(fn, 2.0) for fn in topology.FUNCTIONS if fn.trigger == "schedule"}
    for name in ("outbox-relay", "reconciliation", "exporter", "audit-exporter"):
        assert intervals[name] == 2.0
    assert intervals["arrears"] == 2.0 * DAILY_SLOWDOWN
