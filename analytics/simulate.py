"""A deterministic month of lending: applications from the real lender catalogue through scoring, decisions,
payouts, repayments on time, late or never, and arrears. Pure: no I/O; ``rows.py`` turns it into events.

Everything observed happens on or before ``SeedConfig.as_of``: applications arrive over ``days`` days from
``start``, and their loans are followed for ``observe_days`` more days.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from analytics.borrowers import bad_probability, draw_features
from mkopo.adapters.lenders import default_lenders
from mkopo.domain.offers import Product
from mkopo.domain.scorecard import Features, Scorecard, default_scorecard

SEED_NAMESPACE = uuid.UUID("0b6f2a52-8f7e-4a4c-9d55-5eed0a7a1c01")
CUTOFFS = {"jamii-credit": 590, "mwanga-finance": 620, "tujenge-mfi": 600}  # approve at or above
DEFAULT_CUTOFF = 600
PAYOUT = {"KES": "mpesa", "TZS": "mpesa"}  # every other currency pays out and collects through MTN MoMo
FAILURE_REASONS = ("PAYEE_NOT_FOUND", "INSUFFICIENT_FLOAT", "PROVIDER_TIMEOUT")
HOURLY = (1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 9, 9, 9, 9, 9, 10, 10, 9, 7, 5, 3, 2)  # UTC, East-Africa day
ARREARS_HOUR = time(6, 0, tzinfo=UTC)  # the daily arrears job
BUCKETS = ((1, "1-30"), (31, "31-60"), (61, "61-90"), (91, "90+"))  # entry days past due -> bucket


@dataclass(frozen=True)
class SeedConfig:
    seed: int = 7
    start: date = date(2026, 9, 16)
    days: int = 30
    applications: int = 3000
    observe_days: int = 28
    duplicate_rate: float = 0.01

    @property
    def as_of(self) -> datetime:
        """The end of the observed period (exclusive): nothing later is emitted."""
        return datetime.combine(self.start + timedelta(days=self.days + self.observe_days), time(0), UTC)


@dataclass
class Payment:
    repayment_id: str
    at: datetime
    amount_minor: int
    allocated_minor: int
    overpayment_minor: int
    outstanding_minor: int  # after this payment


@dataclass
class Overdue:
    at: datetime
    days_past_due: int
    bucket: str
    outstanding_minor: int


@dataclass
class Loan:
    disbursed_at: datetime
    payout_provider: str
    total_repayable_minor: int
    due_date: date
    fate: str  # on_time | late | never
    payments: list[Payment] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)
    repaid_at: datetime | None = None

    @property
    def collected_minor(self) -> int:
        return sum(p.allocated_minor for p in self.payments)

    @property
    def outstanding_minor(self) -> int:
        return self.total_repayable_minor - self.collected_minor


@dataclass
class Application:
    application_id: str
    borrower_id: str
    lender: str
    product: str
    currency: str
    amount_minor: int
    term_days: int
    submitted_at: datetime
    scored_at: datetime | None = None
    score: int | None = None
    probability_of_default: float | None = None
    credit_limit_minor: int | None = None
    reasons: list[str] = field(default_factory=list)
    model_version: str = ""
    challenger: tuple[str, int, float] | None = None  # version, score, probability of default
    points: dict[str, int] = field(default_factory=dict)
    features: dict[str, int] = field(default_factory=dict)
    decided_at: datetime | None = None
    approved: bool | None = None
    failed_at: datetime | None = None
    failure_reason: str | None = None
    loan: Loan | None = None


def _ms(at: datetime) -> datetime:
    """Whole milliseconds, so that durations in the views are exact."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _lognormal_s(rng: random.Random, median_s: float, sigma: float) -> timedelta:
    return timedelta(seconds=median_s * math.exp(rng.gauss(0, sigma)))


