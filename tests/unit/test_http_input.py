"""Input hardening at the HTTP edge (issue 11), through the in-process functions with fakes: ids of
another shape, deeply nested JSON, loose money and names, unknown query parameters. The store here
refuses what Firestore refuses (``__x__``, ``..``), so an id that reaches it answers 500 as in the cloud."""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from mkopo.entrypoints import auth_api, backoffice_api, callbacks_api, checkout_api, loans_api, status_api
from mkopo.http import openapi
from mkopo.service.store import User
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, bearer, http_client, is_problem
from tests.unit.test_functions_borrower import borrower, disbursed

UNKNOWN = str(uuid.uuid4())
BAD_IDS = ["__x__", "__name__", "%2e%2e", "..", "A" * 36, UNKNOWN.upper(), "1"]
FACTORIES: dict[str, Callable[[Any], Any]] = {
    "auth": auth_api.create_app,
    "status": status_api.create_app,
    "loans": loans_api.create_app,
    "checkout": checkout_api.create_app,
    "backoffice": backoffice_api.create_app,
    "callbacks": callbacks_api.create_app,
}
_FIRESTORE_REFUSES = re.compile(r"__.*__|\.{1,2}|.*/.*")


def _like_firestore(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        for value in [*args, *kwargs.values()]:
            if isinstance(value, str) and _FIRESTORE_REFUSES.fullmatch(value):
                raise ValueError(f"Firestore refuses the document id {value!r}")
        return method(*args, **kwargs)

    return guarded


@pytest.fixture
def container(world: World) -> FakeContainer:
    store = world.store
    for name in dir(store):
        if name.startswith("get_") and callable(getattr(store, name)):
            setattr(store, name, _like_firestore(getattr(store, name)))
    return FakeContainer(world)


@pytest.fixture
def client(container: FakeContainer) -> Callable[[str], FlaskClient]:
    return lambda function: http_client(FACTORIES[function](container))


def admin(world: World) -> User:
    user = world.user("+254700000077").model_copy(update={"role": "admin"})
    world.store.col("users")[user.id] = user
    return user


# ------------------------------------------------------------------------------------------- ids
ID_ROUTES = [
    ("status", "GET", "/v1/applications/{id}", None),
    ("loans", "GET", "/v1/loans/{id}", None),
    ("loans", "POST", "/v1/loans/{id}/repayments", {"amount": "1000"}),
    ("auth", "GET", "/v1/users/{id}", None),
    ("auth", "PATCH", "/v1/users/{id}", {"status": "disabled"}),
    ("auth", "DELETE", "/v1/users/{id}", None),
    ("backoffice", "POST", "/v1/reviews/{id}/decision", {"outcome": "APPROVED", "comment": "fine"}),
    ("callbacks", "POST", "/v1/callbacks/mpesa/stk/{id}/" + "0" * 40, {}),
]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(("function", "method", "path", "body"), ID_ROUTES)
def test_a_path_id_of_another_shape_is_a_404_problem(
    world: World, client: Any, function: str, method: str, path: str, body: Any, bad: str
) -> None:
    headers = bearer(admin(world)) | {"Idempotency-Key": "k-1"}
    r = client(function).open(path.replace("{id}", bad), method=method, json=body, headers=headers)
    assert is_problem(r, 404), (r.status_code, r.get_data(as_text=True))


@pytest.mark.parametrize(("function", "method", "path", "body"), ID_ROUTES[:-1])
def test_an_unknown_id_of_our_shape_is_still_a_404_problem(
    world: World, client: Any, function: str, method: str, path: str, body: Any
) -> None:
    headers = bearer(admin(world)) | {"Idempotency-Key": "k-1"}
    r = client(function).open(path.replace("{id}", UNKNOWN), method=method, json=body, headers=headers)
    assert is_problem(r, 404), (r.status_code, r.get_data(as_text=True))


@pytest.mark.parametrize("offer_id", ["__x__", "..", "nope", UNKNOWN.upper()])
def test_a_body_id_of_another_shape_is_a_422_problem(world: World, client: Any, offer_id: str) -> None:
    headers = bearer(world.user()) | {"Idempotency-Key": "k-1"}
    r = client("checkout").post("/v1/checkout", json={"offer_id": offer_id}, headers=headers)
    assert is_problem(r, 422) and r.get_json()["errors"][0]["field"] == "offer_id"


def test_the_openapi_document_states_the_id_shape() -> None:
    doc = openapi.document()
    params = [p for ops in doc["paths"].values() for op in ops.values() for p in op.get("parameters", [])]
    ids = [p for p in params if p["in"] == "path" and p["name"].endswith("_id")]
    assert ids and all(re.fullmatch(p["schema"]["pattern"], UNKNOWN) for p in ids)
    assert not any(re.fullmatch(p["schema"]["pattern"], "__x__") for p in ids)


# ---------------------------------------------------------------------------------- nested JSON
def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


JSON_ROUTES = [
    ("auth", "POST", "/v1/auth/register", False),
    ("auth", "POST", "/v1/auth/login", False),
    ("auth", "POST", "/v1/auth/refresh", False),
    ("auth", "POST", "/v1/auth/logout", False),
    ("auth", "PATCH", "/v1/users/me", True),
    ("auth", "POST", "/v1/users", True),
    ("checkout", "POST", "/v1/checkout", True),
    ("loans", "POST", "/v1/loans/{loan}/repayments", True),
    ("backoffice", "POST", "/v1/reviews/{app}/decision", True),
]


@pytest.mark.parametrize(("function", "method", "path", "signed_in"), JSON_ROUTES)
def test_json_nested_1000_deep_is_a_400_problem(
    world: World, client: Any, function: str, method: str, path: str, signed_in: bool
) -> None:
    headers = (bearer(admin(world)) if signed_in else {}) | {"Idempotency-Key": "k-1"}
    headers["Content-Type"] = "application/json"
    path = path.replace("{loan}", UNKNOWN).replace("{app}", UNKNOWN)
    r = client(function).open(path, method=method, data=nested(1000), headers=headers)
    assert is_problem(r, 400), (r.status_code, r.get_data(as_text=True))
    # brackets inside strings are text, not nesting
    text = json.dumps({"phone": "[" * 500, "password": "{" * 100})
    r = client("auth").post("/v1/auth/login", data=text, headers={"Content-Type": "application/json"})
    assert r.status_code in (401, 422), r.get_data(as_text=True)


def test_a_callback_nested_1000_deep_is_a_400_problem(container: FakeContainer, client: Any) -> None:
    from mkopo.adapters.payments.directory import callback_token

    key = container.settings.callback_signing_key.get_secret_value()
    path = f"/v1/callbacks/mpesa/stk/{UNKNOWN}/{callback_token(key, 'stk', UNKNOWN)}"
    r = client("callbacks").post(path, data=nested(1000), headers={"Content-Type": "application/json"})
    assert is_problem(r, 400), (r.status_code, r.get_data(as_text=True))


# ------------------------------------------------------------------------------- money and names
@pytest.fixture
def loan(world: World, container: FakeContainer) -> tuple[User, str]:
    from mkopo.entrypoints import offers_api

    user = borrower(world)
    return user, disbursed(container, user, http_client(offers_api.create_app(container)))


@pytest.mark.parametrize("amount", [1000, "1000", "1000.00"])
def test_a_repayment_amount_is_a_json_number_or_a_decimal_string(
    client: Any, loan: tuple[User, str], amount: Any
) -> None:
    user, loan_id = loan
    headers = bearer(user) | {"Idempotency-Key": str(uuid.uuid4())}
    r = client("loans").post(f"/v1/loans/{loan_id}/repayments", json={"amount": amount}, headers=headers)
    assert r.status_code == 202 and r.get_json()["amount"] == "1000.00", r.get_json()


@pytest.mark.parametrize(
    "raw",
    [
        '"\u0661\u0660\u0660\u0660"',
        '" 1000"',
        '"1000 "',
        '"1e3"',
        '"1_000"',
        '"+1000"',
        "1000.001",
        '"1000.001"',
        "true",
    ],
)
def test_loose_amounts_are_422_problems(client: Any, loan: tuple[User, str], raw: str) -> None:
    user, loan_id = loan
    headers = bearer(user) | {"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}
    r = client("loans").post(f"/v1/loans/{loan_id}/repayments", data=f'{{"amount": {raw}}}', headers=headers)
    assert is_problem(r, 422), (raw, r.status_code, r.get_data(as_text=True))


def test_offers_refuse_non_ascii_digits(client: Any, container: FakeContainer) -> None:
    from mkopo.entrypoints import offers_api

    offers = http_client(offers_api.create_app(container))
    assert offers.get("/v1/offers?amount=5000&currency=KES&term_days=30").status_code == 200
    assert is_problem(offers.get("/v1/offers?amount=\u0665\u0660\u0660\u0660&currency=KES&term_days=30"), 422)


@pytest.mark.parametrize("name", ["Amina\x00", "Am\x07ina", "Amina\u202e", "Ami\x9bna"])
def test_names_refuse_control_characters(world: World, client: Any, name: str) -> None:
    auth = client("auth")
    body = {"phone": "+254700000031", "password": "s3cret-pass", "full_name": name}
    assert is_problem(auth.post("/v1/auth/register", json=body), 422)
    assert is_problem(
        auth.post("/v1/users", json=body | {"role": "officer"}, headers=bearer(admin(world))), 422
    )
    assert is_problem(auth.patch("/v1/users/me", json={"full_name": name}, headers=bearer(world.user())), 422)
    assert auth.post("/v1/auth/register", json=body | {"full_name": "Amina Wanjirũ"}).status_code == 201


# ------------------------------------------------------------------------------ query parameters
QUERY_ROUTES = [
    ("loans", "/v1/loans"),
    ("loans", "/v1/loans/{loan}"),
    ("status", "/v1/applications/{loan}"),
    ("status", "/v1/applications"),
    ("auth", "/v1/users/me"),
    ("loans", "/v1/ledger/trial-balance"),
]


@pytest.mark.parametrize(("function", "path"), QUERY_ROUTES)
def test_unknown_query_parameters_are_422_problems(
    world: World, client: Any, loan: tuple[User, str], function: str, path: str
) -> None:
    user, loan_id = loan
    path = path.replace("{loan}", loan_id)
    headers = bearer(admin(world) if "ledger" in path else user)
    assert client(function).get(path, headers=headers).status_code == 200
    r = client(function).get(path + "?debug=1", headers=headers)
    assert is_problem(r, 422) and r.get_json()["errors"] == [
        {"field": "debug", "message": "unknown query parameter"}
    ]
