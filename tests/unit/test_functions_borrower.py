"""The borrower's functions in process, with fakes: `offers`, `status` and `loans`, from checkout to
repayment, each event carried to its consumer as a Pub/Sub push."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from mkopo import topology
from mkopo.entrypoints import checkout_api, loans_api, offers_api, status_api
from mkopo.entrypoints.consumers import create_consumers
from mkopo.service.store import User
from tests.unit.conftest import World
from tests.unit.fake_container import (
    FakeContainer,
    bearer,
    carry_events,
    deliver,
    http_client,
    is_problem,
    recorded_push,
)

OFFERS = "/v1/offers?amount=5000&currency=KES&term_days=30"


@pytest.fixture
def container(world: World) -> FakeContainer:
    return FakeContainer(world)


@pytest.fixture
def offers(container: FakeContainer) -> FlaskClient:
    return http_client(offers_api.create_app(container))


@pytest.fixture
def status(container: FakeContainer) -> FlaskClient:
    return http_client(status_api.create_app(container))


@pytest.fixture
def loans(container: FakeContainer) -> FlaskClient:
    return http_client(loans_api.create_app(container))


def borrower(world: World) -> User:
    return world.user(f"+2547000000{uuid.uuid4().int % 90 + 10}")  # the sandbox's strong-history range


def check_out(container: FakeContainer, user: User, offers: FlaskClient) -> str:
    offer_id = offers.get(OFFERS).get_json()["offers"][0]["id"]
    checkout = http_client(checkout_api.create_app(container))
    headers = bearer(user) | {"Idempotency-Key": str(uuid.uuid4())}
    r = checkout.post("/v1/checkout", json={"offer_id": offer_id}, headers=headers)
    assert r.status_code == 202, r.get_json()
    app_id: str = r.get_json()["application_id"]
    return app_id


def disbursed(container: FakeContainer, user: User, offers: FlaskClient) -> str:
    """Checkout, then every event pushed to its consumer; the borrower's loan id."""
    app_id = check_out(container, user, offers)
    carry_events(container)
    [loan] = container.store.list_loans(user.id, 10)
    assert loan.id == app_id  # one loan per approved application, with its id
    return loan.id


# ----------------------------------------------------------------------------------------- offers
def test_offers_are_public_cheapest_apr_first_and_stored(world: World, offers: FlaskClient) -> None:
    r = offers.get(OFFERS)
    found = r.get_json()["offers"]
    assert r.status_code == 200 and len(found) >= 2
    aprs = [float(o["apr"]) for o in found]  # display strings; the order is what is checked
    assert aprs == sorted(aprs)
    assert all(world.store.get_offer(o["id"]) is not None for o in found)


def test_a_bad_offer_query_is_a_422_problem(world: World, offers: FlaskClient) -> None:
    r = offers.get("/v1/offers?amount=5000&currency=KES&term_days=0")
    assert is_problem(r, 422) and [e["field"] for e in r.get_json()["errors"]] == ["term_days"]
    assert is_problem(offers.get(OFFERS + "&color=blue"), 422)
    assert is_problem(offers.post(OFFERS), 405) and world.store.col("offers") == {}


def test_the_openapi_document_and_the_docs_page_are_served(offers: FlaskClient) -> None:
    doc = offers.get("/openapi.json")
    assert doc.status_code == 200 and "/v1/checkout" in doc.get_json()["paths"]
    page = offers.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"


# ----------------------------------------------------------------------------------------- status
def test_a_borrower_polls_their_application(
    world: World, container: FakeContainer, offers: FlaskClient, status: FlaskClient
) -> None:
    user = borrower(world)
    app_id = check_out(container, user, offers)
    one = status.get(f"/v1/applications/{app_id}", headers=bearer(user))
    assert one.status_code == 200 and one.get_json()["status"] == "SUBMITTED"
    mine = status.get("/v1/applications", headers=bearer(user)).get_json()["applications"]
    assert [a["id"] for a in mine] == [app_id]
    deliver(
        create_consumers(container).notify, recorded_push(container.publisher, topology.CHECKOUT_SUBMITTED)
    )
    notes = status.get("/v1/notifications", headers=bearer(user)).get_json()["notifications"]
    assert len(notes) == 1


