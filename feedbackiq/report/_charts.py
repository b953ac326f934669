"""The page's two charts as inline SVG: the top needs over time (one shared scale, a time axis, launch
and release markers) and volume vs severity (respondents vs negative share), every need labelled."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from feedbackiq.report._html import esc, num, pct, short

__all__ = ["Marker", "Series", "Point", "trend_svg", "impact_svg", "nice_ticks", "place_labels"]

_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_CHAR = 6.6   # px per character of the 12 px label font, for placing labels (an estimate: no fonts measured)


@dataclass(frozen=True)
class Marker:
    when: date
    label: str
    kind: str          # launch / release


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    values: list[int]


@dataclass(frozen=True)
class Point:
    name: str
    color: str
    x: float           # respondents
    y: float           # negative share, 0..1
    href: str
    tip: str


def nice_ticks(top: float, n: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``top``.

    >>> nice_ticks(37), nice_ticks(0), nice_ticks(171)
    ([0, 10, 20, 30, 40], [0, 1], [0, 50, 100, 150, 200])
    """
    if top <= 0:
        return [0, 1]
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    step = int(step) if step >= 1 else step
    return [round(i * step, 6) for i in range(int(math.ceil(top / step)) + 1)]


def trend_svg(months: list[str], series: list[Series], markers: list[Marker], partial: str | None = None,
              width: int = 760, height: int = 300) -> str:
    """Respondents per month of each series on one scale, months along the bottom (the year under January
    and the first month), markers as dashed lines; ``partial`` (e.g. "to 14 Nov") marks a last month the
    data do not cover in full: its segment is dashed, so a drop there is not read as a fall."""
    left, right, top, bottom = 44, 16, 34, 50
    slot = (width - left - right) / max(len(months), 1)
    peak = max((v for s in series for v in s.values), default=0)
    ticks = nice_ticks(peak)
    ky = (height - top - bottom) / ticks[-1]

    def x(i: float) -> float:
        return left + (i + 0.5) * slot

    def y(v: float) -> float:
        return height - bottom - v * ky

    parts = [f'<svg class="chart trend-chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="respondents per month of the top needs">']
    for t in ticks:
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}"/>'
                     f'<text class="tick" x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{num(t)}</text>')
    every = max(1, math.ceil(len(months) / 12))
    for i, m in enumerate(months):
        if i % every == 0:
            year = f'<tspan x="{x(i):.1f}" dy="14">{m[:4]}</tspan>' if i == 0 or m[5:] == "01" else ""
            parts.append(f'<text class="tick" x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                         f"{_MONTHS[int(m[5:]) - 1]}{year}</text>")
    if partial and months:
        parts.append(f'<text class="tick partial" x="{x(len(months) - 1):.1f}" y="{height - bottom + 30}" '
                     f'text-anchor="middle">{esc(partial)}</text>')
    parts.append(f'<text class="axis" x="{left}" y="{top - 22}">respondents per month</text>')
    at = {m: i for i, m in enumerate(months)}
    for k, mk in enumerate(sorted(markers, key=lambda m: m.when)):
        i = at.get(f"{mk.when:%Y-%m}")
        if i is None:
            continue
        mx = left + (i + (mk.when.day - 1) / 31) * slot
        parts.append(f'<g class="marker marker-{esc(mk.kind)}"><line x1="{mx:.1f}" x2="{mx:.1f}" y1="{top - 4}" '
                     f'y2="{height - bottom}"/><text x="{mx + 3:.1f}" y="{top - 8 - 11 * (k % 2) + 11:.1f}">'
                     f"{esc(short(mk.label, 28))}</text><title>{esc(mk.label)} ({mk.when})</title></g>")
    for s in series:
        # Whole pixels and the colour set once per series: the chart is drawn for every filter option.
        solid = s.values[:-1] if partial and len(s.values) > 1 else s.values
        pts = " ".join(f"{x(i):.0f},{y(v):.0f}" for i, v in enumerate(solid))
        tail = (f'<line x1="{x(len(solid) - 1):.0f}" y1="{y(solid[-1]):.0f}" x2="{x(len(solid)):.0f}" '
                f'y2="{y(s.values[-1]):.0f}" stroke="{s.color}" stroke-dasharray="3 3"/>' if len(solid) < len(s.values) else "")
        name = esc(short(s.name, 28))
        parts.append(f'<g class="series" fill="{s.color}"><polyline fill="none" stroke="{s.color}" points="{pts}"/>{tail}'
                     + "".join(f'<circle cx="{x(i):.0f}" cy="{y(v):.0f}" r="3"><title>{name} · {months[i]}: {v}</title></circle>'
                               for i, v in enumerate(s.values)) + "</g>")
    return "".join(parts) + "</svg>"


def place_labels(points: list[tuple[float, float, str]], width: float, height: float,
                 centred: bool = False, char: float = _CHAR) -> list[tuple[float, float, str]]:
    """Label positions (x, y, anchor) beside each point (``centred``: on it), moved up or down by the least
    that keeps labels from overlapping and, beside points, from covering another point.

    >>> place_labels([(10, 50, "a"), (12, 52, "b")], 200, 100)
    [(19, 54, 'start'), (21, 69, 'start')]
    """
    # x0, x1, baseline y of what a label must not cover: the labels placed so far, and the points themselves.
    placed: list[tuple[float, float, float]] = [] if centred else [(px - 7, px + 7, py + 4) for px, py, _ in points]
    out: list[tuple[float, float, str]] = [(0.0, 0.0, "start")] * len(points)
    for idx in sorted(range(len(points)), key=lambda i: points[i][1]):
        px, py, label = points[idx]
        w = len(label) * char
        if centred:
            x0 = min(max(px - w / 2, 0.0), width - w)
            anchor = "start"
        else:
            anchor, x0 = ("start", px + 9) if px + 9 + w < width else ("end", px - 9 - w)
        # the nearest free line: as is, then 1, 2, ... lines up or down (within the plot)
        for step in range(2 * len(placed) + 2):
            ly = py + 4 + 13 * ((step + 1) // 2) * (-1 if step % 2 else 1)
            if 12 <= ly <= height - 4 and not any(p[0] < x0 + w and x0 < p[1] and abs(p[2] - ly) < 13 for p in placed):
                break
        placed.append((x0, x0 + w, ly))
        out[idx] = (x0 if anchor == "start" else x0 + w, ly, anchor)
    return out


def impact_svg(points: list[Point], reference: float | None, width: int = 760, height: int = 380) -> str:
    """Respondents (across) vs negative share (up): the needs up and to the right hurt most people most."""
    left, right, top, bottom = 52, 16, 20, 44
    xt = nice_ticks(max((p.x for p in points), default=0))
    kx = (width - left - right) / xt[-1]
    ky = height - top - bottom

    def sx(v: float) -> float:
        return left + v * kx

    def sy(v: float) -> float:
        return height - bottom - v * ky

    parts = [f'<svg class="chart impact-chart" viewBox="0 0 {width} {height}" role="img" '
             'aria-label="needs by respondents and negative share">']
    for t in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{sy(t):.1f}" y2="{sy(t):.1f}"/>'
                     f'<text class="tick" x="{left - 6}" y="{sy(t) + 4:.1f}" text-anchor="end">{pct(t)}</text>')
    for t in xt:
        parts.append(f'<text class="tick" x="{sx(t):.1f}" y="{height - bottom + 16}" text-anchor="middle">{num(t)}</text>')
    ref = f" (dashed: all needs, {pct(reference)})" if reference is not None else ""
    parts.append(f'<text class="axis" x="{width - right}" y="{height - 6}" text-anchor="end">respondents who voice it →</text>'
                 f'<text class="axis" x="{left + 4}" y="{top - 6}">↑ share of its feedback that is negative{ref}</text>')
    if reference is not None:
        parts.append(f'<line class="ref" x1="{left}" x2="{width - right}" y1="{sy(reference):.1f}" y2="{sy(reference):.1f}"/>')
    labels = place_labels([(sx(p.x), sy(p.y), short(p.name, 34)) for p in points], width - right, height - bottom)
    for p, (lx, ly, anchor) in zip(points, labels):
        if abs(ly - 4 - sy(p.y)) > 6:   # moved off its dot's line: a thin line says whose label it is
            parts.append(f'<line class="leader" x1="{sx(p.x):.0f}" y1="{sy(p.y):.0f}" x2="{lx:.0f}" y2="{ly - 4:.0f}"/>')
        parts.append(f'<a href="{esc(p.href)}"><circle cx="{sx(p.x):.1f}" cy="{sy(p.y):.1f}" r="6" fill="{p.color}" '
                     f'stroke="#fff" stroke-width="1.5"><title>{esc(p.tip)}</title></circle>'
                     f'<text class="point-label" x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}">{esc(short(p.name, 34))}'
                     "</text></a>")
    return "".join(parts) + "</svg>"
