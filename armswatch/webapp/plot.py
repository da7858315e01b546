"""The dashboard's plot of flagged listings per day, drawn on the server as SVG: no
script, no chart library, and nothing a strict Content-Security-Policy blocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from markupsafe import Markup, escape

WIDTH = 720
HEIGHT = 220
LEFT = 40
BOTTOM = 28
TOP = 12


MIN_DAYS = 30
"""The plot spans at least this many days up to the last, so one busy day is a bar
among days, not the whole width."""


def daily_counts(days: Sequence[tuple[str, int]]) -> list[tuple[date, int]]:
    """Counts per day (YYYY-MM-DD, any order) up to the last day with any, at least
    MIN_DAYS of them; days without any as 0."""
    counts = {date.fromisoformat(day): count for day, count in days}
    if not counts:
        return []
    last = max(counts)
    first = min(min(counts), last - timedelta(days=MIN_DAYS - 1))
    span = (last - first).days + 1
    return [(day, counts.get(day, 0)) for day in (first + timedelta(n) for n in range(span))]


def bar_chart(series: Sequence[tuple[date, int]], title: str) -> Markup:
    """An SVG bar per day, the y axis from 0 to the busiest day, dates under the first,
    middle and last bar; each bar has a tooltip (<title>) with its day and count."""
    if not series:
        return Markup('<p class="empty">Nothing flagged yet.</p>')
    top = max(count for _, count in series) or 1
    plot_w = WIDTH - LEFT - 8
    plot_h = HEIGHT - BOTTOM - TOP
    step = plot_w / len(series)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" '
        f'y2="{TOP + plot_h}"/>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{top}</text>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">0</text>',
    ]
    labelled = {0, len(series) // 2, len(series) - 1}
    for n, (day, count) in enumerate(series):
        height = plot_h * count / top
        x = LEFT + n * step
        parts.append(
            f'<rect class="bar" x="{x + step * 0.1:.1f}" y="{TOP + plot_h - height:.1f}" '
            f'width="{max(step * 0.8, 1):.1f}" height="{height:.1f}">'
            f"<title>{day.isoformat()}: {count}</title></rect>"
        )
        if n in labelled:
            parts.append(
                f'<text class="tick" x="{x + step / 2:.1f}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{day.isoformat()}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
