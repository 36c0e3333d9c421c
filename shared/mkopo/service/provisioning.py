"""The daily loss-provisioning run: the allowance per currency and bucket, posted as adjusting entries."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from mkopo.domain import ledger
from mkopo.domain.allocation import LoanStatus
from mkopo.domain.money import CURRENCIES
from mkopo.domain.provisioning import (
    BucketAllowance,
    ProvisionRates,
    allowance_account,
    allowance_by_bucket,
    held_allowance,
    post_provision_adjustment,
    target_by_currency,
)
from mkopo.service.audit import SYSTEM, record
from mkopo.service.store import Conflict, Store, Transaction

ACTION = "allowance_recomputed"  # the audit action whose records the BigQuery view `allowance` reads
_AUDIT_NS = uuid.UUID("0b7f0c3e-6a55-4f61-9a0e-2d0f7a8c5e41")


def held_by_currency(store: Store, at: datetime | None = None) -> dict[str, int]:
    """What each currency's allowance account holds (minor units), for currencies that ever had one."""
    held = {}
    for currency in CURRENCIES:
        account = allowance_account(currency)
        entries = store.journal_entries(account=str(account), until=at, limit=100_000)
        if entries:
            held[currency] = held_allowance(ledger.balance(entries, account, at))
    return held


def run_provisioning(
    *, store: Store, as_of: date, now: datetime, rates: ProvisionRates, limit: int = 100_000
) -> dict[str, Any]:
    """Recompute the allowance as of ``as_of`` and post, per currency, only the difference to the ledger."""
    rows = allowance_by_bucket(store.list_loans_by_status(LoanStatus.ACTIVE.value, limit), as_of, rates)
    targets = target_by_currency(rows)
    held = held_by_currency(store, now)
    result: dict[str, Any] = {"as_of": as_of.isoformat(), "currencies": {}}
    for currency in sorted(set(targets) | set(held)):
        target, before = targets.get(currency, 0), held.get(currency, 0)
        entry = post_provision_adjustment(
            currency=currency, as_of=as_of, target_minor=target, held_minor=before, at=now
        )
        mine = [r for r in rows if r.currency == currency]
        posted = _post(store, entry, mine, currency=currency, as_of=as_of, target=target, now=now)
        result["currencies"][currency] = {
            "target_minor": target,
            "held_minor": before,
            "posted_minor": posted,
            "entry_id": entry.id if entry and posted else None,
        }
    return result


def _post(
    store: Store,
    entry: ledger.JournalEntry | None,
    rows: list[BucketAllowance],
    *,
    currency: str,
    as_of: date,
    target: int,
    now: datetime,
) -> int:
    """The adjusting entry and one audit record per bucket, in one transaction; 0 if this run was posted."""

    def write(tx: Transaction) -> None:
        if entry is not None:
            tx.add_journal_entry(entry)
        for row in rows:
            tx.add_audit(_audit(row, as_of=as_of, target=target, now=now))

    if entry is None and not rows:
        return 0
    try:
        store.transaction(write)
    except Conflict:
        return 0  # the same run (currency, day, target) was posted already
    return entry.lines[0].amount if entry is not None else 0  # the expense line: the signed difference


def _audit(row: BucketAllowance, *, as_of: date, target: int, now: datetime) -> Any:
    """The bucket's figures for the warehouse (the audit exporter carries them to BigQuery)."""
    key = f"{row.currency}:{row.bucket.value}:{as_of.isoformat()}:{target}"
    rec = record(
        actor_id=SYSTEM,
        actor_role=SYSTEM,
        action=ACTION,
        entity_type="ledger",
        entity_id=f"{row.currency}:{row.bucket.value}",
        at=now,
        after={
            "as_of": as_of.isoformat(),
            "currency": row.currency,
            "bucket": row.bucket.value,
            "loans": row.loans,
            "gross_minor": row.gross_minor,
            "rate": str(row.rate),
            "allowance_minor": row.allowance_minor,
        },
    )
    return rec.model_copy(update={"id": str(uuid.uuid5(_AUDIT_NS, key))})


def provisions_view(store: Store, *, now: datetime, rates: ProvisionRates) -> dict[str, Any]:
    """What staff read: the allowance each ledger holds, and per bucket what a run now would set."""
    rows = allowance_by_bucket(
        store.list_loans_by_status(LoanStatus.ACTIVE.value, 100_000), now.date(), rates
    )
    held = held_by_currency(store, now)
    currencies = []
    for currency in sorted(set(held) | {r.currency for r in rows}):
        mine = [r for r in rows if r.currency == currency]
        gross = sum(r.gross_minor for r in mine)
        currencies.append(
            {
                "currency": currency,
                "allowance_minor": held.get(currency, 0),
                "gross_receivables_minor": gross,
                "coverage": f"{held.get(currency, 0) / gross:.4f}" if gross else None,
                "buckets": [
                    {
                        "bucket": r.bucket.value,
                        "loans": r.loans,
                        "gross_minor": r.gross_minor,
                        "rate": str(r.rate),
                        "allowance_minor": r.allowance_minor,
                    }
                    for r in mine
                ],
            }
        )
    return {"at": now.isoformat(), "currencies": currencies}
