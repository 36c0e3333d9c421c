"""The batch exporters: each row once, poison dead-lettered, a failed insert redelivered, one writer."""

import json
from datetime import timedelta

from mkopo import topology
from mkopo.service import audit, exports
from tests.unit.conftest import World
from tests.unit.fakes import FailingSink, FakeInbox
from tests.unit.test_pipeline import run_to_end

EVENTS_SUB = "exporter--{}"


def deliver_published(world: World, inbox: FakeInbox, times: int = 1) -> int:
    """Put every event the journey published on the exporter's subscription for its topic, ``times`` each."""
    count = 0
    for _ in range(times):
        for topic, payload, attributes in world.publisher.published:
            if topic in topology.EVENT_TOPICS:
                inbox.put(EVENTS_SUB.format(topic), json.dumps(payload).encode(), attributes)
                count += 1
    return count


def drain(
    world: World, inbox: FakeInbox, table: exports.Table = exports.EVENTS, **kw: object
) -> exports.Tally:
    args: dict[str, object] = {
        "inbox": inbox,
        "store": world.store,
        "sink": world.sink,
        "publisher": world.publisher,
        "now": lambda: world.now,
        "holder": "run-1",
    }
    return exports.drain(table, **(args | kw))  # type: ignore[arg-type]


def test_every_event_is_exported_once_without_personal_data_and_acknowledged(world: World) -> None:
    run_to_end(world, "+254700000013")
    inbox = FakeInbox()
    delivered = deliver_published(world, inbox, times=2)  # every message twice, in one pull
    tally = drain(world, inbox)
    ids = [r["event_id"] for r in world.sink.rows]
    assert len(ids) == len(set(ids)) == 4 == tally.exported
    assert tally.pulled == delivered == 8 and tally.skipped == 4
    assert inbox.backlog() == 0 and len(inbox.acked) == delivered
    assert not any("+2547" in str(row) or "Amina" in str(row) for row in world.sink.rows)
    assert not world.store.col("exports")  # no mark per event: the sink keeps rows single


def test_one_insert_a_pass_for_every_subscription_it_pulled(world: World) -> None:
    run_to_end(world, "+254700000012")
    inbox = FakeInbox()
    deliver_published(world, inbox)
    assert len([sub for sub, line in inbox.waiting.items() if line]) == 4  # one event on each of four topics
    tally = drain(world, inbox)
    assert tally.exported == 4 and tally.batches == 1 and world.sink.calls == 1


def test_a_redelivery_after_the_export_adds_no_row(world: World) -> None:
    run_to_end(world, "+254700000014")
    inbox = FakeInbox()
    deliver_published(world, inbox)
    drain(world, inbox)
    deliver_published(world, inbox)  # the relay republished them all (at-least-once)
    again = drain(world, inbox)
    assert again.exported == 0 and again.skipped == 4 and len(world.sink.rows) == 4
    assert inbox.backlog() == 0


def test_poison_is_dead_lettered_and_the_rest_of_its_batch_exported(world: World) -> None:
    run_to_end(world, "+254700000015")
    inbox = FakeInbox()
    deliver_published(world, inbox)
    sub = EVENTS_SUB.format(topology.CHECKOUT_SUBMITTED)
    inbox.put(sub, b"not json", {"event_id": "bad-1"})
    inbox.put(sub, json.dumps({"event_type": "no_such_event"}).encode())
    tally = drain(world, inbox)
    assert tally.dead_lettered == 2 and tally.exported == 4 and inbox.backlog() == 0
    dead = [(t, data, attrs) for t, data, attrs in world.publisher.raw if t == topology.DEAD_LETTER]
    assert dead[0][1] == b"not json"
    assert all(a["consumer"] == "exporter" for _, _, a in dead) and dead[0][2]["event_id"] == "bad-1"


def test_a_failed_insert_hands_the_batch_back_and_a_later_run_exports_it(world: World) -> None:
    run_to_end(world, "+254700000016")
    inbox = FakeInbox()
    delivered = deliver_published(world, inbox)
    down = FailingSink()
    failed = drain(world, inbox, sink=down)
    assert failed.failed_batches == 1 and down.calls == 1  # stops at the first failure
    assert failed.exported == 0 and inbox.backlog() == delivered and not inbox.acked
    recovered = drain(world, inbox)
    assert recovered.exported == 4 and inbox.backlog() == 0


