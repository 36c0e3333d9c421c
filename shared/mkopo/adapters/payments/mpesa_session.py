"""Daraja's OAuth session and the request rules both Daraja adapters share (MSISDN, amount, reference)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from mkopo.adapters.payments.http_session import DEFAULT_TIMEOUT, ApiErrors, TokenSession
from mkopo.domain.money import Money
from mkopo.service.ports import ProviderUnavailable

PROVIDER_NAME = "mpesa"
TOKEN_PATH = "/oauth/v1/generate"  # noqa: S105 - a URL path, not a secret
MSISDN_RE = re.compile(r"254[17][0-9]{8}")
REFERENCE_RE = re.compile(r"[A-Za-z0-9-]{1,64}")
INVALID_TOKEN_CODE = "404.001.03"  # noqa: S105 - a Daraja error code, not a secret
ERRORS = ApiErrors("M-Pesa", "errorCode")


class MpesaAuthenticationError(ProviderUnavailable):
    """Daraja rejected our consumer key/secret or a fresh token; retrying helps only once config is fixed."""


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


def _float(raw: Any, default: float) -> float:
    """A float from a number or numeric string (Daraja sends expires_in as "3599")."""
    try:
        return float(raw)
    except (TypeError, ValueError):
        return default
