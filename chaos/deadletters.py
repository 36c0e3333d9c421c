"""Operator command for the dead-letter inbox: every dead letter becomes an alert record, then is replayed
(after a fix) or discarded.

    python -m chaos.deadletters [--offset N] [--project P] list      # drain the inbox, show open records
    python -m chaos.deadletters [...] replay ID... | --all [--topic T]  # republish, mark REPLAYED
    python -m chaos.deadletters [...] discard ID...                     # mark DISCARDED (reason kept)

Records live in Firestore ``dead_letters/{message id}`` with the raw data, attributes, reason, consumer and
status (OPEN, REPLAYED, DISCARDED): an operator (or an alert) reads them there; nothing stays unreported.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from mkopo import topology

COLLECTION = "dead_letters"


def _clients(project: str) -> tuple[Any, Any, Any]:
    from google.cloud import firestore, pubsub_v1

    return firestore.Client(project=project), pubsub_v1.SubscriberClient(), pubsub_v1.PublisherClient()


def collect(project: str, max_batches: int = 50) -> list[dict[str, Any]]:
    """Pull everything waiting in the inbox, record each message (idempotently), then acknowledge it."""
    db, subscriber, _ = _clients(project)
    inbox = subscriber.subscription_path(project, topology.DEAD_LETTER_INBOX)
    recorded: list[dict[str, Any]] = []
    try:
        for _ in range(max_batches):
            response = subscriber.pull(
                request={"subscription": inbox, "max_messages": 100, "return_immediately": True}, timeout=10
            )
            if not response.received_messages:
                break
            for received in response.received_messages:
                msg = received.message
                attrs = dict(msg.attributes)
                record = {
                    "message_id": msg.message_id,
                    "data_b64": base64.b64encode(msg.data).decode(),
                    "attributes": attrs,
                    "consumer": attrs.get("consumer")
                    or attrs.get("CloudPubSubDeadLetterSourceSubscription", "?"),
                    "reason": attrs.get("reason") or "max delivery attempts exceeded",
                    "topic": topic_of(msg.data),
                    "status": "OPEN",
                    "recorded_at": datetime.now(UTC),
                }
                db.collection(COLLECTION).document(msg.message_id).set(record)
                recorded.append(record)
            subscriber.acknowledge(
                request={"subscription": inbox, "ack_ids": [r.ack_id for r in response.received_messages]}
            )
    finally:
        subscriber.close()
    return recorded


def topic_of(data: bytes) -> str | None:
    """The topic a dead-lettered domain event belongs on (its event_type), if the data says."""
    try:
        event_type = json.loads(data).get("event_type")
    except (ValueError, AttributeError):
        return None
    return event_type if event_type in topology.EVENT_TOPICS else None


def application_of(record: dict[str, Any]) -> str | None:
    """The application a recorded dead letter is about, if its data is an event naming one."""
    try:
        value = json.loads(base64.b64decode(record.get("data_b64", "")))
    except ValueError:
        return None
    return value.get("application_id") if isinstance(value, dict) else None


def records(project: str, status: str | None = "OPEN") -> list[dict[str, Any]]:
    from google.cloud import firestore

    query: Any = firestore.Client(project=project).collection(COLLECTION)
    if status:
        query = query.where(filter=firestore.FieldFilter("status", "==", status))
    return [s.to_dict() or {} for s in query.stream()]


def replay(project: str, ids: list[str], topic: str | None = None) -> list[str]:
    """Republish stored dead letters to their topic (or ``topic``) and mark them REPLAYED."""
    db, _, publisher = _clients(project)
    done = []
    for message_id in ids:
        ref = db.collection(COLLECTION).document(message_id)
        doc = ref.get().to_dict()
        target = topic or (doc or {}).get("topic")
        if not doc or not target:
            print(f"{message_id}: unknown record or no topic (pass --topic)", file=sys.stderr)
            continue
        attrs = {k: v for k, v in doc["attributes"].items() if k in {"event_type", "event_id"}}
        data = base64.b64decode(doc["data_b64"])
        publisher.publish(publisher.topic_path(project, target), data, **attrs, replayed="true").result(
            timeout=30
        )
        ref.update({"status": "REPLAYED", "replayed_at": datetime.now(UTC), "replayed_to": target})
        done.append(message_id)
    return done


def discard(project: str, ids: list[str]) -> None:
    from google.cloud import firestore

    db = firestore.Client(project=project)
    for message_id in ids:
        db.collection(COLLECTION).document(message_id).update({"status": "DISCARDED"})


def _environment(offset: int | None) -> None:
    if offset is None:
        return
    os.environ["PUBSUB_EMULATOR_HOST"] = f"127.0.0.1:{8085 + offset}"
    os.environ["FIRESTORE_EMULATOR_HOST"] = f"127.0.0.1:{8086 + offset}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="dead-letter inbox: list, replay, discard")
    parser.add_argument("--project", default=os.environ.get("MKOPO_PROJECT_ID", "mkopo-local"))
    parser.add_argument("--offset", type=int, default=None, help="local stack port offset (0 = make dev)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list")
    rp = sub.add_parser("replay")
    rp.add_argument("ids", nargs="*")
    rp.add_argument("--all", action="store_true")
    rp.add_argument("--topic")
    dp = sub.add_parser("discard")
    dp.add_argument("ids", nargs="+")
    args = parser.parse_args(argv)
    _environment(args.offset)
    if args.command == "list":
        collect(args.project)
        for r in records(args.project):
            print(f"{r['message_id']}  {r.get('topic') or '-':20}  {r['consumer']:28}  {r['reason'][:60]}")
    elif args.command == "replay":
        ids = [r["message_id"] for r in records(args.project)] if args.all else args.ids
        print("replayed:", " ".join(replay(args.project, ids, args.topic)))
    else:
        discard(args.project, args.ids)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
