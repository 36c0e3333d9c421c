"""Contract of the USSD sessions port: a session reads back as saved, replaced whole; ends are recorded."""

from __future__ import annotations

from datetime import timedelta

from mkopo.service.ussd.sessions import UssdSession, UssdSessionEnd, UssdSessions
from tests.contract.data import NOW, new_id


class UssdSessionsContract:
    def test_a_session_reads_back_and_saving_again_replaces_it(self, ussd_sessions: UssdSessions) -> None:
        session = UssdSession(
            id=new_id("ATUid"), phone="+254700000001", started_at=NOW, expires_at=NOW + timedelta(minutes=5)
        )
        assert ussd_sessions.get_ussd_session(session.id) is None
        ussd_sessions.save_ussd_session(session)
        assert ussd_sessions.get_ussd_session(session.id) == session
        moved = session.model_copy(update={"state": "main", "back": ["start"], "data": {"language": "sw"}})
        ussd_sessions.save_ussd_session(moved)
        assert ussd_sessions.get_ussd_session(session.id) == moved
        assert ussd_sessions.get_ussd_session("a/b") is None

    def test_changing_a_saved_session_changes_nothing_stored(self, ussd_sessions: UssdSessions) -> None:
        session = UssdSession(id=new_id("ATUid"), phone="+254700000001", started_at=NOW, expires_at=NOW)
        ussd_sessions.save_ussd_session(session)
        session.data["name"] = "changed after saving"
        read = ussd_sessions.get_ussd_session(session.id)
        assert read is not None and read.data == {}

    def test_an_end_of_session_report_is_recorded(self, ussd_sessions: UssdSessions) -> None:
        end = UssdSessionEnd(
            session_id=new_id("ATUid"),
            phone="+254700000001",
            status="Failed",
            duration_ms=1200,
            error="timeout",
            received_at=NOW,
        )
        assert ussd_sessions.get_ussd_end(end.session_id) is None
        ussd_sessions.record_ussd_end(end)
        assert ussd_sessions.get_ussd_end(end.session_id) == end
