"""The invariants every chaos scenario ends with, read from Firestore, BigQuery and both provider sandboxes
(MTN MoMo and M-Pesa): money paid and collected at most once and always recorded, the ledger balanced,
every event exported exactly once, every dead letter recorded."""

from __future__ import annotations

import collections
import time
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from bench import driver
from emulators.stack import Stack

from chaos import deadletters, providers
from chaos.ledger_checks import check_ledger
from mkopo.service.disbursements import payout_reference


@dataclass
class Verdict:
    applications: int = 0
    lost: int = 0  # accepted, not terminal
    double_paid: int = 0  # a reference paid twice, a second paid loan for a borrower, or money for no one
    paid_not_recorded: int = 0  # the provider paid; the application is not DISBURSED
    recorded_not_paid: int = 0  # DISBURSED, but no provider paid its reference
    wrong_amount: int = 0  # paid another amount than the principal
    journal_entries: int = 0
    unbalanced: int = 0  # journal entries whose lines do not sum to zero
    trial_balance_off: int = 0  # currencies whose debits and credits differ
    loans: int = 0
    ledger_disagrees: int = 0  # loans whose ledger receivables differ from what the loan says is owed
    repaid_loans: int = 0
    receivable_left: int = 0  # REPAID loans that still owe something per the ledger
    not_repaid: int = 0  # loans the scenario repaid in full that are not REPAID
    repayments: int = 0
    repayments_lost: int = 0  # still PENDING at the end
    double_collected: int = 0  # a collection reference taken twice, or money taken for no repayment
    collected_not_recorded: int = 0  # the provider collected; the repayment is not SUCCESSFUL
    recorded_not_collected: int = 0  # SUCCESSFUL, but no provider collected it
    bq_duplicates: int = 0  # extra rows for an event id
    bq_missing: int = 0  # outbox events of these applications that never reached BigQuery
    dead_letters: int = 0  # recorded by the operator command (alert records)
    unexpected_dead_letters: int = 0
    # Redeliveries of an earlier scenario's events that found its data wiped by the reset between
    # scenarios (recorded like any dead letter, but the harness's doing, not this scenario's).
    earlier_scenario_dead_letters: int = 0
    seconds: float = 0.0
    stuck: list[dict[str, Any]] = field(default_factory=list)  # the lost applications, for a diagnosis

    FAILURES: ClassVar[tuple[str, ...]] = (
        "lost",
        "double_paid",
        "paid_not_recorded",
        "recorded_not_paid",
        "wrong_amount",
        "unbalanced",
        "trial_balance_off",
        "ledger_disagrees",
        "receivable_left",
        "not_repaid",
        "repayments_lost",
        "double_collected",
        "collected_not_recorded",
        "recorded_not_collected",
        "bq_duplicates",
        "bq_missing",
        "unexpected_dead_letters",
    )

    @property
    def ok(self) -> bool:
        return all(getattr(self, name) == 0 for name in self.FAILURES)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def _check_payouts(v: Verdict, stack: Stack, apps: dict[str, dict[str, Any]]) -> None:
    by_reference = {payout_reference(app_id): doc for app_id, doc in apps.items()}
    paid = [p for p in providers.payouts(stack) if p.done]
    times_paid = collections.Counter(p.reference for p in paid)  # across both providers
    v.double_paid += sum(n - 1 for n in times_paid.values() if n > 1)
    per_borrower: collections.Counter[str] = collections.Counter()
    for reference in times_paid:
        app = by_reference.get(reference)
        if app is None:
            v.double_paid += 1  # money out for no application we know
            continue
        per_borrower[app["borrower_id"]] += 1
        v.paid_not_recorded += app.get("status") != "DISBURSED"
    for p in paid:
        app = by_reference.get(p.reference)
        v.wrong_amount += app is not None and p.minor != int(app["offer"]["principal"]["minor"])
    v.double_paid += sum(n - 1 for n in per_borrower.values() if n > 1)
    v.recorded_not_paid = sum(
        1 for ref, app in by_reference.items() if app.get("status") == "DISBURSED" and ref not in times_paid
    )


