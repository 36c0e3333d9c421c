"""Credit policy: a score and the borrower's position → APPROVED, MANUAL_REVIEW or REJECTED, with reasons."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from mkopo.domain.applications import Status


def has_other_active_loan(active_application_id: str | None, application_id: str) -> bool:
    """One active loan per borrower: the slot is free, or already held by this application."""
    return active_application_id not in (None, application_id)


class DecisionPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    # The thresholds come from configuration (mkopo.config.Settings.decision_policy), their one home.
    approve_min_score: int
    max_exposure_minor: int
    # Scores in [review_min_score, approve_min_score) are referred to a credit officer when nothing else
    # fails; None (or a value >= approve_min_score) turns manual review off.
    review_min_score: int | None = None

    def in_review_band(self, score: int) -> bool:
        return self.review_min_score is not None and self.review_min_score <= score < self.approve_min_score

    def decide(
        self,
        *,
        score: int,
        amount_minor: int,
        credit_limit_minor: int,
        active_application_id: str | None,
        application_id: str,
    ) -> tuple[Status, list[str]]:
        """Every failed rule adds a reason; any reason rejects, except a borderline score alone (review)."""
        reasons: list[str] = []
        if score < self.approve_min_score:
            reasons.append("SCORE_BELOW_CUTOFF")
        if amount_minor > credit_limit_minor:
            reasons.append("AMOUNT_ABOVE_LIMIT")
        if amount_minor > self.max_exposure_minor:
            reasons.append("MAX_EXPOSURE_EXCEEDED")
        if has_other_active_loan(active_application_id, application_id):
            reasons.append("ACTIVE_LOAN_EXISTS")
        if reasons == ["SCORE_BELOW_CUTOFF"] and self.in_review_band(score):
            return Status.MANUAL_REVIEW, ["SCORE_IN_REVIEW_BAND"]
        return (Status.REJECTED, reasons) if reasons else (Status.APPROVED, [])
