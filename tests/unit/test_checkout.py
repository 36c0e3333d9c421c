from datetime import timedelta

import pytest

from mkopo import topology
from mkopo.domain.applications import Status
from mkopo.service import checkout, queries
from mkopo.service.errors import NotFound, Unprocessable
from mkopo.service.outbox import relay
from mkopo.service.store import Conflict
from tests.unit.conftest import World


def test_checkout_writes_the_application_and_publishes_its_event(world: World) -> None:
    user = world.user()
    offer = world.offer()
    result = world.submit(user, offer)
    assert result.status_code == 202
    app = world.application(result.body["application_id"])
    assert (app.status, app.borrower_id, app.offer.id) == (Status.SUBMITTED, user.id, offer.id)
    assert result.body["status_url"] == f"/v1/applications/{app.id}"
    assert world.publisher.topics() == [topology.CHECKOUT_SUBMITTED]
    [outbox_item] = world.store.col("outbox").values()
    assert outbox_item.sent and outbox_item.payload["application_id"] == app.id


def test_same_key_and_body_replays_the_first_answer(world: World) -> None:
    user, offer = world.user(), world.offer()
    first = world.submit(user, offer, key="k")
    second = world.submit(user, offer, key="k")
    assert second.body == first.body and second.replayed
    assert len(world.store.col("applications")) == 1
    assert world.publisher.topics() == [topology.CHECKOUT_SUBMITTED]


def test_same_key_with_another_body_is_unprocessable(world: World) -> None:
    user = world.user()
    world.submit(user, world.offer(), key="k")
    with pytest.raises(Unprocessable):
        world.submit(user, world.offer("6000"), key="k")


def test_keys_are_per_user(world: World) -> None:
    offer = world.offer()
    a = world.submit(world.user("+254700000001"), offer, key="same")
    b = world.submit(world.user("+254700000002"), offer, key="same")
    assert a.body["application_id"] != b.body["application_id"]


def test_unknown_offer_is_not_found_and_nothing_is_written(world: World) -> None:
    user = world.user()
    with pytest.raises(NotFound):
        checkout.submit(
            checkout.Checkout(offer_id="00000000-0000-4000-8000-000000000000"),
            user=user,
            offer=None,
            key="k",
            store=world.store,
            publisher=world.publisher,
            now=world.now,
            status_url="/{id}",
            terms_version="test-terms-v1",
        )
    assert world.store.col("applications") == {} and world.store.col("outbox") == {}
    assert world.store.col("idempotency") == {}


def test_expired_offer_is_unprocessable(world: World) -> None:
    user, offer = world.user(), world.offer()
    world.now = offer.expires_at + timedelta(seconds=1)
    with pytest.raises(Unprocessable, match="expired"):
        world.submit(user, offer)


def test_offer_in_another_market_currency_is_unprocessable(world: World) -> None:
    user = world.user("+256772123456")
    with pytest.raises(Unprocessable, match="UGX"):
        world.submit(user, world.offer())


def test_a_crash_before_publish_is_recovered_by_the_relay(world: World) -> None:
    user, offer = world.user(), world.offer()
    world.publisher.fail = True
    with pytest.raises(ConnectionError):
        world.submit(user, offer)
    assert len(world.store.col("applications")) == 1  # committed, not yet published
    world.publisher.fail = False
    assert relay(store=world.store, publisher=world.publisher, now=world.now, older_than=timedelta(0)) == 0
    count = relay(
        store=world.store,
        publisher=world.publisher,
        now=world.now + timedelta(seconds=11),
        older_than=timedelta(seconds=10),
    )
    assert count == 1 and world.publisher.topics() == [topology.CHECKOUT_SUBMITTED]
    assert (
        relay(
            store=world.store,
            publisher=world.publisher,
            now=world.now + timedelta(hours=1),
            older_than=timedelta(seconds=10),
        )
        == 0
    )


def test_a_concurrent_request_with_the_same_key_is_replayed(world: World) -> None:
    user, offer = world.user(), world.offer()

    def other_request_commits_first() -> None:
        world.store.before_commit = None
        world.submit(user, offer, key="race")

    world.store.before_commit = other_request_commits_first
    result = world.submit(user, offer, key="race")
    assert result.replayed
    assert len(world.store.col("applications")) == 1


def test_conflict_is_raised_by_the_fake_like_firestore(world: World) -> None:
    user = world.user()
    with pytest.raises(Conflict):
        world.store.transaction(lambda tx: tx.create_user(user))


def test_checkout_records_the_borrowers_consent_to_the_disclosed_terms(world: World) -> None:
    user, offer = world.user(), world.offer()
    app = world.application(world.submit(user, offer).body["application_id"])
    consent = app.consent
    assert consent is not None
    assert (consent.terms_version, consent.channel) == ("test-terms-v1", "api")
    assert consent.accepted_at == world.now
    assert consent.total_repayable_minor == offer.total_repayable.minor
    assert consent.total_cost_minor == offer.total_cost.minor and consent.apr == str(offer.apr)
    view = queries.application_view(app)["consent"]
    assert view["total_repayable"] == str(offer.total_repayable) and view["terms_version"] == "test-terms-v1"
    [record] = [r for r in world.store.col("audit").values() if r.action == "checkout_submitted"]
    assert record.after["consent"]["terms_version"] == "test-terms-v1"
