"""MTN MoMo collection adapter: asks a borrower to pay through ``POST /collection/v1_0/requesttopay``.

Outcome rules (the same as the disbursement adapter's, except that approval happens on the payer's phone
and can take minutes, so a request is not polled to completion):

* requesttopay 202 -> PENDING with ``provider_request_id`` = X-Reference-Id; poll ``collection_status``.
* requesttopay 409 (reference already used) -> the existing request's current status: never a second ask.
* requesttopay 400 -> FAILED with MoMo's error code: nothing was requested.
* 401 -> the token (``/collection/token/``) is refreshed once and the call retried; then
  ``MomoAuthenticationError``.
* 5xx, 429, timeouts, connection errors -> ``ProviderUnavailable``: retry with the same reference.
* status 200 -> PENDING/SUCCESSFUL/FAILED with the amount MoMo reports (match it against what was asked).
* status 404 -> ``CollectionNotFound``: the POST never got its 202; requesting again is safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from mkopo.adapters.payments.momo import (
    DEFAULT_TIMEOUT,
    PARTY_ID_RE,
    TOKEN_REFRESH_MARGIN_S,
    MomoAuthenticationError,
    _canonical_reference,
    _error_code,
    _json_object,
    _reason,
    _unavailable,
)
from mkopo.adapters.payments.ports_collection import CollectionNotFound, CollectionResult, CollectionStatus
from mkopo.domain.money import Money, MoneyError
from mkopo.service.ports import ProviderUnavailable

__all__ = ["MomoCollectionProvider", "MomoSession"]

REQUEST_TO_PAY_PATH = "/collection/v1_0/requesttopay"
STATUSES = {status.value: status for status in CollectionStatus}


class MomoSession:
    """A lazily created HTTP client plus a cached access token for one MoMo product (e.g. collection)."""

    def __init__(
        self,
        *,
        base_url: str,
        product: str,
        api_user: str,
        api_key: str,
        subscription_key: str,
        target_environment: str = "sandbox",
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token_path = f"/{product}/token/"
        self._api_user = api_user
        self._api_key = api_key
        self._subscription_key = subscription_key
        self._target_environment = target_environment
        self._timeout = timeout
        self._client = client
        self._owns_client = client is None
        self._transport = transport
        self._clock = clock
        self._lock = threading.RLock()
        self._token: str | None = None
        self._token_expires_at = 0.0

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An authorised API call; on 401 the token is refreshed once and the call retried."""
        response = self._request(method, path, self._token_value(), **kwargs)
        if response.status_code != 401:
            return response
        response = self._request(method, path, self._token_value(force=True), **kwargs)
        if response.status_code == 401:
            raise MomoAuthenticationError(f"MoMo refused a fresh access token: {_error_code(response)}")
        return response

    def close(self) -> None:
        """Close the HTTP client if this session created it."""
        with self._lock:
            if self._client is not None and self._owns_client:
                self._client.close()
                self._client = None

    def _request(
        self, method: str, path: str, token: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One HTTP call with MoMo's auth headers; transport faults become ``ProviderUnavailable``."""
        all_headers = {
            "Authorization": f"Bearer {token}",
            "Ocp-Apim-Subscription-Key": self._subscription_key,
            "X-Target-Environment": self._target_environment,
            **(headers or {}),
        }
        try:
            return self._http().request(method, path, headers=all_headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"MoMo {method} {path} failed: {exc!r}") from exc

    def _token_value(self, *, force: bool = False) -> str:
        """A cached access token, fetched when missing, near expiry or ``force``d."""
        with self._lock:
            if force or self._token is None or self._clock() >= self._token_expires_at:
                self._token, self._token_expires_at = self._fetch_token()
            return self._token

    def _fetch_token(self) -> tuple[str, float]:
        """A new access token and the monotonic time at which to stop using it."""
        try:
            response = self._http().post(
                self._token_path,
                auth=(self._api_user, self._api_key),
                headers={"Ocp-Apim-Subscription-Key": self._subscription_key},
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"MoMo token request failed: {exc!r}") from exc
        if response.status_code in (401, 403):
            raise MomoAuthenticationError(f"MoMo rejected our API user/key: HTTP {response.status_code}")
        if response.status_code != 200:
            raise _unavailable(response)
        body = _json_object(response)
        token, expires_in = body.get("access_token"), float(body.get("expires_in") or 0)
        if not isinstance(token, str) or not token:
            raise ProviderUnavailable("MoMo token response has no access_token")
        return token, self._clock() + max(expires_in - TOKEN_REFRESH_MARGIN_S, expires_in / 2)

    def _http(self) -> httpx.Client:
        """The cached HTTP client, created on first use."""
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    base_url=self._base_url, timeout=self._timeout, transport=self._transport
                )
            return self._client


