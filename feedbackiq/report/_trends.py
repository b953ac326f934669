"""Trends (the top needs month by month, with launch and release markers) and volume vs severity."""

from __future__ import annotations

from datetime import date

from feedbackiq.report._charts import Marker, Point, Series, impact_svg, trend_svg
from feedbackiq.report._context import Context
from feedbackiq.report._html import esc, num, pct, section
from feedbackiq.report._needs import COLUMN_NOTES, severity_tip
from feedbackiq.report._stats import MIN_TREND, WINDOW_MONTHS, View
from feedbackiq.types import CardScores, SourceKind, ThemeReport

__all__ = ["trends_section", "impact_section", "release_markers", "TREND_NEEDS"]

TREND_NEEDS = 6   # lines on one chart before it stops being readable


def release_markers(report: ThemeReport, scores: CardScores | None) -> list[Marker]:
    """Launches (KPI cards' launch dates) and app releases (the first review of each major.minor version)."""
    out = [Marker(c.launch_date, f"{c.feature or c.name} launch", "launch")
           for c in (scores.cards if scores is not None else []) if c.launch_date is not None]
    first: dict[str, date] = {}
    for it in report.feedback.items if report.feedback else []:
        version = it.metadata.get("app_version") if it.source == SourceKind.REVIEW else None
        if version and it.created_at is not None:
            key = ".".join(str(version).split(".")[:2])
            day = it.created_at.date()
            if key not in first or day < first[key]:
                first[key] = day
    releases = sorted(first.items(), key=lambda kv: kv[1])
    # The first version seen was already out when the data start: it marks nothing.
    out += [Marker(day, f"v{v}", "release") for v, day in releases[1:]]
    return out


def _trend(ctx: Context, v: View, markers: list[Marker]) -> str:
    shown = [i for i in v.ranked() if v.needs[i].respondents][:TREND_NEEDS]
    if len(v.months) < 2 or not shown:
        return '<p class="muted">Too few dated months under this filter for a chart.</p>'
    series = [Series(ctx.needs[i].name, ctx.colors[ctx.needs[i].id], v.needs[i].monthly) for i in shown]
    legend = "".join(
        f'<li><span class="swatch" style="background:{ctx.colors[ctx.needs[i].id]}"></span>'
        f'<a href="#need-{ctx.needs[i].id}">{esc(ctx.needs[i].name)}</a> <span class="trend" '
        f'title="{esc(v.needs[i].trend.tip())}">{esc(v.needs[i].trend.text())}</span></li>' for i in shown)
    return (f'<div class="chart-box">{trend_svg(v.months, series, markers, _partial(ctx, v))}</div>'
            f'<ul class="chart-legend">{legend}</ul>')


def _partial(ctx: Context, v: View) -> str | None:
    """"to 14 Nov" when the data stop well before the end of the chart's last month."""
    last = ctx.facts.last_day if ctx.facts is not None else None
    if last is None or f"{last:%Y-%m}" != v.months[-1]:
        return None
    days = (date(last.year + last.month // 12, last.month % 12 + 1, 1) - date(last.year, last.month, 1)).days
    return f"to {last.day} {last:%b}" if last.day <= days - 3 else None


def trends_section(ctx: Context, markers: list[Marker]) -> str | None:
    if len(ctx.bind.default.months) < 2:
        return None
    kinds = {m.kind for m in markers}
    what = [w for k, w in (("launch", "launches on the KPI cards"), ("release", "app releases (first review of each "
                                                                             "version)")) if k in kinds]
    marks = f" Dashed lines: {' and '.join(what)}." if what else ""
    body = (ctx.bind.html(lambda v: _trend(ctx, v, markers), attrs=' class="trend-view"')
            + f'<p class="note">The {TREND_NEEDS} largest needs: how many respondents raised each, month by month, on one '
            f"scale.{esc(marks)} A last month the data do not cover in full is dashed. Beside each name, its trend: "
            f"its share of each month's respondents in the last {WINDOW_MONTHS} months against all the months before, "
            f"shown only from {MIN_TREND} respondent-months (below that: \"too few to tell\"), and called rising or "
            "falling only when the change is beyond chance (95%). A month with many survey answers lifts every line; "
            "the trend figure corrects for that.</p>")
    return section("trends", "Trends over time",
                   "Is a need getting louder? Read the lines against the dashed launch and release markers; hover a "
                   "point for its count.", body)


def _impact(ctx: Context, v: View) -> str:
    points = []
    neg = items = 0.0
    for i, need in enumerate(ctx.needs):
        s = v.needs[i]
        if not s.respondents or s.negative is None:
            continue
        neg += s.negative * s.items
        items += s.items
        points.append(Point(need.name, ctx.colors[need.id], s.respondents, s.negative, f"#need-{need.id}",
                            f"{need.name}: {num(s.respondents)} respondents ({pct(s.share)}); {severity_tip(s, ctx)}"))
    if not points:
        return '<p class="muted">No need under this filter.</p>'
    return f'<div class="chart-box">{impact_svg(points, neg / items if items else None)}</div>'


def impact_section(ctx: Context) -> str | None:
    if not ctx.needs:
        return None
    extra = []
    if ctx.has_nps:
        extra.append("NPS per need is in the need table (and on hover).")
    body = (ctx.bind.html(lambda v: _impact(ctx, v), attrs=' class="impact-view"')
            + f'<p class="note">Each dot is a need: further right, more respondents voice it; higher up, more of what '
            f"they say about it is negative. {esc(COLUMN_NOTES['negative'])} The dashed line is the share across all "
            f"needs. {' '.join(extra)}</p>")
    return section("impact", "Volume vs severity",
                   "Which needs hurt the most customers the most? Up and to the right first; hover a dot for its "
                   "numbers, click it for its quotes.", body)
