"""The gateway under a burst: 20 borrowers check out at the same instant, each on a fresh connection."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.test_loan_journey import Borrower

pytestmark = pytest.mark.e2e
PARALLEL = 20


def test_twenty_parallel_checkouts_see_no_connection_reset(api: httpx.Client, gateway_url: str) -> None:
    # +254768...: outside every sandbox range, so the numbers never collide with the journeys' numbers.
    borrowers = [Borrower(api, f"+254768{uuid.uuid4().int % 10**6:06d}") for _ in range(PARALLEL)]
    offers = [b.offers()[0]["id"] for b in borrowers]
    start = threading.Barrier(PARALLEL)

    def checkout(i: int) -> int | str:
        with httpx.Client(base_url=gateway_url, timeout=60.0, trust_env=False) as own:
            start.wait()
            headers = borrowers[i].headers | {"Idempotency-Key": str(uuid.uuid4())}
            try:
                return own.post("/v1/checkout", json={"offer_id": offers[i]}, headers=headers).status_code
            except httpx.TransportError as exc:
                return f"{type(exc).__name__}: {exc}"

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(checkout, range(PARALLEL)))
    assert results == [202] * PARALLEL
