"""The map: every item as a dot at its 2-D position, coloured by theme (inline SVG)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from feedbackiq.report._html import esc, num, section
from feedbackiq.types import Assignment, ThemeReport

__all__ = ["map_section", "map_sample", "MAX_MAP_POINTS", "LEGEND_THEMES"]

# A browser stays responsive with a few thousand SVG dots (each with a hover text); above that
# the map shows an even sample of the items, in assignment order so every theme keeps its share.
MAX_MAP_POINTS = 4000
LEGEND_THEMES = 12
_W, _H, _PAD = 960, 600, 12
_HOVER_CHARS = 240


def _scale(values: list[float], size: float) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    span = hi - lo
    if span == 0:
        return size / 2, 0.0  # every point on one spot: centre them
    return _PAD - lo * (size - 2 * _PAD) / span, (size - 2 * _PAD) / span


def map_sample(assignments: Sequence[Assignment], max_points: int | None = None) -> list[Assignment]:
    """The assignments the map draws: every one up to ``max_points`` (default ``MAX_MAP_POINTS``), else an even sample of them in
    assignment order (every theme keeps its share). Positions are needed for these only.

    >>> from feedbackiq.types import Assignment
    >>> rows = [Assignment(item_id=str(i), theme_id=0, probability=1.0) for i in range(10)]
    >>> [a.item_id for a in map_sample(rows, max_points=4)]
    ['0', '3', '6', '9']
    """
    return list(assignments[::max(1, math.ceil(len(assignments) / (max_points or MAX_MAP_POINTS)))])


def map_section(report: ThemeReport, coords: Mapping[str, tuple[float, float]], colors: dict[int, str]) -> str:
    """The map of the items with a position in ``coords``: every item's, or only those of
    :func:`map_sample` (what ``feedbackiq run`` computes), which draws the same dots."""
    names = {t.id: t.name for t in report.themes}
    if report.other:
        names[report.other.id] = report.other.name
    shown = map_sample([a for a in report.assignments if a.item_id in coords])
    if not shown:
        return section("map", "Map of the feedback", "No item of this report has a position.", "")
    wanted = {a.item_id for a in shown}
    texts = {it.id: it.text for it in report.feedback.items if it.id in wanted} if report.feedback else {}
    xs = [float(coords[a.item_id][0]) for a in shown]
    ys = [float(coords[a.item_id][1]) for a in shown]
    x0, kx = _scale(xs, _W)
    y0, ky = _scale(ys, _H)
    dots = []
    # "other" first so theme dots are drawn on top of it
    for a, x, y in sorted(zip(shown, xs, ys), key=lambda p: p[0].theme_id != -1):
        text = texts.get(a.item_id, "")
        text = text if len(text) <= _HOVER_CHARS else text[:_HOVER_CHARS] + "…"
        dots.append(f'<circle cx="{x0 + kx * x:.1f}" cy="{_H - (y0 + ky * y):.1f}" r="3.2" data-theme="{a.theme_id}" '
                    f'fill="{colors.get(a.theme_id, colors[-1])}"><title>{esc(names.get(a.theme_id, ""))}: {esc(text)}</title></circle>')
    legend = [t for t in report.themes[:LEGEND_THEMES]]
    entries = "".join(f'<button type="button" class="legend-item" data-theme="{t.id}"><span class="dot" '
                      f'style="background:{colors[t.id]}"></span>{esc(t.name)}</button>' for t in legend)
    if len(report.themes) > LEGEND_THEMES:
        entries += f'<span class="legend-item"><span class="dot" style="background:{colors[report.themes[-1].id]}"></span>smaller themes</span>'
    if report.other:
        entries += (f'<button type="button" class="legend-item" data-theme="-1"><span class="dot" '
                    f'style="background:{colors[-1]}"></span>{esc(report.other.name)}</button>')
    # Of all the report's items: positions may have been computed for the drawn sample only.
    total = len(report.assignments)
    sample = f" Showing an even sample of {num(len(shown))} of {num(total)} items." if len(shown) < total else ""
    body = (f'<div class="legend">{entries}</div>'
            f'<svg id="item-map" class="map" viewBox="0 0 {_W} {_H}" role="img" aria-label="map of feedback items">'
            f'{"".join(dots)}</svg>'
            f'<p class="note">Position comes from the meaning of the text (its embedding, flattened to 2-D); the axes '
            f'have no units. The {LEGEND_THEMES} largest themes have their own colour.{sample}</p>')
    return section("map", "Map of the feedback",
                   "Each dot is one piece of feedback; dots close together say similar things. Hover a dot to read "
                   "it; click a theme in the legend to highlight it (click again to clear).", body)
