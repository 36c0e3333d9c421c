"""The metered Firestore client counts what Firestore bills, on the emulator (make cost relies on it)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from google.api_core import exceptions as gexc
from google.cloud import firestore

from mkopo import metering
from mkopo.adapters.firestore.metered import MeteredClient

pytestmark = pytest.mark.integration


@pytest.fixture
def counts(
    emulators: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> metering.Counter[str]:
    monkeypatch.setenv("MKOPO_METER_DIR", str(tmp_path))
    fresh: metering.Counter[str] = metering.Counter()
    monkeypatch.setattr(metering, "_counts", fresh)
    return fresh


def test_reads_writes_deletes_and_empty_queries(
    emulators: dict[str, str], counts: metering.Counter[str]
) -> None:
    db = MeteredClient(project=emulators["project_id"])
    col = f"metered-{uuid.uuid4().hex[:8]}"
    batch = db.batch()
    for i in range(3):
        batch.set(db.collection(col).document(str(i)), {"n": i})
    batch.commit()
    assert counts[metering.FS_WRITES] == 3 and counts[metering.FS_COMMITS] == 1

    db.collection(col).document("0").get()
    list(db.get_all([db.collection(col).document("1"), db.collection(col).document("missing")]))
    assert counts[metering.FS_READS] == 3  # a missing document is billed as a read too

    assert len(list(db.collection(col).where(filter=firestore.FieldFilter("n", ">=", 1)).stream())) == 2
    list(db.collection(col).where(filter=firestore.FieldFilter("n", ">", 9)).stream())
    assert counts[metering.FS_READS] == 3 + 2 + 1  # an empty query still costs one read

    @firestore.transactional
    def bump(tx: firestore.Transaction) -> None:
        snap = db.collection(col).document("2").get(transaction=tx)
        tx.update(snap.reference, {"n": 20})
        tx.delete(db.collection(col).document("0"))

    bump(db.transaction())
    assert counts[metering.FS_READS] == 7
    assert counts[metering.FS_WRITES] == 4 and counts[metering.FS_DELETES] == 1


def test_a_commit_that_fails_bills_no_write(emulators: dict[str, str], counts: metering.Counter[str]) -> None:
    db = MeteredClient(project=emulators["project_id"])
    doc = db.collection(f"metered-{uuid.uuid4().hex[:8]}").document("once")
    doc.create({"n": 1})
    assert counts[metering.FS_WRITES] == 1
    with pytest.raises(gexc.AlreadyExists):
        doc.create({"n": 2})  # refused, as a transaction aborted by contention is: nothing is written
    assert counts[metering.FS_WRITES] == 1 and counts[metering.FS_COMMITS] == 1
