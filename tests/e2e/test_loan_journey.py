"""The whole stack over HTTP, as a borrower's phone app would drive it."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

_serial = itertools.count(1)
TERMINAL = {"DISBURSED", "REJECTED", "DISBURSEMENT_FAILED"}


def sandbox_number(prefix: str) -> str:
    """A fresh sandbox test number in a documented range (+254700000001..99 and so on)."""
    return f"{prefix}{next(_serial):02d}"


def wait_for(check: Callable[[], Any], timeout: float = 30.0, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value {value!r}")
        time.sleep(every)


class Borrower:
    def __init__(self, api: httpx.Client, phone: str) -> None:
        self.api, self.phone = api, phone
        r = api.post(
            "/v1/auth/register",
            json={"phone": phone, "password": "s3cret-pass", "full_name": "Test Borrower"},
        )
        assert r.status_code == 201, r.text
        self.user_id = r.json()["user_id"]
        r = api.post("/v1/auth/login", json={"phone": phone, "password": "s3cret-pass"})
        assert r.status_code == 200, r.text
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def offers(
        self, amount: str = "5000", currency: str = "KES", term_days: int = 30
    ) -> list[dict[str, Any]]:
        r = self.api.get(
            "/v1/offers", params={"amount": amount, "currency": currency, "term_days": term_days}
        )
        assert r.status_code == 200, r.text
        return list(r.json()["offers"])

    def checkout(self, offer_id: str, key: str | None = None) -> httpx.Response:
        headers = self.headers | {"Idempotency-Key": key or str(uuid.uuid4())}
        return self.api.post("/v1/checkout", json={"offer_id": offer_id}, headers=headers)

    def application(self, app_id: str) -> dict[str, Any]:
        r = self.api.get(f"/v1/applications/{app_id}", headers=self.headers)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def settle(self, app_id: str) -> dict[str, Any]:
        return dict(wait_for(lambda: (a := self.application(app_id))["status"] in TERMINAL and a))

    def notifications(self) -> list[dict[str, Any]]:
        r = self.api.get("/v1/notifications", headers=self.headers)
        assert r.status_code == 200, r.text
        return list(r.json()["notifications"])


def assert_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = dict(r.json())
    assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == status
    return body


def test_health(api: httpx.Client) -> None:
    r = api.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_good_applicant_is_paid_notified_and_exported(
    api: httpx.Client, event_rows: Callable[[str], list]
) -> None:
    borrower = Borrower(api, sandbox_number("+2547000000"))
    offers = borrower.offers()
    assert len({o["provider"] for o in offers}) >= 3
    assert [float(o["apr"]) for o in offers] == sorted(float(o["apr"]) for o in offers)
    offer = offers[0]
    assert offer["total_repayable"] and offer["fees"] is not None and offer["expires_at"]

    key = str(uuid.uuid4())
    r = borrower.checkout(offer["id"], key)
    assert r.status_code == 202, r.text
    body = r.json()
    assert (
        body["status"] == "SUBMITTED" and body["status_url"] == f"/v1/applications/{body['application_id']}"
    )
    again = borrower.checkout(offer["id"], key)
    assert again.status_code == 202 and again.json() == body
    assert_problem(borrower.checkout(offers[1]["id"], key), 422)

    app = borrower.settle(body["application_id"])
    assert app["status"] == "DISBURSED", app
    assert [t["status"] for t in app["timeline"]] == ["SUBMITTED", "SCORED", "APPROVED", "DISBURSED"]
    assert app["decision"]["outcome"] == "APPROVED" and app["decision"]["score"] >= 600
    assert app["disbursement"]["status"] == "SUCCESSFUL" and app["disbursement"]["reference"]
    assert app["amount"] == offer["amount"] and app["offer"]["id"] == offer["id"]

    notes = wait_for(lambda: len(n := borrower.notifications()) >= 3 and n)
    kinds = {n["event_type"] for n in notes}
    assert {"checkout_submitted", "loan_approved", "loan_disbursed"} <= kinds
    assert any(offer["total_repayable"] in n["text"] for n in notes)

    rows = wait_for(lambda: len(r := event_rows(body["application_id"])) >= 4 and r)
    types = sorted(r["event_type"] for r in rows)
    assert types == sorted(["checkout_submitted", "application_scored", "loan_approved", "loan_disbursed"])
    assert len({r["event_id"] for r in rows}) == len(rows)
    listed = api.get("/v1/applications", headers=borrower.headers).json()["applications"]
    assert [a["id"] for a in listed] == [body["application_id"]]


def test_poor_applicant_is_rejected_with_reasons(
    api: httpx.Client, event_rows: Callable[[str], list]
) -> None:
    borrower = Borrower(api, sandbox_number("+2547110000"))
    r = borrower.checkout(borrower.offers()[0]["id"])
    assert r.status_code == 202, r.text
    app = borrower.settle(r.json()["application_id"])
    assert app["status"] == "REJECTED" and "SCORE_BELOW_CUTOFF" in app["decision"]["reasons"]
    assert (
        app["decision"]["model_version"] == "launch-v1" and app["decision"]["points"]["loans_defaulted"] < 0
    )
    assert app["disbursement"]["reference"] is None
    notes = wait_for(lambda: [n for n in borrower.notifications() if n["event_type"] == "loan_rejected"])
    assert "sorry" in notes[0]["text"]
    rows = wait_for(lambda: len(x := event_rows(app["id"])) >= 3 and x)
    assert {r["event_type"] for r in rows} == {"checkout_submitted", "application_scored", "loan_rejected"}
    raw = next(r["attributes"] for r in rows if r["event_type"] == "application_scored")
    scored = json.loads(raw) if isinstance(raw, str) else raw
    assert scored["model_version"] == "launch-v1" and scored["points"] == app["decision"]["points"]
    assert scored["features"]["loans_defaulted"] == 2  # the training sample of the next version
    assert "a past loan was not repaid" in notes[0]["text"]  # the score's own reason, in plain words


def test_failed_payout_ends_disbursement_failed(api: httpx.Client) -> None:
    borrower = Borrower(api, sandbox_number("+2547220000"))
    r = borrower.checkout(borrower.offers()[0]["id"])
    app = borrower.settle(r.json()["application_id"])
    assert app["status"] == "DISBURSEMENT_FAILED" and app["disbursement"]["status"] == "FAILED"
    wait_for(lambda: any(n["event_type"] == "disbursement_failed" for n in borrower.notifications()))


def test_other_people_and_strangers_see_nothing(api: httpx.Client) -> None:
    owner = Borrower(api, sandbox_number("+2547000000"))
    r = owner.checkout(owner.offers()[0]["id"])
    app_id = r.json()["application_id"]
    other = Borrower(api, sandbox_number("+2547000000"))
    assert_problem(api.get(f"/v1/applications/{app_id}", headers=other.headers), 404)
    assert_problem(api.get(f"/v1/applications/{app_id}"), 401)
    assert_problem(api.get("/v1/applications", headers={"Authorization": "Bearer forged.token.here"}), 401)
    assert api.get("/v1/applications", headers=other.headers).json()["applications"] == []


def test_bad_input_gets_clear_problems(api: httpx.Client) -> None:
    body = assert_problem(
        api.post("/v1/auth/register", json={"phone": "12", "password": "s3cret-pass", "full_name": "X Y"}),
        422,
    )
    assert body["errors"][0]["field"] == "phone"
    assert_problem(
        api.post("/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"}), 400
    )
    assert_problem(
        api.post(
            "/v1/auth/register",
            json={"phone": "+254700000001", "password": "s3cret-pass", "full_name": "X Y", "role": "admin"},
        ),
        422,
    )
    assert_problem(api.get("/v1/offers", params={"amount": "100", "currency": "USD", "term_days": 30}), 422)
    assert_problem(api.get("/v1/offers", params={"amount": "1.001", "currency": "KES", "term_days": 30}), 422)
    borrower = Borrower(api, sandbox_number("+2547000000"))
    assert_problem(api.post("/v1/checkout", json={"offer_id": "x"}, headers=borrower.headers), 400)
    assert_problem(borrower.checkout("no-such-offer"), 422)  # not an id at all
    assert_problem(borrower.checkout(str(uuid.uuid4())), 404)  # an id, of no offer
    assert_problem(api.post("/v1/auth/login", json={"phone": borrower.phone, "password": "wrong-pass"}), 401)
    again = api.post(
        "/v1/auth/register", json={"phone": borrower.phone, "password": "s3cret-pass", "full_name": "X Y"}
    )
    assert_problem(again, 409)
    assert_problem(api.get("/v1/nothing-here"), 404)