class MomoCollectionProvider:
    """``CollectionProvider`` backed by MoMo requesttopay; idempotent by X-Reference-Id (our reference)."""

    name = "mtn-momo"

    def __init__(self, *, session: MomoSession) -> None:
        self._session = session

    def request_collection(
        self, *, reference: str, amount: Money, msisdn: str, description: str, callback_url: str | None = None
    ) -> CollectionResult:
        """Ask ``msisdn`` to pay ``amount``; PENDING until approved. A reused reference never asks twice."""
        reference = _canonical_reference(reference)
        party_id = msisdn.strip().removeprefix("+")
        if not PARTY_ID_RE.fullmatch(party_id):
            return self._result(reference, CollectionStatus.FAILED, reason="INVALID_MSISDN")
        headers = {"X-Reference-Id": reference}
        if callback_url:
            headers["X-Callback-Url"] = callback_url
        body = _request_to_pay_body(reference, amount, party_id, description)
        response = self._session.send("POST", REQUEST_TO_PAY_PATH, json=body, headers=headers)
        if response.status_code == 202:
            return self._result(reference, CollectionStatus.PENDING)
        if response.status_code == 409:
            return self.collection_status(reference)
        if response.status_code == 400:
            return self._result(
                reference, CollectionStatus.FAILED, reason=_error_code(response) or "BAD_REQUEST"
            )
        raise _unavailable(response)

    def collection_status(
        self, reference: str, *, provider_request_id: str | None = None
    ) -> CollectionResult:
        """The request's current status and reported amount; raises ``CollectionNotFound`` on 404."""
        reference = _canonical_reference(provider_request_id or reference)
        response = self._session.send("GET", f"{REQUEST_TO_PAY_PATH}/{reference}")
        if response.status_code == 200:
            return self._parse_status(reference, _json_object(response))
        if response.status_code == 404:
            raise CollectionNotFound(f"MoMo has no request-to-pay {reference}")
        raise _unavailable(response)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> MomoCollectionProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _parse_status(self, reference: str, body: dict[str, Any]) -> CollectionResult:
        """Map MoMo's requesttopay status body; unknown statuses stay PENDING with a reason."""
        raw_status = str(body.get("status", "")).upper()
        status = STATUSES.get(raw_status, CollectionStatus.PENDING)
        reason = _reason(body.get("reason"))
        if raw_status not in STATUSES:
            reason = reason or f"UNKNOWN_STATUS:{raw_status}"
        txn = body.get("financialTransactionId")
        return self._result(
            reference,
            status,
            transaction_id=str(txn) if txn and status is CollectionStatus.SUCCESSFUL else None,
            amount=_reported_amount(body),
            reason=reason,
        )

    def _result(
        self,
        reference: str,
        status: CollectionStatus,
        *,
        transaction_id: str | None = None,
        amount: Money | None = None,
        reason: str | None = None,
    ) -> CollectionResult:
        return CollectionResult(
            self.name,
            reference,
            status,
            provider_transaction_id=transaction_id,
            amount=amount,
            reason=reason,
            provider_request_id=reference,
        )


def _request_to_pay_body(reference: str, amount: Money, party_id: str, description: str) -> dict[str, Any]:
    """The MoMo RequestToPay body; amounts are major-unit strings ("5000.00" KES, "1000" UGX)."""
    return {
        "amount": str(amount),
        "currency": amount.currency,
        "externalId": reference,
        "payer": {"partyIdType": "MSISDN", "partyId": party_id},
        "payerMessage": description,
        "payeeNote": description,
    }


def _reported_amount(body: dict[str, Any]) -> Money | None:
    """The amount and currency MoMo reports, or None if absent or not representable."""
    amount, currency = body.get("amount"), body.get("currency")
    if amount in (None, "") or not isinstance(currency, str):
        return None
    try:
        return Money.parse(Decimal(str(amount)), currency)
    except (MoneyError, ArithmeticError):
        return None
