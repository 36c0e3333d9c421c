"""The officers' console (``/console/`` on the `backoffice` function) in process, with the fakes: sign-in,
CSRF, roles, the review queue, decisions (409 on a second one), borrower, loan and audit pages."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mkopo import topology
from mkopo.domain.applications import Status
from mkopo.domain.policy import DecisionPolicy
from mkopo.entrypoints import backoffice_api
from mkopo.entrypoints.console import PAGES, session
from mkopo.entrypoints.consumers import create_consumers
from mkopo.entrypoints.identity import ADMIN
from mkopo.service.store import User
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, deliver, http_client, recorded_push
from tests.unit.test_functions_backoffice import referred

PASSWORD = "s3cret-pass"
PUBLIC_PAGES = {"/console/login", "/console/static/{name}"}
ADMIN_PAGES = {
    "/console/audit",
    "/console/users",
    "/console/users/{user_id}",
    "/console/dead-letters",
    "/console/dead-letters/collect",
    "/console/dead-letters/{letter}/replay",
    "/console/dead-letters/{letter}/discard",
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def container(world: World) -> FakeContainer:
    world.policy = DecisionPolicy(approve_min_score=600, max_exposure_minor=10_000_000, review_min_score=560)
    return FakeContainer(world)


@pytest.fixture
def console(container: FakeContainer) -> FlaskClient:
    return http_client(backoffice_api.create_app(container))


def staff(world: World, phone: str, role: str = "officer") -> User:
    user = world.user(phone).model_copy(update={"role": role, "password_hash": "plain$" + PASSWORD})
    world.store.col("users")[user.id] = user
    return user


def csrf_of(client: FlaskClient, path: str = "/console/login") -> str:
    page = client.get(path)
    found = CSRF.search(page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)
    return found.group(1)


def sign_in(client: FlaskClient, user: User, password: str = PASSWORD) -> TestResponse:
    token = csrf_of(client)
    form = {"phone": user.phone, "password": password, "csrf_token": token}
    return client.post("/console/login", data=form)


def signed_in(container: FakeContainer, user: User) -> FlaskClient:
    client = http_client(backoffice_api.create_app(container))
    response = sign_in(client, user)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def decide(
    client: FlaskClient, app_id: str, outcome: str = "APPROVED", comment: str = "steady inflows"
) -> TestResponse:
    token = csrf_of(client, f"/console/applications/{app_id}")
    form = {"outcome": outcome, "comment": comment, "csrf_token": token}
    return client.post(f"/console/applications/{app_id}/decision", data=form, headers={"HX-Request": "true"})


def disburse(container: FakeContainer) -> None:
    """Push the officer's loan_approved to disbursement, as its subscription does."""
    body = recorded_push(container.publisher, topology.LOAN_APPROVED)
    assert deliver(create_consumers(container).disburse, body) == 200


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def test_an_officer_signs_in_with_a_strict_httponly_cookie(
    container: FakeContainer, console: FlaskClient
) -> None:
    officer = staff(container.world, "+254700000051")
    assert console.get("/console/queue").headers["Location"].startswith("/console/login")
    response = sign_in(console, officer)
    assert response.status_code == 303 and response.headers["Location"] == "/console/queue"
    cookie = response.headers["Set-Cookie"]
    assert session.COOKIE in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # local; in the cloud the cookie is Secure
    page = console.get("/console/queue")
    assert page.status_code == 200 and "Review queue" in text(page)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_wrong_passwords_and_applicants_are_refused_on_the_form(
    container: FakeContainer, console: FlaskClient
) -> None:
    officer = staff(container.world, "+254700000052")
    wrong = sign_in(console, officer, "not-the-password")
    assert wrong.status_code == 401 and "invalid phone number or password" in text(wrong)
    applicant = staff(container.world, "+254700000053", role="applicant")
    refused = sign_in(console, applicant)
    assert refused.status_code == 403 and "applicants use the mkopo app" in text(refused)
    assert console.get("/console/queue").status_code == 303  # still not signed in


