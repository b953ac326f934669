"""Theme trends over time: one small line chart per theme, from ``Theme.by_period``."""

from __future__ import annotations

from feedbackiq.report._growth import WINDOW_MONTHS, Growth, month_axis, month_totals
from feedbackiq.report._html import esc, pct, section
from feedbackiq.report._themes import growth_text
from feedbackiq.types import ThemeReport

__all__ = ["trends_section"]

_W, _H, _PAD = 220, 56, 3


def _sparkline(shares: list[float], color: str, months: list[str]) -> str:
    peak = max(shares) or 1.0
    n = len(shares)
    step = (_W - 2 * _PAD) / max(n - 1, 1)
    pts = [(_PAD + i * step, _H - _PAD - (s / peak) * (_H - 2 * _PAD)) for i, s in enumerate(shares)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    recent_x = _PAD + (n - WINDOW_MONTHS) * step - step / 2 if n >= 2 * WINDOW_MONTHS else None
    band = (f'<rect class="recent" x="{recent_x:.1f}" y="0" width="{_W - recent_x:.1f}" height="{_H}"/>'
            if recent_x is not None else "")
    marks = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{color}"><title>{esc(m)}: {pct(s, 1)} of items</title></circle>'
                    for (x, y), m, s in zip(pts, months, shares))
    return (f'<svg class="spark" viewBox="0 0 {_W} {_H}" role="img" aria-label="share of items per month">{band}'
            f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{line}"/>{marks}</svg>')


def trends_section(report: ThemeReport, colors: dict[int, str], growth: dict[int, Growth | None]) -> str | None:
    totals = month_totals(report)
    months = month_axis(list(totals))
    if len(months) < 2:
        return None
    cards = []
    for t in report.themes:
        shares = [t.by_period.get(m, 0) / totals[m] if totals.get(m) else 0.0 for m in months]
        gtext, gtip = growth_text(growth.get(t.id))
        cards.append(f'<div class="trend" data-theme="{t.id}"><div class="trend-head"><a href="#theme-{t.id}">{esc(t.name)}</a>'
                     f'<span class="growth" title="{esc(gtip)}">{esc(gtext)}</span></div>'
                     f'{_sparkline(shares, colors[t.id], months)}</div>')
    body = (f'<div class="trends">{"".join(cards)}</div>'
            f'<p class="note">{esc(months[0])} to {esc(months[-1])}. Each line is the theme\'s share of all feedback in '
            f'that month (each chart has its own scale: read the shape, compare the growth figures). The shaded band '
            f'is the last {WINDOW_MONTHS} months, compared with the {WINDOW_MONTHS} before for growth.</p>')
    return section("trends", "Trends over time",
                   "Is a need getting louder or quieter? Rising lines and positive growth mean a growing share of "
                   "customers raise it.", body)
