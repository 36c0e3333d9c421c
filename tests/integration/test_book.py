"""Loss provisioning and bureau reporting on the emulators: Firestore loans in arrears, the adjusting
entries, the allowance view in BigQuery, and the bureau file in a folder (with the ops clock's days)."""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from analytics import views
from emulators.stack import Stack, events_table
from google.cloud import firestore

from mkopo.adapters.bigquery import make_client
from mkopo.adapters.bigquery_audit import audit_sink
from mkopo.adapters.bureau_files import FolderBureauSink
from mkopo.adapters.firestore import FirestoreStore
from mkopo.domain import ledger
from mkopo.domain.bureau import BureauRules
from mkopo.domain.provisioning import ProvisionRates
from mkopo.service import exports
from mkopo.service.bureau import file_name, run_bureau
from mkopo.service.provisioning import run_provisioning
from tests.unit.fakes import FakeSms
from tests.unit.loan_books import START, book_loan, noon

DUE = START + timedelta(days=30)


@pytest.fixture
def store(emulators: dict[str, str]) -> FirestoreStore:
    return FirestoreStore(firestore.Client(project=emulators["project_id"]))


def _book(store: FirestoreStore, principal: int, start=START) -> Any:  # type: ignore[no-untyped-def]
    loan = book_loan(principal, start=start)
    store.transaction(lambda tx: tx.create_loan(loan))
    return loan


def test_provisioning_posts_the_allowance_and_the_view_shows_coverage(
    emulators: dict[str, str], local_stack: Stack, store: FirestoreStore
) -> None:
    _book(store, 400_000)  # 45 days past due on the run: 31-60, 25%
    _book(store, 100_000, start=DUE)  # 15 days past due: 1-30, 5%
    day = DUE + timedelta(days=45)
    first = run_provisioning(store=store, as_of=day, now=noon(day), rates=ProvisionRates())
    assert first["currencies"]["KES"]["posted_minor"] == 110_000 + 5_500
    again = run_provisioning(store=store, as_of=day, now=noon(day), rates=ProvisionRates())
    assert again["currencies"]["KES"]["posted_minor"] == 0
    entries = store.journal_entries(limit=10_000)
    assert [e.kind for e in entries] == [ledger.EntryKind.PROVISION_ADJUSTED]
    assert ledger.trial_balance(entries) == {"KES": 0}

    project, endpoint = emulators["project_id"], emulators["bigquery_endpoint"]
    dataset = f"book_{uuid.uuid4().hex[:10]}"
    sink = audit_sink(project, endpoint, dataset)
    client = make_client(project, endpoint)
    try:
        client.create_table(events_table(f"{project}.{dataset}.events"))
        views.create_views(client, project=project, dataset=dataset)
        time.sleep(exports.AUDIT_SETTLE.total_seconds())  # the records' commits are in the real clock's past
        assert (
            exports.export_audit(store=store, sink=sink, now=lambda: datetime.now(UTC), holder="it").exported
            == 5
        )
        rows = {r["bucket"]: dict(r) for r in client.query(f"SELECT * FROM `{project}.{dataset}.allowance`")}  # noqa: S608
    finally:
        client.delete_dataset(f"{project}.{dataset}", delete_contents=True, not_found_ok=True)
        client.close()
    assert rows["31-60"]["gross_minor"] == 440_000 and rows["31-60"]["allowance_minor"] == 110_000
    assert float(rows["31-60"]["coverage"]) == pytest.approx(0.25)
    assert float(rows["1-30"]["coverage"]) == pytest.approx(0.05) and rows["current"]["coverage"] is None


def test_bureau_lists_negative_information_only_30_days_after_the_notice(
    emulators: dict[str, str], store: FirestoreStore, tmp_path: Path
) -> None:
    loan = _book(store, 500_000)
    sms, sink, rules = FakeSms(), FolderBureauSink(tmp_path / "bureau"), BureauRules()

    def run(day: Any) -> list[dict[str, str]]:
        run_bureau(
            store=store, channel=sms, sink=sink, month="2026-11", as_of=day, now=noon(day), rules=rules
        )
        text = (tmp_path / "bureau" / file_name("2026-11")).read_text()
        return list(csv.DictReader(io.StringIO(text)))

    noticed = DUE + timedelta(days=2)
    assert run(noticed) == [] and f"bureau_notice-{loan.id}" in sms.sent
    assert store.get_loan(loan.id).bureau_notice_on == noticed
    assert run(noticed + timedelta(days=29)) == []
    listed = run(noticed + timedelta(days=30))
    assert [(r["account_number"], r["status"]) for r in listed] == [(loan.id, "overdue")]
    assert sms.sends == 1
