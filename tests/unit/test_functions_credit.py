"""The limit ladder through the functions in process: a first limit, a repayment that raises it, offers
marked by what the borrower may take, and a loan far overdue that steps the limit down."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from mkopo import topology
from mkopo.entrypoints import auth_api, jobs
from mkopo.entrypoints.consumers import create_consumers
from mkopo.service.store import User
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, bearer, deliver, http_client, recorded_push
from tests.unit.test_functions_borrower import borrower, disbursed, repay


@pytest.fixture
def container(world: World) -> FakeContainer:
    return FakeContainer(world)


@pytest.fixture
def auth(container: FakeContainer) -> FlaskClient:
    return http_client(auth_api.create_app(container))


def credit(auth: FlaskClient, user: User) -> dict[str, object]:
    r = auth.get("/v1/users/me/credit", headers=bearer(user))
    assert r.status_code == 200, r.get_json()
    return dict(r.get_json())


def test_a_new_borrower_starts_at_a_quarter_of_the_bureaus_limit(world: World, auth: FlaskClient) -> None:
    user = borrower(world)  # the sandbox's strong range: KES 50,000 from the bureau
    assert credit(auth, user) == {
        "currency": "KES",
        "limit": "12500.00",
        "available": "12500.00",
        "loans_repaid_on_time": 0,
        "next_limit_if_repaid_on_time": "18750.00",
        "reasons": ["FIRST_LOAN"],
    }
    assert auth.get("/v1/users/me/credit").status_code == 401


def test_repaying_on_time_raises_the_limit_and_the_sms_says_so(
    world: World, container: FakeContainer, auth: FlaskClient
) -> None:
    from mkopo.entrypoints import loans_api, offers_api

    offers, loans = (
        http_client(offers_api.create_app(container)),
        http_client(loans_api.create_app(container)),
    )
    user = borrower(world)
    loan_id = disbursed(container, user, offers)
    during = credit(auth, user)
    assert during["available"] == "0.00" and "ACTIVE_LOAN" in during["reasons"]  # type: ignore[operator]
    marked = offers.get("/v1/offers?amount=5000&currency=KES&term_days=30", headers=bearer(user)).get_json()
    assert {(o["eligible"], o["ineligible_reason"]) for o in marked["offers"]} == {(False, "ACTIVE_LOAN")}
    owed = loans.get(f"/v1/loans/{loan_id}", headers=bearer(user)).get_json()["outstanding"]
    assert repay(loans, user, loan_id, {"amount": owed}, key="all").status_code == 202
    after = credit(auth, user)
    assert (after["limit"], after["loans_repaid_on_time"], after["reasons"]) == (
        "18750.00",
        1,
        ["REPAID_ON_TIME"],
    )
    deliver(create_consumers(container).notify, recorded_push(container.publisher, topology.LOAN_REPAID))
    [sms] = [n for n in world.store.col("notifications").values() if n.event_type == "loan_repaid"]
    assert "Your limit is now KES 18750.00" in sms.text
    big = offers.get("/v1/offers?amount=15000&currency=KES&term_days=30", headers=bearer(user)).get_json()
    assert all(o["eligible"] for o in big["offers"])
    bigger = offers.get("/v1/offers?amount=20000&currency=KES&term_days=30", headers=bearer(user)).get_json()
    assert {o["ineligible_reason"] for o in bigger["offers"]} == {"ABOVE_YOUR_LIMIT"}
    assert (
        "eligible"
        not in offers.get("/v1/offers?amount=5000&currency=KES&term_days=30").get_json()["offers"][0]
    )


def test_more_than_30_days_overdue_steps_the_limit_down_once(
    world: World, container: FakeContainer, auth: FlaskClient
) -> None:
    from mkopo.entrypoints import offers_api

    user = borrower(world)
    borrower_doc = world.store.col("borrowers").get(user.id)
    offers = http_client(offers_api.create_app(container))
    loan_id = disbursed(container, user, offers)
    doc = world.store.col("borrowers")[user.id]
    doc.credit.level = 2  # two loans repaid on time before this one
    assert borrower_doc is None and Decimal(str(credit(auth, user)["limit"])) == Decimal("28125.00")
    loan = world.store.get_loan(loan_id)
    assert loan is not None
    due = loan.schedule.installments[-1].due_date
    run = jobs.create_jobs(container)
    for days in (31, 45):
        world.now = world.now.replace(year=due.year, month=due.month, day=due.day) + timedelta(days=days)
        assert run.arrears().status == 200
    stepped = world.store.col("borrowers")[user.id].credit
    assert stepped.level == 1 and [c.reason.value for c in stepped.history][-1] == "MORE_THAN_30_DAYS_LATE"
