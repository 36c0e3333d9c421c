"""Safaricom M-Pesa (Daraja) adapters: B2C payouts and STK Push (M-Pesa Express) collections.

Both APIs are asynchronous: the HTTP reply only acknowledges the request; the outcome is POSTed later to a
URL we give (ResultURL / CallBackURL), possibly late, twice or never. Outcome rules:

B2C payout (``MpesaPayoutProvider``), idempotency key ``OriginatorConversationID`` = our reference:

* ack ``ResponseCode`` "0" -> PENDING: the payout exists at M-Pesa; its Result arrives at ``result_url``
  (parse it with ``parse_b2c_result``).
* 400 (validation: ``errorCode`` 400.002.02 ...) -> FAILED with the error code: nothing was queued. A 400
  saying the OriginatorConversationID is a duplicate -> PENDING: the earlier request stands.
* an ack with a non-zero ``ResponseCode`` -> FAILED: M-Pesa refused it.
* 401 or errorCode 404.001.03 (invalid token) -> token refreshed once, call retried; then
  ``MpesaAuthenticationError``.
* 5xx, 429, timeouts, connection errors -> ``ProviderUnavailable``: retry later with the same reference.
* invalid MSISDN, non-KES currency, amount with cents -> FAILED without calling M-Pesa.
* ``payout_status`` sends a Transaction Status query by OriginalConversationID and returns PENDING; the
  answer comes by callback at ``status_result_url`` (parse it with ``parse_transaction_status_result``).

STK Push (``MpesaStkCollectionProvider``): M-Pesa has no idempotency key for STK Push; the request is
identified by the ``CheckoutRequestID`` M-Pesa returns (``CollectionResult.provider_request_id``), which the
caller must store to match the callback (``parse_stk_callback``) and to query the status.

Parsers validate the shapes and never trust the amount blindly: they expose what M-Pesa says was paid so
the caller can compare it with what was asked.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx

from mkopo.adapters.payments.http_session import (
    DEFAULT_TIMEOUT,
    ApiErrors,
    SessionProvider,
    TokenSession,
    json_object,
)
from mkopo.domain.money import Money, MoneyError
from mkopo.service.ports import (
    CollectionNotFound,
    CollectionResult,
    CollectionStatus,
    PayoutResult,
    PayoutStatus,
    ProviderUnavailable,
)

__all__ = [
    "MpesaAuthenticationError",
    "MpesaCallbackError",
    "MpesaPayoutOutcome",
    "MpesaPayoutProvider",
    "MpesaStkCollectionProvider",
    "StkCallback",
    "nairobi_timestamp",
    "parse_b2c_result",
    "parse_payout_callback",
    "parse_stk_callback",
    "parse_transaction_status_result",
    "stk_password",
]

TOKEN_PATH = "/oauth/v1/generate"  # noqa: S105 - a URL path, not a secret
B2C_PATH = "/mpesa/b2c/v3/paymentrequest"
STATUS_PATH = "/mpesa/transactionstatus/v1/query"
STK_PATH = "/mpesa/stkpush/v1/processrequest"
STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query"
NAIROBI = ZoneInfo("Africa/Nairobi")
MSISDN_RE = re.compile(r"254[17][0-9]{8}")
REFERENCE_RE = re.compile(r"[A-Za-z0-9-]{1,64}")
INVALID_TOKEN_CODE = "404.001.03"  # noqa: S105 - a Daraja error code, not a secret
STILL_PROCESSING_CODE = "500.001.1001"
TRANSACTION_NOT_FOUND = "2032"  # a Transaction Status Result: M-Pesa has no such transaction
ERRORS = ApiErrors("M-Pesa", "errorCode")
COMPLETED = "completed"
FAILED_STATUSES = {"failed", "declined", "cancelled", "canceled", "expired", "reversed"}


class MpesaAuthenticationError(ProviderUnavailable):
    """Daraja rejected our consumer key/secret or a fresh token; retrying helps only once config is fixed."""


class MpesaCallbackError(ValueError):
    """A callback body that does not have the shape Daraja publishes: log it and keep it for an operator."""


class DarajaSession(TokenSession):
    """A lazily created HTTP client plus a cached OAuth token for one Daraja app."""

    errors = ERRORS
    auth_error = MpesaAuthenticationError
    auth_label = "Daraja"
    credentials = "consumer key/secret"
    credentials_statuses = frozenset({400, 401, 403})

    def __init__(
        self,
        *,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout, client=client, transport=transport, clock=clock)
        self._consumer_key = consumer_key
        self._consumer_secret = consumer_secret

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """An authorised JSON POST; an invalid-token answer refreshes the token once and retries."""
        return self.send("POST", path, json=body)

    def _token_rejected(self, response: httpx.Response) -> bool:
        """Whether Daraja refused our bearer token (401, or its 404.001.03 'Invalid Access Token')."""
        return response.status_code == 401 or ERRORS.code(response) == INVALID_TOKEN_CODE

    def _request_token(self, http: httpx.Client) -> httpx.Response:
        """``GET /oauth/v1/generate?grant_type=client_credentials`` with Basic auth."""
        return http.get(
            TOKEN_PATH,
            params={"grant_type": "client_credentials"},
            auth=(self._consumer_key, self._consumer_secret),
        )

    def _expires_in(self, body: dict[str, Any]) -> float:
        """Daraja sends expires_in as a numeric string ("3599"); anything else counts as 0."""
        return _float(body.get("expires_in"), 0.0)


class MpesaPayoutProvider(SessionProvider):
    """``PayoutProvider`` backed by Daraja B2C; idempotent by ``OriginatorConversationID`` (our reference)."""

    name = "mpesa"

    def __init__(
        self,
        *,
        session: DarajaSession,
        shortcode: str,
        initiator_name: str,
        security_credential: str,
        result_url: str,
        queue_timeout_url: str,
        status_result_url: str | None = None,
        command_id: Literal["BusinessPayment", "SalaryPayment", "PromotionPayment"] = "BusinessPayment",
    ) -> None:
        self._session: DarajaSession = session
        self._shortcode = shortcode
        self._initiator_name = initiator_name
        self._security_credential = security_credential
        self._result_url = result_url
        self._queue_timeout_url = queue_timeout_url
        self._status_result_url = status_result_url or result_url
        self._command_id = command_id

    def request_payout(self, *, reference: str, amount: Money, msisdn: str, note: str) -> PayoutResult:
        """Send a B2C payment; PENDING once M-Pesa acknowledges it (the Result comes by callback)."""
        reference = _checked_reference(reference)
        refusal = _refusal(amount, msisdn)
        if refusal is not None:
            return self._result(reference, PayoutStatus.FAILED, reason=refusal)
        response = self._session.post(B2C_PATH, self._b2c_body(reference, amount, _party(msisdn), note))
        return self._acknowledged(reference, response)

    def payout_status(self, reference: str) -> PayoutResult:
        """Send a Transaction Status query; PENDING: its answer is POSTed to ``status_result_url``."""
        reference = _checked_reference(reference)
        body = {
            "Initiator": self._initiator_name,
            "SecurityCredential": self._security_credential,
            "CommandID": "TransactionStatusQuery",
            "OriginalConversationID": reference,
            "PartyA": self._shortcode,
            "IdentifierType": "4",
            "ResultURL": self._status_result_url,
            "QueueTimeOutURL": self._queue_timeout_url,
            "Remarks": "Payout status",
            "Occasion": reference,
        }
        response = self._session.post(STATUS_PATH, body)
        if response.status_code == 200 and str(json_object(response).get("ResponseCode")) == "0":
            return self._result(reference, PayoutStatus.PENDING, reason="STATUS_QUERY_SENT")
        if response.status_code == 400:
            raise ValueError(f"M-Pesa refused the status query: {ERRORS.code(response)}")
        raise ERRORS.unavailable(response)

    def _b2c_body(self, reference: str, amount: Money, party_b: str, note: str) -> dict[str, Any]:
        """The B2C v3 payment request body; Amount in whole shillings."""
        return {
            "OriginatorConversationID": reference,
            "InitiatorName": self._initiator_name,
            "SecurityCredential": self._security_credential,
            "CommandID": self._command_id,
            "Amount": amount.minor // 100,
            "PartyA": self._shortcode,
            "PartyB": party_b,
            "Remarks": (note.strip() or "Loan disbursement")[:100],
            "QueueTimeOutURL": self._queue_timeout_url,
            "ResultURL": self._result_url,
            "Occasion": reference,
        }

    def _acknowledged(self, reference: str, response: httpx.Response) -> PayoutResult:
        """Map the synchronous B2C acknowledgement to a PENDING or FAILED result."""
        body = json_object(response)
        if response.status_code == 200:
            code = str(body.get("ResponseCode", ""))
            if code == "0":
                return self._result(reference, PayoutStatus.PENDING)
            return self._result(
                reference, PayoutStatus.FAILED, reason=f"{code}: {body.get('ResponseDescription')}"
            )
        if response.status_code == 400:
            if "duplicate" in str(body.get("errorMessage", "")).lower():
                return self._result(reference, PayoutStatus.PENDING, reason="DUPLICATE_REFERENCE")
            return self._result(reference, PayoutStatus.FAILED, reason=ERRORS.code(response) or "BAD_REQUEST")
        raise ERRORS.unavailable(response)

    def _result(self, reference: str, status: PayoutStatus, reason: str | None = None) -> PayoutResult:
        return PayoutResult(self.name, reference, status, reason=reason)


class MpesaStkCollectionProvider(SessionProvider):
    """``CollectionProvider`` backed by STK Push (M-Pesa Express) to a PayBill shortcode."""

    name = "mpesa"
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


@dataclass(frozen=True)
class MpesaPayoutOutcome:
    """A B2C or Transaction Status Result: the payout result plus what M-Pesa says was paid."""

    result: PayoutResult
    amount: Money | None
    result_code: str
    result_desc: str
    conversation_id: str | None = None
    completed_at: str | None = None

    def amount_matches(self, expected: Money) -> bool:
        """True only if M-Pesa reported exactly ``expected``."""
        return self.amount is not None and self.amount == expected

    @property
    def transaction_unknown(self) -> bool:
        """A status query's answer that M-Pesa has no such transaction (ResultCode 2032)."""
        return self.result_code == TRANSACTION_NOT_FOUND


