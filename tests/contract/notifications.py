"""Contract of the Notifications port: one per event, listed newest first for their user."""

from __future__ import annotations

from mkopo.service.store import Store
from tests.contract.data import at, new_id, notification


class NotificationsContract:
    def test_a_saved_notification_reads_back_and_saving_again_replaces_it(self, store: Store) -> None:
        note = notification(user_id=new_id("user"))
        assert store.get_notification(note.id) is None
        store.save_notification(note)
        assert store.get_notification(note.id) == note
        sent = note.model_copy(update={"status": "sent"})
        store.save_notification(sent)
        assert store.get_notification(note.id) == sent
        assert store.list_notifications(note.user_id, 10) == [sent]

    def test_a_users_notifications_newest_first_up_to_the_limit(self, store: Store) -> None:
        user_id = new_id("user")
        notes = [notification(user_id=user_id, created=s) for s in (10, 30, 20)]
        for note in [*notes, notification(user_id=new_id("user"), created=40)]:
            store.save_notification(note)
        assert [n.id for n in store.list_notifications(user_id, 10)] == [
            notes[1].id,
            notes[2].id,
            notes[0].id,
        ]
        assert [n.id for n in store.list_notifications(user_id, 1)] == [notes[1].id]
        assert store.list_notifications(new_id("user"), 10) == []

    def test_changing_a_notification_read_or_saved_changes_nothing_stored(self, store: Store) -> None:
        note = notification(user_id=new_id("user"))
        store.save_notification(note)
        original = note.model_copy()
        note.status = "sent"  # the caller's object, after saving
        read = store.get_notification(note.id)
        assert read == original
        assert read is not None
        read.status = "failed"
        assert store.get_notification(note.id) == original

    def test_a_notification_is_found_by_its_provider_message_id(self, store: Store) -> None:
        note = notification(user_id=new_id("user")).model_copy(
            update={"provider_message_id": new_id("ATXid")}
        )
        store.save_notification(note)
        assert note.provider_message_id is not None
        assert store.find_notification_by_provider_id(note.provider_message_id) == note
        assert store.find_notification_by_provider_id(new_id("ATXid")) is None

    def test_stop_is_remembered_per_phone_until_undone(self, store: Store) -> None:
        phone = "+2547" + new_id("p")[-8:].translate(str.maketrans("abcdef", "123456"))
        assert not store.sms_opted_out(phone)
        store.set_sms_opt_out(phone, True, at(0))
        assert store.sms_opted_out(phone)
        store.set_sms_opt_out(phone, False, at(1))
        assert not store.sms_opted_out(phone)
