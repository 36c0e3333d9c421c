"""The checkout function over HTTP, with fakes: who may check out, and how many reads it takes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, request

from mkopo.adapters.security import JwtTokens
from mkopo.entrypoints import checkout_api, identity
from mkopo.service.store import User
from tests.unit.conftest import World
from tests.unit.fakes import FakePublisher, InMemoryStore

TOKENS = JwtTokens(keys={"k1": "a" * 40}, active_kid="k1", issuer="mkopo", audience="mkopo-api", ttl_s=900)


@dataclass
class Wiring:
    """What the checkout function takes from the container."""

    store: InMemoryStore
    publisher: FakePublisher
    tokens: JwtTokens = TOKENS


@pytest.fixture
def wired(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    wiring = Wiring(world.store, world.publisher)
    monkeypatch.setattr(checkout_api, "container", lambda: wiring)
    monkeypatch.setattr(identity, "container", lambda: wiring)
    monkeypatch.setattr(checkout_api, "utcnow", lambda: world.now)
    return world


def post(user: User, body: Any, key: str = "key-1") -> tuple[int, dict[str, Any]]:
    token, _ = TOKENS.issue(subject=user.id, role=user.role)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    with Flask(__name__).test_request_context("/v1/checkout", method="POST", json=body, headers=headers):
        response = checkout_api.routes(request)
    return response.status_code, json.loads(response.get_data())


def disable(world: World, user: User) -> None:
    world.store.col("users")[user.id] = user.model_copy(update={"status": "disabled"})


def test_checkout_reads_the_user_and_the_offer_in_one_call(wired: World) -> None:
    user, offer = wired.user(), wired.offer()
    status, body = post(user, {"offer_id": offer.id})
    assert status == 202 and wired.store.get_application(body["application_id"]) is not None
    assert wired.store.joint_reads == 1


def test_a_disabled_user_is_refused_at_checkout(wired: World) -> None:
    user, offer = wired.user(), wired.offer()
    disable(wired, user)
    assert post(user, {"offer_id": offer.id})[0] == 401
    assert post(user, {"offer": "unknown field"})[0] == 401  # 401 before anything about the request
    assert wired.store.col("applications") == {} and wired.publisher.published == []


def test_an_unknown_offer_is_a_404_problem(wired: World) -> None:
    status, body = post(wired.user(), {"offer_id": "nope"})
    assert (status, body["title"]) == (404, "Not found")


def test_a_replayed_key_gives_the_first_answer(wired: World) -> None:
    user, offer = wired.user(), wired.offer()
    first = post(user, {"offer_id": offer.id})
    assert post(user, {"offer_id": offer.id}) == first
    assert len(wired.store.col("applications")) == 1
