"""A notification to a borrower and its life: queued -> sent -> delivered | failed.

``queued`` is recorded before the provider is called; ``sent`` once the provider accepted it (with its
message id and cost); ``delivered`` or ``failed`` from the provider's delivery report, or ``failed`` when the
provider refused it or kept failing past the retry bound. ``delivered`` and ``failed`` are final.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, field_validator

NotificationStatus = Literal["queued", "sent", "delivered", "failed"]

TRANSITIONS: dict[str, frozenset[str]] = {
    "queued": frozenset({"sent", "failed"}),
    "sent": frozenset({"delivered", "failed"}),
    "delivered": frozenset(),
    "failed": frozenset(),
}
FINAL = frozenset({"delivered", "failed"})


class NotificationTransitionError(ValueError):
    """A status change the notification's life does not allow (e.g. failed after delivered)."""


class Notification(BaseModel):
    id: str
    user_id: str
    to: str
    channel: str = "sms"
    text: str
    event_type: str
    status: NotificationStatus = "queued"
    created_at: datetime
    attempts: int = 0
    provider_message_id: str | None = None
    cost: str | None = None
    failure_reason: str | None = None
    updated_at: datetime | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _legacy_pending(cls, value: Any) -> Any:
        """Notifications recorded before statuses existed said ``pending``: they are queued."""
        return "queued" if value == "pending" else value

    @property
    def handed_over(self) -> bool:
        """The provider has it (or it is over): a redelivered event must not send it again."""
        return self.status != "queued"

    def moved(self, status: NotificationStatus, *, now: datetime, **changes: Any) -> Notification:
        """The one transition helper: a copy in ``status`` with ``changes``; disallowed moves raise."""
        if status not in TRANSITIONS[self.status]:
            raise NotificationTransitionError(f"notification {self.id}: {self.status} -> {status}")
        return self.model_copy(update={"status": status, "updated_at": now, **changes})

    def attempted(self, *, now: datetime, reason: str) -> Notification:
        """One more provider attempt that failed transiently (still queued)."""
        return self.model_copy(
            update={"attempts": self.attempts + 1, "failure_reason": reason, "updated_at": now}
        )
