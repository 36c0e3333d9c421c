"""Operator command for the dead-letter inbox: every dead letter becomes an alert record, then is replayed
(after a fix) or discarded.

    python -m chaos.deadletters [--offset N] [--project P] list      # drain the inbox, show open records
    python -m chaos.deadletters [...] replay ID... | --all [--topic T]  # republish, mark REPLAYED
    python -m chaos.deadletters [...] discard ID...                     # mark DISCARDED (reason kept)

The logic lives in ``mkopo.service.dead_letters`` (the console's operations page uses it too); this module
wires it to Pub/Sub and Firestore for a project. Records live in Firestore ``dead_letters/{message id}``
with the raw data, attributes, reason, consumer and status (OPEN, REPLAYED, DISCARDED).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import Any

from mkopo.service import dead_letters
from mkopo.service.dead_letters import COLLECTION, application_of, topic_of
from mkopo.service.errors import ServiceError

__all__ = ["COLLECTION", "application_of", "collect", "discard", "records", "replay", "topic_of"]


def _book(project: str) -> Any:
    from google.cloud import firestore

    from mkopo.adapters.firestore.dead_letters import FirestoreDeadLetterBook

    return FirestoreDeadLetterBook(firestore.Client(project=project))


def collect(project: str, max_batches: int = 50) -> list[dict[str, Any]]:
    """Pull everything waiting in the inbox, record each message (idempotently), then acknowledge it."""
    from mkopo.adapters.pubsub import PubSubInbox

    inbox = PubSubInbox(project)
    return dead_letters.collect(inbox, _book(project), datetime.now(UTC), max_batches)


def records(project: str, status: str | None = dead_letters.OPEN) -> list[dict[str, Any]]:
    return dead_letters.records(_book(project), status)


def replay(project: str, ids: list[str], topic: str | None = None) -> list[str]:
    """Republish stored dead letters to their topic (or ``topic``) and mark them REPLAYED."""
    from mkopo.adapters.pubsub import PubSubPublisher

    book, publisher, done = _book(project), PubSubPublisher(project), []
    for message_id in ids:
        try:
            dead_letters.replay_one(book, publisher, message_id, datetime.now(UTC), topic)
        except ServiceError as exc:
            print(f"{message_id}: {exc.detail} (pass --topic for a record without one)", file=sys.stderr)
            continue
        done.append(message_id)
    return done


def discard(project: str, ids: list[str]) -> None:
    book = _book(project)
    for message_id in ids:
        dead_letters.discard_one(book, message_id, datetime.now(UTC))


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
