"""The scheduled functions in process, with fakes: each job built from the container and run as the
scheduler runs it, answering 200 with what it did."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from mkopo import topology
from mkopo.domain.applications import Status
from mkopo.entrypoints.jobs import Jobs, create_jobs
from mkopo.service.store import OutboxItem
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, carry_events


@pytest.fixture
def container(world: World) -> FakeContainer:
    return FakeContainer(world)


@pytest.fixture
def jobs(container: FakeContainer) -> Jobs:
    return create_jobs(container)


def carried(world: World, container: FakeContainer, phone: str) -> str:
    """Checked out and carried through every consumer: disbursed, or approved if the payout is pending."""
    app_id: str = world.submit(world.user(phone), world.offer(), key=phone).body["application_id"]
    carry_events(container)
    return app_id


def test_the_outbox_relay_republishes_what_was_left_unsent(world: World, jobs: Jobs) -> None:
    item = OutboxItem(
        event_id="e-1", topic=topology.CHECKOUT_SUBMITTED, payload={"n": 1}, created_at=world.now
    )
    world.store.col("outbox")[item.event_id] = item
    assert jobs.relay_outbox().body == {"relayed": 0}  # too recent: its publish may still be under way
    world.now += timedelta(minutes=1)
    reply = jobs.relay_outbox()
    assert (reply.status, reply.body) == (200, {"relayed": 1})
    assert world.publisher.topics() == [topology.CHECKOUT_SUBMITTED] and world.store.col("outbox")["e-1"].sent


def test_reconciliation_settles_a_payout_whose_callback_never_came(
    world: World, container: FakeContainer, jobs: Jobs
) -> None:
    world.provider.answers_later = True
    app_id = carried(world, container, "+254700000061")
    assert world.application(app_id).status == Status.APPROVED
    world.provider.answers_later = False
    world.now += timedelta(minutes=1)
    reply = jobs.reconcile()
    assert reply.status == 200 and reply.body["payouts"]["settled"] == 1
    assert world.application(app_id).status == Status.DISBURSED and len(world.provider.payouts) == 1


def test_the_arrears_run_flags_an_overdue_loan_once(
    world: World, container: FakeContainer, jobs: Jobs
) -> None:
    app_id = carried(world, container, "+254700000062")
    loan = world.store.get_loan(app_id)
    assert loan is not None
    due = loan.schedule.installments[0].due_date
    world.now = world.now.replace(year=due.year, month=due.month, day=due.day) + timedelta(days=40)
    first = jobs.arrears()
    assert first.status == 200 and first.body["overdue"] == 1
    assert jobs.arrears().body["overdue"] == 0


def test_the_exporter_writes_each_event_once(world: World, container: FakeContainer, jobs: Jobs) -> None:
    carried(world, container, "+254700000063")
    for _ in range(2):  # at-least-once: every message twice
        for topic, payload, attributes in world.publisher.published:
            container.inbox.put(f"exporter--{topic}", json.dumps(payload).encode(), attributes)
    reply = jobs.export_events()
    assert reply.status == 200 and reply.body["exported"] == 4 == len(world.sink.rows)
    assert container.inbox.backlog() == 0


def test_the_audit_exporter_writes_each_record_once(
    world: World, container: FakeContainer, jobs: Jobs
) -> None:
    carried(world, container, "+254700000064")
    records = len(world.store.audit_after(None, world.now, 1000))
    assert records >= 1
    assert jobs.export_audit().status == 200 and len(container.audit_sink.rows) == records
    assert jobs.export_audit().status == 200 and len(container.audit_sink.rows) == records
