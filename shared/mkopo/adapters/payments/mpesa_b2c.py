"""Daraja B2C payouts (``MpesaPayoutProvider``): the payment request and the Transaction Status query."""

from __future__ import annotations

import logging
from typing import Any, Literal

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
from mkopo.service.ports import PayoutResult, PayoutStatus, ProviderUnavailable

log = logging.getLogger(__name__)

B2C_PATH = "/mpesa/b2c/v3/paymentrequest"
STATUS_PATH = "/mpesa/transactionstatus/v1/query"
DUPLICATE_CODE = "500.002.1001"  # with errorMessage "Duplicate OriginatorConversationID."
DUPLICATE_REFERENCE = "DUPLICATE_REFERENCE"


class MpesaPayoutProvider(SessionProvider):
    """``PayoutProvider`` backed by Daraja B2C; idempotent by ``OriginatorConversationID`` (our reference)."""

    name = PROVIDER_NAME

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
        if _is_duplicate(response):
            return self._duplicate(reference)
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
            return self._result(reference, PayoutStatus.FAILED, reason=ERRORS.code(response) or "BAD_REQUEST")
        raise ERRORS.unavailable(response)

    def _duplicate(self, reference: str) -> PayoutResult:
        """The earlier request with this reference stands: PENDING, and a status query asks how it went.

        The query's answer comes to ``status_result_url``; if the query cannot be sent now, reconciliation
        sends it later (the payout is pending either way, so nothing is paid twice).
        """
        try:
            self.payout_status(reference)
        except (ProviderUnavailable, ValueError) as exc:
            log.warning("M-Pesa duplicate %s: status query not sent (%s)", reference, exc)
        return self._result(reference, PayoutStatus.PENDING, reason=DUPLICATE_REFERENCE)

    def _result(self, reference: str, status: PayoutStatus, reason: str | None = None) -> PayoutResult:
        return PayoutResult(self.name, reference, status, reason=reason)


def _is_duplicate(response: httpx.Response) -> bool:
    """Daraja's answer to a repeated OriginatorConversationID: errorCode 500.002.1001 saying "duplicate".

    500.002.1001 is also Daraja's generic internal error, so the message tells the two apart; a 400 saying
    duplicate (seen from some gateways) counts too.
    """
    if response.status_code not in (400, 500) or ERRORS.code(response) not in (DUPLICATE_CODE, "400.002.02"):
        return False
    return "duplicate" in str(json_object(response).get("errorMessage", "")).lower()
