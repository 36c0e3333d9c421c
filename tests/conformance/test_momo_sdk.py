"""``mtn-momo-client`` (``momo_api``), an MTN MoMo SDK others wrote, against our MoMo sandbox in both modes:
token, transfer, requesttopay, their statuses, a failing test number and a duplicate reference.

In the ``sandbox`` environment the SDK replaces every currency with EUR (its note: MTN's sandbox rejects
any other), which our sandbox's MTN mode insists on; the local mode accepts it too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from momo_api import (
    CollectionApi,
    Config,
    ConflictException,
    DisbursementApi,
    PaymentRequest,
    Transaction,
    TransferRequest,
)
from momo_api.exceptions import BadRequestException


@dataclass(frozen=True)
class Mode:
    """A sandbox mode and the test numbers it pays (or fails) in that mode."""

    fixture: str
    success: str
    failure: str
    failure_reason: str
    payer_failure_reason: str


MODES = [
    Mode("momo_sandbox", "256772000001", "254722000001", "PAYEE_NOT_FOUND", "PAYER_NOT_FOUND"),
    Mode(
        "momo_mtn_sandbox",
        "46733123459",
        "46733123450",
        "INTERNAL_PROCESSING_ERROR",
        "INTERNAL_PROCESSING_ERROR",
    ),
]


def config(product: str) -> Config:
    factory = Config.disbursement if product == "disbursement" else Config.collection
    return factory("local-sandbox-subscription", "mkopo-local", "local-sandbox-key")


@pytest.fixture(params=MODES, ids=lambda mode: mode.fixture)
def mode(request: pytest.FixtureRequest) -> tuple[Mode, str]:
    chosen: Mode = request.param
    return chosen, request.getfixturevalue(chosen.fixture)


def disbursements(base_url: str) -> DisbursementApi:
    return DisbursementApi(config("disbursement"), base_url, "sandbox")


def collections(base_url: str) -> CollectionApi:
    return CollectionApi(config("collection"), base_url, "sandbox")


def assert_settled(status: Transaction, reference: str, party: str, number: str, amount: str) -> None:
    """The fields the SDK's Transaction reads, as MTN documents them for a settled transaction."""
    assert (status.status, status.is_successful(), status.reason) == ("SUCCESSFUL", True, None)
    assert (status.amount, status.currency, status.external_id) == (amount, "EUR", reference)
    assert getattr(status, party) == number
    assert status.financial_transaction_id and status.financial_transaction_id.isdigit()


def test_token(mode: tuple[Mode, str]) -> None:
    _, base_url = mode
    for api in (disbursements(base_url), collections(base_url)):
        token = api.get_access_token()
        assert token.access_token and token.token_type == "access_token" and token.expires_in > 60


def test_transfer_and_status(mode: tuple[Mode, str]) -> None:
    chosen, base_url = mode
    api, reference = disbursements(base_url), str(uuid.uuid4())
    request = TransferRequest.make("5000", chosen.success, reference, "UGX", "mkopo loan", "loan")
    assert api.transfer(request, reference_id=reference) == reference
    assert_settled(api.get_transfer_status(reference), reference, "payee", chosen.success, "5000")


def test_request_to_pay_and_status(mode: tuple[Mode, str]) -> None:
    chosen, base_url = mode
    api, reference = collections(base_url), str(uuid.uuid4())
    request = PaymentRequest.make("1500", chosen.success, reference, "UGX", "repayment", "loan")
    assert api.request_to_pay(request, reference_id=reference) == reference
    status = api.get_payment_status(reference)
    assert_settled(status, reference, "payer", chosen.success, "1500")
    assert (status.payer_message, status.payee_note) == ("repayment", "loan")


def test_failing_test_numbers_carry_a_reason(mode: tuple[Mode, str]) -> None:
    chosen, base_url = mode
    payout, ask = disbursements(base_url), collections(base_url)
    sent = payout.transfer(TransferRequest.make("10", chosen.failure, "x"), reference_id=str(uuid.uuid4()))
    failed = payout.get_transfer_status(sent)
    assert (failed.status, failed.is_failed()) == ("FAILED", True)
    assert failed.reason is not None and failed.reason.code == chosen.failure_reason
    asked = ask.request_to_pay(PaymentRequest.make("10", chosen.failure, "x"), reference_id=str(uuid.uuid4()))
    refused = ask.get_payment_status(asked)
    assert refused.reason is not None and refused.reason.code == chosen.payer_failure_reason


def test_duplicate_reference_is_409_resource_already_exist(mode: tuple[Mode, str]) -> None:
    chosen, base_url = mode
    reference = str(uuid.uuid4())
    for api, request in (
        (disbursements(base_url), TransferRequest.make("10", chosen.success, "dup")),
        (collections(base_url), PaymentRequest.make("10", chosen.success, "dup")),
    ):
        submit = api.transfer if isinstance(api, DisbursementApi) else api.request_to_pay
        submit(request, reference_id=reference)  # type: ignore[arg-type]
        with pytest.raises(ConflictException) as info:
            submit(request, reference_id=reference)  # type: ignore[arg-type]
        assert (info.value.status_code, info.value.code) == (409, "RESOURCE_ALREADY_EXIST")


def test_mtn_mode_refuses_numbers_outside_mtn_series(momo_mtn_sandbox: str) -> None:
    """The SDK sends EUR, so what MTN's sandbox still refuses is a number that is not one of its own."""
    with pytest.raises(BadRequestException) as info:
        disbursements(momo_mtn_sandbox).transfer(TransferRequest.make("10", "256772000001", "x"))
    assert info.value.code == "PAYEE_NOT_FOUND"
