"""The chaos scenarios. Each drives the stack, injects its fault and returns the accepted application ids
plus how many dead letters it causes on purpose; ``chaos.run`` then checks the invariants."""

from __future__ import annotations

import base64
import functools
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from bench import driver
from bench.population import Applicant, approvable_phones, seed_applicants

from chaos import deadletters
from chaos.harness import ChaosStack


@dataclass
class Size:
    borrowers: int
    per_borrower: int  # conflicting checkouts per borrower (distinct keys): exactly one may be approved
    duplicate_share: float  # share of requests sent again with the same Idempotency-Key
    small: int  # applications in the fault scenarios
    repaying: int  # borrowers per market (Kenya, Uganda) who borrow and repay in the repayments scenario


SHORT = Size(borrowers=12, per_borrower=4, duplicate_share=0.25, small=8, repaying=3)
LONG = Size(borrowers=100, per_borrower=10, duplicate_share=0.2, small=40, repaying=20)


@dataclass
class Run:
    accepted: list[str]
    expected_dead_letters: int = 0
    repaid: list[str] = field(default_factory=list)  # loans paid in full: each must end REPAID
    notes: dict[str, Any] = field(default_factory=dict)
    cleanup: Callable[[], None] | None = None  # after the invariants (e.g. turn sandbox faults off)


def _setup(cs: ChaosStack, count: int, start: int) -> tuple[list[Applicant], str, httpx.Client]:
    cs.reset()
    who = seed_applicants(cs.db, approvable_phones(count, start=start))
    client = driver.http_client(cs.stack.gateway_url)
    return who, driver.fetch_offer_id(client), client


def _checkout_retrying(client: httpx.Client, who: Applicant, offer: str, key: str) -> driver.Outcome:
    """What a phone app does when the answer is lost: retry with the same Idempotency-Key."""
    outcome = driver.checkout(client, who, offer, key)
    for _ in range(5):
        if outcome.status not in (0, 502, 503, 504):
            break
        time.sleep(1)
        outcome = driver.checkout(client, who, offer, key)
    return outcome


def load(cs: ChaosStack, size: Size) -> Run:
    """Many borrowers at once; each sends conflicting checkouts (many keys) and some duplicates (same key)."""
    who, offer, client = _setup(cs, size.borrowers, 1_000_000)
    rng = random.Random(7)
    requests = [(a, str(uuid.uuid4())) for a in who for _ in range(size.per_borrower)]
    requests += rng.sample(requests, int(len(requests) * size.duplicate_share))
    rng.shuffle(requests)
    tasks = [lambda a=a, k=k: _checkout_retrying(client, a, offer, k) for a, k in requests]
    outcomes = driver.run_concurrent(tasks, min(100, size.borrowers))
    by_key: dict[str, set[str]] = {}
    for o in outcomes:
        if o.application_id:
            by_key.setdefault(o.key, set()).add(o.application_id)
    accepted = sorted({i for ids in by_key.values() for i in ids})
    return Run(
        accepted,
        notes={
            "requests": len(requests),
            "refused": sum(1 for o in outcomes if o.status != 202),
            "duplicate_keys_with_two_applications": sum(1 for ids in by_key.values() if len(ids) > 1),
            "borrowers": size.borrowers,
        },
    )


def approved_per_borrower(db: Any, accepted: Sequence[str]) -> dict[str, int]:
    """How many of each borrower's applications were approved (APPROVED or later)."""
    counts: dict[str, int] = {}
    for doc in driver.read_applications(db, accepted).values():
        won = doc.get("status") in {"APPROVED", "DISBURSED", "DISBURSEMENT_FAILED"}
        counts[doc["borrower_id"]] = counts.get(doc["borrower_id"], 0) + int(won)
    return counts


def _publisher() -> Any:
    from google.cloud import pubsub_v1

    return pubsub_v1.PublisherClient()


def _republish(publisher: Any, project: str, doc_id: str, doc: dict[str, Any]) -> None:
    data = json.dumps(doc["payload"], separators=(",", ":"), sort_keys=True).encode()
    topic = publisher.topic_path(project, doc["topic"])
    publisher.publish(topic, data, event_type=doc["topic"], event_id=doc_id, duplicate="true").result(
        timeout=30
    )


def at_least_once(cs: ChaosStack, size: Size) -> Run:
    """Every event delivered again, at a random moment while the pipeline runs; then all again, reversed."""
    who, offer, client = _setup(cs, size.small * 2, 2_000_000)
    project, publisher, rng = cs.stack.project, _publisher(), random.Random(11)
    seen: set[str] = set()
    stop = threading.Event()
    timers: list[threading.Timer] = []

    def duplicator() -> None:
        while not stop.is_set():
            for snap in cs.db.collection("outbox").stream():
                if snap.id not in seen:
                    seen.add(snap.id)
                    doc = snap.to_dict() or {}
                    timer = threading.Timer(
                        rng.uniform(0, 1.5), _republish, (publisher, project, snap.id, doc)
                    )
                    timers.append(timer)
                    timer.start()
            time.sleep(0.3)

    thread = threading.Thread(target=duplicator, daemon=True)
    thread.start()
    outcomes = driver.run_concurrent([functools.partial(driver.checkout, client, a, offer) for a in who], 10)
    accepted = [o.application_id for o in outcomes if o.application_id]
    driver.wait_terminal(cs.db, accepted, 90)
    time.sleep(2)
    stop.set()
    thread.join()
    for timer in timers:
        timer.join()
    everything = [(s.id, s.to_dict() or {}) for s in cs.db.collection("outbox").stream()]
    for doc_id, doc in reversed(everything):
        _republish(publisher, project, doc_id, doc)
    time.sleep(5)
    return Run(accepted, notes={"republished": len(timers) + len(everything)})


