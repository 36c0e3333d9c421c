"""Africa's Talking SMS: ``POST {base}/version1/messaging``, form-encoded, the key in the ``apiKey`` header.

The reply (HTTP 201, JSON with ``Accept: application/json``) is ``SMSMessageData{Message, Recipients[
{statusCode, number, status, cost, messageId}]}``. Per recipient, 100 Processed, 101 Sent and 102 Queued
mean the provider has the message; the documented failure codes split into transient ones (try later)
and permanent ones (this number will never get it). Timeouts, connection errors, 5xx, 429 and a refused
key are transient: the key is an operator's fix, the message should wait for it within the retry bound.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import httpx

from mkopo import metering
from mkopo.domain.phone import masked
from mkopo.service.ports import SmsReceipt, SmsRejected, SmsTransientError

log = logging.getLogger(__name__)

MESSAGING_PATH = "/version1/messaging"
ACCEPTED = {100: "Processed", 101: "Sent", 102: "Queued"}
TRANSIENT = {401: "RiskHold", 405: "InsufficientBalance", 500: "InternalServerError", 501: "GatewayError"}
PERMANENT = {
    402: "InvalidSenderId",
    403: "InvalidPhoneNumber",
    404: "UnsupportedNumberType",
    406: "UserInBlacklist",
    407: "CouldNotRoute",
    409: "DoNotDisturbRejection",
    502: "RejectedByGateway",
}
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
# Kinds of the signed callback URLs (mkopo.entrypoints.sms_callbacks serves them).
DELIVERY, INBOUND, SMS_OBJECT = "at-delivery", "at-inbound", "sms"


def callback_urls(public_base_url: str, signing_key: str) -> dict[str, str]:
    """The delivery-report and inbound-SMS URLs to set in the provider's dashboard (signed tokens)."""
    from mkopo.adapters.payments.directory import callback_token

    base = public_base_url.rstrip("/") + "/v1/callbacks/at"
    return {
        "delivery_report_url": f"{base}/delivery/{callback_token(signing_key, DELIVERY, SMS_OBJECT)}",
        "inbound_url": f"{base}/inbound/{callback_token(signing_key, INBOUND, SMS_OBJECT)}",
    }


class AfricasTalkingSms:
    """The SMS channel that really sends: one POST per message, one recipient per POST."""

    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        api_key: str,
        sender_id: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._username = username
        self._api_key = api_key
        self._sender_id = sender_id
        self._timeout = timeout
        self._transport = transport
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    base_url=self._base_url, timeout=self._timeout, transport=self._transport
                )
            return self._client

    def send(self, *, message_id: str, user_id: str, to: str, text: str, event_type: str) -> SmsReceipt:
        form = {"username": self._username, "to": to, "message": text}
        if self._sender_id:
            form["from"] = self._sender_id
        headers = {"apiKey": self._api_key, "Accept": "application/json"}
        metering.count(metering.PROVIDER_CALLS)
        metering.count(metering.SMS_MESSAGES)
        metering.count(metering.SMS_SEGMENTS, metering.sms_segments(text))
        try:
            response = self._http().post(MESSAGING_PATH, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise SmsTransientError(f"Africa's Talking unreachable: {exc!r}") from exc
        receipt = read_reply(response, to)
        log.info(
            "sms %s to %s accepted as %s (%s)",
            message_id,
            masked(to),
            receipt.provider_message_id,
            event_type,
        )
        return receipt


def read_reply(response: httpx.Response, to: str) -> SmsReceipt:
    """The receipt for ``to`` from a messaging reply; SmsTransientError or SmsRejected otherwise."""
    status = response.status_code
    if status >= 500 or status in (401, 403, 429):
        raise SmsTransientError(f"Africa's Talking answered HTTP {status}: {response.text[:200]}")
    if status >= 400:
        raise SmsRejected(f"Africa's Talking refused the request (HTTP {status}): {response.text[:200]}")
    recipient = _recipient(response, to)
    code = _int(recipient.get("statusCode"))
    label = str(recipient.get("status") or "")
    if code in ACCEPTED:
        return SmsReceipt(
            provider_message_id=str(recipient.get("messageId") or "") or None,
            cost=str(recipient.get("cost") or "") or None,
        )
    if code in PERMANENT:
        raise SmsRejected(f"{PERMANENT[code]} ({code})")
    raise SmsTransientError(f"{TRANSIENT.get(code or 0, label or 'unknown status')} ({code})")


def _recipient(response: httpx.Response, to: str) -> dict[str, Any]:
    try:
        body = response.json()
        recipients = body["SMSMessageData"]["Recipients"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SmsTransientError(f"unreadable Africa's Talking reply: {response.text[:200]}") from exc
    if not isinstance(recipients, list):
        raise SmsTransientError("Africa's Talking reply without a Recipients list")
    for item in recipients:
        if isinstance(item, dict) and str(item.get("number")) == to:
            return item
    message = str(body["SMSMessageData"].get("Message", ""))
    # No recipient row at all: the whole request was refused (e.g. "InvalidSenderId").
    raise SmsRejected(f"Africa's Talking sent to nobody: {message[:200]}")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
