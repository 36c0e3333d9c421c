"""The checkout function over HTTP, with fakes: who may check out, and how many reads it takes."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from mkopo.entrypoints import checkout_api
from mkopo.service.store import User
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, bearer, http_client


@pytest.fixture
def checkout(world: World) -> FlaskClient:
    return http_client(checkout_api.create_app(FakeContainer(world)))


def post(client: FlaskClient, user: User, body: Any, key: str = "key-1") -> tuple[int, dict[str, Any]]:
    response = client.post("/v1/checkout", json=body, headers=bearer(user) | {"Idempotency-Key": key})
    return response.status_code, response.get_json()


def disable(world: World, user: User) -> None:
    world.store.col("users")[user.id] = user.model_copy(update={"status": "disabled"})


def test_checkout_reads_the_user_and_the_offer_in_one_call(world: World, checkout: FlaskClient) -> None:
    user, offer = world.user(), world.offer()
    status, body = post(checkout, user, {"offer_id": offer.id})
    assert status == 202 and world.store.get_application(body["application_id"]) is not None
    assert world.store.joint_reads == 1


def test_a_disabled_user_is_refused_at_checkout(world: World, checkout: FlaskClient) -> None:
    user, offer = world.user(), world.offer()
    disable(world, user)
    assert post(checkout, user, {"offer_id": offer.id})[0] == 401
    assert post(checkout, user, {"offer": "unknown field"})[0] == 401  # 401 before anything about the request
    assert world.store.col("applications") == {} and world.publisher.published == []


def test_an_unknown_offer_is_a_404_problem(world: World, checkout: FlaskClient) -> None:
    status, body = post(checkout, world.user(), {"offer_id": "0b7f9d3e-7a51-4c0e-9a51-3c2f0d7e8b11"})
    assert (status, body["title"]) == (404, "Not found")


def test_a_replayed_key_gives_the_first_answer(world: World, checkout: FlaskClient) -> None:
    user, offer = world.user(), world.offer()
    first = post(checkout, user, {"offer_id": offer.id})
    assert post(checkout, user, {"offer_id": offer.id}) == first
    assert len(world.store.col("applications")) == 1


def test_no_token_is_a_401_and_no_idempotency_key_a_400_problem(world: World, checkout: FlaskClient) -> None:
    user, offer = world.user(), world.offer()
    anonymous = checkout.post("/v1/checkout", json={"offer_id": offer.id}, headers={"Idempotency-Key": "k"})
    assert anonymous.status_code == 401 and anonymous.mimetype == "application/problem+json"
    keyless = checkout.post("/v1/checkout", json={"offer_id": offer.id}, headers=bearer(user))
    assert keyless.status_code == 400 and keyless.mimetype == "application/problem+json"
    assert world.store.col("applications") == {} and world.publisher.published == []
