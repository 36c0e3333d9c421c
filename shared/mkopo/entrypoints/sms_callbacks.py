"""Africa's Talking calls back on the `payment-callbacks` function: delivery reports and inbound texts.

Both URLs are set once in the provider's dashboard (``mkopo.adapters.africastalking.callback_urls``)
and carry a token we signed for their kind, so like the M-Pesa callbacks they are believed only with that
token and from an allowed network. Bodies are form-encoded. A delivery report for a message we do not
know (yet: it can overtake our own record of the send) gets a 503, and the provider posts it again
(``retryCount``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Request

from mkopo.adapters.africastalking import DELIVERY, INBOUND, SMS_OBJECT
from mkopo.entrypoints.app import Api
from mkopo.entrypoints.container import AppContainer
from mkopo.http.routing import HttpError, Reply
from mkopo.service import notifications, sms_inbound

log = logging.getLogger(__name__)

Believe = Callable[[AppContainer, Request, str, str, str], None]
MAX_FIELD = 1000


def _form(request: Request, *required: str) -> dict[str, str]:
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise HttpError(415, "Unsupported media type", "Africa's Talking posts form-encoded bodies")
    form = {k: v[:MAX_FIELD] for k, v in request.form.items()}
    missing = [name for name in required if not form.get(name)]
    if missing:
        raise HttpError(400, "Bad request", f"missing form field(s): {', '.join(missing)}")
    return form


def register(api: Api, believe: Believe) -> None:
    """Add the SMS callback routes to the callbacks function's API."""

    @api.route("POST", "/v1/callbacks/at/delivery/{token}")
    def delivery_report(c: AppContainer, request: Request, token: str) -> Reply:
        believe(c, request, DELIVERY, SMS_OBJECT, token)
        form = _form(request, "id", "status")
        note = notifications.record_delivery_report(
            c.store,
            provider_message_id=form["id"],
            status=form["status"],
            reason=form.get("failureReason") or None,
            now=c.now(),
        )
        if note is None:
            log.warning(
                "delivery report for unknown message %s (retry %s)", form["id"], form.get("retryCount")
            )
            raise HttpError(503, "Unknown message", "no notification has this message id yet; send it again")
        return Reply(200, {"status": note.status})

    @api.route("POST", "/v1/callbacks/at/inbound/{token}")
    def inbound(c: AppContainer, request: Request, token: str) -> Reply:
        believe(c, request, INBOUND, SMS_OBJECT, token)
        form = _form(request, "from", "id")
        note = sms_inbound.answer_inbound(
            c.store,
            c.sms_channel,
            sender=form["from"],
            text=form.get("text", ""),
            message_id=form["id"],
            now=c.now(),
        )
        return Reply(200, {"reply": note.status if note else "ignored"})
