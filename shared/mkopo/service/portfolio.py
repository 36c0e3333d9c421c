"""The portfolio dashboard's figures, read from the analytics views in the warehouse (``analytics/sql``):

- applications: submitted that UTC day (``funnel_daily.submitted``);
- approval rate: approved / decided, by the day of the first decision (``approval_daily``);
- amount disbursed: the principal of loans disbursed that day, per currency (``loans.disbursed_minor``);
- time to cash: disbursed minus submitted, in seconds, p50 and p95 by ``PERCENTILE_CONT`` over the loans
  disbursed in the period (``decision_times``' metric ``cash``, restricted to the period);
- the book per currency: disbursed, collected and outstanding (``loans``), and PAR1/30/60/90: the
  outstanding balance of loans not repaid that many days past due over all of it (``portfolio_at_risk``).

The warehouse lags the operational store by the exporter's schedule (a minute), so the page says "as of"
the latest export; when it cannot be reached the page says so (``WarehouseUnavailable``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from mkopo.domain.money import Currency, Money

WINDOW_DAYS = 30
PAR_DAYS = (1, 30, 60, 90)


class WarehouseUnavailable(Exception):
    """The warehouse did not answer (down, timed out or refused): the figures cannot be shown now."""


@dataclass(frozen=True)
class DayCounts:
    """Applications submitted and decisions made on one UTC day."""

    day: date
    applications: int = 0
    decided: int = 0
    approved: int = 0


@dataclass(frozen=True)
class Disbursed:
    """Loans disbursed on one UTC day in one currency."""

    day: date
    currency: Currency
    loans: int
    minor: int


@dataclass(frozen=True)
class CashTimes:
    """Time to cash over the loans disbursed in a period (None: no loans)."""

    loans: int = 0
    p50_s: float | None = None
    p95_s: float | None = None


@dataclass(frozen=True)
class Book:
    """One currency's loans: all disbursed so far, and the ones not repaid with their days past due."""

    currency: Currency
    loans: int
    loans_repaid: int
    disbursed_minor: int
    collected_minor: int
    loans_outstanding: int
    outstanding_minor: int
    at_risk_minor: dict[int, int] = field(default_factory=dict)  # PAR days -> outstanding that late


class PortfolioReader(Protocol):
    """The analytics views the dashboard reads; any method may raise ``WarehouseUnavailable``."""

    def exported_at(self, since: date) -> datetime | None:
        """When the latest row of an event since ``since`` was exported (None: none)."""
        ...

    def day_counts(self, start: date, end: date) -> list[DayCounts]: ...
    def disbursed(self, start: date, end: date) -> list[Disbursed]: ...
    def time_to_cash(self, start: date, end: date) -> CashTimes: ...
    def books(self) -> list[Book]: ...


@dataclass
class Tally:
    """The counts of one day or one period."""

    applications: int = 0
    decided: int = 0
    approved: int = 0
    disbursed_minor: Counter[Currency] = field(default_factory=Counter)
    loans_disbursed: int = 0
    cash: CashTimes = field(default_factory=CashTimes)

    def add(self, counts: DayCounts) -> None:
        self.applications += counts.applications
        self.decided += counts.decided
        self.approved += counts.approved

    def pay_out(self, paid: Disbursed) -> None:
        self.disbursed_minor[paid.currency] += paid.minor
        self.loans_disbursed += paid.loans

    def view(self) -> dict[str, Any]:
        return {
            "applications": self.applications,
            "decided": self.decided,
            "approved": self.approved,
            "approval_rate": self.approved / self.decided if self.decided else None,
            "disbursed": {
                c: str(Money(minor=m, currency=c)) for c, m in sorted(self.disbursed_minor.items())
            },
            "disbursed_minor": dict(sorted(self.disbursed_minor.items())),
            "loans_disbursed": self.loans_disbursed,
            "time_to_cash_p50_s": self.cash.p50_s,
            "time_to_cash_p95_s": self.cash.p95_s,
        }


def book_view(book: Book) -> dict[str, Any]:
    """A currency's book in major units, with PAR ratios (None when nothing is outstanding)."""
    money = lambda minor: str(Money(minor=minor, currency=book.currency))  # noqa: E731
    owed = book.outstanding_minor
    return {
        "currency": book.currency,
        "loans": book.loans,
        "loans_repaid": book.loans_repaid,
        "disbursed": money(book.disbursed_minor),
        "collected": money(book.collected_minor),
        "loans_outstanding": book.loans_outstanding,
        "outstanding": money(owed),
        "at_risk": {d: money(book.at_risk_minor.get(d, 0)) for d in PAR_DAYS},
        "par": {d: book.at_risk_minor.get(d, 0) / owed if owed else None for d in PAR_DAYS},
    }


def dashboard(reader: PortfolioReader, today: date, days: int = WINDOW_DAYS) -> dict[str, Any]:
    """Today, the last ``days`` days (today included), each day of them, and the book now."""
    start = today - timedelta(days=days - 1)
    daily = {start + timedelta(days=i): Tally() for i in range(days)}
    window = Tally()
    for counts in reader.day_counts(start, today):
        if counts.day in daily:
            for tally in (daily[counts.day], window):
                tally.add(counts)
    for paid in reader.disbursed(start, today):
        if paid.day in daily:
            for tally in (daily[paid.day], window):
                tally.pay_out(paid)
    window.cash = reader.time_to_cash(start, today)
    this_day = replace(daily[today], cash=reader.time_to_cash(today, today))
    exported = reader.exported_at(start)
    return {
        "as_of": exported.isoformat() if exported else None,
        "start": start.isoformat(),
        "today": this_day.view(),
        "window": window.view(),
        "daily": [{"day": d.isoformat(), **t.view()} for d, t in daily.items()],
        "books": [book_view(b) for b in sorted(reader.books(), key=lambda b: b.currency)],
    }
