"""Every Pub/Sub consumer in process: a recorded push delivered twice changes state once; poison is
dead-lettered and acknowledged; a provider outage is a 500 so Pub/Sub redelivers."""

from __future__ import annotations

import base64
import json

import pytest

from mkopo import topology
from mkopo.domain.applications import Status
from mkopo.entrypoints.consumers import Consumers, create_consumers
from tests.factories import checkout_submitted
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, deliver, push_body, recorded_push


@pytest.fixture
def consumers(world: World) -> Consumers:
    return create_consumers(FakeContainer(world))


def checked_out(world: World, phone: str = "+254700000011") -> str:
    app_id: str = world.submit(world.user(phone), world.offer(), key=phone).body["application_id"]
    return app_id


def deliver_twice(world: World, consume: object, topic: str) -> list[int]:
    body = recorded_push(world.publisher, topic, message_id=f"m-{topic}")
    return [deliver(consume, body, topic), deliver(consume, body, topic)]  # type: ignore[arg-type]


def published(world: World, topic: str) -> int:
    return world.publisher.topics().count(topic)


def test_scoring_scores_once_however_often_the_event_arrives(world: World, consumers: Consumers) -> None:
    app_id = checked_out(world)
    assert deliver_twice(world, consumers.score, topology.CHECKOUT_SUBMITTED) == [200, 200]
    assert world.application(app_id).status == Status.SCORED
    assert published(world, topology.APPLICATION_SCORED) == 1


def test_confirm_payment_decides_once(world: World, consumers: Consumers) -> None:
    app_id = checked_out(world)
    deliver(consumers.score, recorded_push(world.publisher, topology.CHECKOUT_SUBMITTED))
    assert deliver_twice(world, consumers.decide, topology.APPLICATION_SCORED) == [200, 200]
    assert world.application(app_id).status == Status.APPROVED
    assert published(world, topology.LOAN_APPROVED) == 1


def approved(world: World, consumers: Consumers, phone: str = "+254700000012") -> str:
    app_id = checked_out(world, phone)
    deliver(consumers.score, recorded_push(world.publisher, topology.CHECKOUT_SUBMITTED))
    deliver(consumers.decide, recorded_push(world.publisher, topology.APPLICATION_SCORED))
    assert world.application(app_id).status == Status.APPROVED
    return app_id


def test_disbursement_pays_once(world: World, consumers: Consumers) -> None:
    app_id = approved(world, consumers)
    assert deliver_twice(world, consumers.disburse, topology.LOAN_APPROVED) == [200, 200]
    assert world.application(app_id).status == Status.DISBURSED
    assert len(world.provider.payouts) == 1 and published(world, topology.LOAN_DISBURSED) == 1


def test_a_provider_outage_is_a_500_and_the_retry_pays(world: World, consumers: Consumers) -> None:
    app_id = approved(world, consumers)
    world.provider.unavailable = True
    body = recorded_push(world.publisher, topology.LOAN_APPROVED)
    assert deliver(consumers.disburse, body) == 500
    assert world.application(app_id).status == Status.APPROVED and world.publisher.raw == []
    world.provider.unavailable = False
    assert deliver(consumers.disburse, body) == 200
    assert world.application(app_id).status == Status.DISBURSED


def test_notify_sends_one_sms_per_event(world: World, consumers: Consumers) -> None:
    app_id = checked_out(world)
    assert deliver_twice(world, consumers.notify, topology.CHECKOUT_SUBMITTED) == [200, 200]
    assert world.sms.sends == 1
    [note] = world.store.list_notifications(world.application(app_id).borrower_id, 10)
    assert note.status == "sent"


NOT_AN_EVENT = push_body(b"not json at all", {})
WRONG_EVENT = push_body(json.dumps({"event_type": "loan_exploded"}).encode(), {})


@pytest.mark.parametrize(
    ("consumer", "method"),
    [("scoring", "score"), ("confirm-payment", "decide"), ("disbursement", "disburse"), ("notify", "notify")],
)
@pytest.mark.parametrize("body", [NOT_AN_EVENT, WRONG_EVENT], ids=["not-json", "unknown-type"])
def test_poison_is_dead_lettered_and_acknowledged(
    world: World, consumers: Consumers, consumer: str, method: str, body: dict
) -> None:
    assert deliver(getattr(consumers, method), body) == 200
    [(topic, data, attributes)] = world.publisher.raw
    assert topic == topology.DEAD_LETTER and attributes["consumer"] == consumer and attributes["reason"]
    assert data == base64.b64decode(body["message"]["data"])  # the message as it came, for an operator
    assert world.publisher.published == [] and world.store.col("applications") == {}


@pytest.mark.parametrize(
    ("consumer", "method", "wrong_topic"),
    [
        ("scoring", "score", topology.LOAN_APPROVED),
        ("confirm-payment", "decide", topology.CHECKOUT_SUBMITTED),
        ("disbursement", "disburse", topology.APPLICATION_SCORED),
    ],
)
def test_an_event_for_another_step_is_dead_lettered(
    world: World, consumers: Consumers, consumer: str, method: str, wrong_topic: str
) -> None:
    app_id = approved(world, consumers)
    before = list(world.publisher.published)
    assert deliver(getattr(consumers, method), recorded_push(world.publisher, wrong_topic)) == 200
    [(topic, _, attributes)] = world.publisher.raw
    assert topic == topology.DEAD_LETTER and attributes["consumer"] == consumer
    assert world.publisher.published == before and world.application(app_id).status == Status.APPROVED


def test_an_event_about_no_application_is_dead_lettered_by_notify(world: World, consumers: Consumers) -> None:
    event = checkout_submitted("no-such-application", world.now)
    body = push_body(json.dumps(event.payload()).encode(), event.attributes())
    assert deliver(consumers.notify, body) == 200
    [(topic, _, attributes)] = world.publisher.raw
    assert (topic, attributes["event_id"]) == (topology.DEAD_LETTER, event.event_id)
    assert world.sms.sends == 0
