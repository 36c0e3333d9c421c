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
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

import httpx

from mkopo.adapters.payments.http_session import (
    DEFAULT_TIMEOUT,
    ApiErrors,
    SessionProvider,
    TokenSession,
    json_object,
)
from mkopo.adapters.payments.momo_profile import MomoProfile
from mkopo.config import Settings
from mkopo.domain.money import Money
from mkopo.service import ports
from mkopo.service.ports import PayoutResult, PayoutStatus, ProviderUnavailable

TRANSFER_PATH = "/disbursement/v1_0/transfer"
PARTY_ID_RE = re.compile(r"[0-9]{8,15}")
STATUSES = {status.value: status for status in PayoutStatus}
ERRORS = ApiErrors("MoMo", "code")
S = TypeVar("S")


__all__ = ["MomoAuthenticationError", "MomoPayoutProvider", "MomoSession", "PayoutNotFound"]


class PayoutNotFound(ports.PayoutNotFound):
    """MoMo has no transfer with this reference: its POST never got a 202, so nothing was paid."""


class MomoAuthenticationError(ProviderUnavailable):
    """MoMo rejected our credentials; no payout was attempted. Retrying helps only once config is fixed."""


class MomoSession(TokenSession):
    """A lazily created HTTP client plus a cached access token for one MoMo product.

    ``product`` is ``disbursement`` or ``collection``: each has its own token endpoint
    (``/<product>/token/``) and API user. A token refused twice raises ``MomoAuthenticationError``.
    """

    errors = ERRORS
    auth_error = MomoAuthenticationError
    auth_label = "MoMo"
    credentials = "API user/key"

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
        super().__init__(base_url=base_url, timeout=timeout, client=client, transport=transport, clock=clock)
        self._token_path = f"/{product}/token/"
        self._api_user = api_user
        self._api_key = api_key
        self._subscription_key = subscription_key
        self._target_environment = target_environment

    def _auth_headers(self, token: str) -> dict[str, str]:
        return {
            **super()._auth_headers(token),
            "Ocp-Apim-Subscription-Key": self._subscription_key,
            "X-Target-Environment": self._target_environment,
        }

    def _request_token(self, http: httpx.Client) -> httpx.Response:
        """``POST /<product>/token/`` with Basic auth (API user and key)."""
        return http.post(
            self._token_path,
            auth=(self._api_user, self._api_key),
            headers={"Ocp-Apim-Subscription-Key": self._subscription_key},
        )

    def _expires_in(self, body: dict[str, Any]) -> float:
        return float(body.get("expires_in") or 0)


class MomoPayoutProvider(SessionProvider):
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
        profile: MomoProfile | None = None,
    ) -> None:
        self.profile = profile or MomoProfile()
        self._session = MomoSession(
            base_url=base_url,
            product="disbursement",
            api_user=api_user,
            api_key=api_key,
            subscription_key=subscription_key,
            target_environment=target_environment,
            timeout=timeout,
            client=client,
            transport=transport,
            clock=clock,
        )
        self._poll_timeout_s = poll_timeout_s
        self._poll_interval_s = poll_interval_s
        self._clock = clock
        self._sleep = sleep

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> MomoPayoutProvider:
        """A provider configured from ``mkopo.config.Settings``; keyword overrides win."""
        params: dict[str, Any] = {
            "base_url": settings.momo_base_url,
            "api_user": settings.momo_api_user.get_secret_value(),
            "api_key": settings.momo_api_key.get_secret_value(),
            "subscription_key": settings.momo_subscription_key.get_secret_value(),
            "target_environment": settings.momo_target_environment,
            "poll_timeout_s": settings.payout_poll_timeout_s,
            "profile": MomoProfile.from_settings(settings),
        }
        return cls(**{**params, **overrides})

    def request_payout(self, *, reference: str, amount: Money, msisdn: str, note: str) -> PayoutResult:
        """Pay ``amount`` to ``msisdn``; a reused reference returns that payout and never pays twice."""
        reference = _canonical_reference(reference)
        party_id = _party_id(msisdn)
        if party_id is None:
            return self._result(reference, PayoutStatus.FAILED, reason="INVALID_MSISDN")
        body = _payment_body("payee", reference, amount, party_id, note, self.profile)
        headers = {"X-Reference-Id": reference}
        response = self._session.send("POST", TRANSFER_PATH, json=body, headers=headers)
        if response.status_code in (202, 409):
            return self._await_outcome(reference)
        if response.status_code == 400:
            return self._result(reference, PayoutStatus.FAILED, reason=ERRORS.code(response) or "BAD_REQUEST")
        raise ERRORS.unavailable(response)

    def payout_status(self, reference: str) -> PayoutResult:
        """The payout's current status; raises ``PayoutNotFound`` if MoMo never accepted it."""
        reference = _canonical_reference(reference)
        response = self._session.send("GET", f"{TRANSFER_PATH}/{reference}")
        if response.status_code == 200:
            return self._parse_status(reference, json_object(response))
        if response.status_code == 404:
            raise PayoutNotFound(f"MoMo has no transfer {reference}")
        raise ERRORS.unavailable(response)

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

    def _parse_status(self, reference: str, body: dict[str, Any]) -> PayoutResult:
        """Map MoMo's transfer-status body to a ``PayoutResult``; unknown statuses stay PENDING."""
        status, reason = _status_and_reason(body, STATUSES, PayoutStatus.PENDING)
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


def _canonical_reference(reference: str) -> str:
    """Our reference as MoMo's X-Reference-Id: a canonical lower-case UUID string."""
    try:
        return str(uuid.UUID(reference))
    except ValueError:
        raise ValueError(f"payout reference must be a UUID, got {reference!r}") from None


def _party_id(msisdn: str) -> str | None:
    """E.164 '+256772000001' as MoMo's MSISDN party id, or None if it is not one."""
    party_id = msisdn.strip().removeprefix("+")
    return party_id if PARTY_ID_RE.fullmatch(party_id) else None


def _payment_body(
    role: Literal["payee", "payer"],
    reference: str,
    amount: Money,
    party_id: str,
    note: str,
    profile: MomoProfile,
) -> dict[str, Any]:
    """A Transfer (``payee``) or RequestToPay (``payer``) body; amounts are major-unit strings ("1000").

    The profile may send another currency and a test number (MTN's sandbox: EUR and its own numbers).
    """
    return {
        "amount": str(amount),
        "currency": profile.currency_for(amount),
        "externalId": reference,
        role: {"partyIdType": "MSISDN", "partyId": profile.party_id(party_id)},
        "payerMessage": note,
        "payeeNote": note,
    }


def _status_and_reason(
    body: Mapping[str, Any], statuses: Mapping[str, S], pending: S
) -> tuple[S, str | None]:
    """The status and failure reason of a MoMo status body; an unknown status is ``pending`` with a reason."""
    raw_status = str(body.get("status", "")).upper()
    reason = _reason(body.get("reason"))
    if raw_status not in statuses:
        return pending, reason or f"UNKNOWN_STATUS:{raw_status}"
    return statuses[raw_status], reason


def _reason(raw: Any) -> str | None:
    """A failure reason, whether MoMo sends a bare code or ``{"code", "message"}``."""
    if isinstance(raw, dict):
        raw = raw.get("code")
    return str(raw) if raw else None
