"""``--mode mtn`` of the MoMo sandbox: the rules of MTN's public sandbox, which our local mode does not have.

MTN's sandbox (its developer portal's sandbox use-case page) takes EUR only, answers
``X-Target-Environment: sandbox`` only, and pays only its own test numbers, each of which settles to a
fixed outcome. In this mode our sandbox refuses anything else with a 400, so an adapter pointed at it with
the ``provider-sandbox`` profile is checked the way MTN's sandbox would check it:

    46733123450  FAILED   reason INTERNAL_PROCESSING_ERROR  (MTN: "failed")
    46733123451  FAILED   reason APPROVAL_REJECTED          (MTN: "rejected")
    46733123452  FAILED   reason EXPIRED                    (MTN: "timeout")
    46733123453  PENDING  forever                           (MTN: "ongoing")
    46733123454  PENDING  forever                           (MTN: "pending")
    46733123455 .. 46733123459  SUCCESSFUL                  (MTN: any other number succeeds)

    currency other than EUR          400 INVALID_CURRENCY
    a payee outside that series      400 PAYEE_NOT_FOUND (a payer: PAYER_NOT_FOUND)
"""

from __future__ import annotations

import re
from typing import Any

MODES = ("local", "mtn")
MTN_CURRENCY = "EUR"
MTN_NUMBER_RE = re.compile(r"^4673312345\d$")
MTN_OUTCOMES: dict[str, tuple[str, str | None]] = {
    "46733123450": ("FAILED", "INTERNAL_PROCESSING_ERROR"),
    "46733123451": ("FAILED", "APPROVAL_REJECTED"),
    "46733123452": ("FAILED", "EXPIRED"),
    "46733123453": ("PENDING", None),
    "46733123454": ("PENDING", None),
}


def mtn_refusal(body: dict[str, Any], party: str) -> tuple[str, str] | None:
    """(code, message) of the 400 MTN's sandbox gives this (already well-formed) body, or None."""
    if body.get("currency") != MTN_CURRENCY:
        return "INVALID_CURRENCY", f"Currency not supported: MTN's sandbox takes {MTN_CURRENCY} only."
    if not MTN_NUMBER_RE.match(str(body[party]["partyId"])):
        return f"{party.upper()}_NOT_FOUND", f"{party} is not one of MTN's sandbox test numbers."
    return None


def mtn_outcome(party_id: str) -> tuple[str, str | None]:
    """The status and reason an MTN test number settles to."""
    return MTN_OUTCOMES.get(party_id, ("SUCCESSFUL", None))
