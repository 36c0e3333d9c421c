"""Provider callbacks are believed only with our signed token, from an allowed network."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from functions_framework import create_app

from mkopo.adapters.payments.directory import callback_token, verify_callback_token
from mkopo.config import Settings

MAIN = str(Path(__file__).resolve().parents[2] / "functions" / "main.py")
APP_ID = "3f2c1a52-3f7e-4c61-8f0b-2b1c6d6f6b70"
KEY = Settings().callback_signing_key.get_secret_value()


@pytest.fixture
def callbacks() -> FlaskClient:
    return create_app("payment_callbacks", MAIN).test_client()


def test_tokens_are_bound_to_the_kind_and_the_object() -> None:
    token = callback_token(KEY, "b2c", "app-1")
    assert verify_callback_token(KEY, "b2c", "app-1", token)
    assert not verify_callback_token(KEY, "b2c", "app-2", token)
    assert not verify_callback_token(KEY, "stk", "app-1", token)
    assert not verify_callback_token("another-key", "b2c", "app-1", token)


def test_a_forged_token_is_refused_without_saying_why(callbacks: FlaskClient) -> None:
    r = callbacks.post("/v1/callbacks/mpesa/b2c/app-1/" + "0" * 40, json={"Result": {}})
    assert r.status_code == 404 and r.mimetype == "application/problem+json"


def test_a_good_token_from_outside_the_allowed_networks_is_refused(callbacks: FlaskClient) -> None:
    token = callback_token(KEY, "timeout", APP_ID)
    outside = callbacks.post(
        f"/v1/callbacks/mpesa/timeout/{APP_ID}/{token}", json={}, headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert outside.status_code == 404
    inside = callbacks.post(f"/v1/callbacks/mpesa/timeout/{APP_ID}/{token}", json={})
    assert inside.status_code == 200 and inside.get_json() == {"ResultCode": 0, "ResultDesc": "Accepted"}


@pytest.mark.parametrize(
    ("target", "method", "path", "status"),
    [
        ("payment_callbacks", "GET", "/robots.txt", 404),
        ("auth", "GET", "/favicon.ico", 404),
        ("scoring", "GET", "/", 405),
        ("scoring", "PUT", "/anything", 405),
    ],
)
def test_what_the_framework_answers_itself_is_a_problem(
    target: str, method: str, path: str, status: int
) -> None:
    """Flask-level 404 and 405 (before our router) are problem+json too, not an HTML page."""
    r = create_app(target, MAIN).test_client().open(path, method=method)
    assert r.status_code == status and r.mimetype == "application/problem+json", r.get_data(as_text=True)
    assert r.get_json()["status"] == status
