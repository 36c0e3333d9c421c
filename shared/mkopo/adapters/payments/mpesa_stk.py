"""Daraja STK Push (M-Pesa Express) collections (``MpesaStkCollectionProvider``) and its request signing."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx

from mkopo.adapters.payments.http_session import SessionProvider, json_object
from mkopo.adapters.payments.mpesa_session import (
    ERRORS,
    PROVIDER_NAME,
    DarajaSession,
    _checked_reference,
    _party,
    _refusal,
)
from mkopo.domain.money import Money
from mkopo.service.ports import CollectionNotFound, CollectionResult, CollectionStatus, ProviderUnavailable

STK_PATH = "/mpesa/stkpush/v1/processrequest"
STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query"
NAIROBI = ZoneInfo("Africa/Nairobi")
STILL_PROCESSING_CODE = "500.001.1001"


class MpesaReplyMismatch(ProviderUnavailable):
    """An STK query reply that names another (or no) CheckoutRequestID: not believed; ask again later."""


class MpesaStkCollectionProvider(SessionProvider):
    """``CollectionProvider`` backed by STK Push (M-Pesa Express) to a PayBill shortcode."""

    name = PROVIDER_NAME
    repeats_safely = False  # an STK Push has no idempotency key: each request is a prompt on the phone

    def __init__(
        self,
        *,
        session: DarajaSession,
        shortcode: str,
        passkey: str,
        callback_url: str,
        transaction_type: Literal[
            "CustomerPayBillOnline", "CustomerBuyGoodsOnline"
        ] = "CustomerPayBillOnline",
        party_b: str | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._session: DarajaSession = session
        self._shortcode = shortcode
        self._passkey = passkey
        self._callback_url = callback_url
        self._transaction_type = transaction_type
        self._party_b = party_b or shortcode
        self._now = now
        self._requests: dict[str, CollectionResult] = {}
        self._lock = threading.Lock()

    def request_collection(
        self, *, reference: str, amount: Money, msisdn: str, description: str, callback_url: str | None = None
    ) -> CollectionResult:
        """Prompt the borrower's phone to pay; PENDING with the CheckoutRequestID once M-Pesa accepts."""
        reference = _checked_reference(reference)
        with self._lock:
            earlier = self._requests.get(reference)
        if earlier is not None:
            return earlier
        refusal = _refusal(amount, msisdn)
        if refusal is not None:
            return self._result(reference, CollectionStatus.FAILED, reason=refusal)
        body = self._stk_body(
            reference, amount, _party(msisdn), description, callback_url or self._callback_url
        )
        result = self._accepted(reference, self._session.post(STK_PATH, body))
        if result.status is CollectionStatus.PENDING:
            with self._lock:
                self._requests[reference] = result
        return result

    def collection_status(
        self, reference: str, *, provider_request_id: str | None = None
    ) -> CollectionResult:
        """Query an STK Push by its CheckoutRequestID (given, or remembered from ``request_collection``)."""
        with self._lock:
            earlier = self._requests.get(reference)
        checkout_id = provider_request_id or (earlier.provider_request_id if earlier else None)
        if not checkout_id:
            raise CollectionNotFound(f"no CheckoutRequestID known for collection {reference}")
        body = {**self._credentials(), "CheckoutRequestID": checkout_id}
        response = self._session.post(STK_QUERY_PATH, body)
        return self._queried(reference, checkout_id, response)

    def _credentials(self) -> dict[str, str]:
        """BusinessShortCode, Password and Timestamp (Africa/Nairobi time) for one request."""
        timestamp = nairobi_timestamp(self._now())
        return {
            "BusinessShortCode": self._shortcode,
            "Password": stk_password(self._shortcode, self._passkey, timestamp),
            "Timestamp": timestamp,
        }

    def _stk_body(
        self, reference: str, amount: Money, phone: str, description: str, callback_url: str
    ) -> dict[str, Any]:
        """The STK Push request body; Amount in whole shillings, AccountReference <= 12 characters."""
        return {
            **self._credentials(),
            "TransactionType": self._transaction_type,
            "Amount": amount.minor // 100,
            "PartyA": phone,
            "PartyB": self._party_b,
            "PhoneNumber": phone,
            "CallBackURL": callback_url,
            "AccountReference": reference.replace("-", "")[:12],
            "TransactionDesc": (description.strip() or "Repayment")[:13],
        }

    def _accepted(self, reference: str, response: httpx.Response) -> CollectionResult:
        """Map the STK Push acknowledgement to PENDING (with the CheckoutRequestID) or FAILED."""
        body = json_object(response)
        if response.status_code == 200 and str(body.get("ResponseCode")) == "0":
            checkout_id = body.get("CheckoutRequestID")
            if not isinstance(checkout_id, str) or not checkout_id:
                raise ProviderUnavailable("M-Pesa acknowledged an STK Push without a CheckoutRequestID")
            return self._result(reference, CollectionStatus.PENDING, provider_request_id=checkout_id)
        if response.status_code == 200:
            reason = f"{body.get('ResponseCode')}: {body.get('ResponseDescription')}"
            return self._result(reference, CollectionStatus.FAILED, reason=reason)
        if response.status_code == 400:
            return self._result(
                reference, CollectionStatus.FAILED, reason=ERRORS.code(response) or "BAD_REQUEST"
            )
        raise ERRORS.unavailable(response)

    def _queried(self, reference: str, checkout_id: str, response: httpx.Response) -> CollectionResult:
        """Map an STK query answer: ResultCode 0 SUCCESSFUL, other codes FAILED, 'being processed' PENDING."""
        body = json_object(response)
        if response.status_code == 200 and "ResultCode" in body:
            if body.get("CheckoutRequestID") != checkout_id:
                raise MpesaReplyMismatch(
                    f"M-Pesa answered a query for {checkout_id} about {body.get('CheckoutRequestID')!r}"
                )
            code = str(body["ResultCode"])
            status = CollectionStatus.SUCCESSFUL if code == "0" else CollectionStatus.FAILED
            reason = None if code == "0" else f"{code}: {body.get('ResultDesc')}"
            return self._result(reference, status, reason=reason, provider_request_id=checkout_id)
        if ERRORS.code(response) == STILL_PROCESSING_CODE or response.status_code == 200:
            return self._result(reference, CollectionStatus.PENDING, provider_request_id=checkout_id)
        if response.status_code in (400, 404):
            raise CollectionNotFound(f"M-Pesa has no STK Push {checkout_id}: {ERRORS.code(response)}")
        raise ERRORS.unavailable(response)

    def _result(
        self,
        reference: str,
        status: CollectionStatus,
        *,
        reason: str | None = None,
        provider_request_id: str | None = None,
    ) -> CollectionResult:
        return CollectionResult(
            self.name, reference, status, reason=reason, provider_request_id=provider_request_id
        )


def stk_password(shortcode: str, passkey: str, timestamp: str) -> str:
    """The STK Push Password: base64(Shortcode + Passkey + Timestamp)."""
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode()


def nairobi_timestamp(moment: datetime) -> str:
    """YYYYMMDDHHMMSS in Africa/Nairobi time, as Daraja expects."""
    if moment.tzinfo is None:
        raise ValueError("timestamp needs a timezone-aware datetime")
    return moment.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")
