"""An SMS's life: queued -> sent -> delivered | failed; bounded retry; nothing sent twice; STOP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mkopo.domain import messages
from mkopo.domain.events import DomainEvent, RepaymentDue, parse_event
from mkopo.domain.notifications import Notification, NotificationTransitionError
from mkopo.service import accounts, notifications
from mkopo.service.ports import SmsRejected, SmsTransientError
from tests.unit.conftest import World
from tests.unit.test_pipeline import run_to_end


def first_event(world: World) -> DomainEvent:
    run_to_end(world, "+254700000031")
    return parse_event(world.publisher.published[0][1])


def notify(world: World, event: DomainEvent) -> bool:
    return notifications.notify_borrower(
        event, store=world.store, channel=world.sms, now=world.now, max_attempts=3
    )


def test_a_sent_sms_carries_the_providers_id_and_cost(world: World) -> None:
    event = first_event(world)
    assert notify(world, event)
    note = world.store.get_notification(event.event_id)
    assert note is not None and note.status == "sent" and note.attempts == 1
    assert note.provider_message_id == f"ATXid_{event.event_id}" and note.cost == "KES 0.8000"


def test_a_sent_sms_is_written_once_with_the_providers_answer(world: World) -> None:
    event = first_event(world)
    saved: list[str] = []
    keep = world.store.save_notification
    world.store.save_notification = lambda note: (saved.append(note.status), keep(note))  # type: ignore[method-assign]
    assert notify(world, event)
    assert saved == ["sent"]  # no "queued" write before the call: it would guard nothing


def test_a_redelivered_event_sends_nothing_twice(world: World) -> None:
    event = first_event(world)
    assert notify(world, event) and not notify(world, event)
    assert world.sms.calls == 1


def test_a_transient_failure_is_raised_for_a_retry_then_failed_at_the_bound(world: World) -> None:
    event = first_event(world)
    world.sms.failures = [SmsTransientError("GatewayError (501)") for _ in range(3)]
    for attempt in (1, 2):
        with pytest.raises(SmsTransientError):
            notify(world, event)
        note = world.store.get_notification(event.event_id)
        assert note is not None and note.status == "queued" and note.attempts == attempt
    assert not notify(world, event)  # the third failure is the last: no more retries
    note = world.store.get_notification(event.event_id)
    assert note is not None and note.status == "failed" and note.attempts == 3
    assert note.failure_reason == "GatewayError (501)"
    assert not notify(world, event) and world.sms.calls == 3  # a redelivery after that sends nothing


def test_a_transient_failure_then_success_is_sent(world: World) -> None:
    event = first_event(world)
    world.sms.failures = [SmsTransientError("InternalServerError (500)")]
    with pytest.raises(SmsTransientError):
        notify(world, event)
    assert notify(world, event)
    note = world.store.get_notification(event.event_id)
    assert note is not None and note.status == "sent" and note.attempts == 2 and note.failure_reason is None


def test_a_permanent_refusal_fails_at_once(world: World) -> None:
    event = first_event(world)
    world.sms.failures = [SmsRejected("InvalidPhoneNumber (403)")]
    assert not notify(world, event)
    note = world.store.get_notification(event.event_id)
    assert note is not None and note.status == "failed" and note.failure_reason == "InvalidPhoneNumber (403)"
    assert not notify(world, event) and world.sms.calls == 1


def sent(world: World) -> Notification:
    event = first_event(world)
    notify(world, event)
    note = world.store.get_notification(event.event_id)
    assert note is not None
    return note


def report(world: World, note: Notification, status: str, reason: str | None = None) -> Notification | None:
    assert note.provider_message_id is not None
    return notifications.record_delivery_report(
        world.store, provider_message_id=note.provider_message_id, status=status, reason=reason, now=world.now
    )


def test_delivery_reports_move_sent_to_delivered_and_repeats_are_harmless(world: World) -> None:
    note = sent(world)
    assert (report(world, note, "Buffered") or note).status == "sent"
    for _ in range(2):
        after = report(world, note, "Success")
        assert after is not None and after.status == "delivered"
    late = report(world, note, "Failed", "DeliveryFailure")  # a late report cannot undo a delivery
    assert late is not None and late.status == "delivered"


def test_a_failed_delivery_report_fails_the_notification_with_its_reason(world: World) -> None:
    note = sent(world)
    after = report(world, note, "Failed", "AbsentSubscriber")
    assert after is not None and after.status == "failed" and after.failure_reason == "AbsentSubscriber"


def test_a_report_for_an_unknown_message_is_none(world: World) -> None:
    got = notifications.record_delivery_report(
        world.store, provider_message_id="ATXid_nope", status="Success", reason=None, now=world.now
    )
    assert got is None


def test_the_transition_helper_refuses_moves_out_of_a_final_status(world: World) -> None:
    note = sent(world).moved("delivered", now=world.now)
    with pytest.raises(NotificationTransitionError):
        note.moved("failed", now=world.now)
    assert Notification.model_validate(note.model_dump() | {"status": "pending"}).status == "queued"


def test_stop_silences_reminders_but_not_other_notices(world: World) -> None:
    app_id = run_to_end(world, "+254700000032")
    app = world.application(app_id)
    world.store.set_sms_opt_out(app.phone, True, world.now)
    due = RepaymentDue.new(
        application_id=app_id,
        occurred_at=world.now + timedelta(days=27),
        borrower_id=app.borrower_id,
        installment=1,
        outstanding_minor=500_000,
        currency="KES",
        due_date="2027-01-01",
    )
    assert not notify(world, due) and world.store.get_notification(due.event_id) is None
    assert notify(world, parse_event(world.publisher.published[0][1]))  # a decision notice still goes


def test_the_sms_retry_bound_ends_before_pubsub_dead_letters_the_event() -> None:
    from mkopo import topology
    from mkopo.config import Settings

    assert Settings().sms_max_attempts < topology.function("notify").retry.max_delivery_attempts


def test_the_next_sms_is_in_the_language_the_borrower_reads_now(world: World) -> None:
    run_to_end(world, "+254700000032")
    events = {e.event_type: e for e in (parse_event(p) for _, p, _ in world.publisher.published)}
    submitted, approved = events["checkout_submitted"], events["loan_approved"]
    user, app = (
        world.store.get_user(submitted.borrower_id),
        world.store.get_application(submitted.application_id),
    )
    assert user is not None and app is not None
    assert notify(world, submitted)
    assert app.language == "en"  # the borrower's at checkout
    assert accounts.follow_language(world.store, user.id, "sw") == 1
    assert accounts.follow_language(world.store, user.id, "sw") == 0  # nothing to change the second time
    reads = world.store.joint_reads
    assert notify(world, approved)
    assert world.store.joint_reads == reads + 1  # the language came with the application: no user read
    first, second = (world.store.get_notification(e.event_id) for e in (submitted, approved))
    assert first is not None and first.text.startswith("mkopo: we received your application")
    assert second is not None and second.text == messages.sms_for(approved, app, "sw")
    assert "umeidhinishwa" in second.text and second.text != messages.sms_for(approved, app, "en")
