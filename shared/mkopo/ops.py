"""Operator commands for money in flight.

    python -m mkopo.ops unresolved [--older-than-s 300]   payouts and collections with no final outcome,
                                                          amount mismatches, and what sits in suspense
    python -m mkopo.ops arrears --as-of 2026-12-31        the daily arrears run for a day the scheduler
                                                          missed (any day, future ones too, only locally)
    python -m mkopo.ops trace APPLICATION_ID [--file F]   the application's trace as a waterfall (the
                                                          local stack's spans: MKOPO_TRACE_FILE)
    python -m mkopo.ops provision --as-of 2026-12-31      the loan-loss allowance as of a day, posted as
                                                          adjusting entries (only the difference)
    python -m mkopo.ops bureau --month 2026-12 --as-of 2027-01-01
                                                          the month's credit-bureau file (notices first)
    python -m mkopo.ops psi [--run]                       the latest score PSI per model version with its
                                                          verdict (stable, watch, act); --run runs the
                                                          daily score-stability job first

It reads the same Firestore as the functions (FIRESTORE_EMULATOR_HOST locally) and exits 1 when
anything needs a person, so it can run as a check.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from mkopo.domain import ledger
from mkopo.domain.applications import Status
from mkopo.domain.repayments import RepaymentStatus
from mkopo.service.store import Store


def unresolved(store: Store, *, now: datetime, older_than: timedelta) -> list[dict[str, Any]]:
    """Everything whose money outcome is unknown or needs a decision."""
    rows: list[dict[str, Any]] = []
    for app in store.list_applications_by_status(Status.APPROVED.value, 1000):
        since = app.disbursement.requested_at or app.updated_at
        if since <= now - older_than:
            rows.append(
                {
                    "kind": "payout",
                    "id": app.id,
                    "provider": app.disbursement.provider,
                    "status": app.disbursement.status or "NOT_REQUESTED",
                    "since": since.isoformat(),
                    "amount": f"{app.offer.principal.currency} {app.offer.principal}",
                }
            )
    for status in (RepaymentStatus.PENDING, RepaymentStatus.AMOUNT_MISMATCH):
        for rep in store.list_repayments_by_status(status.value, 1000):
            if status is RepaymentStatus.AMOUNT_MISMATCH or rep.requested_at <= now - older_than:
                rows.append(
                    {
                        "kind": "repayment",
                        "id": rep.id,
                        "provider": rep.provider,
                        "status": rep.status.value,
                        "since": rep.requested_at.isoformat(),
                        "amount": f"{rep.amount.currency} {rep.amount}",
                        "reason": rep.reason,
                    }
                )
    suspense = [
        e for e in store.journal_entries(limit=100_000) if e.kind == ledger.EntryKind.UNIDENTIFIED_COLLECTION
    ]
    for entry in suspense:
        rows.append(
            {
                "kind": "suspense",
                "id": entry.id,
                "provider": None,
                "status": "UNASSIGNED",
                "since": entry.occurred_at.isoformat(),
                "amount": f"{entry.currency} {entry.debits}",
                "reason": entry.description,
            }
        )
    return rows


def arrears(as_of: date) -> int:
    """Run the arrears job as it would have run at noon UTC on ``as_of``; prints what it did."""
    from mkopo.bootstrap import container
    from mkopo.service.loans import run_arrears

    c = container()
    now = datetime.combine(as_of, time(12), tzinfo=UTC)
    if now > datetime.now(UTC) and c.settings.environment != "local":
        print("arrears: a day in the future can be rehearsed only locally", file=sys.stderr)
        return 2
    counts = run_arrears(
        store=c.store,
        publisher=c.publisher,
        now=now,
        reminder_days=c.settings.repayment_reminder_days,
        credit_terms=c.settings.credit_terms(),
        charge_rules=c.settings.charge_rules(),
    )
    print("  ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def trace(application_id: str, path: Path) -> int:
    """Print the application's waterfall; 1 when no span names it."""
    from mkopo import trace_view

    if not path.exists():
        print(f"trace: no span file at {path}", file=sys.stderr)
        return 1
    rows = trace_view.hops(trace_view.trace_of(trace_view.read_spans(path), application_id))
    print(trace_view.render(rows))
    if rows:
        print(trace_view.summary(rows))
    return 0 if rows else 1


