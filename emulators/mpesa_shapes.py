"""What the local Daraja sandbox records and answers: payouts, STK pushes and their Result bodies.

The bodies follow Daraja's published samples: the B2C Result, the Transaction Status Result (with
``InitiatedTime``, ``FinalisedTime``, ``DebitPartyCharges``, ``DebitAccountType`` ...) and the STK Push
callback.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

NAIROBI = ZoneInfo("Africa/Nairobi")
SUCCESS_DESC = "The service request is processed successfully."
B2C_FEE = "Fee For B2C Payment|KES|22.40"  # Daraja's sample value (the tariff of a sandbox shortcode)


def daraja_time(moment: datetime) -> int:
    """Daraja's YYYYMMDDHHMMSS timestamps (Nairobi time), sent as numbers in Result parameters."""
    return int(f"{moment.astimezone(NAIROBI):%Y%m%d%H%M%S}")


@dataclass
class Payout:
    """One B2C payment as received and the Result it settles to."""

    originator_conversation_id: str
    conversation_id: str
    body: dict[str, Any]
    received_at: float
    result_code: int | None
    result_desc: str
    transaction_id: str
    paid_amount: int
    attempts: int = 1
    initiated_at: datetime = field(default_factory=lambda: datetime.now(NAIROBI))


@dataclass
class StkPush:
    """One STK Push as received and the callback it settles to."""

    checkout_request_id: str
    merchant_request_id: str
    body: dict[str, Any]
    received_at: float
    result_code: int | None
    result_desc: str
    receipt: str
    paid_amount: int


def b2c_result(payout: Payout) -> dict[str, Any]:
    """The B2C Result callback body for a settled payout."""
    result: dict[str, Any] = {
        "ResultType": 0,
        "ResultCode": payout.result_code,
        "ResultDesc": payout.result_desc,
        "OriginatorConversationID": payout.originator_conversation_id,
        "ConversationID": payout.conversation_id,
        "TransactionID": payout.transaction_id,
        "ReferenceData": {
            "ReferenceItem": {"Key": "QueueTimeoutURL", "Value": payout.body["QueueTimeOutURL"]}
        },
    }
    if payout.result_code == 0:
        result["ResultParameters"] = {
            "ResultParameter": [
                {"Key": "TransactionAmount", "Value": payout.paid_amount},
                {"Key": "TransactionReceipt", "Value": payout.transaction_id},
                {"Key": "ReceiverPartyPublicName", "Value": f"{payout.body['PartyB']} - Sandbox Borrower"},
                {
                    "Key": "TransactionCompletedDateTime",
                    "Value": f"{datetime.now(NAIROBI):%d.%m.%Y %H:%M:%S}",
                },
                {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
            ]
        }
    return {"Result": result}


def status_result(query: dict[str, Any], payout: Payout | None, latency_ms: int) -> dict[str, Any]:
    """The Transaction Status Result body for the queried payout (or 'not found')."""
    result: dict[str, Any] = {
        "ResultType": 0,
        "OriginatorConversationID": query["originator_conversation_id"],
        "ConversationID": query["conversation_id"],
        "TransactionID": "SANDBOX000",
        "ReferenceData": {"ReferenceItem": {"Key": "Occasion", "Value": query["body"].get("Occasion", "")}},
    }
    if payout is None:
        return {"Result": {**result, "ResultCode": 2032, "ResultDesc": "The transaction could not be found."}}
    settled = time.monotonic() - payout.received_at >= latency_ms / 1000 and payout.result_code is not None
    status = "Pending" if not settled else "Completed" if payout.result_code == 0 else "Failed"
    parameters = status_parameters(payout, status, latency_ms)
    return {
        "Result": {
            **result,
            "ResultCode": 0,
            "ResultDesc": SUCCESS_DESC,
            "ResultParameters": {"ResultParameter": parameters},
        }
    }


def stk_callback(push: StkPush) -> dict[str, Any]:
    """The STK Push callback body for a settled push."""
    callback: dict[str, Any] = {
        "MerchantRequestID": push.merchant_request_id,
        "CheckoutRequestID": push.checkout_request_id,
        "ResultCode": push.result_code,
        "ResultDesc": push.result_desc,
    }
    if push.result_code == 0:
        callback["CallbackMetadata"] = {
            "Item": [
                {"Name": "Amount", "Value": push.paid_amount},
                {"Name": "MpesaReceiptNumber", "Value": push.receipt},
                {"Name": "Balance"},
                {"Name": "TransactionDate", "Value": int(f"{datetime.now(NAIROBI):%Y%m%d%H%M%S}")},
                {"Name": "PhoneNumber", "Value": int(push.body["PhoneNumber"])},
            ]
        }
    return {"Body": {"stkCallback": callback}}


def status_parameters(payout: Payout, status: str, latency_ms: int) -> list[dict[str, Any]]:
    """ResultParameter of a Transaction Status Result, in the order of Daraja's sample."""
    finalised = payout.initiated_at + timedelta(milliseconds=latency_ms)
    settled = status != "Pending"
    parameters: list[dict[str, Any]] = [
        {"Key": "DebitPartyName", "Value": f"{payout.body['PartyA']} - mkopo"},
        {"Key": "CreditPartyName", "Value": f"{payout.body['PartyB']} - Sandbox Borrower"},
        {"Key": "OriginatorConversationID", "Value": payout.originator_conversation_id},
        {"Key": "InitiatedTime", "Value": daraja_time(payout.initiated_at)},
        {"Key": "DebitAccountType", "Value": "Utility Account"},
        {"Key": "DebitPartyCharges", "Value": B2C_FEE if status == "Completed" else ""},
        {"Key": "TransactionReason"},
        {"Key": "ReasonType", "Value": "Business Payment to Customer via API"},
        {"Key": "TransactionStatus", "Value": status},
        {"Key": "Amount", "Value": payout.paid_amount},
        {"Key": "ConversationID", "Value": payout.conversation_id},
        {"Key": "ReceiptNo", "Value": payout.transaction_id},
    ]
    if settled:
        parameters.insert(9, {"Key": "FinalisedTime", "Value": daraja_time(finalised)})
    return parameters
