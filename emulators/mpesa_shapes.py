"""What the local Daraja sandbox knows and answers: its config, its state (payouts, STK pushes, queries,
callbacks, tokens) and the Result bodies it sends.

The bodies follow Daraja's published samples: the B2C Result, the Transaction Status Result (with
``InitiatedTime``, ``FinalisedTime``, ``DebitPartyCharges``, ``DebitAccountType`` ...) and the STK Push
callback.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from emulators.mpesa_requests import whole_amount

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


@dataclass(frozen=True)
class SandboxConfig:
    """Credentials, latency and fault knobs of one sandbox instance."""

    consumer_key: str = "mkopo-local"
    consumer_secret: str = "local-sandbox-secret"  # noqa: S105 - a local test credential
    passkey: str = "local-sandbox-passkey"
    latency_ms: int = 0
    token_ttl_s: int = 3599
    duplicate_callbacks: float = 0.0
    drop_callbacks: float = 0.0
    fail_rate: float = 0.0
    seed: int | None = None


@dataclass
class SandboxState:
    """Thread-safe in-memory payouts, STK pushes, status queries, callbacks and tokens."""

    config: SandboxConfig
    lock: threading.Lock = field(default_factory=threading.Lock)
    payouts: dict[str, Payout] = field(default_factory=dict)
    pushes: dict[str, StkPush] = field(default_factory=dict)
    queries: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    def issue_token(self) -> str:
        """Issue a bearer token valid for the configured TTL."""
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.config.token_ttl_s
        return token

    def token_valid(self, token: str) -> bool:
        """Whether a bearer token was issued here and has not expired."""
        with self.lock:
            expires_at = self.tokens.get(token)
        return expires_at is not None and time.monotonic() < expires_at

    def add_payout(self, payout: Payout) -> tuple[Payout, bool]:
        """Record a payout; (the existing one, False) if its OriginatorConversationID was already used."""
        with self.lock:
            existing = self.payouts.get(payout.originator_conversation_id)
            if existing is not None:
                existing.attempts += 1
                return existing, False
            self.payouts[payout.originator_conversation_id] = payout
            return payout, True

    def add_push(self, push: StkPush) -> None:
        with self.lock:
            self.pushes[push.checkout_request_id] = push

    def payout(self, originator_conversation_id: str) -> Payout | None:
        with self.lock:
            return self.payouts.get(originator_conversation_id)

    def payout_by_receipt(self, receipt: str) -> Payout | None:
        with self.lock:
            return next((p for p in self.payouts.values() if p.transaction_id == receipt), None)

    def push(self, checkout_request_id: str) -> StkPush | None:
        with self.lock:
            return self.pushes.get(checkout_request_id)

    def log_query(self, row: dict[str, Any]) -> None:
        with self.lock:
            self.queries.append(row)

    def log_callback(self, row: dict[str, Any]) -> None:
        with self.lock:
            self.callbacks.append(row)

    def roll(self, rate: float) -> bool:
        """True with probability ``rate``."""
        with self.lock:
            return rate > 0 and self.rng.random() < rate

    def snapshot(self) -> dict[str, list[Any]]:
        """Copies of everything recorded, for the listing endpoints."""
        with self.lock:
            return {
                "payouts": list(self.payouts.values()),
                "pushes": list(self.pushes.values()),
                "queries": list(self.queries),
                "callbacks": list(self.callbacks),
            }

    def reset(self) -> None:
        with self.lock:
            self.payouts.clear()
            self.pushes.clear()
            self.queries.clear()
            self.callbacks.clear()
            self.tokens.clear()


def payout_row(payout: Payout) -> dict[str, Any]:
    """One row of ``GET /sandbox/payouts``."""
    return {
        "originatorConversationId": payout.originator_conversation_id,
        "conversationId": payout.conversation_id,
        "attempts": payout.attempts,
        "resultCode": payout.result_code,
        "transactionId": payout.transaction_id if payout.result_code == 0 else None,
        "amount": whole_amount(payout.body["Amount"]),
        "paidAmount": payout.paid_amount,
        "partyB": payout.body["PartyB"],
        "body": payout.body,
    }


def push_row(push: StkPush) -> dict[str, Any]:
    """One row of ``GET /sandbox/stk-pushes``."""
    return {
        "checkoutRequestId": push.checkout_request_id,
        "merchantRequestId": push.merchant_request_id,
        "resultCode": push.result_code,
        "receipt": push.receipt if push.result_code == 0 else None,
        "amount": whole_amount(push.body["Amount"]),
        "paidAmount": push.paid_amount,
        "phoneNumber": push.body["PhoneNumber"],
        "body": push.body,
    }
