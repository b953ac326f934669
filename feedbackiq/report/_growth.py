"""Growth of a theme over time, from ``Theme.by_period`` (items per calendar month).

Definition used everywhere in the report: a theme's **share of all items** in the last 3
calendar months of the data, against its share in the 3 months before, as a relative change
(``recent / previous - 1``). Shares, not counts, so that a month with more feedback overall
(a survey wave, a partial last month) does not read as growth of every theme. The window ends
at the latest month any item is dated in; months without items count as zero.
``change`` is ``inf`` for a theme absent before and present now, and ``None`` when there are
fewer than 6 months of data or the theme has fewer than ``MIN_ITEMS`` items in the two windows
together (3 items against 1 is not a trend).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from feedbackiq.types import Theme, ThemeReport

__all__ = ["Growth", "month_axis", "month_totals", "theme_growth", "WINDOW_MONTHS", "MIN_ITEMS"]

WINDOW_MONTHS = 3
MIN_ITEMS = 5


class Growth(NamedTuple):
    recent_share: float        # theme items / all items, last WINDOW_MONTHS months
    previous_share: float      # the same, the WINDOW_MONTHS months before
    change: float | None       # recent / previous - 1; inf when new; None when undefined
    recent: tuple[str, str]    # first and last month of each window, "YYYY-MM"
    previous: tuple[str, str]


def month_axis(periods: list[str]) -> list[str]:
    """Every calendar month from the first to the last given one ("YYYY-MM"), gaps filled.

    >>> month_axis(["2026-03", "2025-12"])
    ['2025-12', '2026-01', '2026-02', '2026-03']
    """
    valid = sorted(p for p in periods if len(p) == 7 and p[4] == "-" and p[:4].isdigit() and p[5:].isdigit())
    if not valid:
        return []
    y, m = int(valid[0][:4]), int(valid[0][5:])
    out = []
    while f"{y:04d}-{m:02d}" <= valid[-1]:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _top_level(report: ThemeReport) -> list[Theme]:
    return [*report.themes, *([report.other] if report.other else [])]


def month_totals(report: ThemeReport) -> dict[str, int]:
    """All items per month (themes and "other"; sub-themes are inside their parents)."""
    totals: dict[str, int] = {}
    for t in _top_level(report):
        for month, n in t.by_period.items():
            totals[month] = totals.get(month, 0) + n
    return totals


def theme_growth(report: ThemeReport, window: int = WINDOW_MONTHS) -> dict[int, Growth | None]:
    """Growth of each theme (see the module docstring); ``None`` for all when the data spans < 2 windows.

    >>> from feedbackiq.types import Theme, ThemeReport
    >>> months = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    >>> a = Theme(id=0, name="a", by_period=dict(zip(months, [1, 1, 1, 3, 3, 3])))
    >>> b = Theme(id=1, name="b", by_period=dict(zip(months, [3, 3, 3, 3, 3, 3])))
    >>> rare = Theme(id=2, name="rare", by_period={"2026-06": 2})
    >>> g = theme_growth(ThemeReport(themes=[a, b, rare]))
    >>> round(g[0].previous_share, 2), round(g[0].recent_share, 2), round(g[0].change, 2)
    (0.25, 0.45, 0.8)
    >>> round(g[1].change, 2), g[2].change
    (-0.4, None)
    """
    axis = month_axis(list(month_totals(report)))
    if len(axis) < 2 * window:
        return {t.id: None for t in report.themes}
    recent, previous = axis[-window:], axis[-2 * window:-window]
    totals = month_totals(report)
    total_recent = sum(totals.get(m, 0) for m in recent)
    total_previous = sum(totals.get(m, 0) for m in previous)
    out: dict[int, Growth | None] = {}
    for t in report.themes:
        n_recent = sum(t.by_period.get(m, 0) for m in recent)
        n_previous = sum(t.by_period.get(m, 0) for m in previous)
        r = n_recent / total_recent if total_recent else 0.0
        p = n_previous / total_previous if total_previous else 0.0
        change = (r / p - 1) if p > 0 else math.inf
        if n_recent + n_previous < MIN_ITEMS:
            change = None
        out[t.id] = Growth(r, p, change, (recent[0], recent[-1]), (previous[0], previous[-1]))
    return out
