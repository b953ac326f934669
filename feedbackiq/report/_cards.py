"""KPI cards: the scorecard (each card's evidence vs its target) and demand no card owns.

Rows come as plain dicts, e.g. ``CardScores.to_pandas().to_dict("records")`` (enum values, NaN for
missing numbers, need ids as ``"3;4"``) and ``[u.model_dump(mode="json") for u in scores.unowned]``;
both shapes and plain lists/None are accepted, and a missing key shows as a dash. A need is shown by
its name, linked to its largest theme (its drill-down).
"""

from __future__ import annotations

import math
from typing import Any

from feedbackiq.report._html import DASH, esc, num, pct, section, sort_value
from feedbackiq.types import ThemeReport

__all__ = ["scorecard_section", "unowned_section", "STATUSES"]

STATUSES = {"pass": "meets the target", "fail": "misses the target", "unmatched": "no need matches the target",
            "ambiguous": "several needs could be the target's", "no_data": "no data for the metric"}
_DIRECTIONS = {"min": "at least", "max": "at most"}


def _plain(v: Any) -> Any:
    """Enum -> its value, NaN -> None: what a DataFrame's records hold, as plain values."""
    v = getattr(v, "value", v)
    return None if isinstance(v, float) and math.isnan(v) else v


def _value(v: Any) -> str:
    """A number as people read it (1,429,500 / 12.5 / 0.295); other values as text."""
    v = _plain(v)
    if v is None:
        return DASH
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return esc(v)
    return num(v) if abs(v) >= 1000 or isinstance(v, int) else esc(f"{v:.3g}")


def _number(v: Any) -> float | None:
    v = _plain(v)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _need_ids(value: Any) -> list[str]:
    """Need ids from a list, or from the ``"3;4"`` string of ``CardScores.to_pandas()``."""
    value = _plain(value)
    if value is None:
        return []
    parts = value.split(";") if isinstance(value, str) else list(value)
    return [str(getattr(p, "need_id", p)).strip() for p in parts if str(getattr(p, "need_id", p)).strip()]


def _need_link(need_id: Any, name: Any, report: ThemeReport) -> str:
    """The need's name, linked to its largest theme (no link when the report does not have the need)."""
    sizes = {t.id: t.size for t in report.themes}
    need = next((n for n in (*report.needs, *report.non_needs) if str(n.id) == str(need_id)), None)
    if name is None and need is None and need_id is None:
        return DASH
    label = esc(name if name is not None else need.name if need is not None else f"#{need_id}")
    themes = [t for t in (need.theme_ids if need is not None else []) if t in sizes]
    return f'<a href="#theme-{max(themes, key=sizes.get)}">{label}</a>' if themes else label


def _need_links(value: Any, report: ThemeReport) -> str:
    return ", ".join(_need_link(i, None, report) for i in _need_ids(value)) or DASH


def scorecard_section(rows: list[dict], report: ThemeReport) -> str:
    body_rows = []
    for r in rows:
        status = str(_plain(r.get("status")) or "no_data")
        css = status if status in STATUSES else "unknown"
        low, high = _plain(r.get("ci_low")), _plain(r.get("ci_high"))
        ci = f"{_value(low)} – {_value(high)}" if low is not None or high is not None else DASH
        direction = str(_plain(r.get("direction")) or "")
        target = f"{esc(_DIRECTIONS.get(direction, direction))} {_value(r.get('target_value'))}".strip()
        ratio = _number(r.get("ratio"))
        body_rows.append(
            f'<tr class="card-row" data-status="{esc(status)}"><td><b>{esc(_plain(r.get("card")))}</b>'
            f'<div class="muted">{esc(_plain(r.get("kind")))}</div></td><td>{esc(_plain(r.get("target")))}</td>'
            f'<td>{esc(_plain(r.get("metric")))}</td><td class="n">{_value(r.get("actual"))}</td><td class="n">{target}</td>'
            f'<td><span class="status status-{css}" title="{esc(STATUSES.get(status, ""))}">{esc(status)}</span></td>'
            f'<td class="n">{pct(ratio)}</td><td class="n">{ci}</td>'
            f'<td>{_need_links(r.get("needs"), report)}</td></tr>')
    legend = " · ".join(f'<span class="status status-{k}">{k}</span> {esc(v)}' for k, v in STATUSES.items())
    body = ('<table id="scorecard" class="plain"><thead><tr><th>Card</th><th>Target</th><th>Metric</th><th class="n">Actual</th>'
            '<th class="n">Target value</th><th>Status</th><th class="n">Attainment</th><th class="n">95% interval</th>'
            f'<th>Evidence (need)</th></tr></thead><tbody>{"".join(body_rows)}</tbody></table>'
            f'<p class="note">{legend}. Attainment: how much of the target the evidence reaches (100% or more meets '
            "it).</p>")
    return section("scorecard", "KPI card scorecard",
                   "Each row is one target of a PM/GTM card: the metric measured in the feedback, its target, and whether "
                   "the evidence meets it. The interval says how sure the measurement is; the need is the evidence.",
                   body)


def _growth_ratio(v: Any) -> tuple[str, float | None]:
    """The cards scorer's growth is a ratio of shares (recent / before): 1.5 -> "+50%"."""
    g = _number(v)
    if g is None:
        return DASH, None
    return ("new", math.inf) if g == math.inf else (f"{100 * (g - 1):+.0f}%", g)


def unowned_section(rows: list[dict], report: ThemeReport) -> str:
    body_rows = []
    for r in rows:
        lost = _plain(r.get("lost_deal_value", r.get("lost_value")))
        growth, growth_sort = _growth_ratio(r.get("growth"))
        reasons = ", ".join(str(x) for x in (_plain(r.get("reasons")) or []))
        body_rows.append(
            f'<tr><td data-sort="{esc(_plain(r.get("name")))}">'
            f'{_need_link(_plain(r.get("need_id")), _plain(r.get("name")), report)}'
            f'{f"<div class=muted>{esc(reasons)}</div>" if reasons else ""}</td>'
            f'<td class="n" data-sort="{sort_value(_number(r.get("respondents")))}">{_value(r.get("respondents"))}</td>'
            f'<td class="n" data-sort="{sort_value(_number(r.get("respondent_share")))}">{pct(_number(r.get("respondent_share")))}</td>'
            f'<td class="n" data-sort="{sort_value(growth_sort)}">{growth}</td>'
            f'<td class="n" data-sort="{sort_value(_number(r.get("deal_value")))}">{_value(r.get("deal_value"))}</td>'
            f'<td class="n" data-sort="{sort_value(_number(lost))}">{_value(lost)}</td></tr>')
    head = "".join(f'<th class="{"t" if k == "text" else "n"}" data-sort-type="{k}"><button type="button">{h}</button></th>'
                   for h, k in (("Need (why listed)", "text"), ("Respondents", "number"), ("Share", "number"),
                                ("Growth vs earlier", "number"), ("Deal value", "number"), ("Lost deals", "number")))
    body = (f'<table id="unowned" class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(body_rows)}</tbody></table>'
            '<p class="note">Growth vs earlier: the need\'s share of items in the last 3 months with data vs its share in '
            "all earlier months (the cards scorer's measure; the theme table compares with the 3 months before only, so "
            "the two can differ). Lost deals: value of lost opportunities whose sales notes raise the need.</p>")
    return section("unowned", "Demand no card owns",
                   "Needs customers voice that no KPI card tracks yet: candidates for a new card or an owner. "
                   "Click a header to sort.", body)
