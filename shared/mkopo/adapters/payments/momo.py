"""MTN MoMo disbursement adapter: pays a borrower's wallet through ``POST /disbursement/v1_0/transfer``.

Outcome rules (what each provider answer means to the caller):

* transfer 202 -> poll the status for up to ``poll_timeout_s``; return SUCCESSFUL/FAILED, or PENDING if the
  transfer has not settled (or the status could not be read) by then. The payout exists at the provider.
* transfer 409 (reference already used) -> the same polling: a repeat never pays twice and returns the
  original payout's outcome.
* transfer 400 -> FAILED with MoMo's error code as reason: the provider refused it, nothing was paid.
* 401 -> the token is refreshed once and the call retried; a second 401 raises ``MomoAuthenticationError``.
* 5xx, 429, timeouts, connection errors -> ``ProviderUnavailable``: retry later with the same reference.
* status 404 -> ``PayoutNotFound``: the transfer POST never got its 202, so no money moved under this
  reference; the caller may safely ``request_payout`` again with the same reference.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from mkopo.config import Settings
from mkopo.domain.money import Money
from mkopo.service import ports
from mkopo.service.ports import PayoutResult, PayoutStatus, ProviderUnavailable

TRANSFER_PATH = "/disbursement/v1_0/transfer"
TOKEN_PATH = "/disbursement/token/"  # noqa: S105 - a URL path, not a secret
TOKEN_REFRESH_MARGIN_S = 60.0
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
PARTY_ID_RE = re.compile(r"[0-9]{8,15}")
STATUSES = {status.value: status for status in PayoutStatus}


__all__ = ["MomoAuthenticationError", "MomoPayoutProvider", "PayoutNotFound"]


class PayoutNotFound(ports.PayoutNotFound):
    """MoMo has no transfer with this reference: its POST never got a 202, so nothing was paid."""


class MomoAuthenticationError(ProviderUnavailable):
    """MoMo rejected our credentials; no payout was attempted. Retrying helps only once config is fixed."""


class MomoPayoutProvider:
    """``PayoutProvider`` backed by the MTN MoMo disbursement API; idempotent by ``X-Reference-Id``."""

    name = "mtn-momo"

    def __init__(
        self,
        *,
        base_url: str,
        api_user: str,
        api_key: str,
        subscription_key: str,
        target_environment: str = "sandbox",
        poll_timeout_s: float = 5.0,
        poll_interval_s: float = 0.2,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_user = api_user
        self._api_key = api_key
        self._subscription_key = subscription_key
        self._target_environment = target_environment
        self._poll_timeout_s = poll_timeout_s
        self._poll_interval_s = poll_interval_s
        self._timeout = timeout
        self._client = client
        self._owns_client = client is None
        self._transport = transport
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.RLock()
        self._token: str | None = None
        self._token_expires_at = 0.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> MomoPayoutProvider:
        """A provider configured from ``mkopo.config.Settings``; keyword overrides win."""
        params: dict[str, Any] = {
            "base_url": settings.momo_base_url,
            "api_user": settings.momo_api_user,
            "api_key": settings.momo_api_key.get_secret_value(),
            "subscription_key": settings.momo_subscription_key.get_secret_value(),
            "target_environment": settings.momo_target_environment,
            "poll_timeout_s": settings.payout_poll_timeout_s,
        }
        return cls(**{**params, **overrides})

    def request_payout(self, *, reference: str, amount: Money, msisdn: str, note: str) -> PayoutResult:
        """Pay ``amount`` to ``msisdn``; a reused reference returns that payout and never pays twice."""
        reference = _canonical_reference(reference)
        party_id = msisdn.strip().removeprefix("+")
        if not PARTY_ID_RE.fullmatch(party_id):
            return self._result(reference, PayoutStatus.FAILED, reason="INVALID_MSISDN")
        body = self._transfer_body(reference, amount, party_id, note)
        headers = {"X-Reference-Id": reference}
        response = self._send("POST", TRANSFER_PATH, json=body, headers=headers)
        if response.status_code in (202, 409):
            return self._await_outcome(reference)
        if response.status_code == 400:
            return self._result(reference, PayoutStatus.FAILED, reason=_error_code(response) or "BAD_REQUEST")
        raise _unavailable(response)

    def payout_status(self, reference: str) -> PayoutResult:
        """The payout's current status; raises ``PayoutNotFound`` if MoMo never accepted it."""
        reference = _canonical_reference(reference)
        response = self._send("GET", f"{TRANSFER_PATH}/{reference}")
        if response.status_code == 200:
            return self._parse_status(reference, response)
        if response.status_code == 404:
            raise PayoutNotFound(f"MoMo has no transfer {reference}")
        raise _unavailable(response)

    def close(self) -> None:
        """Close the HTTP client if this provider created it."""
        with self._lock:
            if self._client is not None and self._owns_client:
                self._client.close()
                self._client = None

    def __enter__(self) -> MomoPayoutProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _transfer_body(self, reference: str, amount: Money, party_id: str, note: str) -> dict[str, Any]:
        """The MoMo Transfer body; amounts are major-unit strings ("5000.00" KES, "1000" UGX)."""
        return {
            "amount": str(amount),
            "currency": amount.currency,
            "externalId": reference,
            "payee": {"partyIdType": "MSISDN", "partyId": party_id},
            "payerMessage": note,
            "payeeNote": note,
        }

    def _await_outcome(self, reference: str) -> PayoutResult:
        """Poll an accepted transfer until it settles or ``poll_timeout_s`` passes; then PENDING."""
        deadline = self._clock() + self._poll_timeout_s
        while True:
            result = self._status_if_readable(reference)
            if result is not None and result.status is not PayoutStatus.PENDING:
                return result
            if self._clock() >= deadline:
                return result or self._result(reference, PayoutStatus.PENDING)
            self._sleep(self._poll_interval_s)

    def _status_if_readable(self, reference: str) -> PayoutResult | None:
        """The status of an accepted transfer, or None while it cannot be read (404 lag, transient faults)."""
        try:
            return self.payout_status(reference)
        except MomoAuthenticationError:
            raise
        except (PayoutNotFound, ProviderUnavailable):
            return None

    def _parse_status(self, reference: str, response: httpx.Response) -> PayoutResult:
        """Map MoMo's transfer-status body to a ``PayoutResult``; unknown statuses stay PENDING."""
        body = _json_object(response)
        raw_status = str(body.get("status", "")).upper()
        status = STATUSES.get(raw_status, PayoutStatus.PENDING)
        reason = _reason(body.get("reason"))
        if raw_status not in STATUSES:
            reason = reason or f"UNKNOWN_STATUS:{raw_status}"
        txn = body.get("financialTransactionId")
        return self._result(reference, status, str(txn) if txn else None, reason)

    def _result(
        self,
        reference: str,
        status: PayoutStatus,
        transaction_id: str | None = None,
        reason: str | None = None,
    ) -> PayoutResult:
        """A ``PayoutResult`` from this provider."""
        return PayoutResult(
            self.name, reference, status, provider_transaction_id=transaction_id, reason=reason
        )

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An authorised API call; on 401 the token is refreshed once and the call retried."""
        response = self._request(method, path, self._token_value(), **kwargs)
        if response.status_code != 401:
            return response
        response = self._request(method, path, self._token_value(force=True), **kwargs)
        if response.status_code == 401:
            raise MomoAuthenticationError(f"MoMo refused a fresh access token: {_error_code(response)}")
        return response

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
                TOKEN_PATH,
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
        if self._client is None:
            self._client = httpx.Client(
                base_url=self._base_url, timeout=self._timeout, transport=self._transport
            )
        return self._client


def _canonical_reference(reference: str) -> str:
    """Our payout reference as MoMo's X-Reference-Id: a canonical lower-case UUID string."""
    try:
        return str(uuid.UUID(reference))
    except ValueError:
        raise ValueError(f"payout reference must be a UUID, got {reference!r}") from None


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """The response body as a JSON object, or {} if it is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_code(response: httpx.Response) -> str | None:
    """MoMo's error ``code`` from an error body, if any."""
    code = _json_object(response).get("code")
    return str(code) if code else None


def _reason(raw: Any) -> str | None:
    """A failure reason, whether MoMo sends a bare code or ``{"code", "message"}``."""
    if isinstance(raw, dict):
        raw = raw.get("code")
    return str(raw) if raw else None


def _unavailable(response: httpx.Response) -> ProviderUnavailable:
    """A ``ProviderUnavailable`` for an answer we cannot act on (5xx, 429, unexpected codes)."""
    detail = _error_code(response) or response.text[:200]
    return ProviderUnavailable(f"MoMo answered HTTP {response.status_code}: {detail}")