def test_a_post_without_its_csrf_token_is_refused(container: FakeContainer, console: FlaskClient) -> None:
    app_id = referred(container.world, container)
    officer = staff(container.world, "+254700000054")
    bare = console.post("/console/login", data={"phone": officer.phone, "password": PASSWORD})
    assert bare.status_code == 403 and "Form refused" in text(bare)
    client = signed_in(container, officer)
    forged = client.post(
        f"/console/applications/{app_id}/decision",
        data={"outcome": "APPROVED", "comment": "looks fine", "csrf_token": "forged"},
    )
    assert forged.status_code == 403 and container.world.application(app_id).status == Status.MANUAL_REVIEW


def test_roles_are_enforced_on_every_page(container: FakeContainer) -> None:
    world = container.world
    app_id = referred(world, container)
    officer = staff(world, "+254700000055")
    client = signed_in(container, officer)
    assert client.get("/console/audit").status_code == 403  # admins only
    assert client.get(f"/console/applications/{app_id}").status_code == 200
    world.store.col("users")[officer.id] = officer.model_copy(update={"role": "applicant"})
    for path in ("/console/queue", f"/console/applications/{app_id}", "/console/borrowers"):
        assert client.get(path).status_code == 403, path
    world.store.col("users")[officer.id] = officer.model_copy(update={"status": "disabled"})
    assert client.get("/console/queue").status_code == 303  # a disabled account is signed out at once
    anonymous = http_client(backoffice_api.create_app(container))
    assert anonymous.post(f"/console/applications/{app_id}/decision", data={}).status_code == 401
    expired = anonymous.post(f"/console/applications/{app_id}/decision", headers={"HX-Request": "true"})
    assert expired.status_code == 204 and expired.headers["HX-Redirect"] == "/console/login"


def test_an_officer_approves_from_the_queue_and_a_second_decision_is_a_409(
    container: FakeContainer,
) -> None:
    world = container.world
    app_id = referred(world, container)
    first = signed_in(container, staff(world, "+254700000056"))
    queue = text(first.get("/console/queue"))
    assert f"/console/applications/{app_id}" in queue and "580" in queue and "5000" in queue
    approved = decide(first, app_id)
    assert approved.status_code == 200 and "APPROVED" in text(approved)
    assert world.application(app_id).status == Status.APPROVED
    disburse(container)
    assert world.application(app_id).status == Status.DISBURSED
    second = signed_in(container, staff(world, "+254700000057", role="admin"))
    again = decide(second, app_id, "REJECTED")
    body = text(again)
    assert again.status_code == 409 and "already been decided" in body and "Amina W" in body
    assert 'hx-swap-oob="true"' not in body  # from the queue: no status line to refresh
    assert world.application(app_id).status == Status.DISBURSED
    assert "Nothing is waiting for review" in text(first.get("/console/queue"))


def test_form_errors_are_shown_on_the_form(container: FakeContainer) -> None:
    world = container.world
    app_id = referred(world, container)
    client = signed_in(container, staff(world, "+254700000058"))
    terse = decide(client, app_id, comment="")
    assert terse.status_code == 422 and 'class="field-error"' in text(terse)
    token = csrf_of(client, f"/console/applications/{app_id}")
    full = client.post(
        f"/console/applications/{app_id}/decision", data={"outcome": "MAYBE", "csrf_token": token}
    )
    assert full.status_code == 422 and "<html" in text(full)
    assert world.application(app_id).status == Status.MANUAL_REVIEW
    assert client.get("/console/borrowers?phone=not-a-phone").status_code == 422
    assert client.get("/console/borrowers?phone=%2B254700000099").status_code == 404
    assert client.get("/console/applications/no-such-one").status_code == 404


def test_an_officer_cannot_decide_their_own_application(container: FakeContainer) -> None:
    world = container.world
    app_id = referred(world, container, phone="+254700000059")
    owner = world.store.get_user(world.application(app_id).borrower_id)
    assert owner is not None
    world.store.col("users")[owner.id] = owner.model_copy(
        update={"role": "officer", "password_hash": "plain$" + PASSWORD}
    )
    client = signed_in(container, owner)
    refused = decide(client, app_id)
    assert refused.status_code == 403 and "your own application" in text(refused)