def test_one_writer_per_table_at_a_time(world: World) -> None:
    store = world.store
    ttl = timedelta(seconds=40)
    assert store.acquire_lease("export:exporter", "run-1", world.now, ttl)
    inbox = FakeInbox()
    inbox.put(EVENTS_SUB.format(topology.CHECKOUT_SUBMITTED), b"{}")
    busy = drain(world, inbox, holder="run-2")
    assert busy.busy and inbox.pulls == 0  # run-1 holds the table: run-2 does nothing
    later = world.now + ttl + timedelta(seconds=1)
    assert store.acquire_lease("export:exporter", "run-2", later, ttl)  # run-1 died: its lease expired
    store.release_lease("export:exporter", "run-2")
    assert drain(world, inbox, holder="run-3").dead_lettered == 1  # free again after the release


def export_audit(world: World, **kw: object) -> exports.Tally:
    args: dict[str, object] = {"store": world.store, "sink": world.sink, "now": lambda: world.now}
    return exports.export_audit(**(args | {"holder": "run-1"} | kw))  # type: ignore[arg-type]


def test_audit_records_go_from_the_store_to_their_table_once(world: World) -> None:
    run_to_end(world, "+254700000019")
    records = list(world.store.col("audit").values())
    assert len(records) >= 4  # submitted, scored, approved, disbursed
    first = export_audit(world)
    assert first.exported == len(records) == len(world.sink.rows) and first.batches == 1
    assert sorted(r["event_id"] for r in world.sink.rows) == sorted(r.id for r in records)
    assert export_audit(world).exported == 0 and len(world.sink.rows) == len(records)  # past the mark
    world.store.transaction(
        lambda tx: tx.add_audit(
            audit.record(
                actor_id="officer-1",
                actor_role="officer",
                action="review_approved",
                entity_type="application",
                entity_id="app-9",
                at=world.now,
            )
        )
    )
    assert export_audit(world).exported == 1  # only the new one


def test_audit_records_stay_queued_while_bigquery_is_down(world: World) -> None:
    run_to_end(world, "+254700000020")
    down = FailingSink()
    failed = export_audit(world, sink=down)
    assert failed.failed_batches == 1 and failed.exported == 0 and down.calls == 1
    assert world.store.audit_export_mark() is None  # the mark stays where it was
    assert export_audit(world).exported == len(world.store.col("audit"))
    assert export_audit(world, holder="run-2").exported == 0
    assert world.store.acquire_lease("export:audit-exporter", "run-3", world.now, timedelta(seconds=40))
    assert export_audit(world, holder="run-4").busy  # one writer per table


def test_a_lingering_run_keeps_pulling_until_its_time_is_up(world: World) -> None:
    clock = {"t": 0.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["t"] += seconds
        if len(slept) == 2:  # an event arrives while the run lingers
            deliver_published(world, inbox)

    run_to_end(world, "+254700000017")
    inbox = FakeInbox()
    tally = drain(world, inbox, linger_s=5.0, monotonic=lambda: clock["t"], sleep=sleep)
    assert tally.exported == 4 and len(slept) == 5 and clock["t"] == 5.0


def test_a_run_under_a_steady_stream_still_ends_in_time(world: World) -> None:
    clock = {"t": 0.0}
    run_to_end(world, "+254700000018")

    class Endless(FakeInbox):
        def pull(self, subscription: str, max_messages: int) -> list:
            clock["t"] += 0.5  # every pull takes time, and there is always more
            deliver_published(world, self)
            return super().pull(subscription, max_messages)

    inbox = Endless()
    tally = drain(world, inbox, monotonic=lambda: clock["t"])
    assert tally.exported == 4 and tally.skipped > 0
    assert exports.MAX_RUN_S <= clock["t"] <= exports.MAX_RUN_S + 0.5 * len(exports.EVENTS.subscriptions)
    assert world.store.acquire_lease("export:exporter", "next-run", world.now, timedelta(seconds=1))