def _check_collections(v: Verdict, stack: Stack, db: Any) -> None:
    reps = [s.to_dict() or {} for s in db.collection("repayments").stream()]
    key_of = {
        (
            r["provider"],
            r["reference"] if r["provider"] == providers.MOMO else providers.stk_reference(r["reference"]),
        ): r
        for r in reps
    }
    taken = [c for c in providers.collections(stack) if c.done]
    times = collections.Counter((c.provider, c.reference) for c in taken)
    v.repayments = len(reps)
    v.repayments_lost = sum(1 for r in reps if r.get("status") == "PENDING")
    v.double_collected = sum(n - 1 for n in times.values() if n > 1)
    v.double_collected += sum(1 for key in times if key not in key_of)
    v.collected_not_recorded = sum(
        1 for key in times if key in key_of and key_of[key]["status"] != "SUCCESSFUL"
    )
    v.recorded_not_collected = sum(
        1 for key, r in key_of.items() if r.get("status") == "SUCCESSFUL" and key not in times
    )


def _bq_rows(stack: Stack, app_ids: Sequence[str]) -> list[dict[str, Any]]:
    from google.cloud import bigquery

    client = stack.bigquery_client()
    try:
        job = client.query(
            f"SELECT event_id, application_id FROM `{stack.events_table_id}` "  # noqa: S608 - our table id
            "WHERE application_id IN UNNEST(@ids)",
            job_config=bigquery.QueryJobConfig(
                query_parameters=[bigquery.ArrayQueryParameter("ids", "STRING", list(app_ids))]
            ),
        )
        return [dict(row.items()) for row in job.result()]
    finally:
        client.close()


def _outbox_events(db: Any, app_ids: set[str]) -> set[str]:
    return {
        s.id
        for s in db.collection("outbox").stream()
        if (s.to_dict() or {}).get("payload", {}).get("application_id") in app_ids
    }


def _check_exports(v: Verdict, stack: Stack, db: Any, ids: list[str], export_s: float) -> None:
    """Every outbox event of these applications in BigQuery exactly once (waits for the exporter, bounded)."""
    expected = _outbox_events(db, set(ids))
    deadline = time.monotonic() + export_s
    while True:
        counts = collections.Counter(r["event_id"] for r in _bq_rows(stack, ids))
        missing = expected - set(counts)
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(2)
    v.bq_duplicates = sum(n - 1 for n in counts.values() if n > 1)
    v.bq_missing = len(missing)


def check(
    stack: Stack,
    db: Any,
    accepted: Sequence[str],
    *,
    expected_dead_letters: int = 0,
    repaid: Sequence[str] = (),
    earlier: Collection[str] = (),
    settle_s: float = 120,
    export_s: float = 90,
) -> tuple[Verdict, dict[str, dict[str, Any]]]:
    """Wait for the work to finish (bounded), then count every violation. ``repaid``: loans the scenario
    paid in full, which must be REPAID."""
    ids = sorted(set(accepted))
    docs = driver.wait_terminal(db, ids, settle_s)
    v = Verdict(applications=len(ids))
    v.lost = sum(1 for i in ids if docs.get(i, {}).get("status") not in driver.TERMINAL)
    v.stuck = [
        {"id": i, "status": docs.get(i, {}).get("status"), "payout": docs.get(i, {}).get("disbursement")}
        for i in ids
        if docs.get(i, {}).get("status") not in driver.TERMINAL
    ][:10]
    apps = {s.id: s.to_dict() or {} for s in db.collection("applications").stream()}
    _check_payouts(v, stack, apps)
    _check_collections(v, stack, db)
    found = check_ledger(db)
    v.journal_entries, v.unbalanced, v.trial_balance_off = (
        found.entries,
        found.unbalanced,
        found.trial_balance_off,
    )
    v.loans, v.ledger_disagrees = found.loans, found.ledger_disagrees
    v.repaid_loans, v.receivable_left = found.repaid_loans, found.receivable_left
    statuses = {s.id: (s.to_dict() or {}).get("status") for s in db.collection("loans").stream()}
    v.not_repaid = sum(1 for loan_id in repaid if statuses.get(loan_id) != "REPAID")
    _check_exports(v, stack, db, ids, export_s)
    # Dead letters: drain the inbox into alert records; any beyond the scenario's own poison is unexpected.
    deadletters.collect(stack.project)
    recorded = deadletters.records(stack.project, status=None)
    v.dead_letters = len(recorded)
    stale = [r for r in recorded if deadletters.application_of(r) in set(earlier) - set(ids)]
    v.earlier_scenario_dead_letters = len(stale)
    v.unexpected_dead_letters = max(0, len(recorded) - len(stale) - expected_dead_letters)
    return v, docs