def test_borrower_loan_and_audit_pages_render(container: FakeContainer) -> None:
    world = container.world
    app_id = referred(world, container, phone="+254700000060")
    admin = signed_in(container, staff(world, "+254700000061", role="admin"))
    assert decide(admin, app_id).status_code == 200
    disburse(container)
    found = admin.get("/console/borrowers?phone=%2B254700000060")
    assert found.status_code == 303
    borrower = text(admin.get(found.headers["Location"]))
    assert "+2547******60" in borrower and "+254700000060" not in borrower and app_id in borrower
    assert "Loans repaid on time" in borrower and "not scored yet" in borrower  # referred without scoring
    borrower_id = found.headers["Location"].rsplit("/", 1)[1]
    world.store.col("borrowers")[borrower_id].credit.observe_external_limit(5_000_000)
    scored_borrower = text(admin.get(found.headers["Location"]))
    assert "12500.00 KES" in scored_borrower and "FIRST_LOAN, ACTIVE_LOAN" in scored_borrower
    decision = world.store.col("applications")[app_id].decision
    decision.model_version, decision.points = "launch-v1", {"monthly_inflow_minor": 90, "loans_repaid": 60}
    scored = text(admin.get(f"/console/applications/{app_id}"))
    assert "Points per characteristic" in scored and "launch-v1" in scored and "monthly inflow" in scored
    loan = admin.get(f"/console/loans/{app_id}")
    body = text(loan)
    assert loan.status_code == 200 and "Repayment schedule" in body and "loans_receivable:" in body
    trail = text(admin.get(f"/console/audit?entity_id={app_id}"))
    assert "checkout_submitted" in trail and "review_decided" in trail
    assert admin.get("/console/static/htmx.min.js").headers["Content-Type"].startswith("text/javascript")
    assert admin.get("/console/static/../session.py").status_code == 404


def test_sign_out_ends_the_session(container: FakeContainer) -> None:
    client = signed_in(container, staff(container.world, "+254700000062"))
    token = csrf_of(client, "/console/queue")
    out = client.post("/console/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["Location"] == "/console/login"
    assert client.get("/console/queue").status_code == 303


def test_every_console_route_enforces_its_role(container: FakeContainer) -> None:
    """Each route requested without a session and as each role: the status the declaration promises."""
    served = backoffice_api.create_app(container).routes
    consoled = {(r.method, r.pattern) for r in served if r.pattern.startswith("/console")}
    assert consoled == {(method, pattern) for method, pattern, _, _ in PAGES}  # no page outside the guard
    world = container.world
    app_id = referred(world, container, phone="+254700000063")
    clients = {"none": http_client(backoffice_api.create_app(container))}
    for role, phone in (
        ("officer", "+254700000064"),
        ("admin", "+254700000065"),
        ("demoted", "+254700000066"),
    ):
        user = staff(world, phone, "officer" if role == "demoted" else role)
        clients[role] = signed_in(container, user)
        if role == "demoted":  # an officer made applicant after signing in
            world.store.col("users")[user.id] = user.model_copy(update={"role": "applicant"})
    for method, pattern, roles, _ in PAGES:
        nobody = "00000000-0000-4000-8000-000000000000"  # an id of the right shape that names nothing
        path = pattern.replace("{application_id}", app_id).replace("{borrower_id}", nobody)
        path = path.replace("{loan_id}", nobody).replace("{name}", "console.css")
        path = path.replace("{user_id}", nobody).replace("{letter}", nobody)
        path = path.replace("{proposal_id}", nobody)
        for who, client in clients.items():
            response = client.open(path, method=method, data={})
            assert (not roles) == (pattern in PUBLIC_PAGES) and (roles == ADMIN) == (pattern in ADMIN_PAGES)
            if not roles and method == "POST":
                assert response.status_code == 403 and "Form refused" in text(response)  # no CSRF token
            elif not roles:
                assert response.status_code not in {401, 403}, (who, method, path)
            elif who == "none":
                assert response.status_code in {303, 401}, (who, method, path, response.status_code)
            elif who == "demoted" or (who == "officer" and pattern in ADMIN_PAGES):
                assert response.status_code == 403, (who, method, path, response.status_code)
            elif method == "POST":
                assert response.status_code == 403 and "Form refused" in text(response)  # no CSRF token
            else:
                assert response.status_code in {200, 303, 404}, (who, method, path, response.status_code)
