"""What the two provider sandboxes say happened to money: payouts (MoMo transfers, M-Pesa B2C) and
collections (MoMo requests to pay, M-Pesa STK pushes), in one shape for the invariants."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from emulators.stack import HOST, Stack

from mkopo.domain.money import Money

MOMO, MPESA = "mtn-momo", "mpesa"


@dataclass(frozen=True)
class Movement:
    """One payout or collection as the provider recorded it (``reference``: our idempotency key)."""

    provider: str
    reference: str
    done: bool  # the money moved (SUCCESSFUL / ResultCode 0)
    settled: bool  # the provider has an outcome (done or failed), not still pending
    minor: int  # the amount that moved, in minor units (0 if nothing moved)


def mpesa_url(stack: Stack) -> str:
    return f"http://{HOST}:{stack.ports.mpesa_sandbox}"


def _get(url: str, key: str) -> list[dict[str, Any]]:
    r = httpx.get(url, trust_env=False, timeout=10)
    r.raise_for_status()
    return list(r.json()[key])


def _momo(row: dict[str, Any]) -> Movement:
    done = row["status"] == "SUCCESSFUL"
    minor = Money.parse(Decimal(str(row["amount"])), row["currency"]).minor if done else 0
    return Movement(MOMO, str(row["referenceId"]), done, row["status"] != "PENDING", minor)


def payouts(stack: Stack) -> list[Movement]:
    """Every payout either sandbox received: one row per reference (each sandbox dedupes by reference)."""
    momo = [_momo(t) for t in _get(stack.momo_url + "/sandbox/transfers", "transfers")]
    mpesa = [
        Movement(
            MPESA,
            str(p["originatorConversationId"]),
            p["resultCode"] == 0,
            p["resultCode"] is not None,
            int(p["paidAmount"]) * 100 if p["resultCode"] == 0 else 0,
        )
        for p in _get(mpesa_url(stack) + "/sandbox/payouts", "payouts")
    ]
    return momo + mpesa


def collections(stack: Stack) -> list[Movement]:
    """Every collection request: MoMo by X-Reference-Id; M-Pesa STK pushes by AccountReference, the first
    12 characters of our reference without dashes (STK Push has no idempotency key of its own)."""
    momo = [_momo(t) for t in _get(stack.momo_url + "/sandbox/requests-to-pay", "requestsToPay")]
    mpesa = [
        Movement(
            MPESA,
            str(p["body"]["AccountReference"]),
            p["resultCode"] == 0,
            p["resultCode"] is not None,
            int(p["paidAmount"]) * 100 if p["resultCode"] == 0 else 0,
        )
        for p in _get(mpesa_url(stack) + "/sandbox/stk-pushes", "pushes")
    ]
    return momo + mpesa


def stk_reference(reference: str) -> str:
    """The AccountReference an STK push carries for our collection ``reference``."""
    return reference.replace("-", "")[:12]


def callbacks(stack: Stack) -> list[dict[str, Any]]:
    """M-Pesa's callback log: kind, key, dropped, and the receiver's status."""
    return _get(mpesa_url(stack) + "/sandbox/callbacks", "callbacks")


def reset(stack: Stack) -> None:
    """Forget everything both sandboxes recorded."""
    for url in (stack.momo_url, mpesa_url(stack)):
        httpx.post(url + "/sandbox/reset", trust_env=False, timeout=10).raise_for_status()