class Simulator:
    """Draws every application of a ``SeedConfig`` from one seeded random generator."""

    def __init__(
        self, config: SeedConfig, scorecard: Scorecard | None = None, challenger: Scorecard | None = None
    ) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.scorecard = scorecard or default_scorecard()  # the champion that decided these loans
        self.challenger = challenger  # scores in shadow only
        self._features: dict[str, Features] = {}
        self.products = [(lender.name, p) for lender in default_lenders() for p in lender.products]
        self.borrowers = [self._id("borrower", str(i)) for i in range(max(1, config.applications * 7 // 10))]
        weekend = {5, 6}
        self.day_weights = [
            (1 + 0.01 * d) * (0.75 if (config.start + timedelta(d)).weekday() in weekend else 1.0)
            for d in range(config.days)
        ]

    def _id(self, kind: str, n: str) -> str:
        return str(uuid.uuid5(SEED_NAMESPACE, f"{self.config.seed}/{kind}/{n}"))

    def run(self) -> list[Application]:
        apps = [self._application(i) for i in range(self.config.applications)]
        return sorted(apps, key=lambda a: a.submitted_at)

    # ------------------------------------------------------------------------------- one application

    def _application(self, i: int) -> Application:
        rng, cfg = self.rng, self.config
        day = rng.choices(range(cfg.days), weights=self.day_weights)[0]
        hour = rng.choices(range(24), weights=HOURLY)[0]
        submitted = datetime.combine(cfg.start + timedelta(day), time(hour), UTC)
        submitted = _ms(submitted + timedelta(seconds=rng.uniform(0, 3600)))
        lender, product = rng.choice(self.products)
        app = Application(
            application_id=self._id("application", str(i)),
            borrower_id=rng.choice(self.borrowers),
            lender=lender,
            product=product.code,
            currency=product.currency,
            amount_minor=self._amount(product),
            term_days=rng.choice(product.term_days),
            submitted_at=submitted,
        )
        if rng.random() < 0.015:  # abandoned: the credit-data call never came back
            return app
        self._score(app)
        self._decide(app)
        if app.approved:
            self._pay_out(app, product)
        return app

    def _amount(self, product: Product) -> int:
        low, high = product.min_amount_minor, min(product.max_amount_minor, product.min_amount_minor * 40)
        raw = math.exp(self.rng.uniform(math.log(low), math.log(high)))
        step = max(1, product.min_amount_minor // 10)
        return max(low, min(high, round(raw / step) * step))

    def borrower_features(self, borrower_id: str) -> Features:
        """A borrower's features: drawn once, from the borrower's own generator (stable across loans)."""
        if borrower_id not in self._features:
            self._features[borrower_id] = draw_features(random.Random(f"{self.config.seed}/{borrower_id}"))
        return self._features[borrower_id]

    def _score(self, app: Application) -> None:
        rng = self.rng
        app.scored_at = _ms(app.submitted_at + _lognormal_s(rng, 1.2, 0.4))
        app.credit_limit_minor = app.amount_minor * rng.choice((1, 1, 2, 3))
        features = self.borrower_features(app.borrower_id)
        features = features.model_copy(update={"credit_limit_minor": app.credit_limit_minor})
        result = self.scorecard.score(features)
        app.score, app.probability_of_default, app.reasons = (
            result.score,
            result.probability_of_default,
            result.reasons,
        )
        app.model_version, app.points = result.model_version, result.points
        app.features = features.model_dump()
        if self.challenger is not None:
            shadow = self.challenger.score(features)
            app.challenger = (shadow.model_version, shadow.score, shadow.probability_of_default)

    def _decide(self, app: Application) -> None:
        rng = self.rng
        assert app.scored_at is not None and app.score is not None
        cutoff = CUTOFFS.get(app.lender, DEFAULT_CUTOFF)
        manual = abs(app.score - cutoff) <= 10  # borderline: an officer looks at it
        delay = _lognormal_s(rng, 3 * 3600, 0.7) if manual else _lognormal_s(rng, 2.5, 0.5)
        app.decided_at = _ms(app.scored_at + delay)
        app.approved = app.score >= cutoff and rng.random() > 0.04  # some fail policy checks
        if not app.approved and not app.reasons:
            app.reasons = ["SCORE_BELOW_CUTOFF"]

    def _pay_out(self, app: Application, product: Product) -> None:
        rng = self.rng
        assert app.decided_at is not None
        sent = app.decided_at + _lognormal_s(rng, 40, 0.6)
        if rng.random() < 0.02:  # the provider's callback was lost: reconciliation found it later
            sent += timedelta(minutes=rng.uniform(5, 30))
        if rng.random() < 0.035:
            app.failed_at, app.failure_reason = _ms(sent), rng.choice(FAILURE_REASONS)
            return
        disbursed = _ms(sent)
        loan = Loan(
            disbursed_at=disbursed,
            payout_provider=PAYOUT.get(app.currency, "mtn-momo"),
            total_repayable_minor=self._total_repayable(product, app.amount_minor, app.term_days),
            due_date=disbursed.date() + timedelta(days=app.term_days),
            fate=self._fate(Features.model_validate(app.features)),
        )
        app.loan = loan
        _Repayments(rng, loan, self._id, app.application_id, self.config.as_of).run()

    @staticmethod
    def _total_repayable(product: Product, principal: int, term_days: int) -> int:
        interest = round(principal * float(product.monthly_interest_rate) * term_days / 30)
        origination = round(principal * float(product.origination_fee_rate))
        if product.origination_fee_rate:
            origination = max(origination, product.min_origination_fee_minor)
        return principal + interest + origination + product.flat_fee_minor

    def _fate(self, features: Features) -> str:
        """On time, or not (then late or never, 60:40): a draw from the true model, not from the score."""
        if self.rng.random() >= bad_probability(features, self.rng.gauss(0, 1)):
            return "on_time"
        return "late" if self.rng.random() < 0.6 else "never"


class _Repayments:
    """The repayments and arrears of one loan, cut off at ``as_of``."""

    def __init__(
        self, rng: random.Random, loan: Loan, new_id: Callable[[str, str], str], loan_id: str, as_of: datetime
    ) -> None:
        self.rng, self.loan, self.loan_id, self.as_of = rng, loan, loan_id, as_of
        self.new_id = new_id
        self.count = 0

    def _at(self, day: date) -> datetime:
        seconds = self.rng.uniform(6 * 3600, 21 * 3600)
        return _ms(datetime.combine(day, time(0), UTC) + timedelta(seconds=seconds))

    def run(self) -> None:
        loan, rng = self.loan, self.rng
        term = (loan.due_date - loan.disbursed_at.date()).days
        plan: list[tuple[datetime, float]] = []  # (when, share of what is still owed; 1.0 settles)
        if rng.random() < 0.3:  # a part payment along the way
            plan.append((self._at(loan.disbursed_at.date() + timedelta(days=rng.randint(1, term))), 0.4))
        if loan.fate == "on_time":
            plan.append((self._at(loan.due_date - timedelta(days=rng.randint(0, max(0, term // 3)))), 1.0))
        elif loan.fate == "late":
            late = rng.choice(
                (rng.randint(1, 10), rng.randint(1, 10), rng.randint(11, 30), rng.randint(31, 45))
            )
            plan.append((self._at(loan.due_date + timedelta(days=late)), 1.0))
        plan.sort()
        for planned, share in plan:
            at = max(planned, loan.disbursed_at + timedelta(hours=1))
            self._arrears_until(at)
            if at >= self.as_of:
                return
            self._pay(at, share)
            if loan.repaid_at:
                return
        self._arrears_until(self.as_of)

    def _pay(self, at: datetime, share: float) -> None:
        loan = self.loan
        owed = loan.outstanding_minor
        amount = owed if share >= 1 else max(1, round(owed * share))
        overpayment = self.rng.choice((0,) * 49 + (max(1, owed // 100),)) if share >= 1 else 0
        self.count += 1
        loan.payments.append(
            Payment(
                repayment_id=self.new_id("repayment", f"{self.loan_id}/{self.count}"),
                at=at,
                amount_minor=amount + overpayment,
                allocated_minor=amount,
                overpayment_minor=overpayment,
                outstanding_minor=owed - amount,
            )
        )
        if owed - amount == 0:
            loan.repaid_at = at

    def _arrears_until(self, until: datetime) -> None:
        """The arrears job's events (one per bucket entered) strictly before ``until``, while unpaid."""
        loan = self.loan
        done = {o.days_past_due for o in loan.overdue}
        for entry, bucket in BUCKETS:
            at = datetime.combine(loan.due_date + timedelta(days=entry), ARREARS_HOUR)
            if entry in done or at >= min(until, self.as_of):
                continue
            loan.overdue.append(Overdue(at, entry, bucket, loan.outstanding_minor))
