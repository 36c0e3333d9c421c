import ast
import base64
import json
from pathlib import Path

import pytest

from mkopo import topology
from mkopo.domain.events import CheckoutSubmitted, DomainEvent, LoanApproved
from mkopo.entrypoints import pubsub
from mkopo.service.errors import TransientFailure
from tests.factories import checkout_submitted
from tests.unit.conftest import NOW
from tests.unit.fakes import FakePublisher

MAIN = Path(__file__).resolve().parents[2] / "functions" / "main.py"


def push_body(payload: object) -> dict:
    data = base64.b64encode(json.dumps(payload).encode()).decode()
    return {"message": {"data": data, "messageId": "1", "attributes": {}}}


def submitted() -> CheckoutSubmitted:
    return checkout_submitted("a1", NOW, borrower_id="u1", amount_minor=100)


def test_a_good_event_reaches_the_handler() -> None:
    seen: list[DomainEvent] = []
    pub = FakePublisher()
    pubsub.handle("scoring", push_body(submitted().payload()), seen.append, lambda: pub, CheckoutSubmitted)
    assert seen == [submitted()] and pub.raw == []


@pytest.mark.parametrize(
    "body",
    [
        {"message": {"data": "%%%not-base64"}},
        {"message": {}},
        push_body("a string"),
        push_body({"event_type": "loan_exploded"}),
        push_body({"event_type": "checkout_submitted", "application_id": "a1"}),
    ],
)
def test_poison_messages_go_to_the_dead_letter_topic_and_are_acked(body: dict) -> None:
    pub = FakePublisher()
    seen: list[DomainEvent] = []
    pubsub.handle("scoring", body, seen.append, lambda: pub, CheckoutSubmitted)
    assert seen == []
    [(topic, _, attributes)] = pub.raw
    assert topic == topology.DEAD_LETTER and attributes["consumer"] == "scoring" and attributes["reason"]


def test_an_event_for_another_consumer_is_dead_lettered() -> None:
    pub = FakePublisher()
    pubsub.handle("disbursement", push_body(submitted().payload()), lambda e: None, lambda: pub, LoanApproved)
    assert [t for t, _, _ in pub.raw] == [topology.DEAD_LETTER]


def test_transient_failures_raise_so_pubsub_redelivers() -> None:
    def flaky(_: DomainEvent) -> None:
        raise TransientFailure("provider busy")

    with pytest.raises(TransientFailure):
        pubsub.handle("scoring", push_body(submitted().payload()), flaky, FakePublisher, CheckoutSubmitted)


def test_event_ids_are_deterministic_per_application_and_type() -> None:
    assert submitted().event_id == submitted().event_id
    other = CheckoutSubmitted.new(
        application_id="a2",
        occurred_at=NOW,
        borrower_id="u1",
        lender="l",
        product="p",
        amount_minor=100,
        currency="KES",
        term_days=30,
    )
    assert other.event_id != submitted().event_id


def test_every_topology_entry_point_exists_in_main_with_the_right_decorator() -> None:
    tree = ast.parse(MAIN.read_text())
    decorators = {
        node.name: {ast.unparse(d) for d in node.decorator_list}
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }
    for fn in topology.FUNCTIONS:
        expected = "functions_framework.cloud_event" if fn.trigger == "pubsub" else "functions_framework.http"
        assert expected in decorators.get(fn.entry_point, set()), fn


def test_topology_is_consistent() -> None:
    names = [s.name for s in topology.subscriptions()]
    assert len(names) == len(set(names))
    assert {s.topic for s in topology.subscriptions()} <= set(topology.TOPICS) - {topology.DEAD_LETTER}
    for topic in topology.EVENT_TOPICS:
        assert any(s.topic == topic for s in topology.subscriptions() if s.function.name == "exporter")
    assert topology.route_for("/v1/applications/abc").name == "status"  # type: ignore[union-attr]
    assert topology.route_for("/v1/auth/login").name == "auth"  # type: ignore[union-attr]
    assert topology.route_for("/v1/offersx") is None
    assert topology.route_for("/admin") is None


def test_payout_reference_is_a_stable_uuid4() -> None:
    import uuid

    from mkopo.service.disbursements import payout_reference

    ref = payout_reference("app-1")
    assert uuid.UUID(ref).version == 4 and ref == payout_reference("app-1") != payout_reference("app-2")


def test_cloud_settings_refuse_to_sign_without_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from mkopo.config import Settings

    monkeypatch.setenv("MKOPO_ENVIRONMENT", "cloud")
    settings = Settings()  # a function without the JWT secret still starts
    with pytest.raises(RuntimeError):
        settings.signing_keys()
    monkeypatch.setenv("MKOPO_JWT_SECRET", "from-secret-manager-at-least-32-chars")
    assert Settings().signing_keys() == ("k1", {"k1": "from-secret-manager-at-least-32-chars"})


def test_a_function_process_imports_only_its_own_entrypoint_and_no_cloud_client() -> None:
    """Cold start: main.py builds one app lazily, from the container, without creating any client."""
    import os
    import subprocess
    import sys

    script = f"""
import sys
from functions_framework import create_app
client = create_app("payment_callbacks", {str(MAIN)!r}).test_client()
assert client.post("/v1/callbacks/mpesa/b2c/app-1/" + "0" * 40, json={{}}).status_code == 404
assert client.post("/v1/callbacks/mpesa/b2c/app-1/" + "0" * 40, json={{}}).status_code == 404
loaded = sorted(m for m in sys.modules if m.startswith("mkopo.entrypoints.") or m == "google.cloud.firestore")
print(" ".join(loaded))
"""
    root = MAIN.parents[1]
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": f"{root / 'shared'}:{root / 'functions'}:{root}"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    out = run.stdout
    assert "mkopo.entrypoints.callbacks_api" in out.split()
    assert not {"mkopo.entrypoints.auth_api", "mkopo.entrypoints.consumers", "google.cloud.firestore"} & set(
        out.split()
    )