@dataclass(frozen=True)
class StkCallback:
    """A parsed ``Body.stkCallback``: outcome, receipt, and what M-Pesa says the borrower paid."""

    merchant_request_id: str
    checkout_request_id: str
    result_code: str
    result_desc: str
    status: CollectionStatus
    receipt: str | None = None
    amount: Money | None = None
    phone: str | None = None
    transaction_date: str | None = None

    def to_collection_result(self, reference: str) -> CollectionResult:
        """The ``CollectionResult`` for our reference (looked up by the caller from the CheckoutRequestID)."""
        reason = (
            None if self.status is CollectionStatus.SUCCESSFUL else f"{self.result_code}: {self.result_desc}"
        )
        return CollectionResult(
            provider=MpesaStkCollectionProvider.name,
            reference=reference,
            status=self.status,
            provider_transaction_id=self.receipt,
            amount=self.amount,
            reason=reason,
            provider_request_id=self.checkout_request_id,
        )


def parse_b2c_result(body: Any) -> MpesaPayoutOutcome:
    """Parse a B2C Result callback; ResultCode 0 is the only success (it must carry a receipt)."""
    result = _result_object(body)
    params = _parameters(result)
    if "TransactionStatus" in params or "ReceiptNo" in params:
        raise MpesaCallbackError("this is a Transaction Status result, not a B2C result")
    reference = _required_str(result, "OriginatorConversationID")
    code, desc = _result_code(result), str(result.get("ResultDesc", ""))
    if code != "0":
        payout = PayoutResult(
            MpesaPayoutProvider.name, reference, PayoutStatus.FAILED, reason=f"{code}: {desc}"
        )
        return MpesaPayoutOutcome(payout, None, code, desc, _optional_str(result, "ConversationID"))
    receipt = _optional_str(params, "TransactionReceipt") or _optional_str(result, "TransactionID")
    if not receipt:
        raise MpesaCallbackError("a successful B2C result without a TransactionID")
    payout = PayoutResult(MpesaPayoutProvider.name, reference, PayoutStatus.SUCCESSFUL, receipt)
    amount = _amount(params.get("TransactionAmount"))
    completed = _optional_str(params, "TransactionCompletedDateTime")
    return MpesaPayoutOutcome(payout, amount, code, desc, _optional_str(result, "ConversationID"), completed)


