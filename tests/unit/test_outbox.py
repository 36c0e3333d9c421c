"""The outbox relay: everything left unsent is republished, page after page, and marked sent."""

from datetime import timedelta

from mkopo.service.outbox import relay
from mkopo.service.store import OutboxItem
from tests.unit.conftest import World


def leave_unsent(world: World, count: int, topic: str = "checkout_submitted") -> None:
    for i in range(count):
        item = OutboxItem(event_id=f"e-{i}", topic=topic, payload={"n": i}, created_at=world.now)
        world.store.col("outbox")[item.event_id] = item


def test_a_backlog_larger_than_a_page_is_relayed_in_one_run(world: World) -> None:
    leave_unsent(world, 1_201)
    later = world.now + timedelta(seconds=11)
    count = relay(store=world.store, publisher=world.publisher, now=later, older_than=timedelta(seconds=10))
    assert count == 1_201 == len(world.publisher.published)
    assert all(item.sent for item in world.store.col("outbox").values())
    assert {a["relayed"] for _, _, a in world.publisher.published} == {"true"}
    assert relay(store=world.store, publisher=world.publisher, now=later, older_than=timedelta(0)) == 0


def test_a_run_stops_after_its_pages(world: World) -> None:
    leave_unsent(world, 30)
    later = world.now + timedelta(seconds=11)
    args = {"store": world.store, "publisher": world.publisher, "now": later, "older_than": timedelta(0)}
    assert relay(**args, limit=10, max_pages=2) == 20  # type: ignore[arg-type]
    assert relay(**args, limit=10, max_pages=2) == 10  # type: ignore[arg-type]
