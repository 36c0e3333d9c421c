"""Parsers of Daraja's asynchronous answers: B2C and Transaction Status Results, STK Push callbacks.

They validate the shapes and never trust the amount blindly: they expose what M-Pesa says was paid so the
caller can compare it with what was asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from mkopo.adapters.payments.mpesa_session import PROVIDER_NAME
from mkopo.domain.money import Money, MoneyError
from mkopo.service.ports import CollectionResult, CollectionStatus, PayoutResult, PayoutStatus

TRANSACTION_NOT_FOUND = "2032"  # a Transaction Status Result: M-Pesa has no such transaction
COMPLETED = "completed"
FAILED_STATUSES = {"failed", "declined", "cancelled", "canceled", "expired", "reversed"}


class MpesaCallbackError(ValueError):
    """A callback body that does not have the shape Daraja publishes: log it and keep it for an operator."""


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
            provider=PROVIDER_NAME,
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
        payout = PayoutResult(PROVIDER_NAME, reference, PayoutStatus.FAILED, reason=f"{code}: {desc}")
        return MpesaPayoutOutcome(payout, None, code, desc, _optional_str(result, "ConversationID"))
    receipt = _optional_str(params, "TransactionReceipt") or _optional_str(result, "TransactionID")
    if not receipt:
        raise MpesaCallbackError("a successful B2C result without a TransactionID")
    payout = PayoutResult(PROVIDER_NAME, reference, PayoutStatus.SUCCESSFUL, receipt)
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
            PROVIDER_NAME, reference, PayoutStatus.PENDING, reason=f"STATUS_QUERY_FAILED:{code}"
        )
        return MpesaPayoutOutcome(pending, None, code, desc, conversation_id)
    status_text = str(params.get("TransactionStatus", "")).strip().lower()
    receipt = _optional_str(params, "ReceiptNo") or _optional_str(result, "TransactionID")
    if status_text == COMPLETED and receipt:
        payout = PayoutResult(PROVIDER_NAME, reference, PayoutStatus.SUCCESSFUL, receipt)
    elif status_text in FAILED_STATUSES:
        payout = PayoutResult(PROVIDER_NAME, reference, PayoutStatus.FAILED, reason=status_text.upper())
    else:
        payout = PayoutResult(
            PROVIDER_NAME,
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