def test_someone_elses_application_is_404_and_no_token_is_401(
    world: World, container: FakeContainer, offers: FlaskClient, status: FlaskClient
) -> None:
    app_id = check_out(container, borrower(world), offers)
    other = world.user("+254700000099")
    assert is_problem(status.get(f"/v1/applications/{app_id}", headers=bearer(other)), 404)
    assert is_problem(status.get(f"/v1/applications/{app_id}"), 401)
    assert is_problem(status.get("/v1/applications?limit=0", headers=bearer(other)), 422)


# ------------------------------------------------------------------------------------------ loans
def repay(loans: FlaskClient, user: User, loan_id: str, body: Any, key: str | None) -> Any:
    headers = bearer(user) | ({"Idempotency-Key": key} if key else {})
    return loans.post(f"/v1/loans/{loan_id}/repayments", json=body, headers=headers)


def test_a_borrower_reads_and_repays_their_loan(
    world: World, container: FakeContainer, offers: FlaskClient, loans: FlaskClient
) -> None:
    user = borrower(world)
    loan_id = disbursed(container, user, offers)
    assert [loan["id"] for loan in loans.get("/v1/loans", headers=bearer(user)).get_json()["loans"]] == [
        loan_id
    ]
    loan = loans.get(f"/v1/loans/{loan_id}", headers=bearer(user)).get_json()
    assert loan["status"] == "ACTIVE" and loan["paid"] == "0.00"
    first = repay(loans, user, loan_id, {"amount": "1000"}, key="repay-1")
    assert first.status_code == 202, first.get_json()
    again = repay(loans, user, loan_id, {"amount": "1000"}, key="repay-1")
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert loans.get(f"/v1/loans/{loan_id}", headers=bearer(user)).get_json()["paid"] == "1000.00"


def test_loans_refuse_strangers_bad_requests_and_borrowers_on_the_ledger(
    world: World, container: FakeContainer, offers: FlaskClient, loans: FlaskClient
) -> None:
    user = borrower(world)
    loan_id = disbursed(container, user, offers)
    stranger = world.user("+254700000098")
    assert is_problem(loans.get(f"/v1/loans/{loan_id}", headers=bearer(stranger)), 404)
    assert is_problem(loans.get("/v1/loans"), 401)
    assert is_problem(repay(loans, user, loan_id, {"amount": "1000"}, key=None), 400)
    assert is_problem(repay(loans, user, loan_id, {"amount": "a lot"}, key="k-bad"), 422)
    assert is_problem(loans.get("/v1/ledger/trial-balance", headers=bearer(user)), 403)
    assert world.store.col("repayments") == {}


def test_an_admin_reads_the_ledger(
    world: World, container: FakeContainer, offers: FlaskClient, loans: FlaskClient
) -> None:
    disbursed(container, borrower(world), offers)
    admin = world.user("+254700000097").model_copy(update={"role": "admin"})
    world.store.col("users")[admin.id] = admin
    trial = loans.get("/v1/ledger/trial-balance", headers=bearer(admin))
    assert trial.status_code == 200 and trial.get_json()["entries"] >= 1
    assert set(trial.get_json()["totals_minor"].values()) == {0}
    bad_time = loans.get("/v1/ledger/accounts/cash:KES/balance?at=yesterday", headers=bearer(admin))
    assert is_problem(bad_time, 422)
    naive = loans.get("/v1/ledger/accounts/cash:KES/balance?at=2026-11-29T12:00:00", headers=bearer(admin))
    assert is_problem(naive, 422)
