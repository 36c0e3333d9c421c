"""A borrower's credit with us: their repayment history, and the limit ladder it climbs.

A first loan is offered well below the external limit; each full on-time repayment climbs one step (x1.5
by default, never above the external limit or the maximum exposure); a late repayment holds the step; more
than 30 days late steps down once per loan; 90 days late freezes the limit at zero.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from mkopo.domain.money import EXPONENT, Currency

APPLIED_KEPT = 200  # facts remembered for idempotency: far more than one borrower's loans


class LimitReason(StrEnum):
    FIRST_LOAN = "FIRST_LOAN"
    REPAID_ON_TIME = "REPAID_ON_TIME"
    REPAID_LATE = "REPAID_LATE"
    OVER_STEP_DOWN_DAYS_LATE = "MORE_THAN_30_DAYS_LATE"
    OVER_FREEZE_DAYS_LATE = "90_DAYS_LATE"
    CAPPED_BY_EXTERNAL_LIMIT = "CAPPED_BY_EXTERNAL_LIMIT"
    CAPPED_BY_MAX_EXPOSURE = "CAPPED_BY_MAX_EXPOSURE"
    WRITTEN_OFF = "WRITTEN_OFF"


class LimitLadder(BaseModel):
    """How the limit moves (one per market, in settings): all of it pure arithmetic on the profile."""

    model_config = ConfigDict(frozen=True)

    first_loan_share: Decimal = Field(default=Decimal("0.25"), gt=0, le=1)
    step_up: Decimal = Field(default=Decimal("1.5"), ge=1)
    step_down_after_days: int = Field(default=30, ge=1)
    freeze_after_days: int = Field(default=90, ge=1)

    def limit_minor(
        self, level: int, *, frozen: bool, external_minor: int, max_exposure_minor: int, currency: str
    ) -> int:
        """The limit at ``level`` steps above the first loan's, capped, rounded down to whole units."""
        if frozen or external_minor <= 0:
            return 0
        raw = Decimal(external_minor) * self.first_loan_share * self.step_up ** max(level, 0)
        capped = min(raw, Decimal(external_minor), Decimal(max_exposure_minor))
        unit = Decimal(10) ** EXPONENT[currency]
        return int((capped / unit).to_integral_value(ROUND_DOWN) * unit)

    def caps(self, level: int, *, external_minor: int, max_exposure_minor: int) -> list[LimitReason]:
        raw = Decimal(external_minor) * self.first_loan_share * self.step_up ** max(level, 0)
        reasons = []
        if raw >= external_minor:
            reasons.append(LimitReason.CAPPED_BY_EXTERNAL_LIMIT)
        if raw >= max_exposure_minor:
            reasons.append(LimitReason.CAPPED_BY_MAX_EXPOSURE)
        return reasons


class CreditTerms(BaseModel):
    """The ladder of each market (a default and per-currency overrides) and the maximum exposure."""

    model_config = ConfigDict(frozen=True)

    default: LimitLadder = LimitLadder()
    by_currency: dict[str, LimitLadder] = Field(default_factory=dict)
    max_exposure_minor: int

    def ladder(self, currency: str) -> LimitLadder:
        return self.by_currency.get(currency, self.default)

    def line(
        self, profile: CreditProfile | None, *, currency: Currency, external_minor: int, has_active_loan: bool
    ) -> CreditLine:
        return credit_line(
            profile,
            ladder=self.ladder(currency),
            external_minor=external_minor,
            max_exposure_minor=self.max_exposure_minor,
            currency=currency,
            has_active_loan=has_active_loan,
        )


class LimitChange(BaseModel):
    """One move of the limit, kept with its reason (the borrower's and the auditor's history)."""

    at: datetime
    loan_id: str
    reason: LimitReason
    level_before: int
    level_after: int
    frozen: bool