def parse_transaction_status_result(body: Any) -> MpesaPayoutOutcome:
    """Parse a Transaction Status Result into the queried payout's status.

    The reference is the original OriginatorConversationID in the result parameters, else the Occasion we
    sent with the query. A query that itself failed (non-zero ResultCode, e.g. transaction not found yet)
    says nothing about the payout: PENDING with reason ``STATUS_QUERY_FAILED:<code>``, never FAILED.
    """
    result = _result_object(body)
    params = _parameters(result)
    reference = _status_reference(result, params)
    code, desc = _result_code(result), str(result.get("ResultDesc", ""))
    conversation_id = _optional_str(result, "ConversationID")
    if code != "0":
        pending = PayoutResult(
            MpesaPayoutProvider.name, reference, PayoutStatus.PENDING, reason=f"STATUS_QUERY_FAILED:{code}"
        )
        return MpesaPayoutOutcome(pending, None, code, desc, conversation_id)
    status_text = str(params.get("TransactionStatus", "")).strip().lower()
    receipt = _optional_str(params, "ReceiptNo") or _optional_str(result, "TransactionID")
    if status_text == COMPLETED and receipt:
        payout = PayoutResult(MpesaPayoutProvider.name, reference, PayoutStatus.SUCCESSFUL, receipt)
    elif status_text in FAILED_STATUSES:
        payout = PayoutResult(
            MpesaPayoutProvider.name, reference, PayoutStatus.FAILED, reason=status_text.upper()
        )
    else:
        payout = PayoutResult(
            MpesaPayoutProvider.name,
            reference,
            PayoutStatus.PENDING,
            reason=f"STATUS:{status_text or 'UNKNOWN'}",
        )
    amount = _amount(params.get("Amount"))
    completed = _optional_str(params, "FinalisedTime")
    return MpesaPayoutOutcome(payout, amount, code, desc, conversation_id, completed)


