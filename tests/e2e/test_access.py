"""Accounts, roles, officer review and the audit trail over HTTP, as two applicants, an officer and an
admin would use the local stack."""

from __future__ import annotations

import base64
import itertools
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from emulators.stack import Stack

from tests.e2e.test_loan_journey import assert_problem, wait_for

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "s3cret-pass"
_strong = itertools.count(60)  # +2547000000 60..: strong history (the journey test uses the low numbers)
_thin = itertools.count(1)
# Thin-file sandbox numbers whose score (560-599) falls in the default review band for KES 5,000.
BORDERLINE = ["+254712000007", "+254712000008", "+254712000020", "+254712000043"]
_borderline = iter(BORDERLINE)


def strong_number() -> str:
    return f"+2547000000{next(_strong):02d}"


def thin_number() -> str:
    # +254768...: outside every documented sandbox range (M-Pesa sandbox: 254722/733/744/755/766 misbehave).
    return f"+254768{uuid.uuid4().int % 10**6:06d}"


class Client:
    def __init__(self, api: httpx.Client, phone: str, tokens: dict[str, Any], user_id: str) -> None:
        self.api, self.phone, self.tokens, self.user_id = api, phone, tokens, user_id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.api.get(path, headers=self.headers, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.api.post(path, json=body, headers=self.headers | kw.pop("headers", {}), **kw)

    def patch(self, path: str, body: Any) -> httpx.Response:
        return self.api.patch(path, json=body, headers=self.headers)

    def delete(self, path: str) -> httpx.Response:
        return self.api.delete(path, headers=self.headers)

    def apply(self, amount: str = "5000") -> str:
        r = self.api.get("/v1/offers", params={"amount": amount, "currency": "KES", "term_days": 30})
        offer = r.json()["offers"][0]
        r = self.post(
            "/v1/checkout", {"offer_id": offer["id"]}, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert r.status_code == 202, r.text
        return str(r.json()["application_id"])

    def status(self, app_id: str) -> dict[str, Any]:
        r = self.get(f"/v1/applications/{app_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())


def login(api: httpx.Client, phone: str, password: str = PASSWORD) -> dict[str, Any]:
    r = api.post("/v1/auth/login", json={"phone": phone, "password": password})
    assert r.status_code == 200, r.text
    return dict(r.json())


def applicant(api: httpx.Client, phone: str | None = None) -> Client:
    phone = phone or strong_number()
    r = api.post("/v1/auth/register", json={"phone": phone, "password": PASSWORD, "full_name": "Amina W"})
    assert r.status_code == 201, r.text
    return Client(api, phone, login(api, phone), r.json()["user_id"])


def create_admin(stack: Stack, phone: str) -> str:
    """The documented bootstrap command, run as an operator would."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | stack.emulator_env()
    env |= {"PYTHONPATH": str(ROOT / "shared"), "MKOPO_ADMIN_PASSWORD": PASSWORD}
    out = subprocess.run(
        [sys.executable, "-m", "mkopo.cli", "create-admin", "--phone", phone, "--name", "Asha Admin"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture(scope="module")
def admin(api: httpx.Client, stack: Stack) -> Client:
    phone = thin_number()
    user_id = create_admin(stack, phone)
    return Client(api, phone, login(api, phone), user_id)


@pytest.fixture(scope="module")
def officer(api: httpx.Client, admin: Client) -> Client:
    phone = thin_number()
    r = admin.post(
        "/v1/users", {"phone": phone, "password": PASSWORD, "full_name": "Otieno O", "role": "officer"}
    )
    assert r.status_code == 201, r.text
    return Client(api, phone, login(api, phone), r.json()["user_id"])


# --------------------------------------------------------------------------------------- tokens
def test_refresh_rotates_and_reuse_revokes_the_family(api: httpx.Client) -> None:
    user = applicant(api, thin_number())
    first = user.tokens["refresh_token"]
    r = api.post("/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first and second["access_token"]
    # The spent token again: reuse → the whole family is revoked, the fresh token dies too.
    assert_problem(api.post("/v1/auth/refresh", json={"refresh_token": first}), 401)
    assert_problem(api.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}), 401)
    # Logout revokes a new login's token.
    tokens = login(api, user.phone)
    assert api.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert_problem(api.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401)


def _forge(claims: dict[str, Any], key: str = "x" * 40, alg: str = "HS256", kid: str = "local-dev") -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def test_token_attacks_are_refused(api: httpx.Client) -> None:
    user = applicant(api, thin_number())
    good = jwt.decode(user.tokens["access_token"], options={"verify_signature": False})
    header = jwt.get_unverified_header(user.tokens["access_token"])
    assert header["alg"] == "HS256" and header["kid"]
    assert {"iss", "aud", "sub", "exp", "iat", "jti", "role"} <= good.keys()
    now = int(time.time())

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    none_alg = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': header['kid']})}.{b64(good | {'role': 'admin'})}."
    sig = user.tokens["access_token"].rsplit(".", 1)[1]
    tampered = f"{b64(header)}.{b64(good | {'role': 'admin'})}.{sig}"
    attacks = [
        none_alg,
        tampered,
        _forge(good),  # wrong key
        _forge(good, kid="nope"),
        user.tokens["access_token"][:-4] + "AAAA",
        "not-a-jwt",
    ]
    for token in attacks:
        r = api.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert_problem(r, 401)
    # Claims checks need the real key: only reachable through the service's own verifier (unit tests).
    assert good["exp"] > now and good["aud"] and good["iss"]


def test_login_lockout_tells_when_it_unlocks(api: httpx.Client) -> None:
    user = applicant(api, thin_number())
    statuses = [
        api.post("/v1/auth/login", json={"phone": user.phone, "password": "wrong-password"}).status_code
        for _ in range(5)
    ]
    assert statuses[:4] == [401] * 4 and statuses[4] == 429
    r = api.post("/v1/auth/login", json={"phone": user.phone, "password": PASSWORD})
    body = assert_problem(r, 429)
    assert int(r.headers["Retry-After"]) > 60 and body["locked_until"] in body["detail"]


# ------------------------------------------------------------------------------------ role matrix
def test_role_matrix(api: httpx.Client, admin: Client, officer: Client) -> None:
    alice = applicant(api, thin_number())
    bob = applicant(api, thin_number())
    app_id = alice.apply()
    nobody: dict[str, str] = {}
    cases: list[tuple[str, str, Any]] = [
        ("GET", "/v1/users/me", None),
        ("GET", "/v1/users", None),
        ("GET", f"/v1/users/{alice.user_id}", None),
        ("GET", "/v1/reviews?status=pending", None),
        ("GET", f"/v1/audit?entity_id={app_id}", None),
        ("GET", f"/v1/applications/{app_id}", None),
        ("GET", "/v1/applications", None),
        ("GET", "/v1/notifications", None),
    ]
    expected = {
        # path index → status for: none, alice (owner), bob (other applicant), officer, admin
        0: (401, 200, 200, 200, 200),
        1: (401, 403, 403, 403, 200),
        2: (401, 403, 403, 403, 200),
        3: (401, 403, 403, 200, 200),
        4: (401, 403, 403, 403, 200),
        5: (401, 200, 404, 404, 404),
        6: (401, 200, 200, 200, 200),
        7: (401, 200, 200, 200, 200),
    }
    who = [nobody, alice.headers, bob.headers, officer.headers, admin.headers]
    for i, (method, path, body) in enumerate(cases):
        got = tuple(api.request(method, path, json=body, headers=h).status_code for h in who)
        assert got == expected[i], (method, path, got)
    # Writes: staff creation and role changes are admin-only; a decision is staff-only.
    new_staff = {"phone": thin_number(), "password": PASSWORD, "full_name": "N S", "role": "admin"}
    for client in (alice, officer):
        assert_problem(client.post("/v1/users", new_staff), 403)
        assert_problem(client.patch(f"/v1/users/{bob.user_id}", {"role": "admin"}), 403)
        assert_problem(client.delete(f"/v1/users/{bob.user_id}"), 403)
    assert_problem(
        alice.post(f"/v1/reviews/{app_id}/decision", {"outcome": "APPROVED", "comment": "ok ok"}), 403
    )
    # No mass assignment: role/status cannot be set on yourself.
    assert_problem(alice.patch("/v1/users/me", {"role": "admin"}), 422)
    assert_problem(alice.patch("/v1/users/me", {"status": "active"}), 422)
    r = alice.patch("/v1/users/me", {"full_name": "Alice Achieng"})
    assert (
        r.status_code == 200 and r.json()["full_name"] == "Alice Achieng" and r.json()["role"] == "applicant"
    )


def test_admin_manages_users(api: httpx.Client, admin: Client) -> None:
    carol = applicant(api, thin_number())
    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = admin.get("/v1/users", params=params).json()
        pages.append(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    ids = [u["id"] for p in pages for u in p["users"]]
    assert len(ids) == len(set(ids)) and carol.user_id in ids and len(pages) > 1
    r = admin.patch(f"/v1/users/{carol.user_id}", {"status": "disabled"})
    assert r.status_code == 200 and r.json()["status"] == "disabled"
    assert_problem(carol.get("/v1/users/me"), 401)  # takes effect at once
    assert_problem(api.post("/v1/auth/refresh", json={"refresh_token": carol.tokens["refresh_token"]}), 401)
    assert_problem(admin.patch(f"/v1/users/{admin.user_id}", {"role": "applicant"}), 422)
    # Delete = anonymise: the number is free again, the record stays.
    app_owner = applicant(api, strong_number())
    app_id = app_owner.apply()
    assert admin.delete(f"/v1/users/{app_owner.user_id}").status_code == 204
    gone = admin.get(f"/v1/users/{app_owner.user_id}").json()
    assert (
        gone["status"] == "deleted"
        and gone["phone"] != app_owner.phone
        and gone["full_name"] == "deleted user"
    )
    assert (
        api.post(
            "/v1/auth/register", json={"phone": app_owner.phone, "password": PASSWORD, "full_name": "New"}
        ).status_code
        == 201
    )
    trail = admin.get("/v1/audit", params={"entity_id": app_id}).json()["records"]
    assert trail and trail[0]["action"] == "checkout_submitted"
    actions = [
        r["action"] for r in admin.get("/v1/audit", params={"entity_id": app_owner.user_id}).json()["records"]
    ]
    assert actions[0] == "user_created" and actions[-1] == "user_deleted"


# ------------------------------------------------------------------------------------- review flow
def test_borderline_application_waits_for_an_officer(
    api: httpx.Client, admin: Client, officer: Client, stack: Stack
) -> None:
    borrower = applicant(api, next(_borderline))
    app_id = borrower.apply()
    app = wait_for(lambda: (a := borrower.status(app_id))["status"] == "MANUAL_REVIEW" and a)
    assert 560 <= app["decision"]["score"] < 600 and app["decision"]["outcome"] is None
    queue = officer.get("/v1/reviews", params={"status": "pending"}).json()["reviews"]
    assert app_id in [q["id"] for q in queue]
    waits = [q["waiting_since"] for q in queue]
    assert waits == sorted(waits), "oldest first"
    notes = wait_for(
        lambda: [
            n
            for n in borrower.get("/v1/notifications").json()["notifications"]
            if n["event_type"] == "review_requested"
        ]
    )
    assert "under review" in notes[0]["text"]

    assert_problem(officer.post(f"/v1/reviews/{app_id}/decision", {"outcome": "APPROVED"}), 422)  # no comment
    assert_problem(
        officer.post(f"/v1/reviews/{app_id}/decision", {"outcome": "MAYBE", "comment": "hmm"}), 422
    )
    r = officer.post(f"/v1/reviews/{app_id}/decision", {"outcome": "APPROVED", "comment": "steady inflows"})
    assert r.status_code == 200, r.text
    assert r.json()["review"]["officer_id"] == officer.user_id
    again = officer.post(
        f"/v1/reviews/{app_id}/decision", {"outcome": "REJECTED", "comment": "changed my mind"}
    )
    assert_problem(again, 409)

    final = wait_for(
        lambda: (a := borrower.status(app_id))["status"] in {"DISBURSED", "DISBURSEMENT_FAILED"} and a
    )
    assert final["status"] == "DISBURSED"
    assert [t["status"] for t in final["timeline"]] == [
        "SUBMITTED",
        "SCORED",
        "MANUAL_REVIEW",
        "APPROVED",
        "DISBURSED",
    ]
    assert final["review"]["outcome"] == "APPROVED"

    trail = admin.get("/v1/audit", params={"entity_id": app_id}).json()["records"]
    steps = [
        (r["action"], r["actor_role"], (r["before"] or {}).get("status"), (r["after"] or {}).get("status"))
        for r in trail
    ]
    assert steps == [
        ("checkout_submitted", "applicant", None, "SUBMITTED"),
        ("application_scored", "system", "SUBMITTED", "SCORED"),
        ("review_requested", "system", "SCORED", "MANUAL_REVIEW"),
        ("review_decided", "officer", "MANUAL_REVIEW", "APPROVED"),
        ("loan_disbursed", "system", "APPROVED", "DISBURSED"),
    ], steps
    decided = trail[3]
    assert decided["actor_id"] == officer.user_id and decided["after"]["comment"] == "steady inflows"
    assert decided["request_id"] and trail[0]["request_id"]

    # ... and the audit records reach BigQuery (the audit-exporter reads them from Firestore).
    client = stack.bigquery_client()
    table = f"{stack.project}.{stack.bigquery_dataset}.audit"

    def rows() -> list[Any]:
        from google.cloud import bigquery

        try:
            job = client.query(
                f"SELECT action FROM `{table}` WHERE entity_id = @id",  # noqa: S608
                job_config=bigquery.QueryJobConfig(
                    query_parameters=[bigquery.ScalarQueryParameter("id", "STRING", app_id)]
                ),
            )
            return [r["action"] for r in job.result()]
        except Exception:
            return []

    exported = wait_for(lambda: len(x := rows()) >= 5 and x, timeout=60, every=1.0)
    assert sorted(exported) == sorted(s[0] for s in steps)
    client.close()


def test_officer_rejects_and_cannot_decide_their_own(api: httpx.Client, admin: Client) -> None:
    phone = next(_borderline)
    r = admin.post(
        "/v1/users", {"phone": phone, "password": PASSWORD, "full_name": "Own O", "role": "officer"}
    )
    assert r.status_code == 201, r.text
    self_officer = Client(api, phone, login(api, phone), r.json()["user_id"])
    app_id = self_officer.apply()
    wait_for(lambda: self_officer.status(app_id)["status"] == "MANUAL_REVIEW")
    assert_problem(
        self_officer.post(f"/v1/reviews/{app_id}/decision", {"outcome": "APPROVED", "comment": "me!"}), 403
    )
    r = admin.post(
        f"/v1/reviews/{app_id}/decision", {"outcome": "REJECTED", "comment": "thin file, try later"}
    )
    assert r.status_code == 200, r.text
    app = self_officer.status(app_id)
    assert app["status"] == "REJECTED" and app["decision"]["reasons"] == ["REVIEW_DECLINED"]
    assert_problem(
        admin.post("/v1/reviews/no-such-app/decision", {"outcome": "REJECTED", "comment": "x y z"}), 404
    )


# ---------------------------------------------------------------------------------------- hardening
def test_openapi_docs_headers_and_cors(api: httpx.Client) -> None:
    doc = api.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1") and "/v1/reviews/{application_id}/decision" in doc["paths"]
    page = api.get("/docs")
    assert (
        page.status_code == 200 and "text/html" in page.headers["content-type"] and "/v1/audit" in page.text
    )
    assert "<script" not in page.text
    r = api.get("/v1/offers", params={"amount": "5000", "currency": "KES", "term_days": 30})
    for header in (
        "X-Request-Id",
        "X-Content-Type-Options",
        "Strict-Transport-Security",
        "Content-Security-Policy",
    ):
        assert header in r.headers
    r = api.get("/v1/users/me", headers={"X-Request-Id": "client-chosen-id-123"})
    assert r.headers["X-Request-Id"] == "client-chosen-id-123"
    r = api.get("/v1/users/me", headers={"X-Request-Id": "bad id\twith spaces"})
    assert r.headers["X-Request-Id"] != "bad id\twith spaces"
    # No origin is allowed by default: no CORS headers, preflight refused.
    pre = api.options(
        "/v1/offers", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert pre.status_code == 403 and "Access-Control-Allow-Origin" not in pre.headers
    big = api.post(
        "/v1/auth/register", content=b"{" + b" " * 20_000 + b"}", headers={"content-type": "application/json"}
    )
    assert_problem(big, 413)


def test_logs_are_json_with_request_ids_and_no_secrets(api: httpx.Client, stack: Stack) -> None:
    phone = thin_number()
    r = api.post(
        "/v1/auth/register", json={"phone": phone, "password": "very-secret-pw-1", "full_name": "Log L"}
    )
    rid = r.headers["X-Request-Id"]
    tokens = login(api, phone, "very-secret-pw-1")
    api.get(
        "/v1/users/me",
        headers={
            "Authorization": f"Bearer {tokens['access_token']}",
            "X-Cloud-Trace-Context": "0123456789abcdef0123456789abcdef/1;o=1",
        },
    )
    logs_dir = stack.log_dir
    text = (logs_dir / "fn-auth.log").read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line.get("request_id") == rid and line["severity"] == "INFO" for line in lines)
    trace = "/traces/0123456789abcdef0123456789abcdef"  # the caller's trace, not one of our own
    assert any(str(line.get("logging.googleapis.com/trace", "")).endswith(trace) for line in lines)
    assert (
        "very-secret-pw-1" not in text
        and tokens["access_token"] not in text
        and tokens["refresh_token"] not in text
    )
    assert phone not in text


__all__: list[Callable[..., Any]] = []
