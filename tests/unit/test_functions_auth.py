"""The `auth` function in process, with fakes: register, log in, refresh, log out; users and roles."""

from __future__ import annotations

import uuid

import pytest
from flask.testing import FlaskClient

from mkopo.entrypoints import auth_api
from mkopo.service.store import User
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, bearer, http_client, is_problem

PASSWORD = "correct horse"


@pytest.fixture
def auth(world: World) -> FlaskClient:
    return http_client(auth_api.create_app(FakeContainer(world)))


def new_phone() -> str:
    return f"+2547{uuid.uuid4().int % 10**8:08d}"


def register(auth: FlaskClient, phone: str) -> str:
    r = auth.post("/v1/auth/register", json={"phone": phone, "password": PASSWORD, "full_name": "Amina W"})
    assert r.status_code == 201 and r.headers["Location"] == "/v1/users/me", r.get_json()
    user_id: str = r.get_json()["user_id"]
    return user_id


def login(auth: FlaskClient, phone: str, password: str = PASSWORD) -> dict:
    r = auth.post("/v1/auth/login", json={"phone": phone, "password": password})
    assert r.status_code == 200, r.get_json()
    return dict(r.get_json())


def staff(world: World, role: str) -> User:
    user = world.user(new_phone()).model_copy(update={"role": role})
    world.store.col("users")[user.id] = user
    return user


def test_register_log_in_and_read_your_account(auth: FlaskClient) -> None:
    phone = new_phone()
    user_id = register(auth, phone)
    pair = login(auth, phone)
    me = auth.get("/v1/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200 and me.get_json()["id"] == user_id and me.get_json()["role"] == "applicant"


def test_a_refresh_token_works_once_and_logout_revokes_the_login(auth: FlaskClient) -> None:
    phone = new_phone()
    register(auth, phone)
    first = login(auth, phone)["refresh_token"]
    second = auth.post("/v1/auth/refresh", json={"refresh_token": first})
    assert second.status_code == 200 and second.get_json()["refresh_token"] != first
    assert is_problem(auth.post("/v1/auth/refresh", json={"refresh_token": first}), 401)
    login_again = login(auth, phone)["refresh_token"]
    assert auth.post("/v1/auth/logout", json={"refresh_token": login_again}).status_code == 204
    assert is_problem(auth.post("/v1/auth/refresh", json={"refresh_token": login_again}), 401)


def test_a_wrong_password_or_no_token_is_a_401_problem(auth: FlaskClient) -> None:
    phone = new_phone()
    register(auth, phone)
    wrong = auth.post("/v1/auth/login", json={"phone": phone, "password": "not the password"})
    assert is_problem(wrong, 401)
    anonymous = auth.get("/v1/users/me")
    assert is_problem(anonymous, 401) and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    forged = auth.get("/v1/users/me", headers={"Authorization": "Bearer not.a.token"})
    assert is_problem(forged, 401)


def test_bad_requests_are_4xx_problems_and_write_nothing(world: World, auth: FlaskClient) -> None:
    invalid = auth.post(
        "/v1/auth/register", json={"phone": new_phone(), "password": "short", "full_name": "A"}
    )
    assert is_problem(invalid, 422)
    assert {e["field"] for e in invalid.get_json()["errors"]} == {"password", "full_name"}
    not_json = auth.post("/v1/auth/register", data="phone=1", content_type="text/plain")
    assert is_problem(not_json, 415)
    assert world.store.col("users") == {}
    phone = new_phone()
    register(auth, phone)
    again = auth.post("/v1/auth/register", json={"phone": phone, "password": PASSWORD, "full_name": "Amina"})
    assert is_problem(again, 409) and len(world.store.col("users")) == 1


def test_an_admin_creates_lists_changes_and_deletes_users(world: World, auth: FlaskClient) -> None:
    admin = staff(world, "admin")
    body = {"phone": new_phone(), "password": PASSWORD, "full_name": "Officer O", "role": "officer"}
    created = auth.post("/v1/users", json=body, headers=bearer(admin))
    assert created.status_code == 201, created.get_json()
    officer_id = created.get_json()["user_id"]
    listed = auth.get("/v1/users?role=officer", headers=bearer(admin))
    assert [u["id"] for u in listed.get_json()["users"]] == [officer_id]
    disabled = auth.patch(f"/v1/users/{officer_id}", json={"status": "disabled"}, headers=bearer(admin))
    assert disabled.status_code == 200 and disabled.get_json()["status"] == "disabled"
    assert auth.delete(f"/v1/users/{officer_id}", headers=bearer(admin)).status_code == 204
    assert auth.get(f"/v1/users/{officer_id}", headers=bearer(admin)).get_json()["full_name"] != "Officer O"


def test_an_applicant_may_not_manage_users(world: World, auth: FlaskClient) -> None:
    applicant = world.user(new_phone())
    assert is_problem(auth.get("/v1/users", headers=bearer(applicant)), 403)
    body = {"phone": new_phone(), "password": PASSWORD, "full_name": "Sneaky S", "role": "admin"}
    assert is_problem(auth.post("/v1/users", json=body, headers=bearer(applicant)), 403)
    assert len(world.store.col("users")) == 1


def test_a_disabled_account_is_refused_at_once(world: World, auth: FlaskClient) -> None:
    user = world.user(new_phone())
    assert auth.get("/v1/users/me", headers=bearer(user)).status_code == 200
    world.store.col("users")[user.id] = user.model_copy(update={"status": "disabled"})
    assert is_problem(auth.get("/v1/users/me", headers=bearer(user)), 401)


def test_change_your_name(world: World, auth: FlaskClient) -> None:
    user = world.user(new_phone())
    r = auth.patch("/v1/users/me", json={"full_name": "Amina Wanjiru"}, headers=bearer(user))
    assert r.status_code == 200 and r.get_json()["full_name"] == "Amina Wanjiru"
    assert world.store.get_user(user.id).full_name == "Amina Wanjiru"  # type: ignore[union-attr]


def test_the_language_is_chosen_at_registration_else_the_markets_and_changed_later(
    world: World, auth: FlaskClient
) -> None:
    phone = new_phone()
    body = {"phone": phone, "password": PASSWORD, "full_name": "Amina W", "language": "fr"}
    assert auth.post("/v1/auth/register", json=body).status_code == 201
    user = world.store.get_user_by_phone(phone)
    assert user is not None and user.language == "fr"
    tanzanian, kenyan = f"+2557{uuid.uuid4().int % 10**8:08d}", new_phone()
    for number in (tanzanian, kenyan):
        register(auth, number)
    assert [world.store.get_user_by_phone(n).language for n in (tanzanian, kenyan)] == ["sw", "en"]  # type: ignore[union-attr]
    r = auth.patch("/v1/users/me", json={"language": "sw"}, headers=bearer(user))
    assert r.status_code == 200 and r.get_json()["language"] == "sw"
    assert world.store.get_user(user.id).language == "sw"  # type: ignore[union-attr]
    for bad in ("de", "EN", "", None, 1):
        refused = auth.patch("/v1/users/me", json={"language": bad}, headers=bearer(user))
        assert is_problem(refused, 422), bad
        assert world.store.get_user(user.id).language == "sw"  # type: ignore[union-attr]
    assert is_problem(
        auth.post("/v1/auth/register", json=body | {"phone": new_phone(), "language": "xx"}), 422
    )
