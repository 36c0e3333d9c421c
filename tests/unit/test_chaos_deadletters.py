"""The chaos harness tells which application a dead letter is about (to attribute it to its scenario)."""

import base64
import json

from chaos.deadletters import application_of


def record(data: bytes) -> dict[str, str]:
    return {"data_b64": base64.b64encode(data).decode()}


def test_an_event_names_its_application_and_garbage_names_none() -> None:
    assert application_of(record(json.dumps({"application_id": "a-1", "event_type": "x"}).encode())) == "a-1"
    assert application_of(record(b"\x00 not json {")) is None
    assert application_of(record(b"[1, 2]")) is None
    assert application_of({}) is None
