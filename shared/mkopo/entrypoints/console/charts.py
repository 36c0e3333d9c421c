"""Inline SVG charts rendered on the server (no JavaScript, nothing fetched): a bar per day.

Each chart is an ``<svg role="img">`` named by its title, with a description giving the total and the
highest day, and a ``<title>`` per bar (the day and its value) for pointer and screen-reader users.
Colours come from classes in ``console.css`` (the CSP allows no inline styles).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import count

from markupsafe import Markup, escape

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 600, 190, 22, 28, 4
_ids = count(1)


def bars(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    shown: Callable[[float], str] = lambda v: f"{v:g}",
    summary: str = "",
) -> Markup:
    """A bar chart of ``(label, value)`` points (None: no data that day, drawn as nothing)."""
    chart_id = f"chart-{next(_ids)}"
    values = [v for _, v in points if v is not None]
    top = max(values, default=0) or 1
    slot = (WIDTH - LEFT) / max(len(points), 1)
    plot = HEIGHT - TOP - BOTTOM
    rects = []
    for i, (label, value) in enumerate(points):
        if value is None:
            continue
        h = plot * value / top
        x, y = LEFT + i * slot + slot * 0.1, TOP + plot - h
        tip = escape(f"{label}: {shown(value)}")
        rects.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}">'
            f"<title>{tip}</title></rect>"
        )
    best = max(((v, lbl) for lbl, v in points if v is not None), default=None)
    desc = summary or (f"highest {shown(best[0])} on {best[1]}" if best else "no data")
    first, last = (points[0][0], points[-1][0]) if points else ("", "")
    return Markup(  # noqa: S704 - every text in it is escaped, the rest are numbers
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot}" x2="{WIDTH}" y2="{TOP + plot}"/>'
        f'<text class="tick" x="{LEFT}" y="{TOP - 3}">{escape(shown(top))}</text>'
        f'<text class="tick" x="{LEFT}" y="{HEIGHT - 6}">{escape(first)}</text>'
        f'<text class="tick end" x="{WIDTH}" y="{HEIGHT - 6}">{escape(last)}</text>'
        + "".join(rects)
        + "</svg>"
    )
