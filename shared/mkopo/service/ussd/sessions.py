"""The USSD session port: one document per provider session id, deleted by a TTL after it expires.

A session holds where the caller is in the menu and the few choices made so far (never a PIN: at most
its argon2 hash while a new one waits to be confirmed), plus the last reply, so that a request the
provider repeats gets the same screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, Field


class UssdSession(BaseModel):
    id: str
    phone: str
    started_at: datetime
    expires_at: datetime
    state: str = "start"
    back: list[str] = Field(default_factory=list)  # the states ``0`` returns to, most recent last
    steps: int = 0  # inputs of the provider's ``text`` already handled
    data: dict[str, str] = Field(default_factory=dict)
    user_id: str | None = None
    verified: bool = False  # the PIN was entered in this session
    reply: str = ""
    trace: str | None = None  # the first screen's traceparent: the session's screens share one trace


class UssdSessionEnd(BaseModel):
    """The provider's end-of-session notification, as recorded."""

    session_id: str
    phone: str
    status: str
    duration_ms: int | None = None
    error: str | None = None
    received_at: datetime


class UssdSessions(Protocol):
    def get_ussd_session(self, session_id: str) -> UssdSession | None: ...

    def save_ussd_session(self, session: UssdSession) -> None: ...

    def record_ussd_end(self, end: UssdSessionEnd) -> None: ...

    def get_ussd_end(self, session_id: str) -> UssdSessionEnd | None: ...
