"""Africa's Talking's callbacks on the `payment-callbacks` function, in process with fakes: delivery reports
move notifications, inbound BAL / STOP / HELP are answered by SMS once, forged tokens are 404s."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from mkopo.adapters.africastalking import callback_urls
from mkopo.domain.events import parse_event
from mkopo.entrypoints import callbacks_api
from mkopo.service import notifications
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, http_client, is_problem
from tests.unit.test_pipeline import run_to_end


@pytest.fixture
def container(world: World) -> FakeContainer:
    return FakeContainer(world)


@pytest.fixture
def callbacks(container: FakeContainer) -> FlaskClient:
    return http_client(callbacks_api.create_app(container))


def urls(container: FakeContainer) -> dict[str, str]:
    s = container.settings
    full = callback_urls("http://x", s.callback_signing_key.get_secret_value())
    return {k: v.removeprefix("http://x") for k, v in full.items()}


def sent_note(world: World) -> str:
    run_to_end(world, "+254700000061")
    event = parse_event(world.publisher.published[0][1])
    notifications.notify_borrower(event, store=world.store, channel=world.sms, now=world.now)
    return event.event_id


def test_a_delivery_report_marks_the_notification_delivered(
    world: World, container: FakeContainer, callbacks: FlaskClient
) -> None:
    note_id = sent_note(world)
    form = {"id": f"ATXid_{note_id}", "status": "Success", "phoneNumber": "+254700000061", "retryCount": "0"}
    for _ in range(2):  # a repeated report is harmless
        response = callbacks.post(urls(container)["delivery_report_url"], data=form)
        assert response.status_code == 200 and response.get_json() == {"status": "delivered"}
    note = world.store.get_notification(note_id)
    assert note is not None and note.status == "delivered"


def test_a_report_that_overtook_our_record_is_503_for_the_provider_to_resend(
    container: FakeContainer, callbacks: FlaskClient
) -> None:
    response = callbacks.post(
        urls(container)["delivery_report_url"], data={"id": "ATXid_x", "status": "Success"}
    )
    assert is_problem(response, 503)


def test_forged_tokens_foreign_networks_and_bad_bodies_are_refused(
    container: FakeContainer, callbacks: FlaskClient
) -> None:
    form = {"id": "ATXid_x", "status": "Success"}
    inbound = urls(container)["inbound_url"]
    assert callbacks.post(inbound.replace("inbound", "delivery"), data=form).status_code == 404
    assert callbacks.post(urls(container)["delivery_report_url"] + "x", data=form).status_code == 404
    far = {"REMOTE_ADDR": "203.0.113.9"}
    assert (
        callbacks.post(urls(container)["delivery_report_url"], data=form, environ_base=far).status_code == 404
    )
    assert callbacks.post(urls(container)["delivery_report_url"], json=form).status_code == 415
    assert callbacks.post(urls(container)["delivery_report_url"], data={"id": "x"}).status_code == 400


def inbound(callbacks: FlaskClient, container: FakeContainer, sender: str, text: str, msg: str) -> None:
    form = {
        "from": sender,
        "to": "40404",
        "text": text,
        "date": "2026-12-02 15:00:00",
        "id": msg,
        "linkId": "l1",
    }
    response = callbacks.post(urls(container)["inbound_url"], data=form)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_bal_answers_what_is_owed_and_when_once_per_inbound_id(
    world: World, container: FakeContainer, callbacks: FlaskClient
) -> None:
    app_id = run_to_end(world, "+254700000062")
    for _ in range(2):
        inbound(callbacks, container, "+254700000062", "bal", "in-1")
    assert world.sms.sends == 1
    text = world.sms.sent["in-in-1"]
    loan = world.store.get_loan(app_id)
    assert loan is not None and app_id[:8].upper() in text and "KES" in text and " by 20" in text


def test_stop_then_start_and_help(world: World, container: FakeContainer, callbacks: FlaskClient) -> None:
    inbound(callbacks, container, "+254700000063", "STOP", "in-2")
    assert world.store.sms_opted_out("+254700000063") and "no more reminders" in world.sms.sent["in-in-2"]
    inbound(callbacks, container, "+254700000063", "start please", "in-3")
    assert not world.store.sms_opted_out("+254700000063")
    inbound(callbacks, container, "+254700000063", "what?", "in-4")
    assert "text BAL" in world.sms.sent["in-in-4"]
    inbound(callbacks, container, "+254700000063", "BAL", "in-5")
    assert "no account" in world.sms.sent["in-in-5"]


def test_texts_to_the_shortcode_are_answered_in_the_senders_language(
    world: World, container: FakeContainer, callbacks: FlaskClient
) -> None:
    app_id = run_to_end(world, "+254700000064")
    user = world.store.get_user_by_phone("+254700000064")
    assert user is not None
    world.store.col("users")[user.id] = user.model_copy(update={"language": "fr"})
    inbound(callbacks, container, "+254700000064", "BAL", "in-6")
    inbound(callbacks, container, "+254700000064", "STOP", "in-7")
    balance, stopped = world.sms.sent["in-in-6"], world.sms.sent["in-in-7"]
    assert balance.startswith("mkopo: à payer: crédit ") and app_id[:8].upper() in balance, balance
    assert " avant le 20" in balance and stopped.startswith("mkopo: vous ne recevrez plus de rappels")
