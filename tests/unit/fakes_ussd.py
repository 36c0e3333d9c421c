"""In-memory USSD sessions (copies in and out, like the other fakes)."""

from __future__ import annotations

from mkopo.service.ussd.sessions import UssdSession, UssdSessionEnd


class FakeUssdSessions:
    def __init__(self) -> None:
        self.sessions: dict[str, UssdSession] = {}
        self.ends: dict[str, UssdSessionEnd] = {}

    def get_ussd_session(self, session_id: str) -> UssdSession | None:
        found = self.sessions.get(session_id)
        return found.model_copy(deep=True) if found else None

    def save_ussd_session(self, session: UssdSession) -> None:
        self.sessions[session.id] = session.model_copy(deep=True)

    def record_ussd_end(self, end: UssdSessionEnd) -> None:
        self.ends[end.session_id] = end.model_copy()

    def get_ussd_end(self, session_id: str) -> UssdSessionEnd | None:
        found = self.ends.get(session_id)
        return found.model_copy() if found else None
