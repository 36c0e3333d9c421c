"""The `backoffice` function in process, with fakes: the officers' review queue and decisions, the
admins' audit trail. The referral itself arrives as a Pub/Sub push to confirm-payment."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from mkopo import topology
from mkopo.domain.applications import Status
from mkopo.domain.events import ApplicationScored
from mkopo.domain.policy import DecisionPolicy
from mkopo.entrypoints import backoffice_api
from mkopo.entrypoints.consumers import create_consumers
from mkopo.service.store import User
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, bearer, deliver, http_client, is_problem, push_body


@pytest.fixture
def container(world: World) -> FakeContainer:
    world.policy = DecisionPolicy(approve_min_score=600, max_exposure_minor=10_000_000, review_min_score=560)
    return FakeContainer(world)


@pytest.fixture
def backoffice(container: FakeContainer) -> FlaskClient:
    return http_client(backoffice_api.create_app(container))


def with_role(world: World, phone: str, role: str) -> User:
    user = world.user(phone).model_copy(update={"role": role})
    world.store.col("users")[user.id] = user
    return user


def referred(world: World, container: FakeContainer, phone: str = "+254700000041") -> str:
    """An application scored in the review band, referred by confirm-payment."""
    user = world.user(phone)
    app_id: str = world.submit(user, world.offer(), key=phone).body["application_id"]
    app = world.application(app_id)
    app.move_to(Status.SCORED, world.now)
    app.decision.score = 580
    world.store.col("applications")[app_id] = app
    event = ApplicationScored.new(
        application_id=app_id,
        occurred_at=world.now,
        borrower_id=user.id,
        score=580,
        probability_of_default=0.1,
        reasons=[],
        credit_limit_minor=10_000_000,
    )
    body = push_body(json.dumps(event.payload()).encode(), event.attributes())
    assert deliver(create_consumers(container).decide, body) == 200
    assert world.application(app_id).status == Status.MANUAL_REVIEW
    return app_id


def decide(backoffice: FlaskClient, officer: User, app_id: str, outcome: str = "APPROVED") -> object:
    body = {"outcome": outcome, "comment": "steady mobile-money inflows"}
    return backoffice.post(f"/v1/reviews/{app_id}/decision", json=body, headers=bearer(officer))


def test_an_officer_sees_the_queue_and_approves_once(
    world: World, container: FakeContainer, backoffice: FlaskClient
) -> None:
    app_id = referred(world, container)
    officer = with_role(world, "+254700000042", "officer")
    queue = backoffice.get("/v1/reviews", headers=bearer(officer))
    assert queue.status_code == 200 and [r["id"] for r in queue.get_json()["reviews"]] == [app_id]
    approved = decide(backoffice, officer, app_id)
    assert approved.status_code == 200  # type: ignore[attr-defined]
    assert world.application(app_id).status == Status.APPROVED
    assert world.publisher.topics()[-1] == topology.LOAN_APPROVED
    again = decide(backoffice, officer, app_id, "REJECTED")
    assert is_problem(again, 409) and world.application(app_id).status == Status.APPROVED
    assert backoffice.get("/v1/reviews", headers=bearer(officer)).get_json()["reviews"] == []


def test_applicants_and_anonymous_callers_are_refused(
    world: World, container: FakeContainer, backoffice: FlaskClient
) -> None:
    app_id = referred(world, container)
    applicant = world.user("+254700000043")
    assert is_problem(backoffice.get("/v1/reviews", headers=bearer(applicant)), 403)
    assert is_problem(decide(backoffice, applicant, app_id), 403)
    assert is_problem(backoffice.get("/v1/reviews"), 401)
    officer = with_role(world, "+254700000044", "officer")
    assert is_problem(backoffice.get(f"/v1/audit?entity_id={app_id}", headers=bearer(officer)), 403)
    assert world.application(app_id).status == Status.MANUAL_REVIEW


def test_a_bad_decision_is_a_422_problem_and_changes_nothing(
    world: World, container: FakeContainer, backoffice: FlaskClient
) -> None:
    app_id = referred(world, container)
    officer = with_role(world, "+254700000045", "officer")
    assert is_problem(decide(backoffice, officer, app_id, "MAYBE"), 422)
    terse = backoffice.post(
        f"/v1/reviews/{app_id}/decision", json={"outcome": "APPROVED", "comment": ""}, headers=bearer(officer)
    )
    assert is_problem(terse, 422) and world.application(app_id).status == Status.MANUAL_REVIEW
    assert is_problem(decide(backoffice, officer, "no-such-application"), 404)


def test_an_admin_reads_the_audit_trail(
    world: World, container: FakeContainer, backoffice: FlaskClient
) -> None:
    app_id = referred(world, container)
    admin = with_role(world, "+254700000046", "admin")
    decide(backoffice, admin, app_id, "REJECTED")
    trail = backoffice.get(f"/v1/audit?entity_id={app_id}", headers=bearer(admin))
    actions = [r["action"] for r in trail.get_json()["records"]]
    assert trail.status_code == 200 and actions[0] == "checkout_submitted" and actions[-1] == "review_decided"
    assert is_problem(backoffice.get("/v1/audit", headers=bearer(admin)), 422)
