"""How the local Daraja sandbox checks a request: Daraja's required fields, amounts, MSISDNs, the STK
Password and Basic credentials; a rejection is a ``DarajaError`` answered with Daraja's error body."""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any

from flask import Response, jsonify

MSISDN_RE = re.compile(r"^254[17]\d{8}$")
TIMESTAMP_RE = re.compile(r"^\d{14}$")
B2C_COMMANDS = {"BusinessPayment", "SalaryPayment", "PromotionPayment"}
B2C_FIELDS = (
    "InitiatorName",
    "SecurityCredential",
    "CommandID",
    "Amount",
    "PartyA",
    "PartyB",
    "Remarks",
    "QueueTimeOutURL",
    "ResultURL",
    "OriginatorConversationID",
)
STK_FIELDS = (
    "BusinessShortCode",
    "Password",
    "Timestamp",
    "TransactionType",
    "Amount",
    "PartyA",
    "PartyB",
    "PhoneNumber",
    "CallBackURL",
    "AccountReference",
    "TransactionDesc",
)


class DarajaError(Exception):
    """A request the sandbox rejects with Daraja's error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def daraja_error(status: int, code: str, message: str) -> Response:
    """Daraja's error body ``{requestId, errorCode, errorMessage}``."""
    response = jsonify({"requestId": secrets.token_hex(8), "errorCode": code, "errorMessage": message})
    response.status_code = status
    return response


def whole_amount(raw: Any) -> int:
    """A positive whole-shilling Amount (number or numeric string), else a 400."""
    text = str(raw).strip()
    if isinstance(raw, bool) or not re.fullmatch(r"\d+(\.0+)?", text) or int(float(text)) < 1:
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid Amount")
    return int(float(text))


def require(body: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The JSON body if every field is present and non-empty, else a 400."""
    if not isinstance(body, dict):
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid JSON body")
    for name in fields:
        if body.get(name) in (None, ""):
            raise DarajaError(400, "400.002.02", f"Bad Request - Invalid {name}")
    return body


def validate_msisdn(value: Any, name: str) -> str:
    """A 2547XXXXXXXX / 2541XXXXXXXX number, else a 400."""
    if not MSISDN_RE.match(str(value)):
        raise DarajaError(400, "400.002.02", f"Bad Request - Invalid {name}")
    return str(value)


def validate_b2c(body: Any) -> dict[str, Any]:
    """A B2C v3 payment request, else a 400."""
    body = require(body, B2C_FIELDS)
    if body["CommandID"] not in B2C_COMMANDS:
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid CommandID")
    whole_amount(body["Amount"])
    validate_msisdn(body["PartyB"], "PartyB")
    if not 2 <= len(str(body["Remarks"])) <= 100:
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid Remarks")
    return body


def validate_stk(body: Any, passkey: str) -> dict[str, Any]:
    """An STK Push request with a correct Password, else a 400."""
    body = require(body, STK_FIELDS)
    check_password(body, passkey)
    whole_amount(body["Amount"])
    validate_msisdn(body["PhoneNumber"], "PhoneNumber")
    validate_msisdn(body["PartyA"], "PartyA")
    if len(str(body["AccountReference"])) > 12:
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid AccountReference")
    if len(str(body["TransactionDesc"])) > 13:
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid TransactionDesc")
    return body


def check_password(body: dict[str, Any], passkey: str) -> None:
    """Password must be base64(BusinessShortCode + passkey + Timestamp) with a YYYYMMDDHHMMSS timestamp."""
    timestamp = str(body.get("Timestamp", ""))
    if not TIMESTAMP_RE.match(timestamp):
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid Timestamp")
    expected = base64.b64encode(f"{body.get('BusinessShortCode')}{passkey}{timestamp}".encode()).decode()
    if body.get("Password") != expected:
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid Password")


def basic_credentials(header: str) -> tuple[str, str] | None:
    """The (key, secret) pair of an ``Authorization: Basic`` header, if well formed."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        key, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (key, secret) if sep else None
