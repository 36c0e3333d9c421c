"""Property-based API testing with schemathesis against the served /openapi.json: no 5xx, no response
that the document does not describe (status, content type, schema). Bounded: a few examples per operation."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.e2e
MAX_EXAMPLES = 12


@pytest.fixture(scope="module")
def bearer(api: httpx.Client) -> str:
    phone = f"+254768{uuid.uuid4().int % 10**6:06d}"
    api.post("/v1/auth/register", json={"phone": phone, "password": "s3cret-pass", "full_name": "Fuzz F"})
    r = api.post("/v1/auth/login", json={"phone": phone, "password": "s3cret-pass"})
    return str(r.json()["access_token"])


def test_served_openapi_holds_under_fuzzing(gateway_url: str, bearer: str) -> None:
    schema = schemathesis.openapi.from_url(f"{gateway_url}/openapi.json")
    schema.config.update(base_url=gateway_url)
    checks = [
        schemathesis.checks.not_a_server_error,
        schemathesis.checks.status_code_conformance,
        schemathesis.checks.content_type_conformance,
        schemathesis.checks.response_schema_conformance,
    ]
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {bearer}"})
            case.validate_response(response, checks=checks)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