class CreditProfile(BaseModel):
    """Our own history with one borrower, kept current by the transactions that disburse, collect and age."""

    loans_disbursed: int = 0
    loans_repaid: int = 0
    loans_repaid_on_time: int = 0
    max_days_late: int = 0
    loans_in_arrears: list[str] = Field(default_factory=list)
    first_loan_at: datetime | None = None
    highest_principal_repaid_minor: int = 0
    external_limit_minor: int | None = None  # what the credit bureau said at the last scoring
    level: int = 0
    frozen: bool = False
    history: list[LimitChange] = Field(default_factory=list)
    applied: list[str] = Field(default_factory=list)

    @property
    def in_arrears(self) -> bool:
        return bool(self.loans_in_arrears)

    def months_with_us(self, now: datetime) -> int:
        if self.first_loan_at is None:
            return 0
        return max(0, (now.year - self.first_loan_at.year) * 12 + now.month - self.first_loan_at.month)

    def _once(self, fact: str) -> bool:
        """True the first time a fact is applied: every update is idempotent under redelivery."""
        if fact in self.applied:
            return False
        self.applied = [*self.applied, fact][-APPLIED_KEPT:]
        return True

    def _move(self, loan_id: str, reason: LimitReason, at: datetime, level: int, frozen: bool) -> LimitChange:
        change = LimitChange(
            at=at, loan_id=loan_id, reason=reason, level_before=self.level, level_after=level, frozen=frozen
        )
        self.level, self.frozen = level, frozen
        self.history.append(change)
        return change

    def observe_external_limit(self, minor: int) -> bool:
        """The credit bureau's latest limit: the ceiling of ours, kept for when the borrower asks.

        False when it is the one already kept (nothing to write)."""
        if self.external_limit_minor == minor:
            return False
        self.external_limit_minor = minor
        return True

    def loan_disbursed(self, loan_id: str, at: datetime) -> bool:
        if not self._once(f"disbursed:{loan_id}"):
            return False
        self.loans_disbursed += 1
        self.first_loan_at = self.first_loan_at or at
        return True

    def loan_repaid(
        self, loan_id: str, *, principal_minor: int, days_late: int, at: datetime
    ) -> LimitChange | None:
        """A loan repaid in full: on time climbs a step (unless frozen), late holds it."""
        if not self._once(f"repaid:{loan_id}"):
            return None
        self.loans_repaid += 1
        self.max_days_late = max(self.max_days_late, days_late)
        self.loans_in_arrears = [i for i in self.loans_in_arrears if i != loan_id]
        self.highest_principal_repaid_minor = max(self.highest_principal_repaid_minor, principal_minor)
        if days_late > 0:
            return self._move(loan_id, LimitReason.REPAID_LATE, at, self.level, self.frozen)
        self.loans_repaid_on_time += 1
        if self.frozen:
            return None
        return self._move(loan_id, LimitReason.REPAID_ON_TIME, at, self.level + 1, False)

    def overdue(
        self, loan_id: str, *, days_past_due: int, at: datetime, ladder: LimitLadder
    ) -> LimitChange | None:
        """Past due: over the step-down days one step down (once a loan); at the freeze days, zero."""
        self.max_days_late = max(self.max_days_late, days_past_due)
        if loan_id not in self.loans_in_arrears:
            self.loans_in_arrears = [*self.loans_in_arrears, loan_id]
        if days_past_due >= ladder.freeze_after_days and self._once(f"freeze:{loan_id}"):
            return self._move(loan_id, LimitReason.OVER_FREEZE_DAYS_LATE, at, self.level, True)
        if days_past_due > ladder.step_down_after_days and self._once(f"step-down:{loan_id}"):
            return self._move(
                loan_id, LimitReason.OVER_STEP_DOWN_DAYS_LATE, at, max(self.level - 1, 0), self.frozen
            )
        return None

    def written_off(self, loan_id: str, at: datetime) -> LimitChange | None:
        """A loan written off: the limit is frozen at zero (once per loan)."""
        if not self._once(f"written-off:{loan_id}"):
            return None
        if loan_id not in self.loans_in_arrears:
            self.loans_in_arrears = [*self.loans_in_arrears, loan_id]
        return self._move(loan_id, LimitReason.WRITTEN_OFF, at, self.level, True)


class Borrower(BaseModel):
    """Per-borrower exposure and credit: the one document every loan of a borrower touches.

    ``active_application_id`` is the single active-loan slot; ``credit`` our own history and limit step.
    """

    id: str
    active_application_id: str | None = None
    credit: CreditProfile = Field(default_factory=CreditProfile)

    def hold_slot(self, application_id: str) -> None:
        self.active_application_id = application_id

    def free_slot(self, application_id: str) -> bool:
        """Give up the slot this application holds (a failed payout, a repaid loan); False if it held none."""
        if self.active_application_id != application_id:
            return False
        self.active_application_id = None
        return True


class CreditLine(BaseModel):
    """What a borrower may borrow now, and why: the ladder applied to the profile and the external limit."""

    currency: Currency
    limit_minor: int
    available_minor: int
    next_limit_minor: int
    loans_repaid_on_time: int
    reasons: list[str]


def credit_line(
    profile: CreditProfile | None,
    *,
    ladder: LimitLadder,
    external_minor: int,
    max_exposure_minor: int,
    currency: Currency,
    has_active_loan: bool,
) -> CreditLine:
    """The limit, what is available of it (nothing while a loan is active), and the next step's limit."""
    profile = profile or CreditProfile()

    def at_level(level: int) -> int:
        return ladder.limit_minor(
            level,
            frozen=profile.frozen,
            external_minor=external_minor,
            max_exposure_minor=max_exposure_minor,
            currency=currency,
        )

    limit, following = at_level(profile.level), at_level(profile.level + 1)
    reasons = [profile.history[-1].reason.value if profile.history else LimitReason.FIRST_LOAN.value]
    if profile.frozen:
        reasons = [LimitReason.OVER_FREEZE_DAYS_LATE.value]
    caps = ladder.caps(profile.level, external_minor=external_minor, max_exposure_minor=max_exposure_minor)
    reasons += [r.value for r in caps]
    if has_active_loan:
        reasons.append("ACTIVE_LOAN")
    return CreditLine(
        currency=currency,
        limit_minor=limit,
        available_minor=0 if has_active_loan else limit,
        next_limit_minor=following,
        loans_repaid_on_time=profile.loans_repaid_on_time,
        reasons=reasons,
    )
