"""The `payment-callbacks` function in process, with fakes: M-Pesa's payout and STK Push results settle
what they name, once; a forged token or a foreign network is a 404; a body that is not JSON is a 400."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask.testing import FlaskClient

from mkopo import topology
from mkopo.adapters.payments.directory import callback_token
from mkopo.domain.applications import Status
from mkopo.entrypoints import callbacks_api, loans_api
from mkopo.service.disbursements import payout_reference
from tests.unit.conftest import World
from tests.unit.fake_container import (
    FakeContainer,
    bearer,
    carry_events,
    http_client,
    is_problem,
)


@pytest.fixture
def container(world: World) -> FakeContainer:
    return FakeContainer(world)


@pytest.fixture
def callbacks(container: FakeContainer) -> FlaskClient:
    return http_client(callbacks_api.create_app(container))


def url(container: FakeContainer, kind: str, object_id: str) -> str:
    key = container.settings.callback_signing_key.get_secret_value()
    return f"/v1/callbacks/mpesa/{kind}/{object_id}/{callback_token(key, kind, object_id)}"


def payout_pending(world: World, container: FakeContainer, phone: str = "+254700000051") -> str:
    """An approved application whose payout M-Pesa will confirm by callback."""
    world.provider.answers_later = True
    app_id: str = world.submit(world.user(phone), world.offer(), key=phone).body["application_id"]
    carry_events(container)
    assert world.application(app_id).status == Status.APPROVED
    return app_id


def b2c_result(app_id: str, amount: Any = 5000) -> dict[str, Any]:
    parameters = [
        {"Key": "TransactionAmount", "Value": amount},
        {"Key": "TransactionReceipt", "Value": "NLJ41HAY6Q"},
        {"Key": "TransactionCompletedDateTime", "Value": "29.11.2026 12:00:12"},
    ]
    result = {
        "ResultType": 0,
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": payout_reference(app_id),
        "ConversationID": "AG_20261129_0000",
        "TransactionID": "NLJ41HAY6Q",
        "ResultParameters": {"ResultParameter": parameters},
    }
    return {"Result": result}


ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}


def test_a_b2c_result_disburses_once(world: World, container: FakeContainer, callbacks: FlaskClient) -> None:
    app_id = payout_pending(world, container)
    for _ in range(2):  # M-Pesa sends duplicates
        r = callbacks.post(url(container, "b2c", app_id), json=b2c_result(app_id))
        assert r.status_code == 200 and r.get_json() == ACCEPTED
    assert world.application(app_id).status == Status.DISBURSED
    assert world.publisher.topics().count(topology.LOAN_DISBURSED) == 1


def test_a_result_for_another_amount_is_left_for_an_operator(
    world: World, container: FakeContainer, callbacks: FlaskClient
) -> None:
    app_id = payout_pending(world, container)
    r = callbacks.post(url(container, "b2c", app_id), json=b2c_result(app_id, amount=50000))
    assert r.status_code == 200 and world.application(app_id).status == Status.APPROVED


def test_forged_tokens_and_foreign_networks_are_404_problems(
    world: World, container: FakeContainer, callbacks: FlaskClient
) -> None:
    app_id = payout_pending(world, container)
    forged = f"/v1/callbacks/mpesa/b2c/{app_id}/" + "0" * 40
    assert is_problem(callbacks.post(forged, json=b2c_result(app_id)), 404)
    other_kind = url(container, "stk", app_id).replace("/stk/", "/b2c/")
    assert is_problem(callbacks.post(other_kind, json=b2c_result(app_id)), 404)
    outside = {"X-Forwarded-For": "203.0.113.9"}
    assert is_problem(
        callbacks.post(url(container, "b2c", app_id), json=b2c_result(app_id), headers=outside), 404
    )
    assert world.application(app_id).status == Status.APPROVED


def test_a_body_that_is_not_a_json_object_is_a_400_problem(
    world: World, container: FakeContainer, callbacks: FlaskClient
) -> None:
    app_id = payout_pending(world, container)
    garbled = callbacks.post(url(container, "b2c", app_id), data="{not json", content_type="application/json")
    assert is_problem(garbled, 400)
    assert is_problem(callbacks.post(url(container, "b2c", app_id), json=[1, 2]), 400)
    assert world.application(app_id).status == Status.APPROVED


def stk_callback(checkout_request_id: str, amount: int) -> dict[str, Any]:
    items = [
        {"Name": "Amount", "Value": amount},
        {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
        {"Name": "TransactionDate", "Value": 20261129120030},
        {"Name": "PhoneNumber", "Value": 254700000052},
    ]
    callback = {
        "MerchantRequestID": "29115-34620561-1",
        "CheckoutRequestID": checkout_request_id,
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "CallbackMetadata": {"Item": items},
    }
    return {"Body": {"stkCallback": callback}}


def test_an_stk_result_settles_the_repayment_once(
    world: World, container: FakeContainer, callbacks: FlaskClient
) -> None:
    app_id = payout_pending(world, container, "+254700000052")
    callbacks.post(url(container, "b2c", app_id), json=b2c_result(app_id))
    world.collections.pending = True  # the borrower has not yet answered the STK Push
    borrower = world.store.get_user(world.application(app_id).borrower_id)
    assert borrower is not None
    loans = http_client(loans_api.create_app(container))
    headers = bearer(borrower) | {"Idempotency-Key": "stk-1"}
    accepted = loans.post(f"/v1/loans/{app_id}/repayments", json={"amount": "1000"}, headers=headers)
    assert accepted.status_code == 202 and world.store.get_loan(app_id).paid_minor == 0  # type: ignore[union-attr]
    repayment_id = accepted.get_json()["id"]
    for _ in range(2):
        r = callbacks.post(url(container, "stk", repayment_id), json=stk_callback("req-1", 1000))
        assert r.status_code == 200 and r.get_json() == ACCEPTED
    assert world.store.get_loan(app_id).paid_minor == 100_000  # type: ignore[union-attr]
    assert world.publisher.topics().count(topology.REPAYMENT_RECEIVED) == 1


def test_stk_results_for_one_loan_arriving_together_settle_one_at_a_time(
    world: World, container: FakeContainer, callbacks: FlaskClient
) -> None:
    """Several collections answered at once contend for one loan: they queue in the process, so none is
    left to Firestore's retries (on the emulator those run out, and M-Pesa does not send a result twice)."""
    app_id = payout_pending(world, container, "+254700000053")
    callbacks.post(url(container, "b2c", app_id), json=b2c_result(app_id))
    world.collections.pending = True
    borrower = world.store.get_user(world.application(app_id).borrower_id)
    assert borrower is not None
    loans = http_client(loans_api.create_app(container))
    ids = []
    for n in range(3):
        headers = bearer(borrower) | {"Idempotency-Key": f"stk-together-{n}"}
        r = loans.post(f"/v1/loans/{app_id}/repayments", json={"amount": "500"}, headers=headers)
        ids.append(r.get_json()["id"])
    inside, most, guard = [0], [0], threading.Lock()
    transaction = world.store.transaction

    def overlapping(fn: Any) -> Any:
        def run(tx: Any) -> Any:
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.05)
            try:
                return fn(tx)
            finally:
                with guard:
                    inside[0] -= 1

        return transaction(run)

    world.store.transaction = overlapping  # type: ignore[method-assign]
    app = callbacks_api.create_app(container)

    def answer(repayment_id: str) -> Any:
        return http_client(app).post(url(container, "stk", repayment_id), json=stk_callback("req-1", 500))

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(answer, ids))
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert most[0] == 1
    assert world.store.get_loan(app_id).paid_minor == 150_000  # type: ignore[union-attr]
