"""HTTPS function `payment-callbacks`: where M-Pesa confirms payouts and repayments (and, in
``sms_callbacks``, where Africa's Talking reports SMS deliveries and forwards texts to our shortcode).

A callback is believed only if its URL carries the token we signed for that object (constant-time
compare) and it comes from an allowed network. Duplicates are harmless: settling is idempotent.
Daraja expects 200 {"ResultCode": 0}; anything we cannot use is still acknowledged and logged,
since the provider would only resend the same body, and reconciliation asks the provider directly.
"""

from __future__ import annotations

import ipaddress
import logging

from flask import Request

from mkopo.adapters.payments import mpesa
from mkopo.adapters.payments.directory import verify_callback_token
from mkopo.entrypoints import sms_callbacks
from mkopo.entrypoints.app import Api
from mkopo.entrypoints.container import AppContainer
from mkopo.entrypoints.identity import client_ip
from mkopo.http.routing import HttpError, Reply, Router, json_document
from mkopo.service import disbursements, repayments
from mkopo.service.ports import PayoutStatus

log = logging.getLogger(__name__)
api = Api()


def create_app(container: AppContainer) -> Router:
    return api.bind(container)


ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}


def believe(c: AppContainer, request: Request, kind: str, object_id: str, token: str) -> None:
    """A 404 unless the URL carries the token we signed for (kind, object) and the caller is allowed."""
    settings = c.settings
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    allowed = [ipaddress.ip_network(n) for n in settings.callback_allowed_networks]
    key = settings.callback_signing_key.get_secret_value()
    if (
        ip is None
        or not any(ip in net for net in allowed)
        or not verify_callback_token(key, kind, object_id, token)
    ):
        log.warning("refused a %s callback for %s from %s", kind, object_id, address)
        raise HttpError(404, "Not found", "no such callback")


def _authenticate(
    c: AppContainer, request: Request, kind: str, object_id: str, token: str
) -> dict[str, object]:
    believe(c, request, kind, object_id, token)
    body = json_document(request.get_data(cache=False)[:65536])
    if not isinstance(body, dict):
        raise HttpError(400, "Malformed JSON", "the callback body must be a JSON object")
    return body


@api.route("POST", "/v1/callbacks/mpesa/b2c/{application_id}/{token}")
def b2c_result(c: AppContainer, request: Request, application_id: str, token: str) -> Reply:
    return _payout_result(c, request, "b2c", application_id, token)


@api.route("POST", "/v1/callbacks/mpesa/status/{application_id}/{token}")
def status_result(c: AppContainer, request: Request, application_id: str, token: str) -> Reply:
    return _payout_result(c, request, "status", application_id, token)


@api.route("POST", "/v1/callbacks/mpesa/timeout/{application_id}/{token}")
def b2c_timeout(c: AppContainer, request: Request, application_id: str, token: str) -> Reply:
    _authenticate(c, request, "timeout", application_id, token)
    log.warning("M-Pesa queue timeout for %s: reconciliation will ask for its status", application_id)
    return Reply(200, ACCEPTED)


def _payout_result(c: AppContainer, request: Request, kind: str, application_id: str, token: str) -> Reply:
    body = _authenticate(c, request, kind, application_id, token)
    try:
        outcome = mpesa.parse_payout_callback(body, kind="status" if kind == "status" else "b2c")
    except mpesa.MpesaCallbackError as exc:
        log.error("unusable M-Pesa %s result for %s: %s", kind, application_id, exc)
        return Reply(200, ACCEPTED)
    if outcome.result.status == PayoutStatus.PENDING:
        if kind == "status" and outcome.transaction_unknown:
            disbursements.note_payout_unknown(c.store, application_id)
        return Reply(200, ACCEPTED)
    try:
        disbursements.settle_payout(
            c.store, c.publisher, application_id, outcome.result, c.now(), reported_amount=outcome.amount
        )
    except disbursements.PayoutAmountMismatch as exc:
        log.error("payout for %s left pending for an operator: %s", application_id, exc)
    return Reply(200, ACCEPTED)


@api.route("POST", "/v1/callbacks/mpesa/stk/{repayment_id}/{token}")
def stk_result(c: AppContainer, request: Request, repayment_id: str, token: str) -> Reply:
    body = _authenticate(c, request, "stk", repayment_id, token)
    try:
        callback = mpesa.parse_stk_callback(body)
    except mpesa.MpesaCallbackError as exc:
        log.error("unusable STK callback for %s: %s", repayment_id, exc)
        return Reply(200, ACCEPTED)
    repayment = c.store.get_repayment(repayment_id)
    if repayment is None or repayment.provider_request_id not in (None, callback.checkout_request_id):
        log.error("STK callback %s does not match repayment %s", callback.checkout_request_id, repayment_id)
        return Reply(200, ACCEPTED)
    result = callback.to_collection_result(repayment.reference)
    repayments.settle_repayment(
        c.store,
        c.publisher,
        repayment,
        result,
        c.now(),
        authenticated=False,
        credit_terms=c.settings.credit_terms(),
    )
    return Reply(200, ACCEPTED)


sms_callbacks.register(api, believe)
