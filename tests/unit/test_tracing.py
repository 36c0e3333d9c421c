"""One trace per loan, in process: traceparent in and out, across Pub/Sub, the outbox relay, a redelivery
and a provider's callback; every log line carries it; the waterfall reads the spans."""

from __future__ import annotations

import io
import json
import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest

from mkopo import topology, trace_view, tracing
from mkopo.entrypoints.consumers import create_consumers
from mkopo.http.logs import CloudLoggingFormatter
from mkopo.http.routing import HttpSettings, Reply, Router
from mkopo.service.outbox import relay
from tests.unit.conftest import World
from tests.unit.fake_container import FakeContainer, deliver, http_client, push_body, recorded_push


@dataclass
class Recorder:
    spans: list[tracing.Span] = field(default_factory=list)

    def export(self, span: tracing.Span) -> None:
        self.spans.append(span)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    monkeypatch.setattr(tracing, "_exporter", rec)
    return rec


@pytest.fixture
def log_lines() -> Any:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(CloudLoggingFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(previous)


def a_trace() -> tracing.TraceContext:
    return tracing.TraceContext(uuid.uuid4().hex, uuid.uuid4().hex[:16])


def test_traceparent_round_trips_and_bad_values_start_nothing() -> None:
    ctx = a_trace()
    assert tracing.parse_traceparent(ctx.traceparent) == ctx
    assert tracing.parse_traceparent(f"00-{ctx.trace_id}-{ctx.span_id}-00") == tracing.TraceContext(
        ctx.trace_id, ctx.span_id, sampled=False
    )
    for bad in ("", "garbage", f"01-{ctx.trace_id}-{ctx.span_id}-01", f"00-{'0' * 32}-{ctx.span_id}-01"):
        assert tracing.parse_traceparent(bad) is None


def test_the_cloud_trace_header_is_read_with_its_decimal_span_id() -> None:
    trace_id = uuid.uuid4().hex
    ctx = tracing.from_headers({"X-Cloud-Trace-Context": f"{trace_id.upper()}/255;o=1"})
    assert ctx == tracing.TraceContext(trace_id, "00000000000000ff", True)
    assert tracing.from_headers({}) is None


def test_spans_nest_and_a_new_trace_starts_without_a_parent(recorder: Recorder) -> None:
    with tracing.span("outer") as outer, tracing.span("inner") as inner:
        assert tracing.current() is inner
    assert inner.context.trace_id == outer.context.trace_id
    assert inner.parent_span_id == outer.context.span_id and outer.parent_span_id is None
    assert [s.name for s in recorder.spans] == ["inner", "outer"]
    assert tracing.current() is None


def test_every_log_line_in_a_span_carries_the_trace(log_lines: Any) -> None:
    ctx = a_trace()
    with tracing.span("hop", ctx) as hop:
        logging.getLogger("t").info("inside")
    logging.getLogger("t").info("outside")
    inside, outside = log_lines()[-2:]
    assert inside["logging.googleapis.com/trace"].endswith(f"/traces/{ctx.trace_id}")
    assert inside["logging.googleapis.com/spanId"] == hop.context.span_id
    assert "logging.googleapis.com/trace" not in outside


def run_journey(
    world: World, parent: tracing.TraceContext, phone: str = "+254700000033"
) -> tuple[str, FakeContainer]:
    """Checkout inside a request span continuing ``parent``, then each step from its recorded push."""
    container = FakeContainer(world)
    consumers = create_consumers(container)
    with tracing.span("POST /v1/checkout", parent):
        app_id = world.submit(world.user(phone), world.offer(), key=phone).body["application_id"]
    for topic, consume in [
        (topology.CHECKOUT_SUBMITTED, consumers.score),
        (topology.APPLICATION_SCORED, consumers.decide),
        (topology.LOAN_APPROVED, consumers.disburse),
    ]:
        assert deliver(consume, recorded_push(world.publisher, topic), topic) == 200
    return str(app_id), container


def test_one_trace_from_checkout_to_disbursed(world: World, recorder: Recorder, log_lines: Any) -> None:
    parent = a_trace()
    app_id, _ = run_journey(world, parent)
    assert world.application(app_id).trace is not None
    assert {a[tracing.ATTRIBUTE][3:35] for _, _, a in world.publisher.published} == {parent.trace_id}
    assert {s.context.trace_id for s in recorder.spans} == {parent.trace_id}
    assert {s.name for s in recorder.spans} >= {
        "POST /v1/checkout",
        "consume checkout_submitted",
        "consume application_scored",
        "consume loan_approved",
    }
    traced = [line for line in log_lines() if "logging.googleapis.com/trace" in line]
    assert traced and {line["logging.googleapis.com/trace"][-32:] for line in traced} == {parent.trace_id}


def test_a_redelivery_continues_the_same_trace(world: World, recorder: Recorder) -> None:
    parent = a_trace()
    consumers = create_consumers(FakeContainer(world))
    with tracing.span("checkout", parent):
        world.submit(world.user("+254700000031"), world.offer(), key=str(uuid.uuid4()))
    body = recorded_push(world.publisher, topology.CHECKOUT_SUBMITTED)
    assert [deliver(consumers.score, body), deliver(consumers.score, body)] == [200, 200]
    deliveries = [s for s in recorder.spans if s.name == "consume checkout_submitted"]
    assert len(deliveries) == 2
    assert {s.context.trace_id for s in deliveries} == {parent.trace_id}
    assert len({s.context.span_id for s in deliveries}) == 2


def test_the_outbox_keeps_the_trace_and_the_relay_continues_it(world: World, recorder: Recorder) -> None:
    parent = a_trace()
    world.publisher.fail = True  # the commit happened, the publish did not: left to the relay
    with tracing.span("checkout", parent) as checkout_span, pytest.raises(ConnectionError):
        world.submit(world.user("+254700000032"), world.offer(), key=str(uuid.uuid4()))
    [item] = [i for i in world.store.col("outbox").values() if not i.sent]
    assert item.traceparent == checkout_span.context.traceparent
    world.publisher.fail = False
    later = world.now + timedelta(seconds=30)
    assert (
        relay(store=world.store, publisher=world.publisher, now=later, older_than=timedelta(seconds=10)) == 1
    )
    [(_, _, attributes)] = world.publisher.published
    [relayed] = [s for s in recorder.spans if s.name == "relay checkout_submitted"]
    assert relayed.context.trace_id == parent.trace_id
    assert relayed.parent_span_id == checkout_span.context.span_id
    assert attributes[tracing.ATTRIBUTE] == relayed.context.traceparent
    [hop] = trace_view.hops([relayed.as_record()])
    assert hop.queue_ms == pytest.approx((relayed.start_ns - item.created_at.timestamp() * 1e9) / 1e6, abs=1)


def test_a_callback_that_started_its_own_trace_joins_the_loans(world: World, recorder: Recorder) -> None:
    parent = a_trace()
    app = world.application(run_journey(world, parent)[0])
    with tracing.span("POST /v1/callbacks/...") as callback:
        assert callback.context.trace_id != parent.trace_id
        with tracing.joined(app.trace, "settle"):
            assert tracing.current() is callback and callback.context.trace_id == parent.trace_id
        with tracing.span("later") as nested:
            assert nested.context.trace_id == parent.trace_id
            nested.adopt(a_trace())
            assert nested.context.trace_id == parent.trace_id  # a child never moves


def test_the_waterfall_shows_queue_wait_and_work() -> None:
    trace_id, app_id = uuid.uuid4().hex, str(uuid.uuid4())
    base = 1_800_000_000_000_000_000
    spans = [
        {"trace_id": trace_id, "span_id": "a" * 16, "service": "checkout", "name": "POST /checkout",
         "start_ns": base, "end_ns": base + 20_000_000, "attributes": {"application_id": app_id}},
        {"trace_id": trace_id, "span_id": "b" * 16, "service": "scoring", "name": "consume x",
         "start_ns": base + 50_000_000, "end_ns": base + 58_000_000,
         "attributes": {"publish_time": "2027-01-15T08:00:00.010Z"}},
        {"trace_id": uuid.uuid4().hex, "span_id": "c" * 16, "service": "other", "name": "x",
         "start_ns": base, "end_ns": base + 1, "attributes": {"application_id": "another"}},
    ]  # fmt: skip
    rows = trace_view.hops(trace_view.trace_of(spans, app_id))
    assert [(h.service, h.start_ms, h.work_ms) for h in rows] == [
        ("checkout", 0.0, 20.0),
        ("scoring", 50.0, 8.0),
    ]
    assert rows[0].queue_ms is None and rows[1].queue_ms == pytest.approx(40.0)
    text = trace_view.render(rows)
    assert "scoring consume x" in text and "other" not in text
    assert trace_view.attribution(rows)["scoring"] == {
        "hops": 1,
        "queue_ms": pytest.approx(40.0),
        "work_ms": 8.0,
    }
    assert trace_view.milestones(rows) == {}  # neither a decision nor a payout in this trace
    decided = [*rows, replace(rows[1], service="confirm-payment", start_ms=70.0, work_ms=5.0)]
    assert trace_view.milestones(decided) == {"decision_ms": 75.0}
    assert "decision: 75 ms" in trace_view.summary(decided)


def router_with_one_route() -> Router:
    router = Router(settings=HttpSettings)

    @router.route("GET", "/v1/things/{thing_id}")
    def thing(request: Any, thing_id: str) -> Reply:
        logging.getLogger("t").info("serving %s", thing_id)
        return Reply(200, {"id": thing_id})

    return router


def test_a_request_continues_the_callers_trace_and_answers_its_own_span(
    recorder: Recorder, log_lines: Any
) -> None:
    parent = a_trace()
    reply = http_client(router_with_one_route()).get(
        "/v1/things/abc", headers={"traceparent": parent.traceparent}
    )
    answered = tracing.parse_traceparent(reply.headers["traceparent"])
    assert (
        answered is not None and answered.trace_id == parent.trace_id and answered.span_id != parent.span_id
    )
    [span] = recorder.spans
    assert span.name == "GET /v1/things/{thing_id}" and span.parent_span_id == parent.span_id
    assert {line["logging.googleapis.com/spanId"] for line in log_lines()} == {answered.span_id}


def test_a_request_without_a_trace_starts_one(recorder: Recorder) -> None:
    reply = http_client(router_with_one_route()).get("/v1/things/abc")
    answered = tracing.parse_traceparent(reply.headers["traceparent"])
    assert answered is not None and recorder.spans[0].parent_span_id is None


def test_opentelemetry_exports_our_ids_times_and_parent() -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from mkopo.adapters.trace_export import OpenTelemetryExporter

    memory = InMemorySpanExporter()
    exporter = OpenTelemetryExporter(memory, "scoring")
    parent = a_trace()
    span = tracing.start("consume checkout_submitted", parent, application_id="app-1")
    tracing.finish(span)  # discarded: the default exporter
    exporter.export(span)
    root = tracing.start("GET /", None)
    root.end_ns = root.start_ns + 5
    exporter.export(root)
    child, top = memory.get_finished_spans()
    assert f"{child.context.trace_id:032x}" == parent.trace_id
    assert f"{child.context.span_id:016x}" == span.context.span_id
    assert child.parent is not None and f"{child.parent.span_id:016x}" == parent.span_id
    assert child.start_time == span.start_ns and child.attributes["application_id"] == "app-1"
    assert f"{top.context.trace_id:032x}" == root.context.trace_id and top.parent is None
    assert top.resource.attributes["service.name"] == "scoring"


def test_the_file_exporter_appends_one_json_line_per_span(tmp_path: Any) -> None:
    from mkopo.adapters.trace_export import FileSpanExporter

    path = tmp_path / "spans.jsonl"
    exporter = FileSpanExporter(path)
    spans = [tracing.start(f"hop {n}", a_trace(), application_id="a") for n in range(3)]
    for span in spans:
        tracing.finish(span)
        exporter.export(span)
    records = trace_view.read_spans(path)
    assert [r["span_id"] for r in records] == [s.context.span_id for s in spans]
    assert all(r["end_ns"] >= r["start_ns"] for r in records)


def test_a_job_settling_a_loan_publishes_in_the_loans_trace(recorder: Recorder) -> None:
    loan_trace = a_trace()
    with tracing.joined(loan_trace.traceparent, "APPROVED to DISBURSED"):
        first = tracing.current_traceparent()
    with tracing.joined(a_trace().traceparent, "APPROVED to DISBURSED"):
        second = tracing.current_traceparent()
    assert first is not None and first.split("-")[1] == loan_trace.trace_id
    assert second is not None and second.split("-")[1] != loan_trace.trace_id  # each loan its own trace
    assert [s.service for s in recorder.spans if s.name == "APPROVED to DISBURSED"] == ["mkopo", "mkopo"]


def test_a_dead_lettered_message_keeps_its_trace(world: World) -> None:
    consumers = create_consumers(FakeContainer(world))
    parent = a_trace()
    body = push_body(b"{not json", {"traceparent": parent.traceparent, "event_type": "x"})
    assert deliver(consumers.score, body) == 200
    [(_, _, attributes)] = world.publisher.raw
    assert attributes[tracing.ATTRIBUTE].split("-")[1] == parent.trace_id


def test_a_ussd_session_is_one_trace_down_to_its_loan(world: World, recorder: Recorder) -> None:
    from tests.unit.test_ussd_api import Phone

    container = FakeContainer(world)
    phone = Phone(container, session_id=f"ATUid_{uuid.uuid4().hex[:8]}", phone="+254700000034")
    phone.dial()
    phone.send("2")
    first, *later = [s.context.trace_id for s in recorder.spans if s.name == "POST /v1/ussd"]
    assert later and set(later) == {first}
    other = Phone(container, session_id=f"ATUid_{uuid.uuid4().hex[:8]}", phone="+254700000035")
    other.dial()
    assert recorder.spans[-1].context.trace_id != first  # another session, another trace


def test_spans_go_to_the_file_locally_to_cloud_trace_in_the_cloud_else_nowhere(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mkopo import bootstrap, config
    from mkopo.adapters.trace_export import FileSpanExporter

    path = str(tmp_path / "spans.jsonl")
    assert config.trace_exporter(config.Settings(environment="local")) == "none"
    assert config.trace_exporter(config.Settings(environment="local", trace_file=path)) == "file"
    assert config.trace_exporter(config.Settings.model_construct(environment="cloud")) == "cloud-trace"
    assert config.trace_exporter(config.Settings(trace_exporter="none", trace_file=path)) == "none"
    monkeypatch.setattr(tracing, "_exporter", tracing._Discard())
    bootstrap.configure_tracing(config.Settings(environment="local", trace_file=path))
    assert isinstance(tracing._exporter, FileSpanExporter)
    with tracing.span("hop", a_trace()):
        pass
    assert [r["name"] for r in trace_view.read_spans(tmp_path / "spans.jsonl")] == ["hop"]
