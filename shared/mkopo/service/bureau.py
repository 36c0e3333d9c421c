"""The monthly credit-bureau submission: notices first, then one CSV row per loan the rules let us list."""

from __future__ import annotations

import csv
import io
import logging
from calendar import monthrange
from datetime import date, datetime, timedelta
from typing import Any

from mkopo.domain.allocation import LoanStatus
from mkopo.domain.bureau import (
    FIELDS,
    BorrowerIdentity,
    BureauRules,
    bureau_row,
    may_list,
    needs_notice,
    notice_sms,
    reported_in,
)
from mkopo.domain.loans import Loan
from mkopo.domain.notifications import Notification
from mkopo.domain.phone import masked
from mkopo.service.notifications import send_notification
from mkopo.service.ports import BureauSink, SmsChannel, SmsTransientError
from mkopo.service.store import Store, Transaction

log = logging.getLogger(__name__)
NOTICE_EVENT = "bureau_notice"


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM``."""
    first = date.fromisoformat(f"{month}-01")
    return first, first.replace(day=monthrange(first.year, first.month)[1])


def previous_month(on: date) -> str:
    return (on.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def file_name(month: str) -> str:
    return f"mkopo-bureau-{month}.csv"


def run_bureau(
    *,
    store: Store,
    channel: SmsChannel,
    sink: BureauSink,
    month: str,
    as_of: date,
    now: datetime,
    rules: BureauRules,
    sms_max_attempts: int = 3,
    limit: int = 100_000,
) -> dict[str, Any]:
    """Send notices to loans that now qualify for a negative listing, then write the month's file."""
    first, last = month_bounds(month)
    counts = {"loans": 0, "rows": 0, "withheld": 0, "notices": 0}
    rows = []
    for loan in _loans(store, limit):
        if not reported_in(loan, first, last):
            continue
        counts["loans"] += 1
        if needs_notice(loan, as_of, rules) and _notify(
            store, channel, loan, rules, as_of, now, sms_max_attempts
        ):
            counts["notices"] += 1
            loan = store.get_loan(loan.id) or loan
        if not may_list(loan, as_of, rules):
            counts["withheld"] += 1
            continue
        rows.append(bureau_row(loan, _identity(store, loan), month=month, on=as_of))
    counts["rows"] = len(rows)
    where = sink.write(file_name(month), to_csv(rows))
    return {"month": month, "as_of": as_of.isoformat(), "file": where, **counts}


def to_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda r: (r["lender"], r["account_number"])))
    return out.getvalue().encode()


def _loans(store: Store, limit: int) -> list[Loan]:
    statuses = (LoanStatus.ACTIVE.value, LoanStatus.REPAID.value, LoanStatus.WRITTEN_OFF.value)
    return [loan for status in statuses for loan in store.list_loans_by_status(status, limit)]


def _identity(store: Store, loan: Loan) -> BorrowerIdentity:
    user = store.get_user(loan.borrower_id)
    name = user.full_name if user else ""
    return BorrowerIdentity(phone=user.phone if user else loan.phone, full_name=name)


def _notify(
    store: Store,
    channel: SmsChannel,
    loan: Loan,
    rules: BureauRules,
    as_of: date,
    now: datetime,
    max_attempts: int,
) -> bool:
    """Send the notice SMS (once: its id is the loan's), then record it on the loan; False if not sent."""
    note_id = f"{NOTICE_EVENT}-{loan.id}"
    note = store.get_notification(note_id)
    if note is None or not note.handed_over:
        user = store.get_user(loan.borrower_id)  # the language the borrower chose (a rare, one-off SMS)
        listing_on = as_of + timedelta(rules.notice_days)
        note = note or Notification(
            id=note_id,
            user_id=loan.borrower_id,
            to=loan.phone,
            text=notice_sms(loan, rules, listing_on, user.language if user else None),
            event_type=NOTICE_EVENT,
            created_at=now,
        )
        try:
            if not send_notification(note, store=store, channel=channel, now=now, max_attempts=max_attempts):
                log.error("bureau notice for loan %s to %s rejected", loan.id, masked(loan.phone))
                return False
        except SmsTransientError:
            return False  # tried again on the next run; no listing without the notice

    def record(tx: Transaction) -> bool:
        current = tx.get_loan(loan.id)
        if current is None or not current.record_bureau_notice(as_of, now):
            return False
        tx.save_loan(current)
        return True

    return bool(store.transaction(record))
