"""The `ussd` function in process: the menus over the fakes, every screen CON/END and at most 182 chars."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulators import ussd_phone

from mkopo.entrypoints.ussd_api import create_app
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, carry_events, http_client

PHONE = "+254700000001"


class Phone:
    """One caller's session, sending the inputs so far joined by '*', as Africa's Talking does."""

    def __init__(self, container: FakeContainer, session_id: str = "ATUid_1", phone: str = PHONE) -> None:
        self.client = http_client(create_app(container))
        self.session_id, self.phone, self.inputs = session_id, phone, []  # type: list[str]
        self.screens: list[str] = []

    def post(self, **form: Any) -> Any:
        return self.client.post("/v1/ussd", data=form)

    def send(self, *values: str) -> str:
        self.inputs.extend(values)
        response = self.post(
            sessionId=self.session_id,
            serviceCode="*384*123#",
            phoneNumber=self.phone,
            networkCode="63902",
            text="*".join(self.inputs),
        )
        assert response.status_code == 200 and response.mimetype == "text/plain"
        body = response.get_data(as_text=True)
        assert body.startswith(("CON ", "END ")), body
        assert len(body) - 4 <= 182, body
        self.screens.append(body)
        return body

    def dial(self) -> str:
        return self.send()


@pytest.fixture
def container(world: World) -> FakeContainer:
    return FakeContainer(world)


def register(container: FakeContainer, session_id: str = "ATUid_1") -> Phone:
    phone = Phone(container, session_id)
    assert "1. English" in phone.dial()
    assert "full name" in phone.send("1")
    assert "4-digit PIN" in phone.send("Amina Wanjiru")
    assert "again" in phone.send("1234")
    assert "You are registered" in phone.send("1234")
    return phone


def test_a_new_number_chooses_a_language_and_registers_with_a_pin(container: FakeContainer) -> None:
    phone = Phone(container)
    assert "1. English" in phone.dial()
    assert "jina lako kamili" in phone.send("2")  # Kiswahili from the next screen on
    assert "PIN ya tarakimu 4" in phone.send("Amina Wanjiru")
    assert "tena" in phone.send("1234")
    assert "Umesajiliwa" in phone.send("1234") and "1. Kopa" in phone.screens[-1]
    user = container.store.get_user_by_phone(PHONE)
    assert user is not None and user.full_name == "Amina Wanjiru"
    assert user.language == "sw"
    assert user.pin_hash == "plain$1234"  # hashed by the hasher port, never stored as typed


def test_borrow_disburses_then_my_loan_repay_and_statement(container: FakeContainer, world: World) -> None:
    phone = register(container)
    screen = phone.send("1")
    assert "Enter amount" in screen
    screen = phone.send("5000")
    assert screen.startswith("CON 1. ") and " pay KES " in screen
    assert "interest" in phone.send("1")
    assert phone.send("1234").startswith("END ")
    [app] = world.store.col("applications").values()
    assert app.consent.channel == "ussd"
    carry_events(container)
    assert world.store.list_loans(app.borrower_id, 5)

    later = Phone(container, "ATUid_2")
    assert "Enter your PIN" in later.dial()
    assert "1. Borrow" in later.send("1234")
    assert "Outstanding KES" in later.send("2")
    assert "1. Borrow" in later.send("00")
    assert "Enter amount to repay" in later.send("3")
    assert later.send("100").startswith("END Approve the payment")


def test_three_wrong_pins_lock_the_number(container: FakeContainer) -> None:
    register(container)
    phone = Phone(container, "ATUid_2")
    phone.dial()
    assert "Wrong PIN" in phone.send("0000")
    assert "Wrong PIN" in phone.send("9999")
    assert phone.send("1111").startswith("END Too many wrong PINs")
    again = Phone(container, "ATUid_3")
    again.dial()
    assert again.send("1234").startswith("END Too many wrong PINs")


def test_a_repeated_request_gets_the_same_screen_and_back_and_main_menu_work(
    container: FakeContainer,
) -> None:
    phone = register(container)
    first = phone.send("4")
    assert "Limit KES" in first
    phone.inputs.pop()
    assert phone.send("4") == first
    assert "1. Borrow" in phone.send("0")
    assert "Invalid choice" in phone.send("9")


def test_a_session_id_from_another_phone_ends_cleanly(container: FakeContainer) -> None:
    register(container)
    stranger = Phone(container, "ATUid_1", phone="+254700000009")
    assert stranger.send("1").startswith("END This session belongs to another phone")


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"sessionId": "s1", "phoneNumber": "not a phone", "text": ""},
        {"sessionId": "s1", "phoneNumber": PHONE, "text": "1" * 401},
        {"sessionId": "s1", "phoneNumber": PHONE, "text": "*".join(["1"] * 60)},
        {"sessionId": "s1\x00", "phoneNumber": PHONE, "text": ""},
    ],
)
def test_malformed_requests_get_a_clean_end_screen(container: FakeContainer, form: dict[str, str]) -> None:
    response = Phone(container).post(**form)
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("END ")


def test_a_json_body_gets_a_clean_end_screen(container: FakeContainer) -> None:
    response = Phone(container).client.post("/v1/ussd", json={"sessionId": "s1"})
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("END ")


def test_the_end_of_session_notification_is_recorded(container: FakeContainer) -> None:
    client = Phone(container).client
    form = {"sessionId": "ATUid_9", "phoneNumber": PHONE, "status": "Failed", "durationInMillis": "5300"}
    assert client.post("/v1/ussd/events", data=form | {"errorMessage": "timeout"}).status_code == 200
    end = container.ussd_sessions.get_ussd_end("ATUid_9")
    assert end is not None and end.status == "Failed" and end.duration_ms == 5300 and end.error == "timeout"


def test_in_the_cloud_only_the_secret_path_is_served(container: FakeContainer) -> None:
    container.settings = container.settings.model_copy(update={"environment": "cloud"})
    phone = Phone(container)
    assert phone.post(sessionId="s1", phoneNumber=PHONE, text="").status_code == 404
    token = container.settings.ussd_path_token.get_secret_value()
    reply = phone.client.post(f"/v1/ussd/{token}", data={"sessionId": "s1", "phoneNumber": PHONE, "text": ""})
    assert reply.get_data(as_text=True).startswith("CON ")
    assert (
        phone.client.post("/v1/ussd/wrong", data={"sessionId": "s1", "phoneNumber": PHONE}).status_code == 404
    )


def test_the_terminal_phone_registers_against_the_function(
    container: FakeContainer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Phone(container).client.application
    answers = iter(["1", "Amina Wanjiru"])
    pins = iter(["1234", "1234"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr(ussd_phone.getpass, "getpass", lambda prompt="": next(pins))
    args = ussd_phone.argparse.Namespace(phone=PHONE, code="*384*123#", network="63902")
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://ussd")
    with client, pytest.raises(StopIteration):  # the answers run out at the main menu
        ussd_phone.session(client, args)
    shown = capsys.readouterr().out
    assert "You are registered" in shown and "1234" not in shown  # the PIN is typed unseen


def test_wrong_pins_of_many_callers_never_lock_another(container: FakeContainer, world: World) -> None:
    container.settings = container.settings.model_copy(update={"login_ip_max_failures": 2})
    register(container)
    for n in range(3):
        other = world.user(phone=f"+2547000001{n:02d}")
        container.store.col("users")[other.id] = other.model_copy(update={"pin_hash": "plain$5555"})
        stranger = Phone(container, f"ATUid_s{n}", phone=other.phone)
        stranger.dial()
        stranger.send("0001")
    mine = Phone(container, "ATUid_mine")
    mine.dial()
    assert "1. Borrow" in mine.send("1234")


def test_an_app_user_sets_a_pin_on_first_dial_then_changes_it(container: FakeContainer, world: World) -> None:
    world.user(phone=PHONE)
    phone = Phone(container)
    assert "Choose a 4-digit PIN" in phone.dial()
    assert "A PIN is 4 digits" in phone.send("12a4")
    phone.send("1111")
    assert "do not match" in phone.send("2222")
    phone.send("1111")
    assert "1. Borrow" in phone.send("1111")
    assert "current PIN" in phone.send("7")
    assert "Wrong PIN" in phone.send("2222")
    assert "Choose a 4-digit PIN" in phone.send("1111")
    phone.send("3333")
    assert phone.send("3333") == "END Your PIN is changed."
    user = container.store.get_user_by_phone(PHONE)
    assert user is not None and user.pin_hash == "plain$3333"


def test_language_change_and_an_empty_statement(container: FakeContainer) -> None:
    phone = register(container)
    assert "1. English" in phone.send("6")
    assert "Langue enregistree" in phone.send("3")  # French at once
    user = container.store.get_user_by_phone(PHONE)
    assert user is not None and user.language == "fr"
    assert "1. Emprunter" in phone.send("1")  # any input on an information screen: the main menu
    assert "Aucun mouvement" in phone.send("5")
    assert "Vous n'avez pas de credit" in phone.send("00", "2")


def test_borrow_refuses_bad_amounts_goes_back_and_applies_once_per_session(
    container: FakeContainer, world: World
) -> None:
    phone = register(container)
    phone.send("1")
    assert "whole KES" in phone.send("12.50")
    assert "whole KES" in phone.send("")
    assert "No offers" in phone.send("999999999")
    phone.send("5000")
    assert "Enter amount to borrow" in phone.send("0")
    offers_screen = phone.send("5000")
    assert "Invalid choice" in phone.send("7")
    assert "interest" in phone.send("1")
    assert "Wrong PIN" in phone.send("9999")
    accepted = phone.send("1234")
    assert accepted.startswith("END ") and offers_screen.startswith("CON 1. ")
    phone.inputs.pop()
    assert phone.send("1234") == accepted  # the provider repeats the last request: same screen
    again = Phone(container, "ATUid_1")
    again.inputs = [*phone.inputs, "1"]
    assert again.send() == accepted  # an ended session stays ended
    assert len(world.store.col("applications")) == 1


def test_a_statement_lists_the_last_money_movements(container: FakeContainer, world: World) -> None:
    phone = register(container)
    phone.send("1", "5000", "1", "1234")
    carry_events(container)
    later = Phone(container, "ATUid_2")
    later.dial()
    later.send("1234")
    screen = later.send("5")
    assert "received KES 5000.00" in screen
    assert "Limit KES" in later.send("00", "4")


@pytest.mark.parametrize(
    "body", [b"sessionId=%ZZ&phoneNumber=%FF%FE&text=", b"\xff\xfe\x00garbage", b"a=1&" * 2000]
)
def test_a_malformed_form_body_gets_a_clean_end_screen(container: FakeContainer, body: bytes) -> None:
    response = Phone(container).client.post(
        "/v1/ussd", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("END ")


def test_a_language_chosen_on_the_phone_follows_onto_the_borrowers_applications(
    container: FakeContainer, world: World
) -> None:
    phone = register(container)
    phone.send("1", "5000", "1", "1234")
    [app] = world.store.col("applications").values()
    assert app.language == "en"
    phone = Phone(container, "ATUid_2")
    assert "Enter your PIN" in phone.dial()
    phone.send("1234", "6")
    assert "Lugha imehifadhiwa" in phone.send("2")
    assert world.store.get_application(app.id).language == "sw"  # type: ignore[union-attr]
