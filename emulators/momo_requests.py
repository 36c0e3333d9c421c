"""How the local MoMo sandbox checks a request: MoMo's body schema, the X-Reference-Id, Basic and Bearer
credentials; a rejection is a ``BadRequest`` answered with a 400 and a MoMo-style error body."""

from __future__ import annotations

import base64
import re
import uuid
from decimal import Decimal
from typing import Any

from flask import Response, jsonify

AMOUNT_RE = re.compile(r"^\d+(\.\d+)?$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
PARTY_ID_RE = re.compile(r"^\d{6,15}$")


class BadRequest(Exception):
    """A request the sandbox rejects with a 400 and a MoMo-style error body."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def validate_reference(value: str | None) -> str:
    """The X-Reference-Id if it is a canonical UUID, else a 400."""
    try:
        parsed = uuid.UUID(value or "")
    except ValueError:
        raise BadRequest("INVALID_REFERENCE_ID", "X-Reference-Id must be a UUID") from None
    if str(parsed) != (value or "").lower():
        raise BadRequest("INVALID_REFERENCE_ID", "X-Reference-Id must be a canonical UUID")
    return str(parsed)


def validate_body(body: Any, party: str = "payee") -> dict[str, Any]:
    """The body if it follows MoMo's Transfer (``payee``) or RequestToPay (``payer``) schema, else a 400."""
    if not isinstance(body, dict):
        raise BadRequest("BAD_REQUEST", "body must be a JSON object")
    amount = body.get("amount")
    if not isinstance(amount, str) or not AMOUNT_RE.match(amount) or Decimal(amount) <= 0:
        raise BadRequest("BAD_REQUEST", "amount must be a positive decimal string")
    currency = body.get("currency")
    if not isinstance(currency, str) or not CURRENCY_RE.match(currency):
        raise BadRequest("INVALID_CURRENCY", "currency must be an ISO 4217 code")
    validate_payee(body.get(party), party)
    for key in ("externalId", "payerMessage", "payeeNote"):
        if key in body and not isinstance(body[key], str):
            raise BadRequest("BAD_REQUEST", f"{key} must be a string")
    return body


def validate_payee(payee: Any, party: str = "payee") -> None:
    """A payee (or payer) must be an MSISDN party with digits only (E.164 without '+')."""
    if not isinstance(payee, dict) or payee.get("partyIdType") != "MSISDN":
        raise BadRequest("BAD_REQUEST", f"{party} must be {{partyIdType: MSISDN, partyId}}")
    party_id = payee.get("partyId")
    if not isinstance(party_id, str) or not PARTY_ID_RE.match(party_id):
        raise BadRequest("BAD_REQUEST", f"{party}.partyId must be an MSISDN, digits only")


def basic_credentials(header: str) -> tuple[str, str] | None:
    """The (user, key) pair of an ``Authorization: Basic`` header, if well formed."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, key = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (user, key) if sep else None


def bearer_token(header: str) -> str:
    """The token of an ``Authorization: Bearer`` header, or ''."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def momo_error(status: int, code: str, message: str) -> Response:
    """A MoMo-style error response ``{"code", "message"}``."""
    response = jsonify({"code": code, "message": message})
    response.status_code = status
    return response


def apim_denied(message: str) -> Response:
    """The API gateway's 401 for a missing or wrong subscription key or token."""
    response = jsonify({"statusCode": 401, "message": message})
    response.status_code = 401
    return response