def _clock(as_of: date, what: str) -> tuple[Any, datetime] | None:
    """The container and noon UTC on ``as_of``; None (refused) for a future day outside local."""
    from mkopo.bootstrap import container

    c = container()
    now = datetime.combine(as_of, time(12), tzinfo=UTC)
    if now > datetime.now(UTC) and c.settings.environment != "local":
        print(f"{what}: a day in the future can be rehearsed only locally", file=sys.stderr)
        return None
    return c, now


def provision(as_of: date) -> int:
    """Run loss provisioning as of ``as_of``; prints each currency's target, what was held and posted."""
    from mkopo.service.provisioning import run_provisioning

    clock = _clock(as_of, "provision")
    if clock is None:
        return 2
    c, now = clock
    result = run_provisioning(store=c.store, as_of=as_of, now=now, rates=c.settings.provision_rates)
    for currency, row in result["currencies"].items():
        print(f"{currency}  " + "  ".join(f"{k}={v}" for k, v in row.items()))
    print(f"provision as_of={as_of} currencies={len(result['currencies'])}")
    return 0


def bureau(month: str, as_of: date) -> int:
    """Write the month's bureau submission as it would be written on ``as_of``; prints the counts."""
    from mkopo.service.bureau import run_bureau

    clock = _clock(as_of, "bureau")
    if clock is None:
        return 2
    c, now = clock
    s = c.settings
    result = run_bureau(
        store=c.store,
        channel=c.sms_channel,
        sink=c.bureau_sink,
        month=month,
        as_of=as_of,
        now=now,
        rules=s.bureau_rules,
        sms_max_attempts=s.sms_max_attempts,
    )
    print("  ".join(f"{k}={v}" for k, v in result.items()))
    return 0


def psi(run: bool) -> int:
    """Print the latest score-stability figures (running the job first with ``run``); 1 on "act"."""
    from mkopo.bootstrap import container
    from mkopo.entrypoints.jobs import create_jobs
    from mkopo.service.score_stability import latest, render

    c = container()
    if run:
        create_jobs(c).score_stability()
    rows = latest(c.stability_reports)
    print(render(rows))
    return 1 if any(r.verdict == "act" for r in rows) else 0


def _month(text: str) -> str:
    return date.fromisoformat(f"{text}-01").strftime("%Y-%m")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mkopo.ops", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("unresolved", help="money whose outcome is unknown or needs a decision")
    cmd.add_argument("--older-than-s", type=int, default=300)
    late = sub.add_parser("arrears", help="the daily arrears run for one day")
    late.add_argument("--as-of", type=date.fromisoformat, required=True)
    waterfall = sub.add_parser("trace", help="one application's hops: start, queue wait, work")
    waterfall.add_argument("application_id")
    waterfall.add_argument("--file", default=os.environ.get("MKOPO_TRACE_FILE") or ".run/0/spans.jsonl")
    prov = sub.add_parser("provision", help="the loan-loss allowance as of one day")
    prov.add_argument("--as-of", type=date.fromisoformat, required=True)
    bur = sub.add_parser("bureau", help="the credit-bureau submission of one month")
    bur.add_argument("--month", type=_month, required=True)
    bur.add_argument("--as-of", type=date.fromisoformat, required=True)
    stab = sub.add_parser("psi", help="the latest score PSI per model version and its verdict")
    stab.add_argument("--run", action="store_true", help="run the score-stability job first")
    args = parser.parse_args(argv)
    if args.command == "psi":
        return psi(args.run)
    if args.command == "arrears":
        return arrears(args.as_of)
    if args.command == "trace":
        return trace(args.application_id, Path(args.file))
    if args.command == "provision":
        return provision(args.as_of)
    if args.command == "bureau":
        return bureau(args.month, args.as_of)
    from mkopo.bootstrap import container

    rows = unresolved(
        container().store, now=datetime.now(UTC), older_than=timedelta(seconds=args.older_than_s)
    )
    for row in rows:
        print("  ".join(f"{k}={v}" for k, v in row.items() if v is not None))
    print(f"{len(rows)} unresolved")
    return 1 if rows else 0


if __name__ == "__main__":
    sys.exit(main())