def parse_payout_callback(body: Any, *, kind: Literal["b2c", "status"]) -> MpesaPayoutOutcome:
    """Parse either Result callback; ``kind`` says which URL received it (the bodies can look alike)."""
    return parse_b2c_result(body) if kind == "b2c" else parse_transaction_status_result(body)


def parse_stk_callback(body: Any) -> StkCallback:
    """Parse an STK Push callback ``{"Body": {"stkCallback": {...}}}``; success carries receipt and amount."""
    callback = body.get("Body", {}).get("stkCallback") if isinstance(body, dict) else None
    if not isinstance(callback, dict):
        raise MpesaCallbackError("not an STK Push callback: Body.stkCallback missing")
    code, desc = _result_code(callback), str(callback.get("ResultDesc", ""))
    ids = (_required_str(callback, "MerchantRequestID"), _required_str(callback, "CheckoutRequestID"))
    if code != "0":
        return StkCallback(*ids, code, desc, CollectionStatus.FAILED)
    items = _items(callback)
    receipt = _optional_str(items, "MpesaReceiptNumber")
    amount = _amount(items.get("Amount"))
    if not receipt or amount is None:
        raise MpesaCallbackError("a successful STK callback without MpesaReceiptNumber or Amount")
    phone, date = _optional_str(items, "PhoneNumber"), _optional_str(items, "TransactionDate")
    return StkCallback(*ids, code, desc, CollectionStatus.SUCCESSFUL, receipt, amount, phone, date)


def stk_password(shortcode: str, passkey: str, timestamp: str) -> str:
    """The STK Push Password: base64(Shortcode + Passkey + Timestamp)."""
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode()


def nairobi_timestamp(moment: datetime) -> str:
    """YYYYMMDDHHMMSS in Africa/Nairobi time, as Daraja expects."""
    if moment.tzinfo is None:
        raise ValueError("timestamp needs a timezone-aware datetime")
    return moment.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")


