"""Safaricom M-Pesa (Daraja) adapters: B2C payouts and STK Push (M-Pesa Express) collections.

Both APIs are asynchronous: the HTTP reply only acknowledges the request; the outcome is POSTed later to a
URL we give (ResultURL / CallBackURL), possibly late, twice or never. Outcome rules:

B2C payout (``MpesaPayoutProvider``), idempotency key ``OriginatorConversationID`` = our reference:

* ack ``ResponseCode`` "0" -> PENDING: the payout exists at M-Pesa; its Result arrives at ``result_url``
  (parse it with ``parse_b2c_result``).
* 400 (validation: ``errorCode`` 400.002.02 ...) -> FAILED with the error code: nothing was queued.
* a repeated OriginatorConversationID: Daraja answers 500 ``errorCode`` 500.002.1001 "Duplicate
  OriginatorConversationID" -> PENDING with reason DUPLICATE_REFERENCE (the earlier request stands), and a
  Transaction Status query is sent so its Result confirms the outcome. Other 500.002.1001 errors are outages.
* an ack with a non-zero ``ResponseCode`` -> FAILED: M-Pesa refused it.
* 401 or errorCode 404.001.03 (invalid token) -> token refreshed once, call retried; then
  ``MpesaAuthenticationError``.
* 5xx, 429, timeouts, connection errors -> ``ProviderUnavailable``: retry later with the same reference.
* invalid MSISDN, non-KES currency, amount with cents -> FAILED without calling M-Pesa.
* ``payout_status`` sends a Transaction Status query by OriginalConversationID and returns PENDING; the
  answer comes by callback at ``status_result_url`` (parse it with ``parse_transaction_status_result``).

STK Push (``MpesaStkCollectionProvider``): M-Pesa has no idempotency key for STK Push; the request is
identified by the ``CheckoutRequestID`` M-Pesa returns (``CollectionResult.provider_request_id``), which the
caller must store to match the callback (``parse_stk_callback``) and to query the status. A query reply
that names another (or no) CheckoutRequestID raises ``MpesaReplyMismatch`` (a ``ProviderUnavailable``):
it is never taken as the answer about ours.

Parsers validate the shapes and never trust the amount blindly: they expose what M-Pesa says was paid so
the caller can compare it with what was asked.

The code lives in ``mpesa_session`` (OAuth token, shared request rules), ``mpesa_b2c`` (payouts and status
queries), ``mpesa_stk`` (STK Push and its query) and ``mpesa_results`` (callback parsers); this module is
the one import for the rest of mkopo.
"""

from __future__ import annotations

from mkopo.adapters.payments.mpesa_b2c import B2C_PATH, STATUS_PATH, MpesaPayoutProvider
from mkopo.adapters.payments.mpesa_results import (
    MpesaCallbackError,
    MpesaPayoutOutcome,
    StkCallback,
    parse_b2c_result,
    parse_payout_callback,
    parse_stk_callback,
    parse_transaction_status_result,
)
from mkopo.adapters.payments.mpesa_session import (
    ERRORS,
    TOKEN_PATH,
    DarajaSession,
    MpesaAuthenticationError,
)
from mkopo.adapters.payments.mpesa_stk import (
    STK_PATH,
    STK_QUERY_PATH,
    MpesaReplyMismatch,
    MpesaStkCollectionProvider,
    nairobi_timestamp,
    stk_password,
)

__all__ = [
    "B2C_PATH",
    "ERRORS",
    "STATUS_PATH",
    "STK_PATH",
    "STK_QUERY_PATH",
    "TOKEN_PATH",
    "DarajaSession",
    "MpesaAuthenticationError",
    "MpesaCallbackError",
    "MpesaPayoutOutcome",
    "MpesaPayoutProvider",
    "MpesaReplyMismatch",
    "MpesaStkCollectionProvider",
    "StkCallback",
    "nairobi_timestamp",
    "parse_b2c_result",
    "parse_payout_callback",
    "parse_stk_callback",
    "parse_transaction_status_result",
    "stk_password",
]
