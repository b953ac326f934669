"""The map: items as dots at their 2-D position, coloured by need, each need labelled where its dots gather."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from feedbackiq.report._charts import place_labels
from feedbackiq.report._context import Context
from feedbackiq.report._html import esc, num, section, short
from feedbackiq.types import Assignment

__all__ = ["map_section", "map_sample", "MAX_MAP_POINTS", "LEGEND_NEEDS"]

# A browser stays responsive with a few thousand SVG dots (each with a hover text); above that
# the map shows an even sample of the items, in assignment order so every need keeps its share.
MAX_MAP_POINTS = 4000
LEGEND_NEEDS = 12
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
    assignment order (every need keeps its share). Positions are needed for these only.

    >>> from feedbackiq.types import Assignment
    >>> rows = [Assignment(item_id=str(i), theme_id=0, probability=1.0) for i in range(10)]
    >>> [a.item_id for a in map_sample(rows, max_points=4)]
    ['0', '3', '6', '9']
    """
    return list(assignments[::max(1, math.ceil(len(assignments) / (max_points or MAX_MAP_POINTS)))])


def map_section(ctx: Context, coords: Mapping[str, tuple[float, float]]) -> str:
    """The map of the items with a position in ``coords``: every item's, or only those of
    :func:`map_sample` (what ``feedbackiq run`` computes), which draws the same dots."""
    report = ctx.report
    need_of = {t: n.id for t, n in ctx.need_of_theme().items()}
    names = {n.id: n.name for n in (*ctx.needs, *report.non_needs)}
    names[-1] = report.other.name if report.other else "Other (unassigned)"
    shown = map_sample([a for a in report.assignments if a.item_id in coords])
    if not shown:
        return section("map", "Map of the feedback", "No item of this report has a position.", "")
    wanted = {a.item_id for a in shown}
    items = report.feedback.items if report.feedback else []
    texts = {it.id: it.text for it in items if it.id in wanted}
    index = {it.id: i for i, it in enumerate(items) if it.id in wanted} if ctx.facts is not None else {}
    xs = [float(coords[a.item_id][0]) for a in shown]
    ys = [float(coords[a.item_id][1]) for a in shown]
    x0, kx = _scale(xs, _W)
    y0, ky = _scale(ys, _H)
    px = [x0 + kx * x for x in xs]
    py = [_H - (y0 + ky * y) for y in ys]
    dots = []
    # "other" and praise first, so the needs' dots are drawn on top of them
    need_ids = {n.id for n in ctx.needs}
    order = sorted(range(len(shown)), key=lambda j: need_of.get(shown[j].theme_id, -1) in need_ids)
    for j in order:
        a = shown[j]
        need = need_of.get(a.theme_id, -1)
        text = texts.get(a.item_id, "")
        text = text if len(text) <= _HOVER_CHARS else text[:_HOVER_CHARS] + "…"
        i = index.get(a.item_id)
        keeps = f' data-f="{" ".join(map(str, ctx.facts.option_ids(i, ctx.options)))}"' if i is not None else ""
        dots.append(f'<circle cx="{px[j]:.1f}" cy="{py[j]:.1f}" r="3.2" data-need="{need}"{keeps} '
                    f'fill="{ctx.colors.get(need, ctx.colors[-1])}"><title>{esc(names.get(need, ""))}: {esc(text)}</title></circle>')
    # Each need's name where its dots gather (their median), nudged so no two names overlap.
    centres = []
    for n in ctx.needs[:LEGEND_NEEDS]:
        at = [j for j, a in enumerate(shown) if need_of.get(a.theme_id) == n.id]
        if at:
            centres.append((n, float(np.median([px[j] for j in at])), float(np.median([py[j] for j in at]))))
    spots = place_labels([(x, y, "● " + short(n.name, 30)) for n, x, y in centres], _W - _PAD, _H - _PAD, centred=True,
                         char=8.6)
    labels = "".join(f'<text class="map-label" x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}"><tspan fill="'
                     f'{ctx.colors[n.id]}">● </tspan>{esc(short(n.name, 30))}</text>'
                     for (n, _, _), (lx, ly, anchor) in zip(centres, spots))
    legend = [(n.id, n.name) for n in ctx.needs[:LEGEND_NEEDS]]
    legend += [(n.id, f"{n.name} (not a need)") for n in report.non_needs]
    legend += [(-1, names[-1])] if report.other else []
    entries = "".join(f'<button type="button" class="legend-item" data-need="{nid}"><span class="dot" '
                      f'style="background:{ctx.colors.get(nid, ctx.colors[-1])}"></span>{esc(name)}</button>'
                      for nid, name in legend)
    total = len(report.assignments)   # of all the report's items: positions may be for the drawn sample only
    sample = f" Showing an even sample of {num(len(shown))} of {num(total)} items." if len(shown) < total else ""
    body = (f'<div class="legend">{entries}</div><div class="chart-box">'
            f'<svg id="item-map" class="map" viewBox="0 0 {_W} {_H}" role="img" aria-label="map of feedback items">'
            f'{"".join(dots)}<g class="map-labels">{labels}</g></svg></div>'
            f'<p class="note">Position comes from the meaning of the text (its embedding, flattened to 2-D); the axes '
            f"have no units. Each of the {LEGEND_NEEDS} largest needs has its own colour and its name where its dots "
            f"gather; praise and items in no theme are grey.{sample}</p>")
    return section("map", "Map of the feedback",
                   "Each dot is one piece of feedback; dots close together say similar things. Hover a dot to read "
                   "it; click a need in the legend to highlight it (click again to clear).", body)