def _refusal(amount: Money, msisdn: str) -> str | None:
    """Why M-Pesa cannot take this request (so we refuse it without calling), or None."""
    if amount.currency != "KES":
        return "UNSUPPORTED_CURRENCY"
    if amount.minor <= 0 or amount.minor % 100:
        return "AMOUNT_NOT_WHOLE_SHILLINGS"
    if not MSISDN_RE.fullmatch(_party(msisdn)):
        return "INVALID_MSISDN"
    return None


def _party(msisdn: str) -> str:
    """E.164 '+2547XXXXXXXX' as Daraja's 2547XXXXXXXX."""
    return msisdn.strip().removeprefix("+")


def _checked_reference(reference: str) -> str:
    """Our reference must fit Daraja's identifiers: letters, digits and dashes, at most 64."""
    if not REFERENCE_RE.fullmatch(reference):
        raise ValueError(f"M-Pesa reference must be 1-64 letters, digits or dashes, got {reference!r}")
    return reference


def _result_object(body: Any) -> dict[str, Any]:
    """The ``Result`` object of a Daraja Result callback."""
    result = body.get("Result") if isinstance(body, dict) else None
    if not isinstance(result, dict):
        raise MpesaCallbackError("not a Daraja Result callback: Result missing")
    return result


def _parameters(result: Mapping[str, Any]) -> dict[str, Any]:
    """``ResultParameters.ResultParameter`` [{Key, Value}] (a list or a single object) as a dict."""
    container = result.get("ResultParameters")
    raw = container.get("ResultParameter") if isinstance(container, dict) else None
    return _key_values(raw, "Key")


def _items(callback: Mapping[str, Any]) -> dict[str, Any]:
    """``CallbackMetadata.Item`` [{Name, Value}] as a dict."""
    metadata = callback.get("CallbackMetadata")
    return _key_values(metadata.get("Item") if isinstance(metadata, dict) else None, "Name")


def _key_values(raw: Any, key: str) -> dict[str, Any]:
    """A list (or single object) of {key, Value} pairs as a dict; entries without a Value are skipped."""
    pairs = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    return {str(p[key]): p["Value"] for p in pairs if isinstance(p, dict) and key in p and "Value" in p}


def _status_reference(result: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    """The queried payout's reference: the original OriginatorConversationID, else the query's Occasion."""
    for key in ("OriginatorConversationID", "Originator Conversation ID"):
        if _optional_str(params, key):
            return str(params[key])
    reference_data = result.get("ReferenceData")
    items = reference_data.get("ReferenceItem") if isinstance(reference_data, dict) else None
    occasion = _key_values(items, "Key").get("Occasion")
    if occasion:
        return str(occasion)
    raise MpesaCallbackError("Transaction Status result names no original OriginatorConversationID")


def _result_code(obj: Mapping[str, Any]) -> str:
    """ResultCode as a string ("0" is success); it comes as a number or a string."""
    code = obj.get("ResultCode")
    if isinstance(code, bool) or not isinstance(code, int | str) or str(code).strip() == "":
        raise MpesaCallbackError(f"missing or invalid ResultCode {code!r}")
    return str(code).strip()


def _amount(raw: Any) -> Money | None:
    """An amount M-Pesa reports (number or string, KES), or None if absent; garbage is an error."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        raise MpesaCallbackError(f"invalid amount {raw!r}")
    try:
        return Money.parse(Decimal(str(raw)), "KES")
    except (MoneyError, ArithmeticError) as exc:
        raise MpesaCallbackError(f"invalid amount {raw!r}") from exc


def _required_str(obj: Mapping[str, Any], key: str) -> str:
    value = _optional_str(obj, key)
    if not value:
        raise MpesaCallbackError(f"missing {key}")
    return value


def _optional_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return str(value).strip() if value not in (None, "") else None


def _float(raw: Any, default: float) -> float:
    """A float from a number or numeric string (Daraja sends expires_in as "3599")."""
    try:
        return float(raw)
    except (TypeError, ValueError):
        return default
