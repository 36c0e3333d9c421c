"""A small known set of analytics events (with duplicated event ids) whose view figures are worked by hand,
shared by the views' tests and the dashboard's reader; it needs none of the analytics extras
(``analytics/requirements.txt``)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)
APPS = {  # application id -> (lender, currency, amount, term_days)
    "A": ("L1", "KES", 10_000, 30),
    "B": ("L1", "KES", 20_000, 30),
    "C": ("L1", "KES", 30_000, 7),
    "H": ("L1", "KES", 40_000, 30),
    "G": ("L1", "KES", 5_000, 30),
    "D": ("L2", "UGX", 50_000, 14),
    "E": ("L2", "UGX", 40_000, 14),
    "F": ("L2", "UGX", 60_000, 30),
}


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, datetime.strptime(clock, "%H:%M:%S").time(), UTC)


def ev(event_type: str, app: str, when: datetime, n: int = 0, **cols: Any) -> dict[str, Any]:
    """One events-table row; ``n`` tells apart events of one type on one application."""
    lender, currency, amount, term = APPS[app]
    attributes = cols.pop("attributes", {})
    row: dict[str, Any] = {
        "event_id": f"{app}/{event_type}/{n}",
        "event_type": event_type,
        "occurred_at": when.isoformat(),
        "application_id": app,
        "borrower_id": f"b-{app}",
        "provider": None,
        "amount_minor": None,
        "currency": currency,
        "outcome": None,
        "score": None,
        "exported_at": (when + timedelta(seconds=1)).isoformat(),
    }
    if event_type == "checkout_submitted":
        row |= {"provider": lender, "amount_minor": amount}
        attributes = {"term_days": term, "product": f"{lender}-{term}"} | attributes
    row |= cols
    row["attributes"] = json.dumps(attributes)
    return row


def lifecycle(
    app: str, day: date, submitted: str, score: int | None, decided_after: int, **more: Any
) -> list:
    """Checkout, score 2 s later, the decision ``decided_after`` s after checkout."""
    lender, _, amount, _ = APPS[app]
    start = at(day, submitted)
    rows = [ev("checkout_submitted", app, start)]
    if score is None:
        return rows
    rows.append(ev("application_scored", app, start + timedelta(seconds=2), score=score))
    decision = "loan_approved" if more.get("approved", True) else "loan_rejected"
    rows.append(
        ev(
            decision,
            app,
            start + timedelta(seconds=decided_after),
            provider=lender,
            score=score,
            amount_minor=amount if decision == "loan_approved" else None,
        )
    )
    if "cash_after" in more:
        rows.append(
            ev(
                "loan_disbursed",
                app,
                start + timedelta(seconds=more["cash_after"]),
                provider="mpesa",
                amount_minor=amount,
                outcome="SUCCESSFUL",
            )
        )
    return rows


def known_events() -> list[dict[str, Any]]:
    rows = [
        *lifecycle("A", D1, "10:00:00", 650, 12, cash_after=70),
        *lifecycle("B", D1, "11:00:00", 560, 6, approved=False),
        *lifecycle("C", D1, "12:00:00", 610, 23, cash_after=60),
        *lifecycle("H", D1, "13:00:00", 720, 4, cash_after=34),
        *lifecycle("G", D2, "11:00:00", None, 0),
        *lifecycle("D", D2, "09:00:00", 700, 5),
        *lifecycle("E", D2, "09:30:00", 690, 7, cash_after=100),
        *lifecycle("F", D2, "10:00:00", 640, 9, cash_after=40),
        ev("disbursement_failed", "D", at(D2, "09:01:00"), provider="mtn-momo", amount_minor=50_000),
        # A: repaid in full, on time (due 2026-04-01).
        ev(
            "repayment_received",
            "A",
            at(date(2026, 3, 20), "08:00:00"),
            1,
            amount_minor=11_000,
            attributes={"allocated_minor": 11_000, "overpayment_minor": 0, "outstanding_minor": 0},
        ),
        ev("loan_repaid", "A", at(date(2026, 3, 20), "08:00:01"), amount_minor=11_000),
        # C: part paid, then 1 and 31 days past due (due 2026-03-09).
        ev(
            "repayment_received",
            "C",
            at(date(2026, 3, 5), "08:00:00"),
            1,
            amount_minor=10_000,
            attributes={"allocated_minor": 10_000, "overpayment_minor": 0, "outstanding_minor": 23_000},
        ),
        ev(
            "installment_overdue",
            "C",
            at(date(2026, 3, 10), "06:00:00"),
            1,
            attributes={"days_past_due": 1, "bucket": "1-30", "outstanding_minor": 23_000},
        ),
        ev(
            "installment_overdue",
            "C",
            at(date(2026, 4, 9), "06:00:00"),
            31,
            attributes={"days_past_due": 31, "bucket": "31-60", "outstanding_minor": 23_000},
        ),
        # H: part paid, 2,000 of 7,000 an overpayment (not collected on the loan).
        ev(
            "repayment_received",
            "H",
            at(date(2026, 3, 10), "08:00:00"),
            1,
            amount_minor=7_000,
            attributes={"allocated_minor": 5_000, "overpayment_minor": 2_000, "outstanding_minor": 39_000},
        ),
        # E: 1 day past due; F: nothing since the payout (outstanding = principal).
        ev(
            "installment_overdue",
            "E",
            at(date(2026, 3, 18), "06:00:00"),
            1,
            attributes={"days_past_due": 1, "bucket": "1-30", "outstanding_minor": 44_000},
        ),
    ]
    by_id = {r["event_id"]: r for r in rows}
    duplicated = [
        "A/checkout_submitted/0",
        "A/loan_disbursed/0",
        "C/repayment_received/1",
        "C/installment_overdue/31",
        "H/repayment_received/1",
    ]
    again = [
        by_id[i]
        | {
            "exported_at": (
                datetime.fromisoformat(by_id[i]["exported_at"]) + timedelta(minutes=5)
            ).isoformat()
        }
        for i in duplicated
    ]
    return rows + again
