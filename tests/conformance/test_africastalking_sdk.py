"""The official Africa's Talking Python SDK (PyPI ``africastalking``) against our SMS sandbox: the request it
builds (form, apiKey header, /version1/messaging) is accepted and every field it documents is answered."""

from __future__ import annotations

import httpx
import pytest

pytest.importorskip("africastalking")

from africastalking.Service import AfricasTalkingException
from africastalking.SMS import SMSService

from tests.conformance.conftest import StartSandbox


@pytest.fixture(scope="module")
def at_sandbox(start_sandbox: StartSandbox) -> str:
    return start_sandbox("at_sandbox", "--latency-ms", "0")


def sms(base_url: str, api_key: str = "local-sandbox-at-key") -> SMSService:
    service = SMSService("sandbox", api_key)
    service._baseUrl = f"{base_url}/version1"  # the SDK's sandbox host is api.sandbox.africastalking.com
    return service


def test_the_sdk_sends_and_reads_every_recipient_field(at_sandbox: str) -> None:
    reply = sms(at_sandbox).send("mkopo: hello", ["+254700000001", "+254792000001"], sender_id="MKOPO")
    data = reply["SMSMessageData"]
    assert data["Message"].startswith("Sent to 1/2")
    ok, bad = data["Recipients"]
    assert set(ok) == {"statusCode", "number", "status", "cost", "messageId"}
    assert (ok["statusCode"], ok["status"], ok["number"]) == (101, "Success", "+254700000001")
    assert ok["messageId"].startswith("ATXid_") and ok["cost"] == "KES 0.8000"
    assert (bad["statusCode"], bad["status"]) == (403, "InvalidPhoneNumber")
    sent = httpx.get(f"{at_sandbox}/sandbox/messages").json()["messages"]
    assert any(m["messageId"] == ok["messageId"] and m["from"] == "MKOPO" for m in sent)


def test_the_sdk_reports_a_refused_key(at_sandbox: str) -> None:
    with pytest.raises(AfricasTalkingException, match="authentication is invalid"):
        sms(at_sandbox, api_key="wrong").send("mkopo: hello", ["+254700000001"])
