"""The Africa's Talking SMS adapter against an in-process fake of the messaging API (httpx.MockTransport)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from mkopo.adapters.africastalking import AfricasTalkingSms
from mkopo.service.ports import SmsRejected, SmsTransientError

TO = "+254700000001"


def reply(code: int, status: str, *, number: str = TO, message_id: str = "ATXid_1") -> dict[str, Any]:
    return {
        "SMSMessageData": {
            "Message": "Sent to 1/1 Total Cost: KES 0.8000",
            "Recipients": [
                {
                    "statusCode": code,
                    "number": number,
                    "status": status,
                    "cost": "KES 0.8000",
                    "messageId": message_id,
                }
            ],
        }
    }


class FakeAt:
    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.responses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def channel(fake: FakeAt, sender_id: str | None = "MKOPO") -> AfricasTalkingSms:
    return AfricasTalkingSms(
        base_url="https://at.test/",
        username="sandbox",
        api_key="k-123",
        sender_id=sender_id,
        transport=httpx.MockTransport(fake),
    )


def send(ch: AfricasTalkingSms) -> Any:
    return ch.send(message_id="ev-1", user_id="u-1", to=TO, text="mkopo: hello", event_type="loan_approved")


def test_a_sent_message_posts_the_documented_form_and_reads_the_recipient() -> None:
    fake = FakeAt(httpx.Response(201, json=reply(101, "Success")))
    receipt = send(channel(fake))
    assert receipt.provider_message_id == "ATXid_1" and receipt.cost == "KES 0.8000"
    (req,) = fake.requests
    assert req.method == "POST" and req.url == "https://at.test/version1/messaging"
    assert req.headers["apiKey"] == "k-123" and req.headers["Accept"] == "application/json"
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(req.content.decode()).items()}
    assert form == {"username": "sandbox", "to": TO, "message": "mkopo: hello", "from": "MKOPO"}


def test_without_a_sender_id_no_from_is_sent() -> None:
    fake = FakeAt(httpx.Response(201, json=reply(102, "Queued")))
    send(channel(fake, sender_id=None))
    assert "from" not in parse_qs(fake.requests[0].content.decode())


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (403, "InvalidPhoneNumber"),
        (406, "UserInBlacklist"),
        (402, "InvalidSenderId"),
        (409, "DoNotDisturbRejection"),
    ],
)
def test_a_documented_permanent_failure_is_a_rejection(code: int, status: str) -> None:
    with pytest.raises(SmsRejected, match=status):
        send(channel(FakeAt(httpx.Response(201, json=reply(code, status)))))


@pytest.mark.parametrize(
    ("code", "status"),
    [(500, "InternalServerError"), (501, "GatewayError"), (405, "InsufficientBalance"), (401, "RiskHold")],
)
def test_a_documented_transient_failure_is_retried(code: int, status: str) -> None:
    with pytest.raises(SmsTransientError, match=status):
        send(channel(FakeAt(httpx.Response(201, json=reply(code, status)))))


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, text="Internal Server Error"),
        httpx.Response(503, text="busy"),
        httpx.Response(429, text="slow down"),
        httpx.Response(401, text="The supplied authentication is invalid"),
        httpx.Response(201, text="<html>not json</html>"),
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError("refused"),
    ],
)
def test_outages_unreadable_replies_and_a_refused_key_are_transient(
    answer: httpx.Response | Exception,
) -> None:
    with pytest.raises(SmsTransientError):
        send(channel(FakeAt(answer)))


def test_a_bad_request_or_no_recipient_row_is_a_rejection() -> None:
    with pytest.raises(SmsRejected, match="HTTP 400"):
        send(channel(FakeAt(httpx.Response(400, text="Invalid phone number"))))
    empty = {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}
    with pytest.raises(SmsRejected, match="InvalidSenderId"):
        send(channel(FakeAt(httpx.Response(201, json=empty))))


def test_the_container_sends_through_africas_talking_unless_told_to_record() -> None:
    from mkopo.adapters.sms import RecordingSmsChannel
    from mkopo.bootstrap import Container
    from mkopo.config import Settings

    assert isinstance(Container(Settings()).sms_channel, AfricasTalkingSms)
    recording = Container(Settings(sms_channel="recording"))
    recording.__dict__["firestore_client"] = object()  # never touched until a send
    assert isinstance(recording.sms_channel, RecordingSmsChannel)