CRASH_FAULTS = (
    "scoring.before_write:2,outbox.before_publish@confirm_payment:2,"
    "disbursement.after_provider:2,outbox.before_publish@checkout:1"
)
CRASHING = ("scoring", "confirm-payment", "disbursement", "checkout")  # the functions armed above


def crashes(cs: ChaosStack, size: Size) -> Run:
    """Function processes killed mid-handler (before the write, between write and publish, after the payout
    call); gunicorn starts a new worker, Pub/Sub redelivers and the outbox relay publishes what was left."""
    marker_dir = cs.stack.run_dir / f"faults-{uuid.uuid4().hex[:8]}"
    phases = [time.monotonic()]
    cs.restart_functions({"MKOPO_FAULTS": CRASH_FAULTS, "MKOPO_FAULTS_DIR": str(marker_dir)}, CRASHING)
    try:
        who, offer, client = _setup(cs, size.small, 3_000_000)
        phases.append(time.monotonic())
        outcomes = driver.run_concurrent(
            [functools.partial(_checkout_retrying, client, a, offer, str(uuid.uuid4())) for a in who], 4
        )
        phases.append(time.monotonic())
        accepted = [o.application_id for o in outcomes if o.application_id]
        driver.wait_terminal(cs.db, accepted, 90)
        phases.append(time.monotonic())
        crashed = sorted(p.name for p in marker_dir.glob("*")) if marker_dir.exists() else []
    finally:
        cs.restart_functions({}, CRASHING)
        phases.append(time.monotonic())
    seconds = [round(b - a, 1) for a, b in itertools.pairwise(phases)]
    timing = dict(zip(("restart_s", "checkout_s", "settle_s", "restore_s"), seconds, strict=False))
    return Run(accepted, notes={"crashes": len(crashed), "checkpoints": crashed} | timing)


def poison(cs: ChaosStack, size: Size) -> Run:
    """Garbage, and an event for an application that does not exist (yet), land in the dead-letter inbox;
    the operator command lists them; the application is restored (the fix), the event replayed, garbage
    dropped.
    """
    from mkopo.adapters.firestore import FirestoreTransaction
    from mkopo.domain.applications import Application, Status, TimelineEntry
    from mkopo.domain.events import CheckoutSubmitted
    from mkopo.domain.offers import Offer

    who, offer_id, _ = _setup(cs, 1, 5_000_000)
    project, publisher = cs.stack.project, _publisher()
    topic = publisher.topic_path(project, "checkout_submitted")
    publisher.publish(topic, b"\x00 not json {").result(timeout=30)
    offer = Offer.model_validate(cs.db.collection("offers").document(offer_id).get().to_dict())
    now = datetime.now(UTC)
    app_id = str(uuid.uuid4())
    event = CheckoutSubmitted.new(
        application_id=app_id,
        occurred_at=now,
        borrower_id=who[0].user_id,
        lender=offer.provider,
        product=offer.product,
        amount_minor=offer.principal.minor,
        currency=offer.principal.currency,
        term_days=offer.term_days,
    )
    data = json.dumps(event.payload(), separators=(",", ":"), sort_keys=True).encode()
    publisher.publish(topic, data, **event.attributes()).result(timeout=30)
    time.sleep(6)  # consumers dead-letter at once
    listed = deadletters.collect(project)
    # The fix: the application is restored (as if from a backup), then the stuck event is replayed.
    app = Application(
        id=app_id,
        borrower_id=who[0].user_id,
        phone=who[0].phone,
        offer=offer,
        status=Status.SUBMITTED,
        timeline=[TimelineEntry(status=Status.SUBMITTED, at=now)],
        created_at=now,
        updated_at=now,
    )
    batch = cs.db.batch()
    FirestoreTransaction(cs.db, batch).create_application(app)
    batch.commit()
    replayable = [r["message_id"] for r in listed if r["topic"]]
    garbage = [r["message_id"] for r in listed if not r["topic"]]
    deadletters.replay(project, replayable)
    deadletters.discard(project, garbage)
    driver.wait_terminal(cs.db, [app_id], 60)
    raw = {r["message_id"]: base64.b64decode(r["data_b64"])[:20].decode(errors="replace") for r in listed}
    return Run(
        [app_id],
        expected_dead_letters=len(listed),
        notes={
            "dead_lettered": len(listed),
            "replayed": len(replayable),
            "discarded": len(garbage),
            "raw": raw,
        },
    )
