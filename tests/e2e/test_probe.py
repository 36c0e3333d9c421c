"""The outside probe of issue 11, replayed over the gateway: the requests that answered 500 (ids that
Firestore refuses, JSON nested 1,000 deep) or were too loose (money as numbers refused, Arabic-Indic
digits and padded amounts accepted, NUL in a name, unknown query parameters ignored)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.test_access import Client, admin, applicant, strong_number  # noqa: F401 (admin: fixture)
from tests.e2e.test_loan_journey import assert_problem, wait_for

pytestmark = pytest.mark.e2e
BAD_IDS = ["__x__", "__name__", "%2e%2e"]
NESTED = b'{"a":' * 1000 + b"1" + b"}" * 1000


@pytest.fixture(scope="module")
def borrower(api: httpx.Client) -> Client:
    return applicant(api)


@pytest.fixture(scope="module")
def loan_id(borrower: Client) -> str:
    app_id = borrower.apply("5000")
    wait_for(lambda: borrower.status(app_id)["status"] == "DISBURSED", timeout=60)
    return app_id


def send(client: Client, method: str, path: str, **kw: Any) -> httpx.Response:
    headers = client.headers | {"Idempotency-Key": str(uuid.uuid4())} | kw.pop("headers", {})
    return client.api.request(method, path, headers=headers, **kw)


@pytest.mark.parametrize("bad", BAD_IDS)
def test_ids_that_firestore_refuses_are_404s(borrower: Client, admin: Client, bad: str) -> None:  # noqa: F811
    for who, method, path, body in [
        (borrower, "GET", f"/v1/applications/{bad}", None),
        (borrower, "GET", f"/v1/loans/{bad}", None),
        (borrower, "POST", f"/v1/loans/{bad}/repayments", {"amount": "1000"}),
        (admin, "GET", f"/v1/users/{bad}", None),
        (admin, "PATCH", f"/v1/users/{bad}", {"status": "disabled"}),
        (admin, "DELETE", f"/v1/users/{bad}", None),
        (admin, "POST", f"/v1/reviews/{bad}/decision", {"outcome": "APPROVED", "comment": "fine"}),
    ]:
        assert_problem(send(who, method, path, json=body), 404)
    r = send(borrower, "POST", "/v1/checkout", json={"offer_id": bad})
    assert_problem(r, 422)


def test_json_nested_1000_deep_is_a_400(api: httpx.Client, borrower: Client) -> None:
    json_headers = {"Content-Type": "application/json"}
    for path in ["/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh"]:
        assert_problem(api.post(path, content=NESTED, headers=json_headers), 400)
    for method, path in [
        ("POST", "/v1/checkout"),
        ("POST", f"/v1/loans/{uuid.uuid4()}/repayments"),
        ("PATCH", "/v1/users/me"),
    ]:
        assert_problem(send(borrower, method, path, content=NESTED, headers=json_headers), 400)


def test_money_is_a_number_or_an_ascii_decimal_string(borrower: Client, loan_id: str) -> None:
    path = f"/v1/loans/{loan_id}/repayments"
    r = send(borrower, "POST", path, json={"amount": 1000})
    assert r.status_code == 202 and r.json()["amount"] == "1000.00", r.text
    for loose in ["\u0661\u0660\u0660\u0660", " 1000", "1000 ", "1e3", "1000.001"]:
        assert_problem(send(borrower, "POST", path, json={"amount": loose}), 422)


def test_names_refuse_nul(api: httpx.Client, borrower: Client) -> None:
    body = {"phone": strong_number(), "password": "s3cret-pass", "full_name": "Amina\u0000W"}
    assert_problem(api.post("/v1/auth/register", json=body), 422)
    assert_problem(borrower.patch("/v1/users/me", {"full_name": "Amina\u0000W"}), 422)


def test_unknown_query_parameters_are_422s(borrower: Client, loan_id: str) -> None:
    for path in ["/v1/loans", f"/v1/loans/{loan_id}", f"/v1/applications/{loan_id}", "/v1/users/me"]:
        assert borrower.get(path).status_code == 200
        assert_problem(borrower.get(path, params={"debug": "1"}), 422)


def test_unknown_paths_and_methods_are_problems(api: httpx.Client) -> None:
    assert_problem(api.get("/v1/auth/nothing-here"), 404)
    assert_problem(api.request("PUT", "/v1/auth/login", json={}), 405)
