"""Counted operations for ``make cost``: what one function process did that GCP bills, by kind.

Off unless ``MKOPO_METER_DIR`` names a folder (the cost run sets it); then the adapters count their
billable operations here and the entry points write the process's running totals to
``<dir>/<pid>.json`` after each invocation, for the cost run to read. Counting costs a lock and a dict
update; nothing is counted, and no file written, in the cloud.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from pathlib import Path

# Kinds counted, in the order a cost table shows them.
INVOCATIONS = "invocations"
FS_READS, FS_WRITES, FS_DELETES = "firestore_reads", "firestore_writes", "firestore_deletes"
FS_COMMITS, FS_QUERIES = "firestore_commits", "firestore_queries"
PUBLISHED, PUBLISHED_BYTES = "pubsub_published", "pubsub_published_bytes"
DELIVERED, DELIVERED_BYTES = "pubsub_delivered", "pubsub_delivered_bytes"
BQ_ROWS, BQ_BYTES, BQ_QUERIES = "bigquery_rows", "bigquery_bytes", "bigquery_queries"
SMS_MESSAGES, SMS_SEGMENTS = "sms_messages", "sms_segments"
PROVIDER_CALLS = "provider_calls"

# Pub/Sub bills each publish, push and pull request for at least this many bytes.
PUBSUB_MINIMUM_BYTES = 1000
# BigQuery's legacy streaming inserts bill each row for at least 1 KB.
BIGQUERY_MINIMUM_ROW_BYTES = 1024

# GSM 03.38: the basic table (one septet each) and the extension table (an escape plus one: two each).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

_counts: Counter[str] = Counter()
_lock = threading.Lock()


def folder() -> Path | None:
    """Where this process writes its totals, or None when metering is off."""
    named = os.environ.get("MKOPO_METER_DIR")
    return Path(named) if named else None


def count(kind: str, n: int = 1) -> None:
    """Add ``n`` operations of ``kind`` (a no-op unless metering is on)."""
    if n and folder() is not None:
        with _lock:
            _counts[kind] += n


def pubsub_bytes(size: int) -> int:
    """The bytes Pub/Sub bills for one message of ``size`` bytes sent in a request of its own."""
    return max(PUBSUB_MINIMUM_BYTES, size)


def gsm7(text: str) -> bool:
    """Whether ``text`` goes as GSM-7: one character outside both tables sends all of it as UCS-2."""
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text)


def sms_segments(text: str) -> int:
    """SMS segments a text takes: 160 GSM-7 septets in one (153 each when split), else 70 UCS-2 (67)."""
    if gsm7(text):
        size, single, multi = sum(2 if ch in _GSM7_EXTENSION else 1 for ch in text), 160, 153
    else:
        size, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if size <= single else -(-size // multi)


def bigquery_row_bytes(row: dict[str, object]) -> int:
    """What a streamed row is billed as: its JSON size, at least 1 KB."""
    return max(BIGQUERY_MINIMUM_ROW_BYTES, len(json.dumps(row, default=str)))


def flush() -> None:
    """Write this process's totals so far (atomically: the reader never sees half a file)."""
    where = folder()
    if where is None:
        return
    with _lock:
        snapshot = dict(_counts)
    where.mkdir(parents=True, exist_ok=True)
    tmp = where / f".{os.getpid()}.tmp"
    tmp.write_text(json.dumps(snapshot, sort_keys=True))
    tmp.replace(where / f"{os.getpid()}.json")


def invoked() -> None:
    """One invocation of this process's function, counted and flushed (its operations are counted)."""
    count(INVOCATIONS)
    flush()
