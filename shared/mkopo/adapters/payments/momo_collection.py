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

from decimal import Decimal
from typing import Any

from mkopo.adapters.payments.http_session import SessionProvider, json_object
from mkopo.adapters.payments.momo import (
    ERRORS,
    MomoSession,
    _canonical_reference,
    _party_id,
    _payment_body,
    _status_and_reason,
)
from mkopo.adapters.payments.momo_profile import MomoProfile
from mkopo.domain.money import Money, MoneyError
from mkopo.service.ports import CollectionNotFound, CollectionResult, CollectionStatus

__all__ = ["MomoCollectionProvider", "MomoSession"]

REQUEST_TO_PAY_PATH = "/collection/v1_0/requesttopay"
STATUSES = {status.value: status for status in CollectionStatus}


class MomoCollectionProvider(SessionProvider):
    """``CollectionProvider`` backed by MoMo requesttopay; idempotent by X-Reference-Id (our reference)."""

    name = "mtn-momo"
    repeats_safely = True  # MoMo refuses a second requesttopay with the same X-Reference-Id

    def __init__(self, *, session: MomoSession, profile: MomoProfile | None = None) -> None:
        self._session = session
        self.profile = profile or MomoProfile()

    def request_collection(
        self, *, reference: str, amount: Money, msisdn: str, description: str, callback_url: str | None = None
    ) -> CollectionResult:
        """Ask ``msisdn`` to pay ``amount``; PENDING until approved. A reused reference never asks twice."""
        reference = _canonical_reference(reference)
        party_id = _party_id(msisdn)
        if party_id is None:
            return self._result(reference, CollectionStatus.FAILED, reason="INVALID_MSISDN")
        headers = {"X-Reference-Id": reference}
        if callback_url:
            headers["X-Callback-Url"] = callback_url
        body = _payment_body("payer", reference, amount, party_id, description, self.profile)
        response = self._session.send("POST", REQUEST_TO_PAY_PATH, json=body, headers=headers)
        if response.status_code == 202:
            return self._result(reference, CollectionStatus.PENDING)
        if response.status_code == 409:
            return self.collection_status(reference)
        if response.status_code == 400:
            return self._result(
                reference, CollectionStatus.FAILED, reason=ERRORS.code(response) or "BAD_REQUEST"
            )
        raise ERRORS.unavailable(response)

    def collection_status(
        self, reference: str, *, provider_request_id: str | None = None
    ) -> CollectionResult:
        """The request's current status and reported amount; raises ``CollectionNotFound`` on 404."""
        reference = _canonical_reference(provider_request_id or reference)
        response = self._session.send("GET", f"{REQUEST_TO_PAY_PATH}/{reference}")
        if response.status_code == 200:
            return self._parse_status(reference, json_object(response))
        if response.status_code == 404:
            raise CollectionNotFound(f"MoMo has no request-to-pay {reference}")
        raise ERRORS.unavailable(response)

    def _parse_status(self, reference: str, body: dict[str, Any]) -> CollectionResult:
        """Map MoMo's requesttopay status body; unknown statuses stay PENDING with a reason."""
        status, reason = _status_and_reason(body, STATUSES, CollectionStatus.PENDING)
        txn = body.get("financialTransactionId")
        return self._result(
            reference,
            status,
            transaction_id=str(txn) if txn and status is CollectionStatus.SUCCESSFUL else None,
            amount=_reported_amount(body) if self.profile.reads_amount_in(body.get("currency")) else None,
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


def _reported_amount(body: dict[str, Any]) -> Money | None:
    """The amount and currency MoMo reports, or None if absent or not representable."""
    amount, currency = body.get("amount"), body.get("currency")
    if amount in (None, "") or not isinstance(currency, str):
        return None
    try:
        return Money.parse(Decimal(str(amount)), currency)
    except (MoneyError, ArithmeticError):
        return None
