"""Simulated applications as events table rows, built the way the exporter builds them.

Rows come from real ``mkopo.domain.events`` objects through ``mkopo.service.warehouse_rows.event_row``. An
event type without a class in this checkout yet gets a row of the same shape by the same rules
(``_fallback_row``).
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from analytics.simulate import PAYOUT, Application, SeedConfig
from mkopo.domain import events
from mkopo.service.warehouse_rows import event_row

Row = dict[str, Any]
_OUTCOMES = {
    "loan_approved": "APPROVED",
    "loan_rejected": "REJECTED",
    "loan_disbursed": "SUCCESSFUL",
    "disbursement_failed": "FAILED",
}
_COLUMNS = {"event_id", "event_type", "occurred_at", "application_id", "borrower_id"}


def _event_id(application_id: str, event_type: str, occurrence: str) -> str:
    suffix = f"/{occurrence}" if occurrence else ""
    return str(uuid.uuid5(events.EVENT_NAMESPACE, f"{application_id}/{event_type}{suffix}"))


def _fallback_row(
    event_type: str, app: Application, at: datetime, occurrence: str, data: dict[str, Any]
) -> Row:
    payload = {
        "event_id": _event_id(app.application_id, event_type, occurrence),
        "event_type": event_type,
        "occurred_at": at.isoformat(),
        "application_id": app.application_id,
        "borrower_id": app.borrower_id,
        **data,
    }
    return {
        "event_id": payload["event_id"],
        "event_type": event_type,
        "occurred_at": payload["occurred_at"],
        "application_id": app.application_id,
        "borrower_id": app.borrower_id,
        "provider": data.get("payout_provider") or data.get("lender") or data.get("provider"),
        "amount_minor": data.get("amount_minor"),
        "currency": data.get("currency"),
        "outcome": _OUTCOMES.get(event_type),
        "score": data.get("score"),
        "attributes": json.dumps({k: v for k, v in payload.items() if k not in _COLUMNS}, sort_keys=True),
    }


def _challenger(app: Application) -> dict[str, Any]:
    if app.challenger is None:
        return {}
    version, score, pd = app.challenger
    return {"challenger_version": version, "challenger_score": score, "challenger_probability_of_default": pd}


class RowBuilder:
    """Rows for one simulation; ``exported_at`` lags ``occurred_at`` by a few seconds."""

    def __init__(self, config: SeedConfig) -> None:
        self.rng = random.Random(config.seed + 1)
        self.duplicate_rate = config.duplicate_rate

    def row(self, event_type: str, app: Application, at: datetime, occurrence: str = "", **data: Any) -> Row:
        exported_at = at + timedelta(seconds=self.rng.uniform(0.2, 5.0))
        cls = events.EVENT_TYPES.get(event_type)
        if cls is None:
            return _fallback_row(event_type, app, at, occurrence, data) | {
                "exported_at": exported_at.isoformat()
            }
        extra = {"occurrence": occurrence} if occurrence else {}
        event = cls.new(
            application_id=app.application_id, occurred_at=at, borrower_id=app.borrower_id, **extra, **data
        )
        return event_row(event, exported_at)

    def rows(self, apps: list[Application]) -> list[Row]:
        """Every event of every application, plus re-exports of about ``duplicate_rate`` of them."""
        out = [row for app in apps for row in self.application_rows(app)]
        duplicates = []
        for row in out:
            if self.rng.random() < self.duplicate_rate:  # a redelivered message exported twice
                again = datetime.fromisoformat(row["exported_at"]) + timedelta(
                    seconds=self.rng.uniform(10, 600)
                )
                duplicates.append(row | {"exported_at": again.isoformat()})
        return out + duplicates

    def application_rows(self, app: Application) -> list[Row]:
        r = self.row
        rows = [
            r(
                "checkout_submitted",
                app,
                app.submitted_at,
                lender=app.lender,
                product=app.product,
                amount_minor=app.amount_minor,
                currency=app.currency,
                term_days=app.term_days,
            )
        ]
        if app.scored_at is None or app.score is None:
            return rows
        rows.append(
            r(
                "application_scored",
                app,
                app.scored_at,
                score=app.score,
                probability_of_default=app.probability_of_default,
                reasons=app.reasons,
                credit_limit_minor=app.credit_limit_minor,
                model_version=app.model_version,
                points=app.points,
                features=app.features,
                **_challenger(app),
            )
        )
        assert app.decided_at is not None
        if not app.approved:
            rows.append(
                r(
                    "loan_rejected",
                    app,
                    app.decided_at,
                    lender=app.lender,
                    score=app.score,
                    reasons=app.reasons,
                )
            )
            return rows
        rows.append(
            r(
                "loan_approved",
                app,
                app.decided_at,
                lender=app.lender,
                amount_minor=app.amount_minor,
                currency=app.currency,
                score=app.score,
            )
        )
        return rows + self._money_rows(app)

    def _money_rows(self, app: Application) -> list[Row]:
        r, loan = self.row, app.loan
        reference = f"mk-{app.application_id[:8]}"
        payout = PAYOUT.get(app.currency, "mtn-momo")
        if loan is None:
            assert app.failed_at is not None
            return [
                r(
                    "disbursement_failed",
                    app,
                    app.failed_at,
                    amount_minor=app.amount_minor,
                    currency=app.currency,
                    payout_provider=payout,
                    reference=reference,
                    reason=app.failure_reason,
                )
            ]
        rows = [
            r(
                "loan_disbursed",
                app,
                loan.disbursed_at,
                amount_minor=app.amount_minor,
                currency=app.currency,
                payout_provider=loan.payout_provider,
                reference=reference,
                provider_transaction_id=f"TX{app.application_id[:10].upper()}",
            )
        ]
        for p in loan.payments:
            rows.append(
                r(
                    "repayment_received",
                    app,
                    p.at,
                    occurrence=p.repayment_id,
                    repayment_id=p.repayment_id,
                    amount_minor=p.amount_minor,
                    currency=app.currency,
                    provider=loan.payout_provider,
                    allocated_minor=p.allocated_minor,
                    overpayment_minor=p.overpayment_minor,
                    outstanding_minor=p.outstanding_minor,
                )
            )
        for o in loan.overdue:
            rows.append(
                r(
                    "installment_overdue",
                    app,
                    o.at,
                    occurrence=f"1/{o.bucket}",
                    installment=1,
                    days_past_due=o.days_past_due,
                    bucket=o.bucket,
                    outstanding_minor=o.outstanding_minor,
                    currency=app.currency,
                )
            )
        if loan.repaid_at is not None:
            credit = sum(p.overpayment_minor for p in loan.payments)
            rows.append(
                r(
                    "loan_repaid",
                    app,
                    loan.repaid_at + timedelta(milliseconds=1),
                    amount_minor=loan.collected_minor,
                    currency=app.currency,
                    credit_balance_minor=credit,
                )
            )
        return rows
