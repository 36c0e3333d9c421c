"""A ``PortfolioReader`` holding the views' rows a test gives it, filtered by day as the queries filter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from mkopo.service.portfolio import Book, CashTimes, DayCounts, Disbursed, WarehouseUnavailable


@dataclass
class FakePortfolioReader:
    counts: list[DayCounts] = field(default_factory=list)
    payouts: list[Disbursed] = field(default_factory=list)
    cash: dict[tuple[date, date], CashTimes] = field(default_factory=dict)  # (start, end) -> times
    book: list[Book] = field(default_factory=list)
    exported: datetime | None = None
    down: bool = False  # every read raises WarehouseUnavailable
    reads: int = 0

    def _read(self) -> None:
        self.reads += 1
        if self.down:
            raise WarehouseUnavailable("the warehouse did not answer: ConnectionError")

    def exported_at(self, since: date) -> datetime | None:
        self._read()
        return self.exported if self.exported and self.exported.date() >= since else None

    def day_counts(self, start: date, end: date) -> list[DayCounts]:
        self._read()
        return [c for c in self.counts if start <= c.day <= end]

    def disbursed(self, start: date, end: date) -> list[Disbursed]:
        self._read()
        return [p for p in self.payouts if start <= p.day <= end]

    def time_to_cash(self, start: date, end: date) -> CashTimes:
        self._read()
        return self.cash.get((start, end), CashTimes())

    def books(self) -> list[Book]:
        self._read()
        return list(self.book)
