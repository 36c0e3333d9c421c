"""SMS that leaves the building, on the whole stack: notify sends through the Africa's Talking sandbox, its
delivery reports (through the gateway, signed URL) mark notifications delivered; a provider that keeps
failing is retried by Pub/Sub and then marked failed; a redelivered event sends no second SMS; a borrower
texting BAL gets what they owe."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from emulators.stack import Stack
from google.cloud import firestore

from mkopo.adapters.pubsub import PubSubPublisher
from tests.e2e.test_loan_journey import Borrower, sandbox_number, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def at_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.ports.at_sandbox}"


def messages_to(at_url: str, phone: str) -> list[dict[str, Any]]:
    rows = httpx.get(f"{at_url}/sandbox/messages", timeout=10).json()["messages"]
    return [m for m in rows if m["number"] == phone]


def note(borrower: Borrower, event_type: str, status: str | None = None) -> dict[str, Any] | None:
    for n in borrower.notifications():
        if n["event_type"] == event_type and (status is None or n["status"] == status):
            return n
    return None


def all_delivered(notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return notes if notes and all(n["status"] == "delivered" for n in notes) else []


def test_notifications_are_sent_and_delivery_reports_mark_them_delivered(
    api: httpx.Client, at_url: str
) -> None:
    borrower = Borrower(api, sandbox_number("+2547000000"))
    app_id = borrower.checkout(borrower.offers()[0]["id"]).json()["application_id"]
    assert borrower.settle(app_id)["status"] == "DISBURSED"
    wait_for(lambda: note(borrower, "loan_disbursed", "delivered"), timeout=60)
    delivered = wait_for(lambda: all_delivered(borrower.notifications()))
    sent = messages_to(at_url, borrower.phone)
    assert len(sent) == len(delivered) >= 3  # one SMS per notification, none twice
    assert {m["message"] for m in sent} == {n["text"] for n in delivered}


def test_a_failing_provider_is_retried_then_the_notification_is_failed(
    api: httpx.Client, at_url: str
) -> None:
    borrower = Borrower(api, sandbox_number("+2547910000"))  # the sandbox answers 500 for these, always
    borrower.checkout(borrower.offers()[0]["id"])
    failed = wait_for(lambda: note(borrower, "checkout_submitted", "failed"), timeout=60)
    assert failed["text"].startswith("mkopo: we received your application")
    assert len([m for m in messages_to(at_url, borrower.phone) if m["message"] == failed["text"]]) == 3


def test_an_undeliverable_number_is_failed_by_its_delivery_report(api: httpx.Client) -> None:
    borrower = Borrower(api, sandbox_number("+2547940000"))  # accepted, then reported Failed
    borrower.checkout(borrower.offers()[0]["id"])
    wait_for(lambda: note(borrower, "checkout_submitted", "failed"), timeout=60)


def test_a_redelivered_event_sends_no_second_sms(api: httpx.Client, at_url: str, stack: Stack) -> None:
    borrower = Borrower(api, sandbox_number("+2547000000"))
    borrower.checkout(borrower.offers()[0]["id"])
    first = wait_for(lambda: note(borrower, "checkout_submitted", "delivered"), timeout=60)
    db = firestore.Client(project=stack.project)
    outbox = db.collection("outbox").document(first["id"]).get().to_dict()
    assert outbox is not None

    def copies() -> int:
        return sum(1 for m in messages_to(at_url, borrower.phone) if m["message"] == first["text"])

    assert copies() == 1
    payload = outbox["payload"]
    attributes = {"event_type": payload["event_type"], "event_id": payload["event_id"]}
    PubSubPublisher(stack.project).publish(outbox["topic"], payload, attributes | {"redelivery": "test"})
    time.sleep(4)  # the republished event reaches notify in ~0.1 s; give it ample time to (not) send
    assert copies() == 1


def test_bal_texted_to_the_shortcode_is_answered(api: httpx.Client, at_url: str) -> None:
    borrower = Borrower(api, sandbox_number("+2547000000"))
    app_id = borrower.checkout(borrower.offers()[0]["id"]).json()["application_id"]
    assert borrower.settle(app_id)["status"] == "DISBURSED"
    answer = httpx.post(f"{at_url}/sandbox/inbound", json={"from": borrower.phone, "text": "BAL"}, timeout=20)
    assert answer.json()["answer"] == 200, answer.text
    reply = wait_for(lambda: [m for m in messages_to(at_url, borrower.phone) if "you owe" in m["message"]])
    assert app_id[:8].upper() in reply[0]["message"]


def test_changing_the_language_changes_the_next_sms(api: httpx.Client, at_url: str) -> None:
    from tests.e2e.test_money_journey import repay

    borrower = Borrower(api, sandbox_number("+2547000000"))
    app_id = borrower.checkout(borrower.offers()[0]["id"]).json()["application_id"]
    assert borrower.settle(app_id)["status"] == "DISBURSED"
    disbursed = wait_for(lambda: note(borrower, "loan_disbursed"), timeout=60)
    assert " has been sent to your wallet " in disbursed["text"]  # English: the market's default
    r = api.patch("/v1/users/me", json={"language": "fr"}, headers=borrower.headers)
    assert r.status_code == 200 and r.json()["language"] == "fr"
    refused = api.patch("/v1/users/me", json={"language": "de"}, headers=borrower.headers)
    assert refused.status_code == 422 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    repay(borrower, app_id, "100")
    receipt = wait_for(lambda: note(borrower, "repayment_received"), timeout=60)
    assert receipt["text"].startswith("mkopo: paiement de KES 100.00 enregistré pour le crédit ")
    sent = wait_for(
        lambda: [m for m in messages_to(at_url, borrower.phone) if m["message"] == receipt["text"]]
    )
    assert len(sent) == 1
