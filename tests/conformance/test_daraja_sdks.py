"""Daraja SDKs others wrote against our M-Pesa sandbox: token, B2C (and a duplicate), Transaction Status,
STK Push and its query.

* ``daraja-sdk-py`` (``daraja.Mpesa``): pydantic response models, so every field it declares is checked by
  the SDK itself (a missing ``CustomerMessage`` or ``ResultCode`` fails its validation); it has no base-URL
  option, so its environment's base URL is pointed at the sandbox.
* ``daraja-v3`` (``mpesa.MpesaClient``): a ``base_url`` for local test doubles; its dataclass results read
  the fields asserted below.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import daraja.environment
import mpesa
import pytest
from daraja import Mpesa
from daraja.exceptions import MpesaAPIError
from daraja.webhooks import WebhookManager

from tests.integration.test_mpesa_sandbox import Inbox

SHORTCODE = "174379"
PASSKEY = "local-sandbox-passkey"
PHONE = "254708374149"
CREDENTIALS = {"consumer_key": "mkopo-local", "consumer_secret": "local-sandbox-secret"}


@pytest.fixture
def sdk(mpesa_sandbox: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mpesa]:
    """daraja-sdk-py pointed at the sandbox; no retries or response cache, so each call reaches it."""
    monkeypatch.setattr(daraja.environment, "get_base_url", lambda environment: mpesa_sandbox)
    config: dict[str, Any] = {
        **CREDENTIALS,
        "environment": "sandbox",
        "passkey": PASSKEY,
        "initiator_name": "mkopo-api",
        "security_credential": "sandbox-credential",
        "max_retries": 0,
        "enable_idempotency": False,
    }
    yield Mpesa(config)


def b2c_request(inbox: Inbox, reference: str) -> dict[str, Any]:
    return {
        "OriginatorConversationID": reference,
        "InitiatorName": "mkopo-api",
        "SecurityCredential": "sandbox-credential",
        "CommandID": "BusinessPayment",
        "Amount": 500,
        "PartyA": 600000,
        "PartyB": int(PHONE),
        "Remarks": "mkopo loan",
        "QueueTimeOutURL": inbox.url("/timeout"),
        "ResultURL": inbox.url("/b2c"),
        "Occassion": reference,
    }


def parameters(result: dict[str, Any]) -> dict[str, Any]:
    return {p["Key"]: p.get("Value") for p in result["ResultParameters"]["ResultParameter"]}


def test_sdk_token(sdk: Mpesa) -> None:
    token = sdk.get_access_token()
    assert isinstance(token, str) and token


def test_sdk_b2c_ack_and_result(sdk: Mpesa, inbox: Inbox) -> None:
    reference = str(uuid.uuid4())
    ack = sdk.b2c(b2c_request(inbox, reference))
    assert (ack.OriginatorConversationID, ack.ResponseCode) == (reference, "0")
    assert ack.ConversationID.startswith("AG_") and ack.ResponseDescription
    [callback] = inbox.wait_for("/b2c")
    result = callback["Result"]
    assert (result["ResultType"], result["ResultCode"], result["OriginatorConversationID"]) == (
        0,
        0,
        reference,
    )
    assert (result["ConversationID"], result["TransactionID"], result["ResultDesc"]) == (
        ack.ConversationID,
        result["TransactionID"],
        "The service request is processed successfully.",
    )
    params = parameters(result)
    assert params["TransactionAmount"] == 500 and params["TransactionReceipt"] == result["TransactionID"]
    assert {
        "ReceiverPartyPublicName",
        "TransactionCompletedDateTime",
        "B2CRecipientIsRegisteredCustomer",
    } <= (params.keys())


def test_sdk_b2c_duplicate_is_daraja_500_002_1001(sdk: Mpesa, inbox: Inbox) -> None:
    reference = str(uuid.uuid4())
    sdk.b2c(b2c_request(inbox, reference))
    with pytest.raises(MpesaAPIError) as info:
        sdk.b2c(b2c_request(inbox, reference))
    assert info.value.status_code == 500
    assert '"errorCode":"500.002.1001"' in str(info.value.raw_response).replace(" ", "")
    assert "Duplicate OriginatorConversationID" in str(info.value.raw_response)


def test_sdk_transaction_status_ack_and_result(sdk: Mpesa, inbox: Inbox) -> None:
    reference = str(uuid.uuid4())
    sdk.b2c(b2c_request(inbox, reference))
    inbox.wait_for("/b2c")
    ack = sdk.transaction_status(
        {
            "CommandID": "TransactionStatusQuery",
            "OriginalConversationID": reference,
            "PartyA": 600000,
            "IdentifierType": 4,
            "ResultURL": inbox.url("/status"),
            "QueueTimeOutURL": inbox.url("/timeout"),
            "Remarks": "status",
            "Occasion": reference,
        }
    )
    assert ack.ResponseCode == "0" and ack.ConversationID and ack.OriginatorConversationID
    [callback] = inbox.wait_for("/status")
    result = callback["Result"]
    assert (result["ResultCode"], result["ConversationID"]) == (0, ack.ConversationID)
    params = parameters(result)
    assert (params["TransactionStatus"], params["Amount"], params["OriginatorConversationID"]) == (
        "Completed",
        500,
        reference,
    )
    for key in ("InitiatedTime", "FinalisedTime"):
        assert re.fullmatch(r"\d{14}", str(params[key]))
    assert params["DebitAccountType"] == "Utility Account"
    assert str(params["DebitPartyCharges"]).startswith("Fee For B2C Payment|KES|")
    assert {
        "ReceiptNo",
        "DebitPartyName",
        "CreditPartyName",
        "ReasonType",
        "TransactionReason",
    } <= params.keys()


def test_sdk_stk_push_callback_and_query(sdk: Mpesa, inbox: Inbox) -> None:
    ack = sdk.stk_push(
        {
            "BusinessShortCode": int(SHORTCODE),
            "TransactionType": "CustomerPayBillOnline",
            "Amount": 150,
            "PartyA": int(PHONE),
            "PartyB": int(SHORTCODE),
            "PhoneNumber": int(PHONE),
            "CallBackURL": inbox.url("/stk"),
            "AccountReference": "LOAN42",
            "TransactionDesc": "Repayment",
        }
    )
    assert ack.ResponseCode == "0" and ack.CheckoutRequestID.startswith("ws_CO_")
    assert ack.MerchantRequestID and ack.ResponseDescription and ack.CustomerMessage
    [callback] = inbox.wait_for("/stk")
    parsed = WebhookManager().parse_stk_callback(callback)
    assert (parsed["success"], parsed["checkout_request_id"]) == (True, ack.CheckoutRequestID)
    assert (parsed["merchant_request_id"], parsed["phone_number"]) == (ack.MerchantRequestID, PHONE)
    assert parsed["amount"] == 150 and parsed["receipt_number"] and len(parsed["transaction_date"]) == 14
    queried = sdk.stk_query({"BusinessShortCode": SHORTCODE, "CheckoutRequestID": ack.CheckoutRequestID})
    assert (queried.ResponseCode, queried.ResultCode, queried.CheckoutRequestID) == (
        "0",
        "0",
        ack.CheckoutRequestID,
    )
    assert queried.MerchantRequestID == ack.MerchantRequestID and queried.ResultDesc


def test_v3_client_token_b2c_stk_push_and_query(mpesa_sandbox: str, inbox: Inbox) -> None:
    client = mpesa.MpesaClient(
        **CREDENTIALS, shortcode=SHORTCODE, passkey=PASSKEY, sandbox=True, base_url=mpesa_sandbox
    )
    payout = client.b2c(
        phone="0708374149",
        amount=500,
        remarks="mkopo loan",
        callback_url=inbox.url("/b2c"),
        queue_timeout_url=inbox.url("/timeout"),
        initiator_name="mkopo-api",
        security_credential="sandbox-credential",
    )
    assert payout.conversation_id.startswith("AG_") and payout.originator_conversation_id
    assert payout.raw["ResponseCode"] == "0" and payout.response_description
    assert inbox.wait_for("/b2c")[0]["Result"]["ResultCode"] == 0
    push = client.stk_push(phone="0708374149", amount=150, reference="LOAN42", callback_url=inbox.url("/stk"))
    assert push.checkout_request_id.startswith("ws_CO_") and push.merchant_request_id
    assert push.response_description and push.customer_message
    parsed = client.parse_stk_callback(inbox.wait_for("/stk")[0])
    assert (parsed["paid"], parsed["checkout_request_id"], parsed["amount"]) == (
        True,
        push.checkout_request_id,
        150,
    )
    assert parsed["mpesa_receipt"] and parsed["phone"] == PHONE
    queried = client.stk_query(push.checkout_request_id)
    assert (queried.is_paid, queried.result_code, queried.checkout_request_id) == (
        True,
        "0",
        push.checkout_request_id,
    )
    assert queried.merchant_request_id == push.merchant_request_id and queried.result_desc
