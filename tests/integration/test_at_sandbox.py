"""The Africa's Talking SMS sandbox, driven by our adapter: test numbers, delivery reports (resent while the
receiver refuses them), the inspection store and inbound texts. No emulators needed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from mkopo.adapters.africastalking import AfricasTalkingSms
from mkopo.service.ports import SmsRejected, SmsTransientError
from tests.sandboxes import sandbox_starter


class FormInbox:
    """A loopback receiver of form POSTs; answers ``refuse_first`` POSTs per path with 503, then 200."""

    def __init__(self, refuse_first: int = 0) -> None:
        self.received: list[tuple[str, dict[str, str]]] = []
        self.refuse_first = refuse_first
        self._cond = threading.Condition()
        box = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                with box._cond:
                    box.received.append((self.path, form))
                    seen = sum(1 for p, _ in box.received if p == self.path)
                    box._cond.notify_all()
                self.send_response(503 if seen <= box.refuse_first else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def wait_for(self, path: str, count: int = 1, timeout_s: float = 8.0) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while len(self.at(path)) < count and time.monotonic() < deadline:
                self._cond.wait(timeout=deadline - time.monotonic())
            return self.at(path)

    def at(self, path: str) -> list[dict[str, str]]:
        return [form for p, form in self.received if p == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def inbox() -> Iterator[FormInbox]:
    box = FormInbox(refuse_first=1)
    yield box
    box.close()


@pytest.fixture(scope="module")
def sandbox(inbox: FormInbox) -> Iterator[str]:
    flags = (
        "--latency-ms",
        "50",
        "--delivery-report-url",
        inbox.url("/dlr"),
        "--inbound-url",
        inbox.url("/in"),
    )
    with sandbox_starter() as start:
        yield start("at_sandbox", *flags)


def channel(base_url: str, api_key: str = "local-sandbox-at-key") -> AfricasTalkingSms:
    return AfricasTalkingSms(base_url=base_url, username="sandbox", api_key=api_key, sender_id="MKOPO")


def send(base_url: str, to: str, **kw: Any) -> Any:
    return channel(base_url, **kw).send(message_id="m", user_id="u", to=to, text="mkopo: hi", event_type="t")


def reports_for(inbox: FormInbox, message_id: str, count: int = 1) -> list[dict[str, str]]:
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        mine = [f for f in inbox.at("/dlr") if f["id"] == message_id]
        if len(mine) >= count:
            return mine
        inbox.wait_for("/dlr", len(inbox.at("/dlr")) + 1, timeout_s=0.5)
    return [f for f in inbox.at("/dlr") if f["id"] == message_id]


def test_a_sent_message_is_reported_delivered_and_resent_while_refused(
    sandbox: str, inbox: FormInbox
) -> None:
    receipt = send(sandbox, "+254700000001")
    assert receipt.provider_message_id.startswith("ATXid_") and receipt.cost == "KES 0.8000"
    first, second = reports_for(inbox, receipt.provider_message_id, 2)[:2]  # the inbox refused the first
    assert (first["retryCount"], second["retryCount"]) == ("0", "1")
    assert second["status"] == "Success" and second["phoneNumber"] == "+254700000001"
    assert set(second) == {"id", "status", "phoneNumber", "networkCode", "failureReason", "retryCount"}
    messages = httpx.get(f"{sandbox}/sandbox/messages").json()["messages"]
    mine = next(m for m in messages if m["messageId"] == receipt.provider_message_id)
    assert mine["message"] == "mkopo: hi" and mine["from"] == "MKOPO"


def test_an_undeliverable_number_is_reported_failed(sandbox: str, inbox: FormInbox) -> None:
    receipt = send(sandbox, "+254794000001")
    report = reports_for(inbox, receipt.provider_message_id)[-1]
    assert report["status"] == "Failed" and report["failureReason"] == "AbsentSubscriber"


def test_failure_numbers_and_a_wrong_key(sandbox: str) -> None:
    with pytest.raises(SmsTransientError, match="InternalServerError"):
        send(sandbox, "+254791000001")
    with pytest.raises(SmsRejected, match="InvalidPhoneNumber"):
        send(sandbox, "+254792000001")
    with pytest.raises(SmsRejected, match="UserInBlacklist"):
        send(sandbox, "+254793000001")
    with pytest.raises(SmsTransientError, match="HTTP 401"):
        send(sandbox, "+254700000001", api_key="wrong")


def test_an_inbound_text_is_posted_with_the_documented_fields(sandbox: str, inbox: FormInbox) -> None:
    answer = httpx.post(f"{sandbox}/sandbox/inbound", json={"from": "+254700000001", "text": "BAL"}).json()
    assert answer["answer"] in (200, 503)
    got = inbox.wait_for("/in")[-1]
    assert set(got) == {"from", "to", "text", "date", "id", "linkId"}
    assert (got["from"], got["to"], got["text"]) == ("+254700000001", "40404", "BAL")
