"""The portfolio dashboard page: today, the last 30 days and the book, from the analytics views
(``service.portfolio`` over the container's ``portfolio_reader``), with SVG charts."""

from __future__ import annotations

import functools
from typing import Any

from flask import Response
from markupsafe import Markup

from mkopo.domain.money import EXPONENT
from mkopo.entrypoints.console import charts
from mkopo.entrypoints.console.pages import Ctx, page
from mkopo.service import portfolio


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def duration(seconds: float | None) -> str:
    """Seconds shown as s, min or h (one decimal at most)."""
    if seconds is None:
        return "n/a"
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def _amount(currency: str, value: float) -> str:
    return f"{currency} {value:,.0f}"


def dashboard(ctx: Ctx) -> Response:
    """The figures, or (503) a page saying the warehouse cannot be read now."""
    try:
        board = portfolio.dashboard(ctx.c.portfolio_reader, ctx.c.now().date())
    except portfolio.WarehouseUnavailable as exc:
        return page(ctx, "dashboard.html", 503, board=None, unavailable=str(exc))
    return page(
        ctx,
        "dashboard.html",
        board=board,
        charts=_charts(board),
        percent=percent,
        duration=duration,
        par_days=portfolio.PAR_DAYS,
    )


def _charts(board: dict[str, Any]) -> list[tuple[str, Markup]]:
    """Each chart with its title (also the figure's visible caption)."""
    daily, window = board["daily"], board["window"]
    days = [d["day"][5:] for d in daily]  # MM-DD
    made: list[tuple[str, Markup]] = []

    def add(title: str, values: list[Any], **options: Any) -> None:
        points = list(zip(days, values, strict=True))
        made.append((title, charts.bars(points, title=title, **options)))

    add(
        "Applications submitted per day",
        [d["applications"] for d in daily],
        summary=f"{window['applications']} in 30 days",
    )
    add(
        "Approval rate per day (approved / decided)",
        [d["approval_rate"] for d in daily],
        shown=percent,
        summary=f"{percent(window['approval_rate'])} over 30 days",
    )
    for currency in window["disbursed_minor"]:
        scale = 10 ** EXPONENT[currency]  # a chart plots major units
        add(
            f"Amount disbursed per day ({currency})",
            [d["disbursed_minor"].get(currency, 0) / scale for d in daily],
            shown=functools.partial(_amount, currency),
            summary=f"{window['disbursed'][currency]} in 30 days",
        )
    return made
