"""The map: every item as a dot at its 2-D position, coloured by theme (inline SVG)."""

from __future__ import annotations

import math

from feedbackiq.report._html import esc, num, section
from feedbackiq.types import ThemeReport

__all__ = ["map_section", "MAX_MAP_POINTS", "LEGEND_THEMES"]

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


def map_section(report: ThemeReport, coords: dict[str, tuple[float, float]], colors: dict[int, str]) -> str:
    texts = {it.id: it.text for it in report.feedback.items} if report.feedback else {}
    names = {t.id: t.name for t in report.themes}
    if report.other:
        names[report.other.id] = report.other.name
    placed = [a for a in report.assignments if a.item_id in coords]
    step = max(1, math.ceil(len(placed) / MAX_MAP_POINTS))
    shown = placed[::step]
    if not shown:
        return section("map", "Map of the feedback", "No item of this report has a position.", "")
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
    sample = (f" Showing an even sample of {num(len(shown))} of {num(len(placed))} items." if step > 1 else "")
    body = (f'<div class="legend">{entries}</div>'
            f'<svg id="item-map" class="map" viewBox="0 0 {_W} {_H}" role="img" aria-label="map of feedback items">'
            f'{"".join(dots)}</svg>'
            f'<p class="note">Position comes from the meaning of the text (its embedding, flattened to 2-D); the axes '
            f'have no units. The {LEGEND_THEMES} largest themes have their own colour.{sample}</p>')
    return section("map", "Map of the feedback",
                   "Each dot is one piece of feedback; dots close together say similar things. Hover a dot to read "
                   "it; click a theme in the legend to highlight it (click again to clear).", body)
