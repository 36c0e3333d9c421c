"""The portfolio dashboard page: today and the last 30 days from ``service.portfolio``, with SVG charts."""

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
    board = portfolio.dashboard(ctx.c.store, ctx.c.now())
    return page(ctx, "dashboard.html", board=board, charts=_charts(board), percent=percent, duration=duration)


def _charts(board: dict[str, Any]) -> list[Markup]:
    daily = board["daily"]
    days = [d["day"][5:] for d in daily]  # MM-DD
    made = [
        charts.bars(
            list(zip(days, [d["applications"] for d in daily], strict=True)),
            title="Applications submitted per day",
            summary=f"{board['window']['applications']} in 30 days",
        ),
        charts.bars(
            list(zip(days, [d["approval_rate"] for d in daily], strict=True)),
            title="Approval rate per day (approved / decided)",
            shown=percent,
            summary=f"{percent(board['window']['approval_rate'])} over 30 days",
        ),
    ]
    for currency in board["window"]["disbursed_minor"]:
        scale = 10 ** EXPONENT[currency]  # a chart plots major units
        amounts = [d["disbursed_minor"].get(currency, 0) / scale for d in daily]
        made.append(
            charts.bars(
                list(zip(days, amounts, strict=True)),
                title=f"Amount disbursed per day ({currency})",
                shown=functools.partial(_amount, currency),
                summary=f"{board['window']['disbursed'][currency]} in 30 days",
            )
        )
    return made
